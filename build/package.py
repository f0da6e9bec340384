"""Read a Data Package descriptor into the facts the build needs (resources, keys, order)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.build.errors import BuildError

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key of a resource; ``resource`` is the referenced table name."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass
class Resource:
    """A tabular resource: its table name, CSV file(s) and inline Table Schema."""

    name: str
    paths: list[Path]
    schema: dict[str, Any]
    title: str | None = None
    description: str | None = None
    dialect: dict[str, Any] = field(default_factory=dict)
    encoding: str = "utf-8"

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.schema.get("fields", []))

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    @property
    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey") or []
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        out = []
        for fk in self.schema.get("foreignKeys") or []:
            fields_ = fk.get("fields")
            ref = fk.get("reference") or {}
            ref_fields = ref.get("fields")
            fields_t = (fields_,) if isinstance(fields_, str) else tuple(fields_ or ())
            ref_t = (ref_fields,) if isinstance(ref_fields, str) else tuple(ref_fields or ())
            resource = ref.get("resource") or self.name  # "" or absent: self-reference
            out.append(ForeignKey(fields_t, resource, ref_t))
        return out

    def field(self, name: str) -> dict[str, Any] | None:
        for f in self.fields:
            if f["name"] == name:
                return f
        return None

    def missing_values(self) -> list[str]:
        mv = self.schema.get("missingValues", [""])
        return [m if isinstance(m, str) else m.get("value", "") for m in mv]


@dataclass
class Package:
    """A loaded descriptor: its name, version and tabular resources in dependency order."""

    path: Path
    descriptor: dict[str, Any]
    resources: list[Resource]

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name") or self.path.parent.name or "datapackage")

    @property
    def version(self) -> str | None:
        v = self.descriptor.get("version")
        return None if v is None else str(v)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resource(self, name: str) -> Resource | None:
        for r in self.resources:
            if r.name == name:
                return r
        return None


def _load_schema(value: Any, base: Path) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and not value.startswith(("http://", "https://")):
        return json.loads((base / value).read_text(encoding="utf-8"))
    raise BuildError(f"unsupported schema reference: {value!r}")


def load_package(descriptor_path: str | Path) -> Package:
    """Load ``datapackage.json``; tabular resources come out in foreign-key order."""
    path = Path(descriptor_path)
    if path.is_dir():
        path = path / "datapackage.json"
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"package descriptor not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise BuildError(f"cannot read package descriptor {path}: {exc}") from None
    if not isinstance(descriptor, dict):
        raise BuildError(f"package descriptor {path} is not a JSON object")
    base = path.parent
    resources = []
    for raw in descriptor.get("resources") or []:
        if "schema" not in raw or "path" not in raw:
            continue  # not a tabular file resource (e.g. a text source document)
        fmt = (raw.get("format") or "").lower()
        paths = raw["path"] if isinstance(raw["path"], list) else [raw["path"]]
        if fmt and fmt != "csv" and not all(str(p).endswith(".csv") for p in paths):
            continue
        name = str(raw.get("name") or Path(paths[0]).stem)
        if not _NAME_RE.match(name):
            raise BuildError(f"resource name {name!r} is not usable as a table name")
        dialect = raw.get("dialect") or {}
        if isinstance(dialect, str):
            dialect = json.loads((base / dialect).read_text(encoding="utf-8"))
        resources.append(
            Resource(
                name=name,
                paths=[base / p for p in paths],
                schema=_load_schema(raw["schema"], base),
                title=raw.get("title"),
                description=raw.get("description"),
                dialect=dialect,
                encoding=raw.get("encoding") or "utf-8",
            )
        )
    return Package(path, descriptor, _dependency_order(resources))


def _dependency_order(resources: list[Resource]) -> list[Resource]:
    """Referenced tables before referencing ones; otherwise the descriptor's order."""
    by_name = {r.name: r for r in resources}
    done: dict[str, Resource] = {}
    visiting: set[str] = set()

    def visit(r: Resource) -> None:
        if r.name in done or r.name in visiting:
            return
        visiting.add(r.name)
        for fk in r.foreign_keys:
            target = by_name.get(fk.resource)
            if target is not None and target.name != r.name:
                visit(target)
        visiting.discard(r.name)
        done[r.name] = r

    for r in resources:
        visit(r)
    return list(done.values())
