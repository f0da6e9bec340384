"""``semicon validate`` beside ``frictionless validate`` on frictionless-py's own fixtures.

    python benchmarks/compat.py --fixtures /path/to/frictionless-py > docs/compat.md

``--fixtures`` is a checkout of frictionless-py (its ``data/`` folder is read). Every package
descriptor (JSON, YAML or zip with ``resources``) and every CSV file under ``data/`` is
validated by ``semicon validate`` as a separate process (so that a crash or a hang shows)
and by frictionless in this process, from the checkout's root (as frictionless's own tests
do), each with a time limit. The Markdown written to standard output has one row
a fixture: both verdicts and finding codes, and for every difference its reason: one of
:data:`REASONS` (semicon's deliberate behaviour), or "unexplained".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

#: codes semicon reports for what frictionless reads without complaint (docs/validate.md)
BEYOND_FRICTIONLESS = {
    "formula-injection": "a text cell a spreadsheet would run as a formula",
    "unterminated-quote": "a quoted cell never closed (frictionless reads the rest as one cell)",
    "nul-byte": "NUL bytes in the file",
    "encoding-error": "bytes not valid in the declared encoding",
    "html-file": "an HTML page saved as CSV",
    "case-duplicate-label": "header labels differing only in case",
}

#: frictionless's guesses where a dialect declares nothing (semicon reads the v2 defaults)
GUESSED_DIALECT = ("frictionless guesses the delimiter (csv.Sniffer) and the header row (the "
                   "first row about as wide as the average) where the dialect declares none; "
                   "semicon reads the Data Package defaults (comma, header on line 1)")
NO_JSON_PLUGIN = ("frictionless cannot read JSON or NDJSON tables without its optional "
                  "plugin (`frictionless[json]`, not installed here); semicon reads them")

EMPTY_RESOURCES = ("an empty `resources` list: the Data Package profile asks for at least "
                   "one resource (frictionless 5 accepts none)")

#: fixture -> why semicon's verdict differs from frictionless's, on purpose
REASONS: dict[str, str] = {
    "data/jsonl.datapackage.json": NO_JSON_PLUGIN,
    "data/ndjson.datapackage.json": NO_JSON_PLUGIN,
    "data/issue-1293/datapackage.json": NO_JSON_PLUGIN,
    "data/catalog/package1.yaml": EMPTY_RESOURCES,
    "data/catalog/package2.yaml": EMPTY_RESOURCES,
    "data/[table].csv": ("frictionless takes the brackets of the file name for a glob "
                         "pattern and finds no file; semicon reads the file"),
}

#: fixture -> why both say invalid with different codes, on purpose
CODE_REASONS: dict[str, str] = {
    "data/multiple-folders.package.json": GUESSED_DIALECT,
}

#: semicon's verdicts that are refusals by design rather than data findings
REFUSALS = {
    "unsafe-path": "paths leaving the package folder or remote ones are refused before "
                   "anything is read (frictionless follows them)",
    "unsupported-resource": "a format semicon does not read (ODS, XLS, ...) is refused in one "
                            "line instead of read",
}


@dataclass
class Verdict:
    """One tool's verdict on one fixture."""

    status: str  # valid, invalid, unusable, crash, timeout
    codes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def descriptors(data: Path) -> list[Path]:
    """Package descriptors under ``data/``: JSON/YAML objects with ``resources``, zips."""
    out = []
    for path in sorted(data.rglob("*")):
        if not path.is_file() or "package" not in path.name.lower():
            continue
        suffix = path.suffix.lower()
        try:
            if suffix == ".zip":
                with zipfile.ZipFile(path) as zf:
                    if any(n.endswith("datapackage.json") for n in zf.namelist()):
                        out.append(path)
            elif suffix == ".json":
                if "resources" in json.loads(path.read_text(encoding="utf-8")):
                    out.append(path)
            elif suffix in (".yaml", ".yml"):
                import yaml

                if "resources" in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}):
                    out.append(path)
        except Exception:  # not a descriptor (or not readable): not listed
            continue
    return out


def csv_files(data: Path) -> list[Path]:
    return sorted(p for p in data.rglob("*.csv") if p.is_file())


def run(cmd: list[str], cwd: Path, timeout: float) -> tuple[int | None, str, str, float]:
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "NO_COLOR": "1"}, check=False)
    except subprocess.TimeoutExpired:
        return None, "", "", time.perf_counter() - started
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started


def semicon_verdict(target: str, root: Path, timeout: float) -> Verdict:
    semicon = str(Path(sys.executable).with_name("semicon"))
    rc, out, err, secs = run([semicon, "validate", target, "--format", "json", "-q"], root,
                             timeout)
    if rc is None:
        return Verdict("timeout", seconds=secs)
    if rc not in (0, 1, 2) or "Traceback" in err or "internal error" in err:
        return Verdict("crash", seconds=secs, note=(err or out).strip().splitlines()[-1:][0]
                       if (err or out).strip() else f"exit {rc}")
    try:
        report = json.loads(out)
    except ValueError:
        return Verdict("crash", seconds=secs, note="no JSON report")
    codes = sorted({f["code"] for f in report["findings"] if f["severity"] == "error"})
    status = {0: "valid", 1: "invalid", 2: "unusable"}[rc]
    first = next((f["message"] for f in report["findings"] if f["severity"] == "error"), "")
    return Verdict(status, codes, secs, first)


def frictionless_verdict(target: str, root: Path, timeout: float) -> Verdict:
    """frictionless in this process (its import paid once), from ``root``, time-limited."""
    import signal

    import frictionless

    def expired(*_: object) -> None:
        raise TimeoutError

    previous = os.getcwd()
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.perf_counter()
    try:
        os.chdir(root)
        report = frictionless.validate(target)
    except TimeoutError:
        return Verdict("timeout", seconds=time.perf_counter() - started)
    except Exception as exc:  # frictionless itself failed on the fixture
        return Verdict("crash", seconds=time.perf_counter() - started, note=repr(exc)[:200])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(previous)
    codes = {e.type for e in report.errors}
    for task in report.tasks:
        codes |= {e.type for e in task.errors}
    return Verdict("valid" if report.valid else "invalid", sorted(codes),
                   time.perf_counter() - started)


def explain(fixture: str, ours: Verdict, theirs: Verdict) -> str:
    """Why the verdicts differ ("" when they agree)."""
    if ours.ok == theirs.ok and ours.status not in ("crash", "timeout"):
        if not ours.ok and ours.codes != theirs.codes and fixture in CODE_REASONS:
            return "same verdict; codes differ: " + CODE_REASONS[fixture]
        return ""
    if ours.status in ("crash", "timeout"):
        return f"unexplained: semicon {ours.status}"
    if fixture in REASONS:
        return REASONS[fixture]
    extra = set(ours.codes) - set(theirs.codes)
    if not ours.ok and extra and extra <= set(BEYOND_FRICTIONLESS):
        return "deliberate: " + "; ".join(BEYOND_FRICTIONLESS[c] for c in sorted(extra))
    if not ours.ok and extra and extra <= set(REFUSALS) | set(BEYOND_FRICTIONLESS):
        return "deliberate: " + "; ".join(
            REFUSALS.get(c) or BEYOND_FRICTIONLESS[c] for c in sorted(extra))
    return "unexplained"


def compare(targets: list[tuple[str, str]], root: Path, timeout: float) -> list[dict]:
    rows = []
    for kind, target in targets:
        ours = semicon_verdict(target, root, timeout)
        theirs = frictionless_verdict(target, root, timeout)
        rows.append({"kind": kind, "fixture": target, "semicon": ours, "frictionless": theirs,
                     "reason": explain(target, ours, theirs)})
        print(f"{target}: semicon {ours.status} {ours.codes} / frictionless "
              f"{theirs.status} {theirs.codes}", file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    def cell(v: Verdict) -> str:
        codes = ", ".join(f"`{c}`" for c in v.codes)
        return f"{v.status}" + (f" ({codes})" if codes else "")

    agree = sum(1 for r in rows if r["semicon"].ok == r["frictionless"].ok
                and r["semicon"].status not in ("crash", "timeout"))
    crashes = [r for r in rows if r["semicon"].status in ("crash", "timeout")]
    unexplained = [r for r in rows if r["reason"].startswith("unexplained")]
    lines = [
        "# Compatibility with frictionless-py's fixtures",
        "",
        "Generated by `python benchmarks/compat.py --fixtures <frictionless-py checkout> > "
        "docs/compat.md`: every package descriptor and every CSV file under frictionless-py's "
        "`data/` folder, validated by `semicon validate` and by `frictionless validate` "
        "(5.21), from the checkout's root, each with a time limit of 60 s (semicon as its own "
        "process, so that a crash or a hang would show). "
        "\"valid\" / \"invalid\" / \"unusable\" are semicon's exit codes 0 / 1 / 2; "
        "frictionless says valid or invalid.",
        "",
        f"{len(rows)} fixtures: same verdict on {agree}; {len(rows) - agree} differ, "
        f"{len(unexplained)} of them unexplained; {len(crashes)} crash or time-out of "
        "semicon.",
        "",
        "| fixture | semicon | frictionless | why they differ |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| `{r['fixture']}` | {cell(r['semicon'])} | {cell(r['frictionless'])} "
                     f"| {r['reason']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, required=True,
                        help="a frictionless-py checkout (its data/ folder is read)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", choices=("descriptors", "csv"), default=None)
    args = parser.parse_args()
    root = args.fixtures.resolve()
    data = root / "data"
    targets: list[tuple[str, str]] = []
    if args.only in (None, "descriptors"):
        targets += [("descriptor", p.relative_to(root).as_posix()) for p in descriptors(data)]
    if args.only in (None, "csv"):
        targets += [("csv", p.relative_to(root).as_posix()) for p in csv_files(data)]
    sys.stdout.write(markdown(compare(targets, root, args.timeout)))


if __name__ == "__main__":
    main()
