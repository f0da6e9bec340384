"""The declarative rule kinds: ``range``, ``sum``, ``count``, ``quote``, ``backed-by-quote``.

Each compiles to one SQL ``SELECT`` of the failing rows over the typed tables; the SQL is
the rule's meaning (docs/declarations.md shows it for each kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Rule, Statement, ident, literal, norm_sql

#: how a relation reads in a message, and its SQL condition over ``total``/``value``/``tol``
RELATIONS = {
    "equal": ("equal", "abs({total} - {value}) <= {tol}"),
    "at-most": ("not exceed", "{total} <= {value} + {tol}"),
    "at-least": ("reach", "{total} >= {value} - {tol}"),
}


def relation_sql(rel: str, total: str, value: str, tol: str = "0") -> str:
    return "(" + RELATIONS[rel][1].format(total=total, value=value, tol=tol) + ")"


class Range(Rule):
    """``low < high`` (``strict``, the default) or ``low <= high`` on each row."""

    kind = "range"
    default_code = "range-order"

    @property
    def pair(self) -> tuple[str, str]:
        return self.decl["low"], self.decl["high"]

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        return {t: set(self.pair) for t in self.targets}

    def statements(self) -> list[Statement]:
        low, high = self.pair
        return [Statement(t, self.sql(t), high, {t: {low, high}}) for t in self.targets]

    def sql(self, table: str) -> str:
        low, high = self.pair
        bad = ">=" if self.decl.get("strict", True) else ">"
        return (f"SELECT __line, {ident(low)}, {ident(high)} FROM {ident(table)} "
                f"WHERE {ident(low)} {bad} {ident(high)} ORDER BY __line")

    @property
    def default_message(self) -> str:  # type: ignore[override]
        low, high = self.pair
        op = "<" if self.decl.get("strict", True) else "<="
        return f'"{low}" ({{{low}}}) must be {op} "{high}" ({{{high}}})'


class Sum(Rule):
    """Parts add up to their parent, within the parent's and the parts' rounding.

    Parts are rows of ``parts.resource`` (default: the parent's) whose ``parts.parent``
    names the parent's ``key``; with ``parts.partition`` the parts of one parent are summed
    per value of that field (parts without one are left out) and ``relation`` may differ
    per value. The tolerance is half the parent's rounding plus half of each part's.
    """

    kind = "sum"
    default_code = "parts-exceed-parent"

    @property
    def parts(self) -> dict[str, Any]:
        p = dict(self.decl["parts"])
        same = p.get("resource", self.resource) == self.resource
        p.setdefault("resource", self.resource)
        p.setdefault("value", self.decl["value"])
        if same and "rounding" in self.decl:
            p.setdefault("rounding", self.decl["rounding"])
        return p

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        d, p = self.decl, self.parts
        out: dict[str, set[str]] = {self.resource: {d["key"], d["value"]}}
        if d.get("rounding"):
            out[self.resource].add(d["rounding"])
        names = {p["parent"], p["value"], p.get("rounding"), p.get("partition")} - {None}
        out.setdefault(p["resource"], set()).update(names)
        return out

    def statements(self) -> list[Statement]:
        return [Statement(self.resource, self.sql(), self.decl["value"], self.reads({}))]

    def sql(self) -> str:
        d, p = self.decl, self.parts
        key, value = ident(d["key"]), ident(d["value"])

        def half(name: str | None) -> str:
            return f"coalesce(CAST({ident(name)} AS DOUBLE), 0) / 2" if name else "0.0"

        part = ident(p["partition"]) if p.get("partition") else "NULL"
        has_part = f" AND {part} IS NOT NULL" if p.get("partition") else ""
        rel = d.get("relation", "equal")
        if isinstance(rel, str):
            cond = relation_sql(rel, "total", "__value", "tolerance")
            word = literal(RELATIONS[rel][0])
        else:
            whens = " ".join(
                f"WHEN CAST(part AS VARCHAR) = {literal(k)} THEN "
                f"{relation_sql(r, 'total', '__value', 'tolerance')}" for k, r in rel.items())
            cond = f"CASE {whens} ELSE TRUE END"
            word = "CASE " + " ".join(
                f"WHEN CAST(part AS VARCHAR) = {literal(k)} THEN {literal(RELATIONS[r][0])}"
                for k, r in rel.items()) + " END"
        return (
            f"WITH parents AS (SELECT __line, {key} AS __key, {value} AS __value, "
            f"{half(d.get('rounding'))} AS __tol FROM {ident(self.resource)} "
            f"WHERE {key} IS NOT NULL "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY __line) = 1), "
            f"parts AS (SELECT {ident(p['parent'])} AS __parent, {part} AS part, "
            f"sum({ident(p['value'])}) AS total, sum({half(p.get('rounding'))}) AS __tol, "
            f"count({ident(p['value'])}) AS parts FROM {ident(p['resource'])} "
            f"WHERE {ident(p['parent'])} IS NOT NULL{has_part} GROUP BY ALL "
            f"HAVING count({ident(p['value'])}) > 0), "
            f"joined AS (SELECT a.__line, a.__key AS {key}, a.__value, "
            f"a.__value AS {value}, s.part, s.parts, s.total, "
            f"a.__tol + s.__tol AS tolerance FROM parents a JOIN parts s "
            f"ON s.__parent = a.__key WHERE a.__value IS NOT NULL) "
            f"SELECT *, {word} AS relation FROM joined WHERE NOT ({cond}) "
            f"ORDER BY __line, part")

    @property
    def default_message(self) -> str:  # type: ignore[override]
        d = self.decl
        part = ' "{part}"' if self.parts.get("partition") else ""
        return (f'the {{parts}}{part} parts of "{{{d["key"]}}}" add up to {{total}}, which '
                f'must {{relation}} its "{d["value"]}" {{{d["value"]}}} '
                f"(tolerance {{tolerance}})")


class Count(Rule):
    """A count field matches the number of rows naming the row's key in another table."""

    kind = "count"
    default_code = "count-mismatch"

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        d, rows = self.decl, self.decl["rows"]
        out = {self.resource: {d["key"], d["count"]}}
        out.setdefault(rows["resource"], set()).add(rows["key"])
        return out

    def statements(self) -> list[Statement]:
        return [Statement(self.resource, self.sql(), self.decl["count"], self.reads({}))]

    def sql(self) -> str:
        d, rows = self.decl, self.decl["rows"]
        key, count = ident(d["key"]), ident(d["count"])
        cond = relation_sql(d.get("relation", "equal"), f"r.{count}", "coalesce(m.__n, 0)")
        return (
            f"SELECT r.__line, r.{key}, r.{count}, coalesce(m.__n, 0) AS \"rows\" "
            f"FROM {ident(self.resource)} r LEFT JOIN (SELECT {ident(rows['key'])} AS __key, "
            f"count(*) AS __n FROM {ident(rows['resource'])} "
            f"WHERE {ident(rows['key'])} IS NOT NULL GROUP BY ALL) m ON m.__key = r.{key} "
            f"WHERE r.{count} IS NOT NULL AND NOT {cond} ORDER BY r.__line")

    @property
    def default_message(self) -> str:  # type: ignore[override]
        d = self.decl
        return (f'"{{{d["key"]}}}" is named in {{rows}} rows of "{d["rows"]["resource"]}" '
                f'but "{d["count"]}" is {{{d["count"]}}}')


class Quote(Rule):
    """Each quote occurs verbatim (whitespace-normalised) in the text of its document.

    Which fields quote which documents comes from ``semicon.provenance``; ``resource``
    narrows the rule to one resource.
    """

    kind = "quote"
    default_code = "quote-not-in-source"
    default_message = 'quote "{short}" of source "{source}" is not verbatim: {why}'

    #: resource -> its provenance ``Quoting``, set at parse time
    quoted: dict[str, Any]
    #: the provenance's document table and the fields read from it (id, text path)
    documents: tuple[str, set[str]] | None = None

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        out = {t: {q.source, q.quote} for t, q in self.quoted.items()}
        if self.documents:
            out.setdefault(self.documents[0], set()).update(self.documents[1])
        return out

    def statements(self) -> list[Statement]:
        return [Statement(t, self.sql(t, q.source, q.quote), q.quote, {t: {q.source, q.quote}})
                for t, q in self.quoted.items()]

    @staticmethod
    def sql(table: str, source: str, quote: str) -> str:
        s, q = ident(source), ident(quote)
        return (
            f"SELECT t.__line, CAST(t.{s} AS VARCHAR) AS source, t.{q}, "
            f"CASE WHEN length(t.{q}) <= 80 THEN t.{q} ELSE left(t.{q}, 77) || '...' END "
            f"AS short, CASE WHEN d.text IS NULL THEN 'its source has no text' "
            f"ELSE 'it does not occur in the source text' END AS why "
            f"FROM {ident(table)} t LEFT JOIN semicon_internal.documents d "
            f"ON d.id = CAST(t.{s} AS VARCHAR) WHERE t.{q} IS NOT NULL "
            f"AND (d.text IS NULL OR NOT contains(d.text, {norm_sql('t.' + q)})) "
            f"ORDER BY t.__line")


#: the normalised, lower-case quote of a row in :meth:`Backed.sql` (a name no field has
#: in practice: the typed views' columns are the fields and ``__line``)
QUOTE_COLUMN = '"__semicon_quote"'


class Backed(Rule):
    """A field's value is backed by the row's own quote.

    The quote (whitespace-normalised, lower case) must contain one of the words declared
    for the value in ``words``; a value without words must itself occur in the quote
    (``unlisted``: ``literal``, the default), is accepted (``pass``) or refused (``fail``).
    """

    kind = "backed-by-quote"
    default_code = "claim-not-in-quote"

    #: the quote field, set at parse time (declared, or the resource's provenance quote)
    quote_field: str = ""

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        return {self.resource: {self.decl["field"], self.quote_field}}

    def statements(self) -> list[Statement]:
        return [Statement(self.resource, self.sql(), self.decl["field"], self.reads({}))]

    def sql(self) -> str:
        """The failing rows; the quote is normalised once a row (in a subquery), not once
        for each word: written once, the statement is shorter to parse and plan."""
        f, q = ident(self.decl["field"]), ident(self.quote_field)
        value = f"CAST({f} AS VARCHAR)"
        quote = QUOTE_COLUMN
        unlisted = {"literal": f"contains({quote}, lower({norm_sql(value)}))",
                    "pass": "TRUE", "fail": "FALSE"}[self.decl.get("unlisted", "literal")]
        why_unlisted = {"literal": f"it does not occur in \"{self.quote_field}\"",
                        "pass": "", "fail": "no words are declared for this value"}[
            self.decl.get("unlisted", "literal")]
        ok, why = [], []
        for val, words in (self.decl.get("words") or {}).items():
            any_word = " OR ".join(f"contains({quote}, {literal(w.lower())})" for w in words)
            ok.append(f"WHEN {literal(val)} THEN ({any_word})")
            listed = ", ".join(f'"{w}"' for w in words)
            text = f'none of {listed} occurs in "{self.quote_field}"'
            why.append(f"WHEN {literal(val)} THEN {literal(text)}")
        cond = f"CASE {value} {' '.join(ok)} ELSE {unlisted} END" if ok else unlisted
        reason = (f"CASE {value} {' '.join(why)} ELSE {literal(why_unlisted)} END" if why
                  else literal(why_unlisted))
        cells = ", ".join(dict.fromkeys(["__line", f, q]))  # the field may be the quote
        rows = (f"SELECT {cells}, lower({norm_sql(q)}) AS {quote} "
                f"FROM {ident(self.resource)} WHERE {f} IS NOT NULL AND {q} IS NOT NULL")
        return (f"SELECT __line, {f}, {q}, {reason} AS why FROM ({rows}) "
                f"WHERE NOT ({cond}) ORDER BY __line")

    @property
    def default_message(self) -> str:  # type: ignore[override]
        f = self.decl["field"]
        return f'"{f}" is "{{{f}}}", which its quote does not back: {{why}}'
