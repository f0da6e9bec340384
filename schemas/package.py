"""Keep ``datapackage.json`` in step with the Table Schemas and the files it lists."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from semicon.schemas.registry import load_table_schema, table_names

DEFAULT_DESCRIPTOR = Path("datapackage/datapackage.json")
DEFAULT_OUT = Path("dist")  # where every command writes its outputs
RESOURCE_DEFAULTS = {
    "type": "table",
    "format": "csv",
    "mediatype": "text/csv",
    "encoding": "utf-8",
}


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


def read_descriptor(path: Path) -> dict[str, Any]:
    """The parsed ``datapackage.json``."""
    return json.loads(path.read_text(encoding="utf-8"))


def dump_descriptor(descriptor: dict[str, Any]) -> str:
    """``datapackage.json`` text in the project's stable layout."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def resource_for(name: str, package_dir: Path) -> dict[str, Any]:
    """The resource entry of table ``name``: generated from its Table Schema and CSV file."""
    schema = load_table_schema(name)
    schema.pop("$schema", None)
    title = schema.pop("title")
    description = schema.pop("description")
    path = f"data/{name}.csv"
    data = package_dir / path
    return {
        "name": name,
        "path": path,
        "title": title,
        "description": description,
        **RESOURCE_DEFAULTS,
        "bytes": data.stat().st_size,
        "hash": file_hash(data),
        "schema": schema,
    }


def synced(descriptor: dict[str, Any], package_dir: Path) -> dict[str, Any]:
    """A copy of ``descriptor`` whose resources are regenerated from the schemas and files."""
    out = dict(descriptor)
    out["resources"] = [resource_for(name, package_dir) for name in table_order()]
    return out


def table_order() -> list[str]:
    """Tables in publishing order: ``sources`` first, then the rest by name."""
    names = table_names()
    return ["sources", *(n for n in names if n != "sources")]


def sync_descriptor(path: Path, *, check: bool = False) -> bool:
    """Regenerate the resources of the descriptor at ``path``; return True when it changed.

    With ``check`` the file is left as it is.
    """
    current = path.read_text(encoding="utf-8")
    wanted = dump_descriptor(synced(json.loads(current), path.parent))
    changed = wanted != current
    if changed and not check:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(wanted, encoding="utf-8")
        tmp.replace(path)
    return changed
