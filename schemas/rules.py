"""Hand-written pandera rules for what Table Schema cannot express.

Cross-field rules (range ends in order) and cross-table rules (parts add up to their parent,
coalition member counts, quotes found verbatim in their source text). Each rule runs only
on resources that have the fields it names, so the rules are generic. Rules receive the
validation :class:`~semicon.schemas.validation.engine.Context` (typed rows come from DuckDB as
polars frames) and return findings with resource, line and field.

Rules are pandera ``DataFrameSchema`` checks run with ``lazy=True``; ``failure_cases``
(0-based frame positions) become findings on the CSV line of the row.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semicon.schemas.interrupts import reraise_interrupt
from semicon.schemas.validation.findings import Finding, make
from semicon.schemas.validation.paths import unsafe_reason

if TYPE_CHECKING:  # pragma: no cover
    from semicon.schemas.validation.engine import Context

#: (low, high, strict): ``low < high`` when strict else ``low <= high``
RANGE_PAIRS: list[tuple[str, str, bool]] = [
    ("amount_low", "amount_high", True),
    ("period_start_year", "period_end_year", False),
]

ALLOCATIONS = "funding_allocations"
COALITIONS = "coalitions"
COALITION_MEMBERS = "coalition_members"
SOURCES = "sources"

_WS_RE = re.compile(r"\s+")

#: the fields each cross-table rule reads, on the resource it reads them from
ALLOCATION_PARTS = ("allocation_id", "parent_id", "amount", "rounding", "breakdown", "currency")
COALITION_COUNT = ("coalition_id", "member_count_reported")
QUOTE = ("source_id", "source_quote")
SOURCE_TEXT = ("source_id", "text_path")


def normalise_ws(text: str) -> str:
    """Collapse every run of whitespace to one space and strip."""
    return _WS_RE.sub(" ", text).strip()


def _fields_of(data: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for res in data.get("resources", []):
        if isinstance(res, dict) and isinstance(res.get("schema"), dict):
            fields = res["schema"].get("fields") or []
            out[str(res.get("name"))] = {
                f.get("name") for f in fields if isinstance(f, dict)
            }
    return out


def fields_read(data: dict[str, Any]) -> dict[str, set[str]]:
    """Per resource, the fields the rules will read: their cells are kept for every row.

    A rule runs only where its resource has all the fields it names; everything else is
    checked row by row and kept only on rows with a finding.
    """
    fields = _fields_of(data)
    out: dict[str, set[str]] = {}

    def need(resource: str, names: Iterable[str]) -> None:
        names = set(names)
        if names <= fields.get(resource, set()):
            out.setdefault(resource, set()).update(names)

    for resource in fields:
        for low, high, _ in RANGE_PAIRS:
            need(resource, (low, high))
        need(resource, QUOTE)
    need(ALLOCATIONS, ALLOCATION_PARTS)
    if (set(COALITION_COUNT) <= fields.get(COALITIONS, set())
            and "coalition_id" in fields.get(COALITION_MEMBERS, set())):
        need(COALITIONS, COALITION_COUNT)
        need(COALITION_MEMBERS, ("coalition_id",))
    if any(QUOTE[1] in names for names in out.values()):
        need(SOURCES, SOURCE_TEXT)
    return out


def uses_pandera(read: dict[str, set[str]]) -> bool:
    """Whether a rule will build pandera checks, given :func:`fields_read` (``range-order``
    is plain SQL)."""
    return (ALLOCATIONS in read and set(ALLOCATION_PARTS) <= read[ALLOCATIONS]) or (
        COALITIONS in read and set(COALITION_COUNT) <= read[COALITIONS]) or any(
        QUOTE[1] in names for names in read.values())


def preload(read: dict[str, set[str]]) -> None:
    """Import pandera and polars in a thread when a rule will need them (:func:`uses_pandera`).

    The import takes about 0.6 s; started before the files are loaded, most of it runs
    while DuckDB works (with the GIL released) instead of after it.
    """
    if not uses_pandera(read):
        return

    def load() -> None:
        with contextlib.suppress(Exception):  # the rule's own import reports any failure
            import pandera.polars  # noqa: F401
            import polars  # noqa: F401

    threading.Thread(target=load, daemon=True).start()


def _findings_from(
    schema: Any,
    frame: Any,
    build: Callable[[dict[str, Any], str], Finding | None],
) -> list[Finding]:
    """Validate ``frame`` lazily; turn each failing row into a finding via ``build(row, check)``."""
    import pandera.polars as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        out: list[Finding] = []
        cases = exc.failure_cases
        seen: set[tuple[int, str]] = set()
        for idx, check in zip(cases["index"].to_list(), cases["check"].to_list(), strict=True):
            if idx is None or (idx, check) in seen:
                continue
            seen.add((idx, check))
            finding = build(frame.row(idx, named=True), str(check))
            if finding is not None:
                out.append(finding)
        return out
    return []


def _frame_check(name: str, expr_fn: Callable[[], Any]) -> Any:
    import pandera.polars as pa

    return pa.Check(lambda data: data.lazyframe.select(expr_fn()), name=name)


# ---------------------------------------------------------------------------------------
# range ends in order


def range_order(ctx: Context) -> list[Finding]:
    """``low < high`` (or ``<=``): a plain comparison of two typed cells of one row.

    The SQL filter selecting the failing rows is the whole check (a pandera check over
    them could only confirm it), so no frame is built and neither polars nor pandera is
    imported: about 0.9 s less on a file with any out-of-order range.
    """
    out: list[Finding] = []
    for low, high, strict in RANGE_PAIRS:
        op = "<" if strict else "<="
        for res in ctx.resources_with(low, high):
            bad = f'"{low}" >= "{high}"' if strict else f'"{low}" > "{high}"'
            sql = ctx.typed_sql(res.name, [low, high], where=bad)
            cur = ctx.con.execute(f"{sql} LIMIT {int(ctx.cap)}")
            rows = sorted((res.line_of(key), lo, hi) for key, lo, hi in cur.fetchall())
            for line, lo, hi in rows:
                out.append(res.finding(
                    "range-order",
                    f'Line "{line}": "{low}" ({lo}) must be {op} "{high}" ({hi})',
                    line=line, field=high, value=hi))
    return out


# ---------------------------------------------------------------------------------------
# parts add up


def parts_add_up(ctx: Context) -> list[Finding]:
    needed = ALLOCATION_PARTS
    if not ctx.has_fields(ALLOCATIONS, *needed):
        return []
    import pandera.polars as pa
    import polars as pl

    res = ctx.resources[ALLOCATIONS]
    rows = ctx.frame(ALLOCATIONS, needed)
    # ``breakdown`` sits on the children: how each part divides its parent
    children = rows.filter(pl.col("parent_id").is_not_null())
    if children.height == 0:
        return []
    parents = rows.filter(pl.col("allocation_id").is_not_null()).unique(
        "allocation_id", keep="first", maintain_order=True)
    sums = children.filter(pl.col("breakdown").is_not_null()).group_by(
        "parent_id", "breakdown").agg(
        pl.col("amount").sum().alias("children_sum"),
        (pl.col("rounding").fill_null(0) / 2).sum().alias("children_tol"),
        pl.col("amount").is_not_null().sum().alias("children"),
    ).filter(pl.col("children") > 0)
    agg = parents.drop("breakdown").join(sums, left_on="allocation_id",
                                         right_on="parent_id", how="inner")
    agg = agg.filter(pl.col("amount").is_not_null()).with_columns(
        (pl.col("rounding").fill_null(0) / 2 + pl.col("children_tol")).alias("tolerance"),
    )

    def payer_ok() -> Any:
        return (pl.col("breakdown") != "payer") | (
            (pl.col("children_sum") - pl.col("amount")).abs() <= pl.col("tolerance"))

    def purpose_ok() -> Any:
        return (pl.col("breakdown") != "purpose") | (
            pl.col("children_sum") <= pl.col("amount") + pl.col("tolerance"))

    schema = pa.DataFrameSchema(checks=[
        _frame_check("payer-sum", lambda: payer_ok().fill_null(True)),
        _frame_check("purpose-sum", lambda: purpose_ok().fill_null(True)),
    ])

    def build(row: dict[str, Any], check: str) -> Finding:
        relation = "equal" if check == "payer-sum" else "not exceed"
        return res.finding(
            "parts-exceed-parent",
            f'Line "{row["__line"]}": the {row["children"]} "{row["breakdown"]}" parts of '
            f'allocation "{row["allocation_id"]}" add up to {row["children_sum"]}, which must '
            f'{relation} its amount {row["amount"]} (tolerance {row["tolerance"]:g})',
            line=row["__line"], field="amount", value=row["amount"])

    out = _findings_from(schema, agg, build)

    pairs = children.join(
        parents.select(pl.col("allocation_id").alias("parent_id"),
                       pl.col("currency").alias("parent_currency")),
        on="parent_id", how="inner",
    )
    cur_schema = pa.DataFrameSchema(checks=[_frame_check(
        "currency", lambda: (pl.col("currency") == pl.col("parent_currency")).fill_null(True))])

    def build_cur(row: dict[str, Any], _check: str) -> Finding:
        return res.finding(
            "currency-mismatch",
            f'Line "{row["__line"]}": currency "{row["currency"]}" differs from the currency '
            f'"{row["parent_currency"]}" of parent "{row["parent_id"]}"',
            line=row["__line"], field="currency", value=row["currency"])

    out += _findings_from(cur_schema, pairs, build_cur)
    return out


# ---------------------------------------------------------------------------------------
# coalition count


def coalition_count(ctx: Context) -> list[Finding]:
    if not (ctx.has_fields(COALITIONS, *COALITION_COUNT)
            and ctx.has_fields(COALITION_MEMBERS, "coalition_id")):
        return []
    import pandera.polars as pa
    import polars as pl

    res = ctx.resources[COALITIONS]
    coalitions = ctx.frame(COALITIONS, list(COALITION_COUNT),
                           where='"member_count_reported" IS NOT NULL')
    members = ctx.frame(COALITION_MEMBERS, ["coalition_id"]).group_by("coalition_id").agg(
        pl.len().alias("named"))
    joined = coalitions.join(members, on="coalition_id", how="inner")
    schema = pa.DataFrameSchema(checks=[_frame_check(
        "coalition-count", lambda: pl.col("named") <= pl.col("member_count_reported"))])

    def build(row: dict[str, Any], _check: str) -> Finding:
        return res.finding(
            "coalition-count",
            f'Line "{row["__line"]}": coalition "{row["coalition_id"]}" names {row["named"]} '
            f'members but reports {row["member_count_reported"]}',
            line=row["__line"], field="member_count_reported",
            value=row["member_count_reported"])

    return _findings_from(schema, joined, build)


# ---------------------------------------------------------------------------------------
# quotes verbatim


def _source_texts(ctx: Context, out: list[Finding]) -> dict[str, str | None]:
    texts: dict[str, str | None] = {}
    if not ctx.has_fields(SOURCES, "source_id", "text_path"):
        return texts
    res = ctx.resources[SOURCES]
    frame = ctx.frame(SOURCES, ["source_id", "text_path"], where='"source_id" IS NOT NULL')
    for row in frame.iter_rows(named=True):
        sid, text_path = row["source_id"], row["text_path"]
        if text_path is None:
            texts[sid] = None
            continue
        if ctx.source_texts is not None and text_path in ctx.source_texts:
            texts[sid] = normalise_ws(ctx.source_texts[text_path])
            continue
        reason = unsafe_reason(ctx.base, text_path)
        if reason:
            out.append(res.finding("unsafe-path",
                                   f'Refused text_path "{text_path}": {reason}',
                                   line=row["__line"], field="text_path", value=text_path))
            texts[sid] = None
            continue
        try:
            texts[sid] = normalise_ws((ctx.base / Path(text_path)).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            out.append(res.finding("missing-file",
                                   f'Source text "{text_path}" cannot be read: {exc}',
                                   line=row["__line"], field="text_path", value=text_path,
                                   severity="error"))
            texts[sid] = None
    return texts


def quotes_verbatim(ctx: Context) -> list[Finding]:
    quoting = ctx.resources_with(*QUOTE)
    if not quoting:
        return []
    import pandera.polars as pa
    import polars as pl

    out: list[Finding] = []
    texts = _source_texts(ctx, out)
    lookup = pl.DataFrame(
        {"source_id": list(texts), "__text": list(texts.values())},
        schema={"source_id": pl.String, "__text": pl.String},
    )
    for res in quoting:
        frame = ctx.frame(res.name, ["source_id", "source_quote"],
                          where='"source_quote" IS NOT NULL')
        if frame.height == 0:
            continue
        frame = frame.with_columns(
            pl.col("source_id").cast(pl.String),
            pl.col("source_quote").cast(pl.String).str.replace_all(r"\s+", " ")
            .str.strip_chars().alias("__quote"),
        ).join(lookup, on="source_id", how="left")
        schema = pa.DataFrameSchema(checks=[_frame_check(
            "quote", lambda: pl.col("__text").is_not_null()
            & pl.col("__text").str.contains(pl.col("__quote"), literal=True).fill_null(False))])

        def build(row: dict[str, Any], _check: str, res: Any = res) -> Finding:
            why = ("its source has no text" if row["__text"] is None
                   else "it does not occur in the source text")
            quote = row["source_quote"]
            short = quote if len(quote) <= 80 else quote[:77] + "..."
            return res.finding(
                "quote-not-in-source",
                f'Line "{row["__line"]}": quote "{short}" of source "{row["source_id"]}" is '
                f"not verbatim: {why}",
                line=row["__line"], field="source_quote", value=quote)

        out += _findings_from(schema, frame, build)
    return out


RULES: list[Callable[[Context], list[Finding]]] = [
    range_order,
    parts_add_up,
    coalition_count,
    quotes_verbatim,
]


def run_rules(ctx: Context, rules: Iterable[Callable[[Context], list[Finding]]] = RULES
              ) -> list[Finding]:
    """Run every rule; a rule that crashes becomes a ``rule-error`` finding, not a traceback."""
    out: list[Finding] = []
    for rule in rules:
        try:
            out += rule(ctx)
        except Exception as exc:  # a rule bug must not hide the other findings
            reraise_interrupt(exc)
            out.append(make("rule-error", f"Rule {rule.__name__} failed: {exc!r}"))
    return out
