"""Path safety: resource paths are refused before anything is read or fetched."""

from __future__ import annotations

import os
import re
from pathlib import Path

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def unsafe_reason(base: Path, path: object) -> str | None:
    """Why ``path`` (from a descriptor) is unsafe relative to folder ``base``; None if safe.

    Refused: non-text paths, absolute paths (``/x``, ``\\x``, ``C:``, ``~``), any URL scheme
    (``file:``, ``http:``, ``s3:``...), ``..`` segments, and paths that resolve (through
    symlinks) outside ``base``.
    """
    if not isinstance(path, str):
        return "path is not a string"
    if not path or not path.strip():
        return "path is empty"
    if "\x00" in path:
        return "path contains a NUL byte"
    if _SCHEME_RE.match(path):
        return "path has a URL scheme or drive letter; only relative local paths are allowed"
    if path.startswith(("/", "\\", "~")):
        return "path is absolute"
    parts = re.split(r"[\\/]", path)
    if ".." in parts:
        return "path contains '..'"
    try:
        root = base.resolve()
        target = (base / path).resolve()
    except (OSError, RuntimeError) as exc:
        return f"path cannot be resolved: {exc}"
    if target != root and root not in target.parents:
        return "path leaves the package folder (symlink)"
    return None


def is_within(base: Path, target: Path) -> bool:
    root = os.path.realpath(base)
    real = os.path.realpath(target)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def remote_reason(url: str, allowed: bool) -> str | None:
    """Why a remote resource path is refused: always without ``--allow-remote``, and for
    plain http even with it; None when it may be fetched."""
    if not allowed:
        return "remote path; pass --allow-remote to fetch it over https"
    if not url.lower().startswith("https://"):
        return "only https is fetched (--allow-remote)"
    return None
