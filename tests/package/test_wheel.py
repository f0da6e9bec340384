"""The wheel as the package index gets it: its description, a clean build, a working install."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _setup_module():
    spec = importlib.util.spec_from_file_location("semicon_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the helpers; setup() runs only as __main__
    return module


def _relative_links(markdown: str) -> list[str]:
    targets = re.findall(r"\]\(([^)\s]+)\)", markdown)
    return [t for t in targets if not re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|#)", t)]


def test_long_description_links_are_absolute_and_point_at_real_files() -> None:
    setup = _setup_module()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    relative = _relative_links(readme)
    assert relative, "the README links its docs relatively"
    text = setup.long_description()
    assert _relative_links(text) == []
    repository = setup.repository_url()
    for target in relative:
        path = target.removeprefix("./")
        assert (ROOT / path).exists(), target  # a link into the repository that exists
        assert (f"{repository}/blob/main/{path})" in text
                or f"/main/{path})" in text), target
    assert "![The home page of the site](https://raw.githubusercontent.com/" in text


def test_long_description_renders_as_the_package_index_renders_it() -> None:
    from readme_renderer.markdown import render

    html = render(_setup_module().long_description(), variant="GFM")
    assert html is not None
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert hrefs and all(h.startswith(("https://", "http://", "#", "mailto:")) for h in hrefs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, str]:
    """A wheel built from a clean export of the tree, with pip as a user would."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    archive = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached",
                              "--others", "--exclude-standard"], capture_output=True, check=True)
    for rel in archive.stdout.decode().split("\0"):
        if rel and (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v",
                           "-w", str(root / "out"), str(src)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (path,) = (root / "out").glob("semicon_nl-*.whl")
    return path, proc.stdout + proc.stderr


@pytest.mark.slow
def test_wheel_builds_without_setuptools_warnings(wheel) -> None:
    _, log = wheel
    warnings = [line for line in log.splitlines()
                if re.search(r"[Ww]arning|deprecat", line) and "is ignored" not in line
                and "byte-compiling is disabled" not in line]
    assert warnings == []


@pytest.mark.slow
def test_wheel_metadata_and_contents(wheel) -> None:
    path, _ = wheel
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(zf.read(meta_name).decode())
    assert meta["Description-Content-Type"] == "text/markdown"
    assert _relative_links(meta.get_payload()) == []
    for needed in ("semicon/build/templates/index.html",
                   "semicon/build/plugins/semicon_pages.py", "semicon/build/static/site.css",
                   "semicon/schemas/declarations.schema.json"):
        assert needed in names, needed


@pytest.mark.slow
def test_pip_install_of_the_wheel_validates_a_package_from_any_folder(wheel, tmp_path: Path
                                                                      ) -> None:
    """``pip install`` of the wheel into a fresh venv, its dependencies resolved by pip from
    the package index as for any user (nothing borrowed from this environment; pip's cache,
    filled by the development install, keeps it quick), then ``semicon validate PATH`` run
    from another folder. The slow install test (``-m slow``), part of the full run."""
    path, _ = wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # --no-compile: no byte-compiling of every dependency up front (15 s instead of 26 s of
    # CPU here); Python compiles what `semicon validate` imports as it imports it
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-compile", str(path)],
                             cwd=tmp_path, capture_output=True, text=True, timeout=1200,
                             check=False)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    check = subprocess.run([str(py), "-m", "pip", "check"], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr  # every requirement met
    package = tmp_path / "data"
    shutil.copytree(ROOT / "datapackage", package)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    paths = subprocess.run(
        [str(py), "-c", "import sys, semicon.cli.main as m, duckdb, datasette; "
                        "print(m.__file__); print(duckdb.__file__); print(datasette.__file__); "
                        "print(all(p.startswith(sys.prefix) or p.startswith(sys.base_prefix) "
                        "or not p for p in sys.path))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.split()
    # the wheel's code and its dependencies, all from the fresh venv
    assert all(p.startswith(str(venv)) for p in paths[:3]), paths
    assert paths[3] == "True", paths
    semicon = str(venv / "bin" / "semicon")
    proc = subprocess.run([semicon, "validate", str(package), "-q"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = package / "data" / "regions.csv"
    broken.write_text(broken.read_text(encoding="utf-8") + "x,y\n", encoding="utf-8")
    proc = subprocess.run([semicon, "validate", str(package), "-q"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "regions" in proc.stdout
