"""What every declared rule shares: its declaration, its SQL, and how rows become findings.

A rule kind compiles to one DuckDB ``SELECT`` over the typed tables (one view per resource,
named like the resource, each with a ``__line`` column: the row's CSV line). Every row the
query returns is one failing row; its columns fill the rule's message template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from semicon.schemas.validation.findings import ERROR, Finding, make

if TYPE_CHECKING:  # pragma: no cover
    from .runner import RuleContext

#: whitespace as Python's ``str.split()`` sees it, in RE2 syntax (DuckDB's regexps)
WS_CLASS = r"[\s\v\x{1c}-\x{1f}\x{85}\p{Z}]+"
_WS_RE = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def normalise_ws(text: str) -> str:
    """Collapse every run of whitespace to one space and strip."""
    return _WS_RE.sub(" ", text).strip()


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def norm_sql(expr: str) -> str:
    """SQL: ``expr`` as text with whitespace runs collapsed to one space, trimmed."""
    return f"trim(regexp_replace(CAST({expr} AS VARCHAR), '{WS_CLASS}', ' ', 'g'))"


def show(value: Any) -> str:
    """A value as a message shows it: whole floats without ``.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return str(value)


def render(template: str, row: Mapping[str, Any]) -> str:
    """Fill ``{column}`` placeholders from ``row``; unknown ones stay as written.

    Plain substitution only (no attribute access or format specs), since templates come
    from the package being checked.
    """
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return show(row[name]) if name in row else m.group(0)

    return _PLACEHOLDER.sub(sub, template)


class Statement(NamedTuple):
    """One failing-row query of a rule, over the typed views (see :mod:`.runner`)."""

    #: the resource the findings are about
    resource: str
    sql: str
    #: the field each finding names (its value is the row's column of that name)
    field: str | None
    #: per resource, the fields the query reads: it runs only where all are loaded
    reads: dict[str, set[str]]


@dataclass
class Rule:
    """A declared rule: ``semicon.rules[index]`` of the descriptor."""

    index: int
    decl: dict[str, Any]
    #: the resource whose rows the findings are about
    resource: str | None = None
    #: resources a rule without ``resource`` applies to (set at parse time)
    targets: list[str] = field(default_factory=list)

    kind = ""
    default_code = ""
    default_message = ""

    @property
    def code(self) -> str:
        return self.decl.get("code") or self.default_code

    @property
    def severity(self) -> str:
        return self.decl.get("severity") or ERROR

    @property
    def label(self) -> str:
        return f"semicon.rules[{self.index}] ({self.kind})"

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        """Per resource, the fields this rule reads (their cells are kept for every row)."""
        raise NotImplementedError

    def statements(self) -> list[Statement]:
        """This rule's failing-row queries; no database needed (another SQL engine holding
        the same tables can run them)."""
        raise NotImplementedError

    def queries(self, ctx: RuleContext) -> Iterable[Statement]:
        """The statements whose tables and fields are all loaded and usable."""
        return [s for s in self.statements()
                if all(ctx.has(t, *names) for t, names in s.reads.items())]

    def message(self, row: Mapping[str, Any]) -> str:
        return render(self.decl.get("message") or self.default_message, row)

    def finding(self, ctx: RuleContext, resource: str, row: Mapping[str, Any],
                fld: str | None) -> Finding:
        line = row.get("__line")
        line = int(line) if line is not None else None
        text = self.message(row)
        if line is not None:
            text = f'Line "{line}": {text}'
        value = row.get(fld) if fld else None
        res = ctx.resources.get(resource)
        return make(self.code, text, resource=resource, path=res.path if res else None,
                    line=line, field=fld, value=value, severity=self.severity)

    def run(self, ctx: RuleContext) -> list[Finding]:
        out: list[Finding] = []
        for st in self.queries(ctx):
            for row in ctx.select(st.sql):
                out.append(self.finding(ctx, st.resource, row, st.field))
        return out
