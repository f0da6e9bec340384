"""A validation's findings kept by the digest of everything they depend on: a package that has
not changed since it was last validated is not validated again.

The findings depend on the descriptor (schemas and dialects given by path included), the
files in the package's folder, the options that change them, semicon's own code and the
libraries that check (DuckDB, frictionless, jsonschema). All of these go into one SHA-256;
the findings, rows read and capped checks are stored under it in
``$XDG_CACHE_HOME/semicon-nl/reports/`` and read back in about a millisecond.

A file is known by its path, size, modification time, status-change time and inode (as
make and ruff judge a change, without reading it): a rewrite, a copy over it, a ``touch``,
a checkout or a rename onto it each change one of them, whatever its size, and the
status-change time cannot be set back. The descriptor and semicon's code are hashed whole.

Never kept: a package with remote resources (the server may answer differently), a run
that may execute the package's own Python (``--allow-python``), a run given source texts
in memory, and a folder of more than :data:`MAX_FILES` files. ``--no-cache`` (or
``SEMICON_NO_CACHE=1``) validates everything again without reading or writing kept results.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from semicon.schemas.model import Package

from .findings import Finding
from .verdicts import cache_dir, installed, write_kept

#: a package folder with more files than this is not kept
MAX_FILES = 5_000
#: folders of tools, never the package's data
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv",
                          ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
#: semicon's own code: these packages' .py and .json files
CODE_PACKAGES = ("semicon.schemas", "semicon.build", "semicon.cli")
LIBRARIES = ("duckdb", "frictionless", "jsonschema")
#: bump when the stored shape changes
FORMAT = 1
#: reports kept at most; the oldest go first
MAX_KEPT = 500


def reports_dir() -> Path:
    return cache_dir().parent / "reports"


class TooMany(Exception):
    """The folder has too many files to be worth listing."""


def _package_files(base: Path, extra: list[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    count = 0
    own = os.path.realpath(cache_dir().parent)  # a cache folder inside the package's
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                         and os.path.realpath(os.path.join(root, d)) != own)
        for name in sorted(files):
            count += 1
            if count > MAX_FILES:
                raise TooMany
            path = Path(root) / name
            seen.add(path)
            yield path
    for path in extra:  # a resource file in a skipped folder, or outside the folder
        if path not in seen:
            yield path


def _file_entry(path: Path, base: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError as exc:  # missing or unreachable: its error is part of the verdict
        return [str(path), type(exc).__name__]
    try:
        shown = str(path.relative_to(base))
    except ValueError:
        shown = str(path)
    return [shown, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _files_digest(package: Package) -> list[list[Any]]:
    extra = [f for res in package.resources for f in res.files]
    return [_file_entry(path, package.base_dir)
            for path in _package_files(package.base_dir, extra)]


def _code_files() -> list[Path]:
    out: list[Path] = []
    for name in CODE_PACKAGES:
        spec = importlib.util.find_spec(name)
        for loc in (spec.submodule_search_locations or []) if spec else []:
            out += sorted(p for p in Path(loc).rglob("*")
                          if p.suffix in (".py", ".json") and "__pycache__" not in p.parts)
    return out


def _code_digest() -> str:
    h = hashlib.sha256()
    for path in _code_files():
        h.update(str(path).encode("utf-8", "surrogatepass") + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


class KeptReport:
    """Where the findings of one validation are kept; ``path`` is None when they are not."""

    def __init__(self, package: Package, options: dict[str, Any]) -> None:
        self.path: Path | None = None
        if any(res.remote for res in package.resources):
            return
        try:
            key = {
                "format": FORMAT,
                "python": sys.version,
                "code": _code_digest(),
                "libraries": [installed(lib) for lib in LIBRARIES],
                "options": options,
                "descriptor": str(package.path),
                "package": package.inlined(),  # the descriptor as written, digested whole
                "files": _files_digest(package),
            }
            text = json.dumps(key, ensure_ascii=False, sort_keys=True, default=str)
        except (OSError, TooMany, TypeError, ValueError):
            return
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        self.path = reports_dir() / f"{digest}.json"

    def recall(self) -> tuple[list[Finding], dict[str, int], list[str]] | None:
        """The kept findings, rows read per resource and capped resources, if kept."""
        if self.path is None:
            return None
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
            findings = [Finding(**item) for item in kept["findings"]]
            recalled = findings, dict(kept["rows"]), list(kept["capped"])
            os.utime(self.path)  # recently used: pruned last
            return recalled
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def keep(self, findings: list[Finding], rows: dict[str, int], capped: list[str]) -> None:
        """Store them (written beside, then renamed into place); a folder that cannot be
        written only means validating again next time."""
        data = {"findings": [f.to_dict() for f in findings], "rows": rows, "capped": capped}
        if self.path is not None and write_kept(self.path, data):
            _prune(self.path.parent)


def _prune(folder: Path) -> None:
    """Remove the oldest reports beyond :data:`MAX_KEPT`."""
    with contextlib.suppress(OSError):
        entries = [e for e in os.scandir(folder) if e.name.endswith(".json")]
        if len(entries) <= MAX_KEPT:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in entries[:len(entries) - MAX_KEPT]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
