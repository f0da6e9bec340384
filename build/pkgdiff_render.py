"""Render a `PackageDiff` as text, JSON or Markdown release notes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from semicon.build.pkgdiff import Change, PackageDiff, SchemaChange, TableDiff

FORMATS = ("text", "json", "markdown")


def _v(value: Any) -> str:
    """A value as compact JSON (strings quoted, missing as null)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_BARE = re.compile(r"^[\w.:/@+-]+$")


def _cv(value: str | None) -> str:
    """A CSV cell: bare when it is one simple token, else JSON-quoted ("" when empty)."""
    if value is None:
        return "null"
    return value if _BARE.match(value) and value != "null" else _v(value)


def _key(key: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={_cv(v)}" for k, v in key.items())


def _row(row: Mapping[str, str], key: list[str]) -> str:
    if key:
        rest = ", ".join(f"{k}={_cv(v)}" for k, v in row.items() if k not in key)
        head = _key({k: row.get(k, "") for k in key})
        return f"{head}: {rest}" if rest else head
    return ", ".join(f"{k}={_cv(v)}" for k, v in row.items())


def _schema(change: SchemaChange) -> str:
    name = f"field `{change.field}` " if change.field else ""
    if change.kind == "field-added":
        return f"{name}added ({change.detail})"
    if change.kind == "field-removed":
        return f"{name}removed ({change.detail})"
    if change.kind == "constraint-changed":
        return f"{name}constraint {change.detail}: {_v(change.old)} -> {_v(change.new)}"
    if change.kind == "fields-reordered":
        return f"field order: {_v(change.old)} -> {_v(change.new)}"
    return f"{name}{change.detail}: {_v(change.old)} -> {_v(change.new)}"


def _change(c: Change) -> str:
    return f"{c.path}: {_v(c.old)} -> {_v(c.new)}"


def _side(label: str, name: str | None, version: str | None) -> str:
    inner = " ".join(x for x in (name, version) if x)
    return f"{label} ({inner})" if inner else label


def _counts(td: TableDiff) -> str:
    return (
        f"{td.rows_old} -> {td.rows_new} rows "
        f"(+{len(td.added)} added, -{len(td.removed)} removed, ~{len(td.changed)} changed)"
    )


def _verdict(diff: PackageDiff) -> list[str]:
    lines = []
    actual = diff.version_bump
    if diff.old_version is None and diff.new_version is None:
        lines.append("Version: none declared")
    else:
        tail = {
            None: " (not semantic versions)",
            "none": " (unchanged)",
            "downgrade": " (a downgrade)",
        }.get(actual, f" ({actual} bump)")
        lines.append(f"Version: {diff.old_version} -> {diff.new_version}{tail}")
    reasons = f" ({'; '.join(diff.bump_reasons)})" if diff.bump_reasons else ""
    lines.append(f"Required bump: {diff.bump}{reasons}")
    if diff.version_ok is True:
        lines.append("NEW's version reflects it.")
    elif diff.version_ok is False:
        want = f": expected {diff.suggested_version}" if diff.suggested_version else ""
        if diff.bump == "none":
            want = f": expected {diff.old_version} or later"
        lines.append(f"NEW's version does not reflect it{want}.")
    else:
        lines.append("Cannot tell whether NEW's version reflects it (not semantic versions).")
    return lines


def _limited(items: list[Any], limit: int) -> tuple[list[Any], int]:
    if limit <= 0 or len(items) <= limit:
        return items, 0
    return items[:limit], len(items) - limit


def render_text(diff: PackageDiff, *, max_rows: int = 100) -> str:
    """Plain-text report (the default output of `semicon diff`)."""
    out = [
        "Comparing "
        + _side(diff.old_label, diff.old_name, diff.old_version)
        + " -> "
        + _side(diff.new_label, diff.new_name, diff.new_version),
        "",
    ]
    if not diff.changed:
        out.append("No changes.")
    for t in diff.tables_added:
        out.append(f"Table added: {t.name} ({t.rows} rows; fields: {', '.join(t.fields)})")
    for t in diff.tables_removed:
        out.append(f"Table removed: {t.name} ({t.rows} rows)")
    unchanged = [td.name for td in diff.tables if not td.has_changes]
    for td in diff.tables:
        if not td.has_changes:
            continue
        out.append(f"Table {td.name}: {_counts(td)}")
        out.extend(f"  schema: {_schema(s)}" for s in td.schema)
        out.extend(f"  metadata: {_change(c)}" for c in td.metadata)
        for sign, rows in (("+", td.added), ("-", td.removed)):
            shown, more = _limited(rows, max_rows)
            out.extend(f"  {sign} {_row(r, td.key)}" for r in shown)
            if more:
                out.append(f"  {sign} ... and {more} more")
        shown, more = _limited(td.changed, max_rows)
        for rc in shown:
            parts = "; ".join(f"{c.field} {_cv(c.old)} -> {_cv(c.new)}" for c in rc.changes)
            out.append(f"  ~ {_key(rc.key)}: {parts}")
        if more:
            out.append(f"  ~ ... and {more} more")
        out.extend(f"  warning: {w}" for w in td.warnings)
    if unchanged:
        out.append("Unchanged tables: " + ", ".join(unchanged))
    if diff.metadata:
        out.append("Package metadata:")
        out.extend(f"  {_change(c)}" for c in diff.metadata)
    if diff.files:
        out.append("Files:")
        out.extend(f"  {_change(c)}" for c in diff.files)
    out.extend(f"Note: {n}" for n in diff.notes)
    out.append("")
    out.extend(_verdict(diff))
    return "\n".join(out) + "\n"


def render_json(diff: PackageDiff) -> str:
    """The diff as JSON (`--format json`); every row, no truncation."""
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else _v(value)
    text = " ".join(str(text).split()).replace("|", "\\|")
    return f"`{text}`" if text else ""


def _md_rows(rows: list[dict[str, str]], limit: int) -> list[str]:
    shown, more = _limited(rows, limit)
    if not shown:
        return []
    columns = list(dict.fromkeys(k for r in shown for k in r))
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + " --- |" * len(columns),
    ]
    lines += ["| " + " | ".join(_cell(r.get(c, "")) for c in columns) + " |" for r in shown]
    if more:
        lines += ["", f"… and {more} more."]
    return [*lines, ""]


def _md_verdict(diff: PackageDiff) -> str:
    if diff.version_ok is None:
        return "The versions are not semantic versions: the bump cannot be checked."
    step = {"none": "the same version", "downgrade": "a downgrade"}.get(
        str(diff.version_bump), f"a {diff.version_bump} bump"
    )
    head = f"Version {diff.new_version} is {step} from {diff.old_version}"
    if diff.version_ok:
        return head + ", as required."
    want = diff.suggested_version if diff.bump != "none" else f"{diff.old_version} or later"
    return head + f": **not enough**, it should be {want}."


def render_markdown(diff: PackageDiff, *, max_rows: int = 100) -> str:
    """Release notes in Markdown (`--format markdown`)."""
    title = diff.new_name or "data package"
    version = diff.new_version or "(unversioned)"
    out = [f"# {title} {version}", ""]
    since = diff.old_version or diff.old_label
    bump = f"**{diff.bump}**" + (f" ({'; '.join(diff.bump_reasons)})" if diff.bump_reasons else "")
    out += [f"Changes since {since}. Version bump needed: {bump}."]
    out += ["", _md_verdict(diff), ""]
    if not diff.changed:
        out += ["No changes to the data, schemas or metadata.", ""]
    if diff.tables_added or diff.tables_removed or any(td.has_changes for td in diff.tables):
        out += [
            "## Summary",
            "",
            "| Table | Rows before | Rows after | Added | Removed | Changed | Schema changes |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for t in diff.tables_added:
            out.append(f"| `{t.name}` (new) | | {t.rows} | {t.rows} | | | |")
        for t in diff.tables_removed:
            out.append(f"| `{t.name}` (removed) | {t.rows} | | | {t.rows} | | |")
        for td in diff.tables:
            if td.has_changes:
                out.append(
                    f"| `{td.name}` | {td.rows_old} | {td.rows_new} | {len(td.added)} | "
                    f"{len(td.removed)} | {len(td.changed)} | {len(td.schema)} |"
                )
        out.append("")
    if diff.tables_added or diff.tables_removed:
        out += ["## Tables", ""]
        for t in diff.tables_added:
            fields = ", ".join(f"`{f}`" for f in t.fields)
            out.append(f"- Added `{t.name}` ({t.rows} rows; fields {fields}).")
        for t in diff.tables_removed:
            out.append(f"- Removed `{t.name}` ({t.rows} rows).")
        out.append("")
    schema_tables = [td for td in diff.tables if td.schema]
    if schema_tables:
        out += ["## Schema changes (breaking)", ""]
        for td in schema_tables:
            out.extend(f"- `{td.name}`: {_schema(s)}" for s in td.schema)
        out.append("")
    data_tables = [td for td in diff.tables if td.added or td.removed or td.changed]
    if data_tables:
        out += ["## Data changes", ""]
        for td in data_tables:
            out += [f"### `{td.name}`", ""]
            if td.added:
                out += [f"Added rows ({len(td.added)}):", "", *_md_rows(td.added, max_rows)]
            if td.removed:
                out += [f"Removed rows ({len(td.removed)}):", "", *_md_rows(td.removed, max_rows)]
            if td.changed:
                out += [f"Corrected rows ({len(td.changed)}):", ""]
                flat = [
                    {"key": _key(rc.key), "field": c.field, "old": c.old or "", "new": c.new or ""}
                    for rc in td.changed
                    for c in rc.changes
                ]
                out += _md_rows(flat, max_rows)
            out.extend(f"> Warning: {w}" for w in td.warnings)
            if td.warnings:
                out.append("")
    meta = [(f"`{td.name}` ", c) for td in diff.tables for c in td.metadata]
    meta += [("", c) for c in diff.metadata]
    meta += [("file ", c) for c in diff.files]
    if meta:
        out += ["## Metadata changes", ""]
        out.extend(f"- {where}{_change(c)}" for where, c in meta)
        out.append("")
    if diff.notes:
        out.extend(f"_{n}_" for n in diff.notes)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render(diff: PackageDiff, fmt: str = "text", *, max_rows: int = 100) -> str:
    """Render in ``fmt``: one of `FORMATS`."""
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff, max_rows=max_rows)
    if fmt == "text":
        return render_text(diff, max_rows=max_rows)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
