"""Table-specific views, generated only where the fields they need exist.

The SQL is plain enough to run unchanged in DuckDB and SQLite (``printf``, ``rtrim``,
``CASE``, ``LEFT JOIN``), so both output files carry the same views.
"""

from __future__ import annotations

from collections.abc import Callable

from semicon.build.package import Package, Resource
from semicon.schemas.sqltypes import field_type, quote_ident, sql_string

q = quote_ident
_LABELS = ("title", "name", "short_name", "full_name", "label")


def label_field(resource: Resource) -> str | None:
    """The field that names a row for people: title, name, or something ending in _name."""
    strings = [f["name"] for f in resource.fields if field_type(f) == "string"]
    for name in _LABELS:
        if name in strings:
            return name
    return next((n for n in strings if n.endswith(("_name", "_title"))), None)


def _stem(field_name: str) -> str:
    for suffix in ("_id", "_code", "_key"):
        if field_name.endswith(suffix):
            return field_name[: -len(suffix)]
    return field_name


def joined_labels(package: Package, resource: Resource) -> tuple[list[str], list[str]]:
    """Columns and LEFT JOINs naming each single-field foreign key's referenced row.

    A referenced table's label (title/name) is added as ``<stem>_<label>``, and its
    ``country_name`` too when it has one (e.g. a members table referencing countries).
    """
    taken = set(resource.field_names)
    columns: list[str] = []
    joins: list[str] = []
    for i, fk in enumerate(resource.foreign_keys):
        target = package.resource(fk.resource)
        if target is None or len(fk.fields) != 1:
            continue
        wanted = []
        label = label_field(target)
        if label:
            wanted.append(label)
        if "country_name" in target.field_names and "country_name" not in wanted:
            wanted.append("country_name")
        alias = f"r{i}"
        added = False
        for w in wanted:
            out = w if w == "country_name" else f"{_stem(fk.fields[0])}_{w}"
            if out in taken:
                continue
            taken.add(out)
            columns.append(f"{alias}.{q(w)} AS {q(out)}")
            added = True
        if added:
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


def amount_fields(resource: Resource) -> tuple[str | None, str | None]:
    """The amount field and the currency (a column reference or a literal) of a resource."""
    numeric = [f["name"] for f in resource.fields if field_type(f) in ("number", "integer")]
    amount = next(
        (n for n in numeric if n == "amount" or n.startswith("amount") or n.endswith("_amount")),
        None,
    )
    if amount is None:
        return None, None
    currency_col = next((n for n in resource.field_names if "currency" in n), None)
    if currency_col:
        return amount, f"t.{q(currency_col)}"
    for code in ("eur", "usd", "gbp", "jpy", "cny", "krw", "twd"):
        if amount.endswith(f"_{code}"):
            return amount, sql_string(code.upper())
    return amount, None


def funding_allocations_view(package: Package, resource: Resource) -> str | None:
    """Each allocation with its parent's (and other references') title and a readable amount."""
    amount, currency = amount_fields(resource)
    columns, joins = joined_labels(package, resource)
    if amount is None and not columns:
        return None
    if amount is not None and "amount_readable" not in resource.field_names:
        columns.append(f"{readable_amount_sql(f't.{q(amount)}', currency)} AS amount_readable")
    return _select(resource, columns, joins)


def labelled_view(package: Package, resource: Resource) -> str | None:
    """Each row with the names of the rows it references (e.g. coalition and country names)."""
    columns, joins = joined_labels(package, resource)
    if not columns:
        return None
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


# table name -> (view name, generator)
VIEWS: dict[str, tuple[str, Callable[[Package, Resource], str | None]]] = {
    "funding_allocations": ("funding_allocations_readable", funding_allocations_view),
    "coalition_members": ("coalition_members_named", labelled_view),
    "partnerships": ("partnerships_named", labelled_view),
    "board_members": ("board_members_named", labelled_view),
    "events": ("events_named", labelled_view),
}


def view_statements(package: Package) -> list[tuple[str, str]]:
    """(view name, SELECT) for every view whose table and fields exist in the package."""
    out = []
    names = {r.name for r in package.resources}
    for table, (view, make) in VIEWS.items():
        resource = package.resource(table)
        if resource is None or view in names:
            continue
        sql = make(package, resource)
        if sql:
            out.append((view, sql))
    return out
