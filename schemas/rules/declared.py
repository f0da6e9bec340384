"""Read a package's ``semicon`` property: JSON Schema check, provenance, rules.

:func:`load_declarations` never raises for a bad declaration: each problem becomes a
``declaration-error`` finding naming its JSON path (``$.semicon.rules[2].low``) and the
rule it concerns is left out; everything valid still runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from semicon.schemas.model import DECLARATIONS_KEY, Package, Resource
from semicon.schemas.provenance import Provenance, Quoting, parse_provenance
from semicon.schemas.validation.findings import Finding, make
from semicon.schemas.validation.verdicts import Verdict

from .base import Rule
from .kinds import Backed, Count, Quote, Range, Sum
from .pyrule import Python
from .sqlrule import Sql, SqlError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "declarations.schema.json"
KINDS: dict[str, type[Rule]] = {
    k.kind: k for k in (Range, Sum, Count, Quote, Backed, Sql, Python)}


@cache
def declarations_schema() -> dict[str, Any]:
    """The JSON Schema of the ``semicon`` property (schemas/declarations.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@dataclass
class Declarations:
    """The parsed ``semicon`` property: provenance, rules and the problems found."""

    provenance: Provenance | None = None
    rules: list[Rule] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: each tabular resource's field names, from the descriptor
    fields: dict[str, set[str]] = field(default_factory=dict)

    @property
    def reads(self) -> dict[str, set[str]]:
        """Per resource, the fields the rules read: their cells are kept for every row."""
        out: dict[str, set[str]] = {}
        for rule in self.rules:
            for table, names in rule.reads(self.fields).items():
                out.setdefault(table, set()).update(names)
        return {t: n for t, n in out.items() if n}


def schema_findings(raw: Any) -> list[Finding]:
    """``declaration-error`` findings for ``raw`` against the declarations JSON Schema
    (kept by digest: an unchanged property is not checked again, see :mod:`verdicts`)."""
    verdict = Verdict("declarations-schema", raw, code=[SCHEMA_PATH, Path(__file__)],
                      libraries=["jsonschema"])
    found = verdict.recall()
    if found is None:
        found = _schema_findings(raw)
        verdict.keep(found)
    return found


def _schema_findings(raw: Any) -> list[Finding]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(declarations_schema())
    out = []
    for err in sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path)):
        path = "$.semicon" + err.json_path[1:]
        out.append(declaration_error(path, _explain(err)))
    return out


def _explain(err: Any) -> str:
    if err.validator == "oneOf" and all(
            set(s) == {"required"} for s in err.validator_value):
        names = " or ".join(f'"{s["required"][0]}"' for s in err.validator_value)
        return f"needs exactly one of {names}"
    if err.validator == "additionalProperties" and err.validator_value is False:
        return err.message.replace("Additional properties are not allowed", "unknown property")
    return err.message


def declaration_error(path: str, message: str) -> Finding:
    return make("declaration-error", message, field=path)


def load_declarations(package: Package) -> Declarations:
    """Parse the package's ``semicon`` property into :class:`Declarations` (checked against
    its tables' fields and its resources, as the package model gives them)."""
    fields = {r.name: set(r.field_names) for r in package.tables}
    resources = {r.name: r for r in package.resources}
    raw = package.descriptor.get(DECLARATIONS_KEY)  # as written: None when not declared
    out = Declarations(fields=fields)
    if raw is None:
        return out
    out.findings = schema_findings(raw)
    bad = {f.field for f in out.findings}
    if not isinstance(raw, dict) or "$.semicon" in bad or "$.semicon.rules" in bad:
        return out  # a malformed property: nothing of it is used
    if not any(b.startswith("$.semicon.provenance") for b in bad):
        out.provenance = parse_provenance(raw.get("provenance"), resources)
    if out.provenance is not None:
        _check_provenance(out, resources)
    _check_site(out, raw, bad, set(resources))
    for i, decl in enumerate(raw.get("rules") or []):
        here = f"$.semicon.rules[{i}]"
        if any(b == here or b.startswith((here + ".", here + "[")) for b in bad):
            continue  # this rule breaks the schema: left out, the others run
        rule = _parse_rule(out, i, decl)
        if rule is not None:
            out.rules.append(rule)
    return out


#: the build's module that reads the ``site`` and ``views`` declarations
SITE_DECLARATIONS = Path(__file__).resolve().parents[2] / "build" / "site_declarations.py"


def _check_site(out: Declarations, raw: Mapping[str, Any], bad: set[str],
                resources: set[str]) -> None:
    """Tables and fields named by the ``site`` and ``views`` declarations must exist.

    Kept by digest like the JSON Schema check: the build's module that reads them (about
    5 ms of imports, nine dataclasses) is loaded only when the declarations, the
    package's tables and fields or that module change."""
    if any(b.startswith(("$.semicon.site", "$.semicon.views")) for b in bad):
        return  # their shape is wrong: already reported
    declared = {key: raw[key] for key in ("site", "views") if key in raw}
    if not declared:
        return
    data = {"declared": declared, "resources": sorted(resources),
            "fields": {t: sorted(names) for t, names in out.fields.items()}}
    verdict = Verdict("site-declarations", data, code=[SITE_DECLARATIONS, Path(__file__)],
                      libraries=[])
    found = verdict.recall()
    if found is None:
        from semicon.build.site_declarations import site_problems

        found = [declaration_error(path, message)
                 for path, message in site_problems(raw, out.fields, resources)]
        verdict.keep(found)
    out.findings.extend(found)


def _check_provenance(out: Declarations, resources: Mapping[str, Resource]) -> None:
    prov = out.provenance
    assert prov is not None
    base = "$.semicon.provenance"
    for i, doc in enumerate(prov.documents):
        if doc.resource and doc.resource not in resources:
            out.findings.append(declaration_error(
                f"{base}.documents[{i}].resource", f'no resource "{doc.resource}"'))
        elif doc.path is None:
            out.findings.append(declaration_error(
                f"{base}.documents[{i}]", f'resource "{doc.resource}" has no single path'))
    if prov.table is not None:
        t = prov.table
        have = out.fields.get(t.resource)
        if have is None:
            out.findings.append(declaration_error(
                f"{base}.documentTable.resource", f'no tabular resource "{t.resource}"'))
            prov.table = None
        else:
            for key in ("id", "path", "title", "lang"):
                name = getattr(t, key)
                if name and name not in have:
                    out.findings.append(declaration_error(
                        f"{base}.documentTable.{key}", f'"{t.resource}" has no field "{name}"'))
                    prov.table = None
    kept: list[Quoting] = []
    for i, q in enumerate(prov.quoting):
        path = f"{base}.quotes[{i}]"
        if q.resource is None:
            kept.append(q)
        elif q.resource not in out.fields:
            out.findings.append(declaration_error(
                f"{path}.resource", f'no tabular resource "{q.resource}"'))
        elif missing := [n for n in (q.source, q.quote) if n not in out.fields[q.resource]]:
            out.findings.append(declaration_error(
                path, f'"{q.resource}" has no field "{missing[0]}"'))
        else:
            kept.append(q)
    prov.quoting = kept


#: per kind, the declaration keys that name fields of the rule's ``resource``
_FIELD_KEYS = {
    "range": ("low", "high"),
    "sum": ("key", "value", "rounding"),
    "count": ("key", "count"),
    "backed-by-quote": ("field", "quote"),
    "sql": ("field",),
    "python": ("field",),
}


def _parse_rule(out: Declarations, i: int, decl: dict[str, Any]) -> Rule | None:
    path = f"$.semicon.rules[{i}]"
    kind = KINDS[decl["rule"]]
    resource = decl.get("resource")
    rule = kind(index=i, decl=decl, resource=resource)
    errors: list[Finding] = []

    def need(where: str, table: str | None, *names: str | None) -> None:
        if table not in out.fields:
            errors.append(declaration_error(where, f'no tabular resource "{table}"'))
            return
        for name in names:
            if name is not None and name not in out.fields[table]:
                errors.append(declaration_error(where, f'"{table}" has no field "{name}"'))

    if resource is not None:
        need(f"{path}.resource", resource)
        for key in _FIELD_KEYS.get(decl["rule"], ()):
            if not errors and key in decl:
                need(f"{path}.{key}", resource, decl[key])
    if errors:
        out.findings += errors
        return None
    if isinstance(rule, Range):
        low, high = rule.pair
        rule.targets = [resource] if resource else sorted(
            t for t, names in out.fields.items() if {low, high} <= names)
    elif isinstance(rule, Sum):
        parts = rule.parts
        need(f"{path}.parts", parts["resource"], parts["parent"], parts["value"],
             parts.get("rounding"), parts.get("partition"))
    elif isinstance(rule, Count):
        need(f"{path}.rows", decl["rows"]["resource"], decl["rows"]["key"])
    elif isinstance(rule, Quote | Backed):
        quoted = out.provenance.quoting_fields(out.fields) if out.provenance else {}
        if isinstance(rule, Quote):
            if not out.provenance or not out.provenance.quoting:
                errors.append(declaration_error(
                    path, "no quoting fields declared in semicon.provenance.quotes"))
            rule.quoted = {t: q for t, q in quoted.items() if resource in (None, t)}
            table = out.provenance.table if out.provenance else None
            if table is not None:
                rule.documents = (table.resource, {table.id, table.path})
        else:
            rule.quote_field = decl.get("quote") or getattr(quoted.get(resource), "quote", "")
            if not rule.quote_field:
                errors.append(declaration_error(
                    path, f'no "quote" field given or declared for "{resource}" in '
                    "semicon.provenance.quotes"))
    elif isinstance(rule, Sql):
        try:
            rule.reads(out.fields)
        except SqlError as exc:
            key = "query" if "query" in decl else "check"
            errors.append(declaration_error(f"{path}.{key}", str(exc)))
    elif isinstance(rule, Python):
        need(f"{path}.fields", resource, *decl["fields"])
    if errors:
        out.findings += errors
        return None
    return rule
