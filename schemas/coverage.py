"""Which sentences of a package's source documents no row quotes.

The documents and the fields quoting them come from ``semicon.provenance``
(:mod:`semicon.schemas.provenance`); the quotes are read from the CSV files with DuckDB.
Every document is split into sentences (:mod:`semicon.schemas.sentences`); a sentence is
*quoted* when the rows' quotes (matched whitespace-insensitively, as the ``quote`` rule
matches them) cover at least ``MIN_OVERLAP`` of its characters, or all of a shorter one.
Sentences left out on purpose are listed, with the reason, in the package's exclusions file
(``semicon.provenance.exclusions``, default ``coverage-exclusions.csv``): columns
``document``, ``sentence`` (the sentence or its beginning) and ``reason``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.model import DescriptorError, Package, Resource, as_package
from semicon.schemas.provenance import Document, Provenance, parse_provenance
from semicon.schemas.sentences import Sentence, normalise, split_sentences
from semicon.schemas.validation.paths import unsafe_reason

#: characters of a sentence the quotes must cover for it to count as quoted
MIN_OVERLAP = 20
DEFAULT_EXCLUSIONS = "coverage-exclusions.csv"
EXCLUSION_FIELDS = ("document", "sentence", "reason")


class CoverageError(Exception):
    """The package cannot be measured (no documents, unreadable file): a one-line message."""


@dataclass(frozen=True)
class RowRef:
    """A row quoting a sentence: its resource, CSV line and primary key values."""

    resource: str
    line: int
    key: tuple[str, ...] = ()


@dataclass
class SentenceCoverage:
    sentence: Sentence
    covered: int = 0
    rows: list[RowRef] = field(default_factory=list)
    reason: str | None = None  # why it is left out, from the exclusions file

    @property
    def quoted(self) -> bool:
        return self.covered >= min(MIN_OVERLAP, len(self.sentence.text))

    @property
    def status(self) -> str:
        if self.quoted:
            return "quoted"
        return "excluded" if self.reason is not None else "missing"


@dataclass
class DocumentCoverage:
    id: str
    title: str
    path: str
    sentences: list[SentenceCoverage]
    #: exclusions of this document that match no sentence (stale entries)
    unmatched: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s in self.sentences if s.status == status)

    @property
    def measured(self) -> int:
        """Sentences not left out: quoted or missing."""
        return self.count("quoted") + self.count("missing")

    @property
    def percent(self) -> float:
        return 100.0 if not self.measured else 100.0 * self.count("quoted") / self.measured


@dataclass
class CoverageReport:
    package: str
    documents: list[DocumentCoverage]
    exclusions_path: str | None = None

    @property
    def percent(self) -> float:
        measured = sum(d.measured for d in self.documents)
        quoted = sum(d.count("quoted") for d in self.documents)
        return 100.0 if not measured else 100.0 * quoted / measured


# ---------------------------------------------------------------------------------------
# matching


def normalised_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace collapsed (as :func:`normalise`) and, for every offset of
    ``text`` (and its end), the offset in the normalised text."""
    out: list[str] = []
    where = [0] * (len(text) + 1)
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            where[i] = len(out)
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        where[i] = len(out)
        out.append(ch)
    where[len(text)] = len(out)
    return "".join(out), where


def occurrences(text: str, quote: str) -> Iterable[tuple[int, int]]:
    """Every ``[start, end)`` of ``quote`` in ``text`` (both normalised)."""
    if not quote:
        return
    start = text.find(quote)
    while start >= 0:
        yield start, start + len(quote)
        start = text.find(quote, start + 1)


def measure(text: str, quotes: Iterable[tuple[str, RowRef]]) -> list[SentenceCoverage]:
    """The sentences of ``text`` with the characters and rows of ``quotes`` covering each."""
    norm, where = normalised_offsets(text)
    sentences = [SentenceCoverage(s) for s in split_sentences(text)]
    spans = [(where[s.sentence.start], where[s.sentence.end]) for s in sentences]
    marks = [False] * len(norm)
    hits: list[tuple[int, int, RowRef]] = []
    for quote, ref in quotes:
        for a, b in occurrences(norm, normalise(quote)):
            hits.append((a, b, ref))
            marks[a:b] = [True] * (b - a)
    prefix = [0]
    for m in marks:
        prefix.append(prefix[-1] + m)
    for sc, (a, b) in zip(sentences, spans, strict=True):
        sc.covered = prefix[b] - prefix[a]
        seen: set[RowRef] = set()
        for qa, qb, ref in hits:
            if min(b, qb) - max(a, qa) > 0 and ref not in seen:
                seen.add(ref)
                sc.rows.append(ref)
    return sentences


# ---------------------------------------------------------------------------------------
# exclusions


def read_exclusions(path: Path) -> list[dict[str, str]]:
    """The rows of an exclusions file (``document``, ``sentence``, ``reason``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CoverageError(f"{path}: cannot be read ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in EXCLUSION_FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise CoverageError(f"{path}: missing column(s) {', '.join(missing)}; "
                            f"expected {', '.join(EXCLUSION_FIELDS)}")
    rows = []
    for line, row in enumerate(reader, start=2):
        sentence, reason = normalise(row.get("sentence") or ""), (row.get("reason") or "").strip()
        if not sentence or not reason:
            raise CoverageError(f"{path}: line {line}: a sentence and a reason are required")
        rows.append({"document": (row.get("document") or "").strip(), "sentence": sentence,
                     "reason": reason})
    return rows


def apply_exclusions(doc: DocumentCoverage, exclusions: list[dict[str, str]]) -> None:
    """Give each sentence the reason of the first exclusion it starts with."""
    for ex in exclusions:
        if ex["document"] not in ("", doc.id):
            continue
        matched = False
        for sc in doc.sentences:
            if sc.sentence.text.startswith(ex["sentence"]):
                matched = True
                if sc.reason is None:
                    sc.reason = ex["reason"]
        if not matched:
            doc.unmatched.append(ex["sentence"])


# ---------------------------------------------------------------------------------------
# reading the package


def _csv_columns(path: Path, columns: list[str]) -> list[tuple[Any, ...]]:
    """``columns`` of every row of a CSV file, as text, with the row's CSV line first."""
    import duckdb

    con = duckdb.connect()
    try:
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        rel = con.execute(
            f"SELECT {cols} FROM read_csv(?, all_varchar = true, header = true, "
            f"auto_detect = true)", [str(path)])
        rows = rel.fetchall()
    except duckdb.Error as exc:
        raise CoverageError(f"{path}: cannot be read ({str(exc).splitlines()[0]})") from None
    finally:
        con.close()
    return [(line, *row) for line, row in enumerate(rows, start=2)]


def _resource_file(resource: Resource) -> Path | None:
    """The resource's one local file inside the package (``None``: inline, remote, multipart
    or unsafe)."""
    paths = resource.paths
    if len(paths) != 1 or unsafe_reason(resource.base_dir, paths[0]):
        return None
    return resource.base_dir / paths[0]


def _documents(package: Package, resources: dict[str, Resource]
               ) -> tuple[Provenance, list[Document]]:
    prov = parse_provenance(package.declarations.get("provenance"), resources)
    if prov is None:
        raise CoverageError("the package declares no source documents "
                            "(semicon.provenance; see docs/declarations.md)")
    rows: list[dict[str, Any]] = []
    table = prov.table
    if table is not None and table.resource in resources:
        res = resources[table.resource]
        file = _resource_file(res)
        names = [table.id, table.path] + ([table.title] if table.title else [])
        if file is not None and set(names) <= set(res.field_names):
            for line, *values in _csv_columns(file, names):
                rows.append({"__line": line, **dict(zip(names, values, strict=True))})
    docs = [d for d in prov.documents_from_rows(rows) if d.path]
    if not docs:
        raise CoverageError("the package declares no source document with a text")
    return prov, docs


def _quotes(prov: Provenance, resources: dict[str, Resource]
            ) -> dict[str, list[tuple[str, RowRef]]]:
    """Per document id, every quote with the row it comes from."""
    fields = {name: res.field_names for name, res in resources.items()}
    out: dict[str, list[tuple[str, RowRef]]] = {}
    for name, q in prov.quoting_fields(fields).items():
        file = _resource_file(resources[name])
        if file is None or not file.is_file():
            continue
        pk = [k for k in resources[name].primary_key if k in fields[name]]
        for line, source, quote, *key in _csv_columns(file, [q.source, q.quote, *pk]):
            if source and quote:
                out.setdefault(source, []).append(
                    (quote, RowRef(name, line, tuple(str(k) for k in key))))
    return out


def _exclusions_file(package: Package, given: Path | None) -> Path | None:
    """The exclusions file: ``given``, else the declared one (or the default) if it exists."""
    if given is not None:
        return given
    base = package.base_dir
    declared = (package.declarations.get("provenance") or {}).get(
        "exclusions") or DEFAULT_EXCLUSIONS
    if unsafe_reason(base, declared):
        raise CoverageError(f"refused exclusions path {declared!r}: "
                            f"{unsafe_reason(base, declared)}")
    path = base / declared
    return path if path.is_file() else None


def coverage(source: Package | Path, exclusions: Path | None = None) -> CoverageReport:
    """Measure every source document of the package at ``source`` (a descriptor or its
    folder, read by the package model: schemas given by path count too), or of the
    package already parsed."""
    try:
        package = as_package(source)
    except DescriptorError as exc:
        raise CoverageError(str(exc)) from None
    if package.errors:
        raise CoverageError(package.errors[0].message)
    base = package.base_dir
    resources = {r.name: r for r in package.resources}
    prov, docs = _documents(package, resources)
    quotes = _quotes(prov, resources)
    excl_path = _exclusions_file(package, exclusions)
    excluded = read_exclusions(excl_path) if excl_path is not None else []
    out: list[DocumentCoverage] = []
    for doc in docs:
        reason = unsafe_reason(base, doc.path or "")
        if reason:
            raise CoverageError(f"refused text path {doc.path!r} of {doc.id}: {reason}")
        try:
            text = (base / str(doc.path)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CoverageError(f"{doc.path}: the text of {doc.id} cannot be read ({exc})"
                                ) from None
        dc = DocumentCoverage(doc.id, doc.title, str(doc.path),
                              measure(text, quotes.get(doc.id, [])))
        apply_exclusions(dc, excluded)
        out.append(dc)
    return CoverageReport(package.name, out,
                          str(excl_path) if excl_path is not None else None)
