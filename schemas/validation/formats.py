"""Render a :class:`Report` as text, JSON, GitHub annotations or Markdown."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from .findings import ERROR, Finding
from .report import Report

FORMATS = ("text", "json", "github", "markdown")

#: Markdown tables longer than this are cut (PR comments have a size limit)
MARKDOWN_MAX_ROWS = 500


def render(report: Report, fmt: str = "text", *, color: bool = False) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`), ending with a newline."""
    if fmt == "text":
        return render_text(report, color=color)
    if fmt == "json":
        return render_json(report)
    if fmt == "github":
        return render_github(report)
    if fmt == "markdown":
        return render_markdown(report)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def render_json(report: Report) -> str:
    """The report as one JSON object, indented, with one line per finding (as
    sqlite-utils prints rows): read by eye or grep as easily as by a tool, and written by
    the json module's C encoder (an indented list of 100,000 findings takes it 0.5 s)."""
    data = report.to_dict()
    findings = data.pop("findings")
    head = json.dumps(data, indent=2, ensure_ascii=False)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    rows = ",\n    ".join(map(encode, findings))
    body = f"[\n    {rows}\n  ]" if findings else "[]"
    return f'{head[:-2]},\n  "findings": {body}\n}}\n'


def _summary(report: Report) -> str:
    rows = sum((report.stats.get("rows") or {}).values())
    n_err, n_warn = report.error_count, report.warning_count
    verdict = "valid" if report.valid else "invalid"
    if report.exit_code == 2:
        verdict = "unusable"
    text = (f"{verdict}: {n_err} error{'s' * (n_err != 1)}, "
            f"{n_warn} warning{'s' * (n_warn != 1)} in {rows} rows")
    if "seconds" in report.stats:
        text += f" ({report.stats['seconds']:.2f} s)"
    if report.stats.get("truncated"):
        text += "; stopped at --max-errors"
    if report.stats.get("kept"):
        text += "; unchanged since an earlier validation (--no-cache validates again)"
    return text


def render_text(report: Report, *, color: bool = False) -> str:
    import click

    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    lines: list[str] = []
    for resource, group in groupby(report.findings, key=lambda f: f.resource):
        items = list(group)
        first = items[0]
        title = resource or "package"
        if first.path and resource:
            title += f" ({first.path})"
        lines.append(style(title, bold=True))
        for f in items:
            where = f"line {f.line}" if f.line is not None else "-"
            sev_color = "red" if f.severity == ERROR else "yellow"
            field = f" [{f.field}]" if f.field else ""
            message = f.message.replace("\r", "\\r").replace("\n", "\\n")
            lines.append(
                f"  {style(f.severity, fg=sev_color)} {where}{field} "
                f"{style(f.code, fg='cyan')}: {message}"
            )
    summary = _summary(report)
    if report.valid:
        lines.append(style(summary, fg="green", bold=True))
    else:
        lines.append(style(summary, fg="red", bold=True))
    return "\n".join(lines) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _file_for(report: Report, f: Finding) -> str:
    descriptor = Path(report.descriptor)
    if descriptor.is_dir():
        descriptor = descriptor / "datapackage.json"
    target = descriptor.parent / f.path if f.path and f.resource else descriptor
    text = os.path.normpath(str(target))
    try:
        rel = os.path.relpath(text)
        if not rel.startswith(".."):
            text = rel
    except ValueError:  # pragma: no cover - other drive on Windows
        pass
    return text.replace(os.sep, "/")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning`` per finding."""
    out = []
    for f in report.findings:
        kind = "error" if f.severity == ERROR else "warning"
        props = [f"file={_gh_prop(_file_for(report, f))}"]
        if f.line is not None:
            props.append(f"line={f.line}")
        props.append(f"title={_gh_prop(f.code)}")
        message = f.message if not f.resource else f"{f.resource}: {f.message}"
        out.append(f"::{kind} {','.join(props)}::{_gh_data(message)}")
    out.append(_summary(report))
    return "\n".join(out) + "\n"


def _md(text: object) -> str:
    s = "" if text is None else str(text)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def render_markdown(report: Report) -> str:
    icon: Callable[[Report], str] = lambda r: "✅" if r.valid else "❌"  # noqa: E731
    lines = [f"## {icon(report)} Data package validation", "", f"**{_summary(report)}**", ""]
    if report.findings:
        lines += ["| Severity | Resource | Line | Field | Code | Message |",
                  "|---|---|---:|---|---|---|"]
        for f in report.findings[:MARKDOWN_MAX_ROWS]:
            lines.append(
                f"| {f.severity} | {_md(f.resource)} | {_md(f.line)} | {_md(f.field)} | "
                f"`{f.code}` | {_md(f.message)} |"
            )
        if len(report.findings) > MARKDOWN_MAX_ROWS:
            lines += ["", f"_{len(report.findings) - MARKDOWN_MAX_ROWS} more findings not "
                      "shown; run `semicon validate` locally for all._"]
    return "\n".join(lines) + "\n"
