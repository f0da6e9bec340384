"""``build_package``: validate, then write DuckDB, Parquet and SQLite, check parity, publish.

Outputs in ``out_dir`` (``<name>`` is the package name):

- ``<name>.duckdb``   typed tables with constraints and comments, views, ``_build``
- ``<name>.db``       SQLite (keys, indexes, views), derived from the DuckDB file: the one
                      released and downloaded, holding the package's tables only
- ``site/<name>.db``  the same file plus FTS5 full-text indexes: the one the site serves
- ``parquet/<table>.parquet``
- ``metadata.json``   Datasette metadata (when ``semicon.build.datasette_metadata`` exists)
- ``build.json``      input hashes and output stats, for the no-op check

Nothing is replaced until every output is written and the parity check has passed.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from semicon.build import data_dictionary as dd
from semicon.build import duckdb_db, parity, sqlite_db
from semicon.build.atomic import (
    BuildLock,
    TempOutputs,
    describe_os_error,
    ensure_dir,
    remove_stale_temps,
)
from semicon.build.datasette_metadata import build_metadata
from semicon.build.errors import BuildError, ValidationFailed
from semicon.build.manifest import (
    MANIFEST_NAME,
    input_hashes,
    output_stats,
    remove_manifest,
    tool_versions,
    up_to_date,
    write_manifest,
)
from semicon.build.package import Package, load_package, unbuildable_reason
from semicon.build.parity_long import with_cells_hash
from semicon.build.parquet_files import write_parquet
from semicon.build.release_time import SourceDateError, release_time_utc
from semicon.build.site import served_database
from semicon.build.sqlite_long import long_table
from semicon.build.views import view_statements
from semicon.schemas.errors import UnusableInput
from semicon.schemas.interrupts import interrupts_held
from semicon.schemas.package import DEFAULT_DESCRIPTOR, DEFAULT_OUT
from semicon.schemas.validation import validate_package


@dataclass
class BuildResult:
    """What a build produced (or found up to date)."""

    package: str
    out_dir: Path
    skipped: bool
    outputs: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "out_dir": str(self.out_dir),
            "skipped": self.skipped,
            "outputs": {k: str(v) for k, v in self.outputs.items()},
            "rows": self.rows,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "content_hashes": self.hashes,
        }


class _Progress:
    """Stage progress on stderr with rich; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )

    def __enter__(self) -> _Progress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()

    @contextmanager
    def stage(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        if not self._progress:
            yield lambda n: None
            return
        task = self._progress.add_task(description, total=total or 1)

        def advance(n: int) -> None:
            self._progress.advance(task, n)

        yield advance
        self._progress.update(task, completed=total or 1)


def _validate(package: Package) -> None:
    """Run the project's validation engine; raise ValidationFailed on any error."""
    report = validate_package(package)
    if not report.valid:
        raise ValidationFailed(report)


def _dictionary(package: Package) -> tuple[list[str], dict[str, str], list[dict]]:
    """``(columns, column_types, rows)`` of ``_data_dictionary``."""
    try:
        rows = dd.data_dictionary_rows(package)
    except Exception as exc:
        raise BuildError(f"building the data dictionary failed: {exc}") from None
    return list(dd.COLUMNS), dict(dd.COLUMN_TYPES), rows


def _stage_csvs(
    con: duckdb.DuckDBPyConnection, package: Package, target: Path, advance: Callable[[int], None]
) -> dict[str, str]:
    """Type every CSV once into ``target``; the staged table name of each resource."""
    stages: dict[str, str] = {}
    for resource in package.load_order:
        try:
            stages[resource.name] = duckdb_db.stage_table(con, resource, target)
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            first = str(exc).splitlines()[0]
            raise BuildError(f"reading {resource.name} failed: {first}") from None
        advance(1)
    return stages


def output_paths(package: Package, out_dir: Path) -> dict[str, Path]:
    paths = {
        "duckdb": out_dir / f"{package.name}.duckdb",
        "sqlite": out_dir / f"{package.name}.db",
        "site_sqlite": served_database(out_dir, package.name),
    }
    for r in package.load_order:
        paths[f"parquet:{r.name}"] = out_dir / "parquet" / f"{r.name}.parquet"
    paths["metadata"] = out_dir / "metadata.json"
    return paths


def _duckdb_error(exc: duckdb.Error, what: str) -> BuildError:
    text = str(exc)
    if "No space left" in text or "disk full" in text.lower():
        return BuildError(f"no space left on device while {what}")
    return BuildError(f"{what} failed: {text.splitlines()[0] if text else type(exc).__name__}")


def _sqlite_error(exc: Exception) -> BuildError:
    text = str(exc)
    if "disk is full" in text or "No space left" in text:
        return BuildError("no space left on device while writing the SQLite file")
    first = text.splitlines()[0] if text else type(exc).__name__
    return BuildError(f"writing the SQLite file failed: {first}")


def build_package(
    descriptor_path: str | Path | Package = DEFAULT_DESCRIPTOR,
    out_dir: str | Path = DEFAULT_OUT,
    *,
    force: bool = False,
    progress: bool = False,
) -> BuildResult:
    """Build every output of the package at ``descriptor_path`` (or already parsed) into
    ``out_dir``.

    Raises ValidationFailed (bad data; nothing written), BuildLocked (another build holds
    ``out_dir``), ParityError or BuildError (previous outputs kept, temp files removed).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    out_dir = Path(out_dir)
    package = load_package(descriptor_path)
    unbuildable = [reason for r in package.tables if (reason := unbuildable_reason(r))]
    if package.errors or unbuildable:
        _validate(package)  # an invalid package is reported as such
        reasons = [*unbuildable, *(p.message for p in package.errors)]
        raise UnusableInput(f"{package.path}: {reasons[0]}")
    if "/" in package.name or package.name in ("", ".", ".."):
        raise BuildError(f"package name {package.name!r} cannot be used as a file name")
    result = BuildResult(package.name, out_dir, skipped=False)
    try:
        inputs = input_hashes(package)
    except OSError as exc:
        raise BuildError(describe_os_error(exc, "reading the package files")) from None
    try:  # `_build.built_at`: never the clock, so the same inputs give the same rows
        when = release_time_utc(package.descriptor)
    except SourceDateError as exc:
        raise BuildError(str(exc)) from None
    built_at = when.isoformat(timespec="seconds") if when else None
    inputs["built_at"] = built_at
    paths = output_paths(package, out_dir)

    if not force and out_dir.is_dir():
        manifest = up_to_date(out_dir, inputs)
        if manifest is not None and all(p.exists() for p in paths.values()):
            result.skipped = True
            result.outputs = paths
            result.rows = manifest.get("rows", {})
            result.hashes = manifest.get("content_hashes", {})
            result.timings = {"total": time.perf_counter() - started}
            return result

    with _Progress(progress) as prog:
        created = not out_dir.exists()
        ensure_dir(out_dir)
        ok = False
        try:
            with BuildLock(out_dir):
                remove_stale_temps(out_dir, out_dir / "parquet")
                temps = TempOutputs()
                try:
                    _build(package, out_dir, paths, inputs, temps, prog, timings, result,
                           built_at)
                    ok = True
                except OSError as exc:
                    what = f"writing the outputs in {out_dir}"
                    raise BuildError(describe_os_error(exc, what)) from None
                except duckdb.Error as exc:
                    raise _duckdb_error(exc, f"writing the outputs in {out_dir}") from None
                finally:
                    temps.discard()
        finally:
            if created and not ok:  # a failed first build leaves no folder behind
                shutil.rmtree(out_dir, ignore_errors=True)
    timings["total"] = time.perf_counter() - started
    result.timings = timings
    result.outputs = paths
    return result


def _build(
    package: Package,
    out_dir: Path,
    paths: dict[str, Path],
    inputs: dict[str, Any],
    temps: TempOutputs,
    prog: _Progress,
    timings: dict[str, float],
    result: BuildResult,
    built_at: str | None,
) -> None:
    # 0. Datasette metadata first: cheap, and a failure there should not waste a build
    try:
        metadata = build_metadata(package)
    except Exception as exc:
        raise BuildError(f"building the Datasette metadata failed: {exc}") from None
    meta_tmp = temps.temp_for(paths["metadata"])
    meta_tmp.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", "utf-8")

    spill = temps.temp_dir(out_dir, "duckdb-spill")
    con = duckdb_db.connect(spill)
    ddb_tmp = temps.temp_for(paths["duckdb"])
    duckdb_db.attach(con, ddb_tmp)

    # 1. validation (the engine of `semicon validate`) runs beside the first read of the
    # CSVs, each CSV typed once into a scratch DuckDB file in the spill folder; both work in
    # DuckDB, which releases the GIL. Nothing outlives a failed validation: every output is
    # still a temporary file, discarded by the caller.
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as pool:
        with interrupts_held():
            validation = pool.submit(_validate, package)
        try:
            with prog.stage("Validating and reading CSVs", len(package.load_order)) as advance:
                stages = _stage_csvs(con, package, spill / "stage.duckdb", advance)
        except Exception:  # a read error of an invalid package (DuckDB's own, e.g. two
            # columns differing only in case) is reported as the invalid package it is
            validation.result()
            raise
        validation.result()
    timings["validate_and_stage_csv"] = time.perf_counter() - t

    # 2. digests of the typed CSV rows: what every output is compared with
    t = time.perf_counter()
    csv_digests = {r.name: parity.digest(con, r, stages[r.name]) for r in package.load_order}
    for r in package.load_order:  # a table SQLite holds in long form: its cells too
        if long_table(r.field_names, r.primary_key) is not None:
            csv_digests[r.name] = with_cells_hash(con, r, stages[r.name], csv_digests[r.name])
    timings["parity_csv"] = time.perf_counter() - t
    rows = {name: d.rows for name, d in csv_digests.items()}
    result.rows = rows
    result.hashes = {name: d.content_hash for name, d in csv_digests.items()}

    tools = tool_versions()
    build_rows = [
        {
            "table_name": name,
            "row_count": d.rows,
            "primary_key_hash": d.primary_key_hash,
            "content_hash": d.content_hash,
            "package_name": package.name,
            "package_version": package.version,
            "tool_versions": tools,
        }
        for name, d in csv_digests.items()
    ]
    views = view_statements(package)
    dictionary = _dictionary(package)

    # 3. three writers side by side (DuckDB and SQLite release the GIL), each reading the
    # staged rows and ending with its parity digest
    parquet_tmp: dict[str, Path] = {}
    (out_dir / "parquet").mkdir(exist_ok=True)
    for r in package.load_order:
        parquet_tmp[r.name] = temps.temp_for(paths[f"parquet:{r.name}"])
    sqlite_tmp = temps.temp_for(paths["sqlite"])
    paths["site_sqlite"].parent.mkdir(exist_ok=True)
    site_sqlite_tmp = temps.temp_for(paths["site_sqlite"])

    def duckdb_job(cur: duckdb.DuckDBPyConnection) -> dict[str, parity.Digest]:
        t = time.perf_counter()
        with prog.stage("DuckDB tables", len(package.load_order)) as advance:
            for resource in package.load_order:
                try:
                    duckdb_db.load_table(cur, resource, stages[resource.name],
                                         package=package)
                except (duckdb.ConstraintException, duckdb.ConversionException,
                        duckdb.InvalidInputException) as exc:
                    first = str(exc).splitlines()[0]
                    raise BuildError(
                        f"loading {resource.name} into DuckDB failed: {first}"
                    ) from None
                advance(1)
        timings["duckdb_load"] = time.perf_counter() - t
        t = time.perf_counter()
        digests = {r.name: parity.duckdb_digest(cur, r) for r in package.load_order}
        timings["parity_duckdb"] = time.perf_counter() - t
        t = time.perf_counter()
        duckdb_db.create_views(cur, views)
        duckdb_db.write_build_table(cur, build_rows, built_at)
        duckdb_db.write_dictionary(cur, *dictionary)
        cur.execute(f"CHECKPOINT {duckdb_db.OUT}")
        timings["duckdb_views"] = time.perf_counter() - t
        return digests

    def parquet_job(cur: duckdb.DuckDBPyConnection) -> dict[str, parity.Digest]:
        t = time.perf_counter()
        with prog.stage("Parquet files", len(package.load_order)) as advance:
            for r in package.load_order:
                write_parquet(cur, r, parquet_tmp[r.name], package)
                advance(1)
        timings["parquet"] = time.perf_counter() - t
        t = time.perf_counter()
        digests = {r.name: parity.parquet_digest(cur, r, parquet_tmp[r.name])
                   for r in package.load_order}
        timings["parity_parquet"] = time.perf_counter() - t
        return digests

    def sqlite_job(cur: duckdb.DuckDBPyConnection) -> dict[str, parity.Digest]:
        t = time.perf_counter()
        with prog.stage("SQLite rows", sum(rows.values())) as advance:
            try:
                sqlite_db.write_sqlite(cur, sqlite_tmp, package, views, build_rows, advance,
                                       sources=stages, dictionary=dictionary, timings=timings)
            except sqlite_db.SQLiteError as exc:
                raise _sqlite_error(exc) from None
        timings["sqlite"] = time.perf_counter() - t
        t = time.perf_counter()
        with prog.stage("Parity: SQLite", len(package.load_order)) as advance:
            digests = {}
            for r in package.load_order:
                try:
                    digests[r.name] = parity.sqlite_digest(cur, r, sqlite_tmp)
                except sqlite_db.SQLiteError as exc:
                    raise _sqlite_error(exc) from None
                advance(1)
        timings["parity_sqlite"] = time.perf_counter() - t
        try:  # the site's copy: the checked file plus its full-text index
            sqlite_db.write_search_copy(sqlite_tmp, site_sqlite_tmp, package,
                                        memory_sorts=max(rows.values(), default=0)
                                        <= sqlite_db.MEMORY_SORT_ROWS, timings=timings)
        except sqlite_db.SQLiteError as exc:
            raise _sqlite_error(exc) from None
        return digests

    def duckdb_then_parquet(cur: duckdb.DuckDBPyConnection):
        return duckdb_job(cur), parquet_job(cur)

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        with interrupts_held():  # every writer thread known to the pool, which waits for it
            sqlite_future = pool.submit(sqlite_job, con.cursor())
            duck_future = pool.submit(duckdb_then_parquet, con.cursor())
        try:
            ddb_digests, parquet_digests = duck_future.result()
            sqlite_digests = sqlite_future.result()
        except BaseException:
            sqlite_future.cancel()
            raise
    parity.compare(
        csv_digests,
        {"duckdb": ddb_digests, "sqlite": sqlite_digests, "parquet": parquet_digests},
    )
    timings["writers_wall"] = time.perf_counter() - t

    con.execute(f"DETACH {duckdb_db.OUT}")
    con.close()

    # 6. publish: manifest removed first, so a kill half-way forces the next build to run
    t = time.perf_counter()
    temps.flush()
    remove_manifest(out_dir)
    temps.commit()
    known = {p.name for k, p in paths.items() if k.startswith("parquet:")}
    for stale in (out_dir / "parquet").glob("*.parquet"):
        if stale.name not in known:
            stale.unlink(missing_ok=True)
    write_manifest(
        out_dir,
        {
            "package": package.name,
            "version": package.version,
            "inputs": inputs,
            "outputs": output_stats(out_dir, list(paths.values())),
            "rows": rows,
            "content_hashes": result.hashes,
            "manifest": MANIFEST_NAME,
        },
    )
    timings["publish"] = time.perf_counter() - t
