"""The ``python`` rule kind: pandera checks that no declaration can express.

``{"rule": "python", "resource": "t", "fields": ["a", "b"], "function": "checks.py:rules"}``
calls ``rules(frame)`` with the typed ``fields`` of ``t`` as a polars DataFrame (plus
``__line``) and validates the frame, lazily, with what it returns: a
``pandera.polars.DataFrameSchema``, a ``pandera.polars.Check`` or a list of checks. Each
failing row becomes a finding.

``function`` is ``file.py:name`` (a file inside the package folder) or ``module:name`` (an
importable module). Either runs code, so python rules run only when the caller allows it
(``semicon validate --allow-python``); otherwise each is reported as skipped, a warning.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from semicon.schemas.validation.findings import Finding, make
from semicon.schemas.validation.paths import unsafe_reason

from .base import Rule, Statement, render

if TYPE_CHECKING:  # pragma: no cover
    from .runner import RuleContext


class Python(Rule):
    kind = "python"
    default_code = "python-check"
    default_message = 'pandera check "{check}" failed'

    def reads(self, fields: Mapping[str, set[str]]) -> dict[str, set[str]]:
        return {self.resource: set(self.decl["fields"])}

    def statements(self) -> list[Statement]:
        return []  # pandera over a polars frame, not SQL

    def run(self, ctx: RuleContext) -> list[Finding]:
        if not ctx.allow_python:
            return [make("python-rule-skipped",
                         f'{self.label} calls Python "{self.decl["function"]}": not run '
                         "(allow the package's own code with --allow-python)",
                         resource=self.resource, severity="warning")]
        if not ctx.has(self.resource, *self.decl["fields"]):
            return []
        func = load_function(self.decl["function"], ctx.base)
        frame = ctx.frame(self.resource, self.decl["fields"])
        return self.validate(ctx, func(frame), frame)

    def validate(self, ctx: RuleContext, checks: Any, frame: Any) -> list[Finding]:
        import pandera.polars as pa

        if isinstance(checks, pa.Check):
            checks = [checks]
        schema = checks if isinstance(checks, pa.DataFrameSchema) else pa.DataFrameSchema(
            checks=list(checks))
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return self._findings(ctx, exc.failure_cases, frame)
        return []

    def _findings(self, ctx: RuleContext, cases: Any, frame: Any) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[Any, ...]] = set()
        for idx, column, check, value in zip(
                cases["index"].to_list(), cases["column"].to_list(),
                cases["check"].to_list(), cases["failure_case"].to_list(), strict=True):
            key = (idx, column, check)
            if key in seen:
                continue
            seen.add(key)
            row: dict[str, Any] = frame.row(idx, named=True) if idx is not None else {}
            fld = column if column in frame.columns else self.decl.get("field")
            row.update(check=check, column=column, failure_case=value)
            line = row.get("__line")
            text = render(self.decl.get("message") or self.default_message, row)
            res = ctx.resources.get(self.resource)
            out.append(make(self.code, f'Line "{line}": {text}' if line else text,
                            resource=self.resource, path=res.path if res else None,
                            line=line, field=fld,
                            value=row.get(fld) if fld in row else value,
                            severity=self.severity))
        return out


def load_function(spec: str, base: Any) -> Callable[..., Any]:
    """The callable named by ``file.py:name`` (inside ``base``) or ``module:name``."""
    target, _, name = spec.rpartition(":")
    if target.endswith(".py"):
        reason = unsafe_reason(base, target)
        if reason:
            raise ValueError(f'refused "{target}": {reason}')
        path = base / target
        mod_name = "semicon_rule_" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
        spec_obj = importlib.util.spec_from_file_location(mod_name, path)
        if spec_obj is None or spec_obj.loader is None:
            raise ValueError(f'cannot load "{target}"')
        module = importlib.util.module_from_spec(spec_obj)
        spec_obj.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    func = getattr(module, name, None)
    if not callable(func):
        raise ValueError(f'"{spec}" is not a function')
    return func
