"""The result of validating a package: findings plus statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .findings import ERROR, FATAL_CODES, WARNING, Finding

#: Version of the JSON report layout (docs/validate.md).
REPORT_VERSION = 1


@dataclass
class Report:
    """Findings in stable order (resource, line, field, code) and run statistics.

    ``stats`` holds ``{"rows": {resource: n}, "seconds": float, "truncated": bool}``.
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
            counts[f.code] = counts.get(f.code, 0) + 1
        return {
            "version": REPORT_VERSION,
            "descriptor": self.descriptor,
            "valid": self.valid,
            "exit_code": self.exit_code,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "by_code": dict(sorted(counts.items())),
            },
            "stats": self.stats,
            "findings": [f.to_dict() for f in self.findings],
        }
