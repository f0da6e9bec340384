"""The result of validating a package: findings plus statistics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .findings import ERROR, FATAL_CODES, SEVERITIES, WARNING, Finding

#: Version of the JSON report layout (docs/validate.md).
REPORT_VERSION = 1


@dataclass
class Report:
    """Findings in stable order (resource, line, field, code) and run statistics.

    ``stats`` holds ``{"rows": {resource: n}, "seconds": float, "truncated": bool,
    "kept": bool}`` (``kept``: the findings of an identical earlier validation).
    """

    descriptor: str = ""
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def error_count(self) -> int:
        """Cells or rows in error (a finding may stand for several: ``Finding.count``)."""
        return sum(f.count for f in self.errors)

    @property
    def warning_count(self) -> int:
        return sum(f.count for f in self.warnings)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def fatal(self) -> bool:
        return any(f.code in FATAL_CODES for f in self.errors)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 0 if self.valid else 1

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.code] = counts.get(f.code, 0) + f.count
        return {
            "version": REPORT_VERSION,
            "descriptor": self.descriptor,
            "valid": self.valid,
            "exit_code": self.exit_code,
            "summary": {
                "errors": self.error_count,
                "warnings": self.warning_count,
                "by_code": dict(sorted(counts.items())),
            },
            "stats": self.stats,
            "findings": [f.to_dict() for f in self.findings],
        }


def finish_report(report: Report, findings: list[Finding], *, rows: dict[str, int],
                  started: float, severities: dict[str, str] | None,
                  max_errors: int | None, truncated: bool = False,
                  reused: bool = False) -> Report:
    """Apply ``--severity`` and ``--max-errors``, sort, and fill the statistics."""
    severities = severities or {}
    findings = [
        f if f.code not in severities else _with_severity(f, severities[f.code])
        for f in findings
    ]
    report.findings = findings
    report.sort()
    if max_errors is not None:
        kept: list[Finding] = []
        n_err = 0
        for f in report.findings:
            if f.severity == ERROR:
                if n_err >= max_errors:
                    truncated = True
                    continue
                n_err += 1
            kept.append(f)
        report.findings = kept
    report.stats = {
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 3),
        "truncated": truncated,
        "kept": reused,
    }
    return report


def _with_severity(f: Finding, severity: str) -> Finding:
    if severity not in SEVERITIES:
        return f
    return Finding(**{**f.to_dict(), "severity": severity})
