"""Keep a package's descriptor in step with its Table Schemas and the files it lists.

``semicon sync`` rewrites the ``resources`` of a descriptor: every table whose Table Schema
lives in a schema folder (``<name>.schema.json`` in ``--schemas``, else a ``schemas/``
folder inside or beside the package folder) gets that schema, title and description; every
local file gets its ``bytes`` and ``hash``. Everything else is kept: the package's other
properties, resources that are not tables (a source document), a resource's own dialect,
format or encoding, and schemas given by path (their file is the source of truth).
A ``<name>.schema.json`` whose table is not listed is added when ``data/<name>.csv`` exists.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from semicon.schemas.errors import UnusableInput
from semicon.schemas.model import (
    DescriptorError,
    Package,
    find_descriptor,
    is_tabular,
    load_package,
    resource_format,
)
from semicon.schemas.validation.paths import unsafe_reason

DEFAULT_DESCRIPTOR = Path("datapackage/datapackage.json")
DEFAULT_OUT = Path("dist")  # where every command writes its outputs
#: a Table Schema file in a schema folder: ``<table name>.schema.json``
SCHEMA_SUFFIX = ".schema.json"
#: resource properties written from the Table Schema file, in the order they are written
_MEDIATYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values"}


def sha256_hex(path: Path) -> str:
    """The sha256 of a file's bytes, as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hash(path: Path) -> str:
    """The Data Package v2 ``hash`` of a file: ``sha256:<hex>``."""
    return f"sha256:{sha256_hex(path)}"


def dump_descriptor(descriptor: dict[str, Any]) -> str:
    """``datapackage.json`` text in the project's stable layout."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def schemas_folder(package: Package, given: Path | None = None) -> Path | None:
    """The folder of the package's Table Schema files: ``given``, else a ``schemas/`` folder
    inside or beside the package folder holding ``*.schema.json`` files; None when none."""
    if given is not None:
        if not given.is_dir():
            raise UnusableInput(f'Table Schema folder "{given}" does not exist')
        return given
    for folder in (package.base_dir / "schemas", package.base_dir.parent / "schemas"):
        if folder.is_dir() and any(folder.glob(f"*{SCHEMA_SUFFIX}")):
            return folder
    return None


def table_schema_file(folder: Path | None, name: str) -> dict[str, Any] | None:
    """The Table Schema ``<folder>/<name>.schema.json``, or None (absent, or not a schema)."""
    if folder is None or not name:
        return None
    path = folder / f"{name}{SCHEMA_SUFFIX}"
    if not path.is_file():
        return None
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnusableInput(f'Table Schema "{path}" is not valid JSON: {exc}') from None
    return schema if isinstance(schema, dict) and isinstance(schema.get("fields"), list) \
        else None


def synced_resource(res: dict[str, Any], schema: dict[str, Any] | None,
                    base: Path) -> dict[str, Any]:
    """``res`` with the schema, title and description of ``schema`` (a Table Schema file's
    content, or None) and the bytes and hash of its file."""
    out: dict[str, Any] = {k: res[k] for k in ("name", "path") if k in res}
    schema = None if schema is None else dict(schema)
    meta: dict[str, Any] = {}
    if schema is not None:
        schema.pop("$schema", None)
        meta = {k: schema.pop(k) for k in ("title", "description") if k in schema}
    for key in ("title", "description"):
        if key in meta:
            out[key] = meta[key]
        elif key in res:
            out[key] = res[key]
    if schema is not None:  # a table: say so, and how its file is read
        fmt = resource_format(res) or "csv"
        for key, default in (("type", "table"), ("format", fmt),
                             ("mediatype", _MEDIATYPES.get(fmt)), ("encoding", "utf-8")):
            value = res.get(key, default)
            if value is not None:
                out[key] = value
    out.update({k: v for k, v in res.items()
                if k not in out and k not in ("bytes", "hash", "schema")})
    path = res.get("path")
    local = isinstance(path, str) and not unsafe_reason(base, path)
    if local and not (base / path).is_file():
        raise UnusableInput(f'File "{path}" of resource "{res.get("name")}" does not exist')
    if local:
        out["bytes"] = (base / path).stat().st_size
        out["hash"] = file_hash(base / path)
    else:
        out.update({k: res[k] for k in ("bytes", "hash") if k in res})
    if schema is not None and not isinstance(res.get("schema"), str):
        out["schema"] = schema
    elif "schema" in res:
        out["schema"] = res["schema"]
    return out


def synced(package: Package, schemas: Path | None = None) -> dict[str, Any]:
    """The package's descriptor with its resources regenerated (see the module docstring)."""
    folder = schemas_folder(package, schemas)
    base = package.base_dir
    out = dict(package.descriptor)
    resources: list[Any] = []
    listed: set[str] = set()
    for res in package.descriptor.get("resources") or []:
        if not isinstance(res, dict):
            resources.append(res)
            continue
        name = str(res.get("name") or "")
        listed.add(name)
        schema = table_schema_file(folder, name) if is_tabular(res) else None
        resources.append(synced_resource(res, schema, base))
    for path in sorted(folder.glob(f"*{SCHEMA_SUFFIX}")) if folder else []:
        name = path.name.removesuffix(SCHEMA_SUFFIX)
        data = f"data/{name}.csv"
        schema = table_schema_file(folder, name)
        if name not in listed and schema is not None and (base / data).is_file():
            resources.append(synced_resource({"name": name, "path": data}, schema, base))
    out["resources"] = resources
    return out


def sync_descriptor(source: str | Path, *, schemas: Path | None = None,
                    check: bool = False) -> bool:
    """Regenerate the resources of the package at ``source`` (a folder or its descriptor);
    return True when the descriptor changed. With ``check`` the file is left as it is."""
    try:
        path = find_descriptor(source)
    except DescriptorError as exc:
        raise UnusableInput(str(exc)) from None
    if path.suffix.lower() != ".json":
        raise UnusableInput(f'"{path}" is not a JSON descriptor: sync rewrites a '
                            "datapackage.json")
    package = load_package(path)
    current = path.read_text(encoding="utf-8")
    wanted = dump_descriptor(synced(package, schemas))
    changed = wanted != current
    if changed and not check:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(wanted, encoding="utf-8")
        tmp.replace(path)
    return changed
