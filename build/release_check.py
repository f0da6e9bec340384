"""What `semicon validate` adds for a release folder: checksums and the databases' content.

A release folder (an unzipped ``semicon package`` zip) holds ``SHA256SUMS``. Beside the
package's own validation, it is checked that

- every file ``SHA256SUMS`` lists exists and has that digest (what ``sha256sum -c`` does);
- the DuckDB, SQLite and Parquet files hold the same rows as the CSVs: the build's parity
  check (row count, primary keys and whole rows, hashed per table), run on the files as
  downloaded. This is the content check that stands in for byte equality where bytes
  cannot be reproduced (the DuckDB file).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import duckdb
from semicon.build import duckdb_db, parity
from semicon.build.errors import BuildError
from semicon.build.package import Resource, load_package
from semicon.build.release import SUMS_NAME, build_outputs
from semicon.build.sqlite_db import SQLiteError
from semicon.schemas.errors import UnusableInput
from semicon.schemas.model import Package, as_package
from semicon.schemas.validation.findings import ERROR, Finding

_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
CHUNK = 1 << 20


def is_release(folder: Path) -> bool:
    """Whether ``folder`` looks like an unzipped release (it has SHA256SUMS)."""
    return folder.is_dir() and (folder / SUMS_NAME).is_file()


def release_package(path: Path) -> tuple[Path | Package, Package | None]:
    """What to validate at ``path``, and the parsed package when it is a release.

    A release zip is read by the package model, which extracts it into a temporary folder
    that lives as long as the returned package; the release checks then read that folder.
    Anything else is returned as given, for the validation to read and report on.
    """
    if not (is_release(path) or (path.is_file() and zipfile.is_zipfile(path))):
        return path, None
    try:
        package = as_package(path)
    except UnusableInput:
        return path, None  # the validation reports why it cannot be read
    return (package, package) if is_release(package.base_dir) else (path, None)


def _finding(code: str, message: str, *, path: str | None = None,
             resource: str | None = None) -> Finding:
    return Finding(code=code, severity=ERROR, resource=resource, path=path, line=None,
                   field=None, value=None, message=message)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_findings(folder: Path) -> list[Finding]:
    """Every line of SHA256SUMS checked against the file it names."""
    findings: list[Finding] = []
    try:
        text = (folder / SUMS_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [_finding("checksum-error", f"{SUMS_NAME} cannot be read: {exc}",
                         path=SUMS_NAME)]
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SUM_LINE.match(line)
        if not match:
            findings.append(_finding("checksum-error",
                                     f"{SUMS_NAME} line {number} is not `<sha256>  <path>`",
                                     path=SUMS_NAME))
            continue
        digest, rel = match.groups()
        parts = PurePosixPath(rel).parts
        if rel.startswith("/") or ".." in parts:
            findings.append(_finding("unsafe-path", f"{SUMS_NAME} names {rel!r}, outside the "
                                     "release folder; it is not read", path=rel))
            continue
        target = folder / rel
        if not target.is_file():
            findings.append(_finding("missing-file", f"{rel} is listed in {SUMS_NAME} but "
                                     "missing", path=rel))
        elif _sha256(target) != digest:
            findings.append(_finding("checksum-mismatch", f"{rel} does not match its "
                                     f"{SUMS_NAME} digest: the file was altered or damaged "
                                     "after the release", path=rel))
    return findings


def parity_findings(folder: Path) -> list[Finding]:
    """The DuckDB, SQLite and Parquet files compared with the tables' sources (the CSVs, or
    whatever the package declares), table by table."""
    package = load_package(folder / "datapackage.json")
    outputs = build_outputs(package, folder)
    duckdb_rel = f"{package.name}.duckdb"
    sqlite_rel = f"{package.name}.db"
    missing = [rel for rel, path in outputs.items() if not path.is_file()]
    findings = [_finding("missing-file", f"{rel} is missing from the release", path=rel)
                for rel in missing]
    con = duckdb_db.connect()
    try:
        # each table read and typed as the build read it (any format: CSV, compressed,
        # JSON, spreadsheet, inline data)
        expected = {r.name: parity.csv_digest(con, r) for r in package.load_order}
        others: dict[str, dict[str, parity.Digest]] = {}
        if duckdb_rel not in missing:
            duckdb_db.attach(con, outputs[duckdb_rel], read_only=True)
            others[duckdb_rel] = _digests(con, package.load_order, parity.duckdb_digest)
        if sqlite_rel not in missing:
            others[sqlite_rel] = _digests(
                con, package.load_order,
                lambda c, r: parity.sqlite_digest(c, r, outputs[sqlite_rel]))
        for r in package.load_order:
            rel = f"parquet/{r.name}.parquet"
            if rel not in missing:
                others[rel] = {r.name: parity.parquet_digest(con, r, outputs[rel])}
        for problem in parity.differences(expected, others):
            rel, _, what = problem.partition(": ")
            if rel.startswith("parquet/") and "is missing" in what:
                continue  # a Parquet file holds one table; the others are not in it
            findings.append(_finding("parity-error", f"{rel}: {what}", path=rel))
    finally:
        con.close()
    return findings


def _digests(con: duckdb.DuckDBPyConnection, resources: list[Resource],
             digest: Callable[[duckdb.DuckDBPyConnection, Resource], parity.Digest],
             ) -> dict[str, parity.Digest]:
    """Digest of each table; a table that is missing or unreadable is left out (and then
    reported as missing by :func:`parity.differences`)."""
    out: dict[str, parity.Digest] = {}
    for r in resources:
        with contextlib.suppress(duckdb.Error, SQLiteError):
            out[r.name] = digest(con, r)
    return out


def release_findings(folder: Path) -> list[Finding]:
    """The checksum findings and the content parity findings of a release folder."""
    findings = checksum_findings(folder)
    try:
        findings += parity_findings(folder)
    except (duckdb.Error, OSError, ValueError, BuildError) as exc:
        findings.append(_finding("parity-error", f"the release's databases cannot be "
                                 f"compared with its CSVs: {str(exc).splitlines()[0]}"))
    return findings
