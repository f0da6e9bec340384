"""Packages nobody here wrote (tests/real_packages/): validate, build, package and serve them
with no declaration and no code change; their site is theirs (title, description, tables) and
has no trace of the bundled package. Datasette runs in process with its own test client."""

from __future__ import annotations

import asyncio
import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli

from tests.serve.conftest import REAL, REAL_PACKAGES, in_process
from tests.serve.site_checks import letter_words, same_site_links

MAX_PAGES = 400


@pytest.fixture(scope="module", params=REAL)
def real(request, tmp_path_factory):
    """A copy of one real package, validated, built and packaged through the CLI."""
    work = tmp_path_factory.mktemp(request.param)
    pkg = work / request.param
    shutil.copytree(REAL_PACKAGES / request.param, pkg)
    out = work / "dist"
    runner = CliRunner()
    for args in (["validate", str(pkg)], ["build", str(pkg), "--out", str(out)],
                 ["package", str(pkg), "--out", str(out), "--quiet"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    descriptor = pkg / "datapackage.json"
    return descriptor, json.loads(descriptor.read_text()), out


def crawl(ds, start: str = "/", depth: int = 2) -> dict[str, tuple[int, str]]:
    """path -> (status, body) for ``start`` and every same-site link ``depth`` links away."""
    seen: dict[str, tuple[int, str]] = {}

    async def run():
        frontier = [start]
        for level in range(depth + 1):
            following = []
            for path in frontier:
                if path in seen or len(seen) >= MAX_PAGES:
                    continue
                r = await ds.client.get(path)
                html = r.text if "html" in r.headers.get("content-type", "") else ""
                seen[path] = (r.status_code, html)
                if level < depth:
                    following += [p for p in same_site_links(html) if p not in seen]
            frontier = following

    asyncio.run(run())
    return seen


def test_validate_build_and_package_need_no_declaration(real):
    _, raw, out = real
    assert "semicon" not in raw
    name = raw["name"]
    assert (out / f"{name}.db").is_file() and (out / f"{name}.duckdb").is_file()
    zips = list(out.glob(f"{name}*.zip"))
    assert len(zips) == 1
    members = zipfile.ZipFile(zips[0]).namelist()
    assert any(m.endswith("datapackage.json") for m in members)
    assert sum(m.endswith(".csv") for m in members) >= len(raw["resources"])


def test_site_is_the_packages_own(real, monkeypatch):
    monkeypatch.setenv("SEMICON_GC_TUNING", "0")
    descriptor, raw, out = real
    ds = in_process(descriptor, out)
    pages = crawl(ds)
    status, home = pages["/"]
    assert status == 200
    assert f"<h1>{raw['title']}</h1>" in home.replace("&amp;", "&")
    assert raw["description"].replace("&", "&amp;") in home
    for res in raw["resources"]:
        assert f'href="/{raw["name"]}/{res["name"]}"' in home
    # every same-site link two clicks from the home page answers 200
    broken = {p: s for p, (s, _) in pages.items() if s != 200}
    assert not broken
    assert len(pages) > 20
    # nothing about the bundled package's letter: no such word, page or link
    for path, (_, body) in pages.items():
        assert not letter_words(body, raw), path
        assert "source-quote" not in body, path
    assert asyncio.run(ds.client.get("/letter")).status_code == 404


def test_search_indexes_the_packages_text_columns(real, monkeypatch):
    monkeypatch.setenv("SEMICON_GC_TUNING", "0")
    descriptor, raw, out = real
    ds = in_process(descriptor, out)
    meta = json.loads((out / "site" / "metadata.json").read_text())
    tables = meta["databases"][raw["name"]]["tables"]
    res = raw["resources"][-1]
    text = [f["name"] for f in res["schema"]["fields"] if f.get("type", "string") == "string"]
    assert tables[res["name"]]["fts_table"] == f"{res['name']}_fts"
    row = asyncio.run(ds.client.get(
        f"/{raw['name']}/{res['name']}.json?_shape=array&_size=1")).json()[0]
    word = next(str(row[c]).split()[0] for c in text if row.get(c))
    hits = asyncio.run(ds.client.get(
        f"/{raw['name']}/{res['name']}.json?_shape=array&_search={word}")).json()
    assert any(word in " ".join(str(v) for v in h.values()) for h in hits)


def test_real_packages_are_vendored_with_their_licence():
    assert len(REAL) >= 3
    for name in REAL:
        folder = REAL_PACKAGES / name
        assert "ODC-PDDL" in (folder / "LICENSE.md").read_text()
        raw = json.loads((folder / "datapackage.json").read_text())
        assert raw["licenses"][0]["name"] == "ODC-PDDL-1.0"
        for res in raw["resources"]:
            assert (folder / res["path"]).is_file()


def test_copy_is_unchanged_by_the_tools(real):
    descriptor, _, _ = real
    src = REAL_PACKAGES / descriptor.parent.name
    for f in src.rglob("*"):
        if f.is_file():
            assert (descriptor.parent / f.relative_to(src)).read_bytes() == f.read_bytes()
    assert sorted(p.name for p in descriptor.parent.rglob("*")) == sorted(
        p.name for p in src.rglob("*"))
