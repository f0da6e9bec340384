"""Findings of the descriptor checks kept by digest: an unchanged descriptor is not checked
again.

The descriptor checks depend on nothing but their input, the check's own code and the
library that runs it: frictionless's profile check (0.4 s of imports and set-up for about
10 ms of work) and the JSON Schema of the ``semicon`` property (0.1 s of jsonschema
imports). Their findings are stored in ``$XDG_CACHE_HOME/semicon-nl/checks/`` (default
``~/.cache``), one JSON file named by the SHA-256 of the check's name, the installed
library, the code and the input; reading one back takes about a millisecond. A folder that
cannot be read or written only means checking every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .findings import Finding


def cache_dir() -> Path:
    """Where the findings are kept (``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "semicon-nl" / "checks"


def installed(library: str) -> str:
    """The installed distribution of ``library``: its dist-info names and install time."""
    spec = importlib.util.find_spec(library)
    if spec is None or spec.origin is None:
        return f"{library}: absent"
    origin = Path(spec.origin)
    site = origin.parent.parent
    dists = sorted(p.name for p in site.glob(f"{library}-*.dist-info"))
    return f"{library}: {dists} {origin.stat().st_mtime_ns}"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Verdict:
    """The findings of ``check`` on ``data``, as far as they are kept."""

    def __init__(self, check: str, data: Any, *, code: Iterable[Path],
                 libraries: Iterable[str]) -> None:
        self.path: Path | None = None
        try:
            parts = [check, *map(installed, libraries), *map(_file_digest, code),
                     json.dumps(data, ensure_ascii=False)]
            digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass"))
        except (OSError, TypeError, ValueError):  # not JSON, or the code cannot be read
            return
        self.path = cache_dir() / f"{digest.hexdigest()}.json"

    def recall(self) -> list[Finding] | None:
        """The kept findings, or None when there are none (or they cannot be read)."""
        if self.path is None:
            return None
        try:
            items = json.loads(self.path.read_text(encoding="utf-8"))
            return [Finding(**item) for item in items]
        except (OSError, ValueError, TypeError):
            return None

    def keep(self, findings: list[Finding]) -> None:
        """Store ``findings`` (written beside, then renamed into place)."""
        if self.path is not None:
            write_kept(self.path, [f.to_dict() for f in findings])


def write_kept(path: Path, data: Any) -> bool:
    """Write ``data`` as JSON beside ``path``, then rename it into place; False when the
    folder cannot be written (which only means checking again next time)."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
    return True
