"""SQL views the package declares under ``semicon.views``, for DuckDB and SQLite alike.

A view is either written out (``{"sql": "SELECT ..."}``) or derived from one table
(``{"resource": T}``): every column of ``T``, the label of each row a single-field foreign
key references (``labels``, on by default) as ``<stem>_<label>``, and readable amounts
(``readable``: ``{"<column>": {"field": F, "currency": {"field": C} | "EUR"}}``, such as
"EUR 2.51 billion"). The generated SQL (``printf``, ``rtrim``, ``CASE``, ``LEFT JOIN``) runs
unchanged in DuckDB and SQLite, so both output files carry the same views. A package without
the declaration gets no views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semicon.build.errors import BuildError
from semicon.build.package import Package, Resource
from semicon.build.site_declarations import infer_label, parse_site
from semicon.schemas.sqltypes import quote_ident, sql_string

q = quote_ident


def label_field(package: Package, resource: Resource) -> str | None:
    """The field that names a row for people: declared (``site.resources.<T>.label``) or
    inferred from the schema (a text field named like title/name/label)."""
    site = parse_site(_declarations(package))
    declared = site.resources.get(resource.name) or {}
    if declared.get("label"):
        return str(declared["label"])
    return infer_label(resource.schema)


def _declarations(package: Package) -> dict[str, Any]:
    return package.declarations


def _stem(field_name: str) -> str:
    for suffix in ("_id", "_code", "_key"):
        if field_name.endswith(suffix):
            return field_name[: -len(suffix)]
    return field_name


def joined_labels(package: Package, resource: Resource) -> tuple[list[str], list[str]]:
    """Columns and LEFT JOINs naming each single-field foreign key's referenced row.

    The referenced table's label is added as ``<stem>_<label>`` (``parent_id`` -> title:
    ``parent_title``), or as the label itself when it already starts with the stem
    (``country_code`` -> ``country_name``); never over a column the table has.
    """
    taken = set(resource.field_names)
    columns: list[str] = []
    joins: list[str] = []
    for i, fk in enumerate(resource.foreign_keys):
        target = package.resource(fk.resource)
        if target is None or len(fk.fields) != 1:
            continue
        label = label_field(package, target)
        if not label or label not in target.field_names:
            continue
        stem = _stem(fk.fields[0])
        out = label if label.startswith(f"{stem}_") else f"{stem}_{label}"
        if out in taken:
            continue
        taken.add(out)
        alias = f"r{i}"
        columns.append(f"{alias}.{q(label)} AS {q(out)}")
        joins.append(
            f"LEFT JOIN {q(target.name)} AS {alias} "
            f"ON t.{q(fk.fields[0])} = {alias}.{q(fk.reference_fields[0])}"
        )
    return columns, joins


def _short_number(x: str) -> str:
    """Three significant digits without trailing zeros: 2.51, 52, 778."""

    def strip(s: str) -> str:
        return f"rtrim(rtrim({s}, '0'), '.')"

    one = strip(f"printf('%.1f', {x})")
    two = strip(f"printf('%.2f', {x})")
    return (
        f"CASE WHEN abs({x}) >= 100 THEN printf('%.0f', {x}) "
        f"WHEN abs({x}) >= 10 THEN {one} ELSE {two} END"
    )


def readable_amount_sql(amount: str, currency: str | None) -> str:
    """SQL for "EUR 2.51 billion", "EUR 778 million", "USD 52 billion", "EUR 250 thousand"."""
    prefix = f"coalesce({currency} || ' ', '')" if currency else "''"
    a = f"CAST({amount} AS DOUBLE)"
    return (
        f"CASE WHEN {amount} IS NULL THEN NULL "
        f"WHEN abs({a}) >= 1e9 THEN {prefix} || {_short_number(f'{a} / 1e9')} || ' billion' "
        f"WHEN abs({a}) >= 1e6 THEN {prefix} || {_short_number(f'{a} / 1e6')} || ' million' "
        f"WHEN abs({a}) >= 1e3 THEN {prefix} || {_short_number(f'{a} / 1e3')} || ' thousand' "
        f"ELSE {prefix} || printf('%.0f', {a}) END"
    )


def _currency_sql(raw: Any, resource: Resource, view: str) -> str | None:
    if isinstance(raw, Mapping) and raw.get("field"):
        _need(resource, str(raw["field"]), view)
        return f"t.{q(str(raw['field']))}"
    if isinstance(raw, str) and raw:
        return sql_string(raw)
    return None


def _need(resource: Resource, name: str, view: str) -> None:
    if name not in resource.field_names:
        raise BuildError(f"view {view}: {resource.name} has no field {name!r}")


def derived_view(package: Package, view: str, raw: Mapping[str, Any]) -> str:
    """The SELECT of a view derived from one table (``resource``, ``labels``, ``readable``)."""
    resource = package.resource(str(raw["resource"]))
    if resource is None:
        raise BuildError(f"view {view}: no table {raw['resource']!r} in the package")
    columns: list[str] = []
    joins: list[str] = []
    if raw.get("labels", True):
        columns, joins = joined_labels(package, resource)
    for name, spec in (raw.get("readable") or {}).items():
        if name in resource.field_names:
            raise BuildError(f"view {view}: column {name!r} is already a field of "
                             f"{resource.name}")
        amount = str(spec.get("field", ""))
        _need(resource, amount, view)
        currency = _currency_sql(spec.get("currency"), resource, view)
        columns.append(f"{readable_amount_sql(f't.{q(amount)}', currency)} AS {q(name)}")
    return _select(resource, columns, joins)


def _select(resource: Resource, columns: list[str], joins: list[str]) -> str:
    base = ", ".join(f"t.{q(n)}" for n in resource.field_names)
    order = ", ".join(f"t.{q(n)}" for n in resource.primary_key)
    sql = f"SELECT {', '.join([base, *columns])} FROM {q(resource.name)} AS t"
    if joins:
        sql += " " + " ".join(joins)
    if order:
        sql += f" ORDER BY {order}"
    return sql


def _sql_text(raw: Any) -> str:
    if isinstance(raw, list):
        return "\n".join(str(line) for line in raw).strip()
    return str(raw).strip()


def view_statements(package: Package) -> list[tuple[str, str]]:
    """(view name, SELECT) for every declared view, in declaration order.

    Raises ``BuildError`` for a view that names a missing table or field or the name of a
    table.
    """
    raw = _declarations(package).get("views") or {}
    if not isinstance(raw, Mapping):
        return []
    names = {r.name for r in package.load_order}
    out = []
    for view, spec in raw.items():
        if view in names:
            raise BuildError(f"view {view}: a table of the package has that name")
        if not isinstance(spec, Mapping):
            raise BuildError(f"view {view}: expected an object with 'sql' or 'resource'")
        if spec.get("sql"):
            out.append((view, _sql_text(spec["sql"])))
        elif spec.get("resource"):
            out.append((view, derived_view(package, view, spec)))
        else:
            raise BuildError(f"view {view}: expected an object with 'sql' or 'resource'")
    return out
