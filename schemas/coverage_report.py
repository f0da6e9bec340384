"""The coverage report as text, JSON or Markdown (see :mod:`semicon.schemas.coverage`)."""

from __future__ import annotations

import json
from typing import Any

from semicon.schemas.coverage import CoverageReport, DocumentCoverage, SentenceCoverage

FORMATS = ("text", "json", "markdown")


def _short(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _summary(doc: DocumentCoverage) -> str:
    return (f"{len(doc.sentences)} sentences: {doc.count('quoted')} quoted, "
            f"{doc.count('excluded')} left out by choice, {doc.count('missing')} not quoted; "
            f"coverage {doc.percent:.1f}%")


def to_dict(report: CoverageReport) -> dict[str, Any]:
    def sentence(sc: SentenceCoverage) -> dict[str, Any]:
        return {"line": sc.sentence.line, "start": sc.sentence.start, "end": sc.sentence.end,
                "text": sc.sentence.text, "status": sc.status, "covered_chars": sc.covered,
                "reason": sc.reason,
                "rows": [{"resource": r.resource, "line": r.line, "key": list(r.key)}
                         for r in sc.rows]}

    return {
        "package": report.package,
        "percent": round(report.percent, 2),
        "exclusions": report.exclusions_path,
        "documents": [{
            "id": d.id, "title": d.title, "path": d.path, "percent": round(d.percent, 2),
            "sentences_total": len(d.sentences), "quoted": d.count("quoted"),
            "excluded": d.count("excluded"), "missing": d.count("missing"),
            "unmatched_exclusions": d.unmatched,
            "sentences": [sentence(s) for s in d.sentences],
        } for d in report.documents],
    }


def render_json(report: CoverageReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def render_text(report: CoverageReport, *, verbose: bool = False) -> str:
    out: list[str] = []
    for doc in report.documents:
        out.append(f"{doc.id} ({doc.path})")
        out.append(f"  {_summary(doc)}")
        missing = [s for s in doc.sentences if s.status == "missing"]
        if missing:
            out.append("  not quoted by any row:")
            out += [f"    line {s.sentence.line}: {_short(s.sentence.text)}" for s in missing]
        if verbose:
            excluded = [s for s in doc.sentences if s.status == "excluded"]
            if excluded:
                out.append("  left out by choice:")
                out += [f"    line {s.sentence.line}: {_short(s.sentence.text, 70)} "
                        f"({s.reason})" for s in excluded]
        for text in doc.unmatched:
            out.append(f"  exclusion matches no sentence: {_short(text)}")
    out.append(f"coverage {report.percent:.1f}% over {len(report.documents)} "
               f"document{'s' if len(report.documents) != 1 else ''}")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: CoverageReport) -> str:
    out = [f"# Coverage of the source documents of {report.package}", "",
           f"**{report.percent:.1f}%** of the sentences not left out by choice are quoted by "
           f"at least one row.", "",
           "| document | sentences | quoted | left out by choice | not quoted | coverage |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for d in report.documents:
        out.append(f"| {_cell(d.title)} (`{d.id}`) | {len(d.sentences)} | {d.count('quoted')} "
                   f"| {d.count('excluded')} | {d.count('missing')} | {d.percent:.1f}% |")
    for d in report.documents:
        out += ["", f"## {_cell(d.title)}", ""]
        missing = [s for s in d.sentences if s.status == "missing"]
        if missing:
            out += ["Not quoted by any row:", "", "| line | sentence |", "| ---: | --- |"]
            out += [f"| {s.sentence.line} | {_cell(s.sentence.text)} |" for s in missing]
            out.append("")
        excluded = [s for s in d.sentences if s.status == "excluded"]
        if excluded:
            out += ["Left out by choice:", "", "| line | sentence | reason |",
                    "| ---: | --- | --- |"]
            out += [f"| {s.sentence.line} | {_cell(s.sentence.text)} | {_cell(s.reason or '')} |"
                    for s in excluded]
            out.append("")
        if d.unmatched:
            out += ["Exclusions that match no sentence:", ""]
            out += [f"- {_cell(t)}" for t in d.unmatched]
    return "\n".join(out).rstrip("\n") + "\n"


def render(report: CoverageReport, fmt: str, *, verbose: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report, verbose=verbose)
