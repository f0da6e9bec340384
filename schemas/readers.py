"""Packages given as something other than a descriptor file: a zip, a bare CSV.

Also where a Table Schema is inferred for a table that declares none, the way frictionless
does (its own ``Resource.infer``), so the verdict matches ``frictionless validate``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from .model import DESCRIPTOR_NAMES, DescriptorError

#: the most a zipped package may hold once extracted (bytes) and in members
MAX_ZIP_BYTES = 8 << 30
MAX_ZIP_MEMBERS = 100_000
#: suffixes read as a bare CSV file rather than a descriptor
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
#: a bare CSV file may be compressed (``table.csv.gz``, ``table.csv.zip``)
COMPRESSED_SUFFIXES = frozenset({".gz", ".zip"})


def is_bare_table(path: Path) -> bool:
    """Whether ``path`` names a bare CSV or TSV file, possibly gzipped or zipped."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] in CSV_SUFFIXES:
        return True
    return (len(suffixes) == 2 and suffixes[0] in CSV_SUFFIXES
            and suffixes[1] in COMPRESSED_SUFFIXES)


def extract_zip(path: Path) -> tuple[Path, tempfile.TemporaryDirectory]:
    """Extract the package in zip ``path``; return its descriptor and the temporary folder.

    The zip must hold ``datapackage.json`` (or ``.yaml``) at its root or in one folder;
    only that folder is extracted. Members with absolute paths, ``..`` or links are
    refused, and so are zips larger than :data:`MAX_ZIP_BYTES` once extracted.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            member = _descriptor_member(path, [i.filename for i in infos])
            prefix = member[: -len(PurePosixPath(member).name)]
            wanted = [i for i in infos if i.filename.startswith(prefix)]
            _check_members(path, wanted)
            tmp = tempfile.TemporaryDirectory(prefix="semicon-zip-")
            root = Path(tmp.name)
            for info in wanted:
                target = root / info.filename[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise DescriptorError("descriptor-error",
                              f'Zip "{path}" cannot be read: {exc}', path) from None
    return root / PurePosixPath(member).name, tmp


def _descriptor_member(path: Path, names: list[str]) -> str:
    found = sorted((n for n in names if PurePosixPath(n).name in DESCRIPTOR_NAMES
                    and n.count("/") <= 1), key=lambda n: (n.count("/"), n))
    if not found:
        raise DescriptorError(
            "descriptor-error",
            f'Zip "{path}" holds no datapackage.json at its root or in one folder', path)
    return found[0]


def _check_members(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ZIP_MEMBERS:
        raise DescriptorError("descriptor-error",
                              f'Zip "{path}" holds more than {MAX_ZIP_MEMBERS} files', path)
    if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
        raise DescriptorError("descriptor-error", f'Zip "{path}" holds more than '
                              f"{MAX_ZIP_BYTES >> 30} GiB once extracted", path)
    for info in infos:
        name = info.filename
        parts = re.split(r"[\\/]", name)
        is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] or is_link:
            raise DescriptorError("unsafe-path",
                                  f'Zip "{path}" holds an unsafe member "{name}"', path)


def csv_descriptor(path: Path) -> dict[str, Any]:
    """A package descriptor for the bare CSV file ``path``: its dialect and encoding
    detected by frictionless; its schema is inferred when the package is parsed."""
    plain = Path(path.stem) if path.suffix.lower() in COMPRESSED_SUFFIXES else path
    name = re.sub(r"[^a-z0-9_.-]+", "-", plain.stem.lower()).strip("-.") or "data"
    resource = _infer({"name": name, "path": path.name}, path.parent, what=f'"{path}"')
    resource.pop("schema", None)
    return {"name": name, "resources": [resource]}


def infer_schema(descriptor: dict[str, Any], base: Path) -> dict[str, Any]:
    """The Table Schema frictionless infers for a table's file (from its first rows)."""
    keys = ("name", "path", "format", "encoding", "dialect", "compression", "mediatype")
    known = {k: descriptor[k] for k in keys if k in descriptor}
    if not isinstance(known.get("name"), str) or not known["name"]:
        known["name"] = "resource"
    return _infer(known, base, what=f'resource "{descriptor.get("name")}"').get("schema", {})


def _infer(descriptor: dict[str, Any], base: Path, *, what: str) -> dict[str, Any]:
    import frictionless

    try:
        resource = frictionless.Resource.from_descriptor(dict(descriptor), basepath=str(base))
        resource.infer()
        out = resource.to_descriptor()
    except frictionless.FrictionlessException as exc:
        raise ValueError(f"{what} cannot be read as a table: {exc.error.message}") from None
    except Exception as exc:  # frictionless on odd bytes
        raise ValueError(f"{what} cannot be read as a table: {exc}") from None
    out.pop("scheme", None)
    dialect = out.get("dialect")
    if isinstance(dialect, dict) and isinstance(dialect.get("csv"), dict):
        # frictionless 5 nests CSV options; the Data Package v2 dialect is flat
        flat = {k: v for k, v in dialect.items() if k != "csv"}
        out["dialect"] = {**flat, **dialect["csv"]}
    return out
