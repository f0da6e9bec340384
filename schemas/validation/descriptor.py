"""Descriptor checks before any data is read: JSON, unsafe paths, profile, structure, patterns."""

from __future__ import annotations

import re
from typing import Any

from semicon.schemas.interrupts import reraise_interrupt
from semicon.schemas.model import Package
from semicon.schemas.sqltypes import DUCKDB_TYPES

from .fieldvalues import (
    bound_findings,
    resource_value_findings,
    schema_value_findings,
    shown,
)
from .findings import FATAL_CODES, Finding, make
from .patterns import unicode_pattern

_KNOWN_PROFILE_RE = re.compile(
    r"^(https://(datapackage\.org|specs\.frictionlessdata\.io)/[\w./-]+"
    r"|data-package|tabular-data-package|data-resource|tabular-data-resource)$"
)


class Stop(Exception):
    """Nothing more can be checked (fatal descriptor problem)."""


def metadata_findings(data: dict[str, Any]) -> list[Finding]:
    """Descriptor validity against the Data Package profile (frictionless), no data read."""
    out: list[Finding] = []
    for holder in [data, *[r for r in data["resources"] if isinstance(r, dict)]]:
        for key in ("$schema", "profile"):
            value = holder.get(key)
            if isinstance(value, str) and not _KNOWN_PROFILE_RE.match(value):
                out.append(make("package-error",
                                f'Profile "{value}" is not a known Data Package profile '
                                "(custom profiles are never fetched)", value=value))
    if out:
        return out
    try:
        from frictionless import FrictionlessException, Package

        try:
            errors = list(Package.metadata_validate(_frictionless_form(data)))
        except FrictionlessException as exc:
            errors = [exc.error]
    except Exception as exc:  # frictionless itself failed on odd input
        return [make("package-error", f"The descriptor could not be checked: {exc}")]
    for err in errors:
        code = err.type if err.type in FATAL_CODES else "package-error"
        out.append(make(code, err.message))
    return out


def _frictionless_form(data: dict[str, Any]) -> dict[str, Any]:
    """The descriptor as frictionless 5's profile check expects it: a v2 multipart ``path``
    array is its ``path`` and ``extrapaths`` there, and the v1 string forms of keys that
    v2 requires consumers to accept (``primaryKey``, foreign-key ``fields``) are lists, and a
    reference without ``resource`` (v2's self-reference) names ``""`` as in v1."""
    resources = []
    for res in data["resources"]:
        if isinstance(res, dict) and isinstance(res.get("path"), list) and res["path"]:
            res = {**res, "path": res["path"][0], "extrapaths": res["path"][1:]}
        if isinstance(res, dict) and isinstance(res.get("schema"), dict):
            res = {**res, "schema": _listed_keys(res["schema"])}
        resources.append(res)
    return {**data, "resources": resources}


def _listed_keys(schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    if isinstance(out.get("primaryKey"), str):
        out["primaryKey"] = [out["primaryKey"]]
    fks = out.get("foreignKeys")
    if isinstance(fks, list):
        listed = []
        for fk in fks:
            if isinstance(fk, dict):
                fk = dict(fk)
                if isinstance(fk.get("fields"), str):
                    fk["fields"] = [fk["fields"]]
                ref = fk.get("reference")
                if isinstance(ref, dict) and isinstance(ref.get("fields"), str):
                    ref = fk["reference"] = {**ref, "fields": [ref["fields"]]}
                if isinstance(ref, dict) and "resource" not in ref:
                    # v2: no `resource` is a reference to the same resource (frictionless
                    # reads it as "" before validating; its profile check alone does not)
                    fk["reference"] = {**ref, "resource": ""}
            listed.append(fk)
        out["foreignKeys"] = listed
    return out


def structure_findings(data: dict[str, Any]) -> list[Finding]:
    """Checks the SQL relies on: names, fields, keys pointing at existing fields/resources,
    values of the kind the checks read (:mod:`.fieldvalues`)."""
    out: list[Finding] = []
    names: dict[str, int] = {}
    schemas: dict[str, dict] = {}
    for i, res in enumerate(data["resources"]):
        if not isinstance(res, dict):
            continue
        name = res.get("name")
        if not isinstance(name, str) or not name:
            out.append(make("resource-error", f"Resource {i + 1} has no name"))
            continue
        if name in names:
            out.append(make("resource-error", f'Resource name "{name}" is used twice',
                            resource=name))
        names[name] = i
        out += resource_value_findings(name, res)
        schema = res.get("schema")
        if schema is None:
            continue
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            out.append(make("schema-error", f'Resource "{name}" has no valid schema "fields"',
                            resource=name))
            continue
        fnames = []
        for j, fld in enumerate(schema["fields"]):
            if not isinstance(fld, dict) or not isinstance(fld.get("name"), str):
                out.append(make("field-error", f'Field {j + 1} of "{name}" has no name',
                                resource=name))
                continue
            fnames.append(fld["name"])
            ftype = fld.get("type", "string")
            if not isinstance(ftype, str) or ftype not in DUCKDB_TYPES:
                out.append(make("field-error",
                                f'Field "{fld["name"]}" of "{name}" has unknown type '
                                f"{shown(ftype)}", resource=name, field=fld["name"]))
        out += schema_value_findings(name, schema)
        schemas[name] = {"fields": set(fnames)}
        pk = schema.get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else pk
        for f in pk if isinstance(pk, list) else []:
            if f not in fnames:
                out.append(make("schema-error",
                                f'Primary key field "{f}" of "{name}" is not a field',
                                resource=name, field=str(f)))
        uks = schema.get("uniqueKeys")
        for uk in uks if isinstance(uks, list) else []:
            for f in uk if isinstance(uk, list) else []:
                if f not in fnames:
                    out.append(make("schema-error",
                                    f'Unique key field "{f}" of "{name}" is not a field',
                                    resource=name, field=str(f)))
    for res in data["resources"]:
        if not isinstance(res, dict) or not isinstance(res.get("schema"), dict):
            continue
        name = res.get("name")
        fks = res["schema"].get("foreignKeys") or []
        if not isinstance(fks, list):
            out.append(make("schema-error", f'"foreignKeys" of "{name}" must be a list, not '
                            f"{shown(fks)}", resource=name, value=shown(fks)))
            continue
        for fk in fks:
            ref = fk.get("reference") if isinstance(fk, dict) else None
            src = _names(fk.get("fields")) if isinstance(fk, dict) else None
            rf = _names(ref.get("fields")) if isinstance(ref, dict) else None
            target = (ref.get("resource", "") or name) if isinstance(ref, dict) else None
            if src is None or rf is None or not isinstance(target, str):
                out.append(make("schema-error", f'A foreign key of "{name}" is malformed',
                                resource=name))
                continue
            if len(src) != len(rf):
                out.append(make("schema-error",
                                f'Foreign key {src} of "{name}" and its reference {rf} '
                                "differ in length", resource=name))
            if target not in names:
                out.append(make("schema-error",
                                f'Foreign key {src} of "{name}" references unknown resource '
                                f'"{target}"', resource=name))
            elif target in schemas and not set(rf) <= schemas[target]["fields"]:
                out.append(make("schema-error",
                                f'Foreign key {src} of "{name}" references fields {rf} '
                                f'missing from "{target}"', resource=name))
            if name in schemas and not set(src) <= schemas[name]["fields"]:
                out.append(make("schema-error",
                                f'Foreign key fields {src} are not fields of "{name}"',
                                resource=name))
    return out


def _names(value: Any) -> list[str] | None:
    """A foreign key's field name or names as a list; None when they are not names."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def constraint_value_findings(con: Any, package: Package) -> list[Finding]:
    """Constraint values DuckDB cannot use: ``pattern`` constraints its regular expressions
    (RE2) cannot compile (all tried in one statement; one at a time only when one of them
    fails), then bounds that do not read as their field's type
    (:func:`.fieldvalues.bound_findings`)."""
    return _regex_findings(con, package) + bound_findings(con, package)


def _regex_findings(con: Any, package: Package) -> list[Finding]:
    patterns = [(res, fld, str(fld.constraints["pattern"]))
                for res in package.resources for fld in res.fields
                if fld.constraints.get("pattern") is not None]
    compiled = [unicode_pattern(p) for _, _, p in patterns]  # as the checks run them
    if not patterns:
        return []
    try:
        con.execute("SELECT " + ", ".join(["regexp_full_match('', ?)"] * len(patterns)),
                    compiled).fetchall()
        return []
    except Exception as exc:
        reraise_interrupt(exc)
    out: list[Finding] = []
    for (res, fld, pattern), regex in zip(patterns, compiled, strict=True):
        try:
            con.execute("SELECT regexp_full_match('', ?)", [regex]).fetchall()
        except Exception as exc:
            reraise_interrupt(exc)
            out.append(make("field-error",
                            f'Pattern "{pattern}" of field "{fld.name}" cannot be '
                            f"used: {str(exc).splitlines()[0]}",
                            resource=res.name, field=fld.name, value=pattern))
    return out


def kept_fields(package: Package, rule_fields: dict[str, set[str]]
                ) -> dict[str, set[str]]:
    """Per resource, the fields read after loading: keys, references, rule inputs."""
    out: dict[str, set[str]] = {}
    for res in package.resources:
        names = out.setdefault(res.name, set())
        names.update(rule_fields.get(res.name, set()))
        names.update(res.primary_key)
        names.update(f.name for f in res.fields if f.unique)
        for uk in res.unique_keys:
            names.update(uk)
        for fk in res.foreign_keys:
            names.update(fk.fields)
            out.setdefault(fk.resource, set()).update(fk.reference_fields)
    return out
