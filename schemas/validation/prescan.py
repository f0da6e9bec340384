"""The byte scans of a package's large CSV files, started before DuckDB is imported.

Every CSV file is read once in Python (size, hash, line count, NUL bytes, encoding: see
:func:`rawscan.scan_file`) beside DuckDB's parse. For a large file that scan is mostly
hashing, which releases the GIL: started as soon as the descriptor is parsed (before the
thread that imports and opens DuckDB, ``engine._scans_ahead``), it runs on the other core
while the interpreter imports DuckDB and the run's modules and checks the descriptor,
instead of competing with DuckDB's threads for the cores during the load. One thread
scans the files in resource order; small files (the everyday package) are scanned by the
loader as before, with no thread started for them. A large file's declared hash is
computed apart, at the lowest priority (:mod:`.digests`), and compared last.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import rawscan
from .digests import IdleDigest
from .sources import CSV_FORMATS, compression_of, read_encoding, table_format

if TYPE_CHECKING:
    from semicon.schemas.model import Package, Resource

    from .findings import Finding

#: files from this size on are scanned ahead
AHEAD_BYTES = 4 << 20
#: bytes between the sample lines that check DuckDB kept the file's row order
SAMPLE_EVERY = 1 << 20


@dataclass(frozen=True)
class ScanJob:
    """What a scan reads and computes; a loader's request matches it or not at all."""

    file: Path
    hashes: tuple[str, ...]
    encoding: str
    sample_every: int


def scan_options(res: Resource) -> tuple[tuple[str, ...], str]:
    """The hash algorithms to compute and the encoding to check for a resource's file."""
    algo, _ = parse_hash(res.get("hash"))
    encoding = read_encoding(res)[0].lower().replace("_", "-")
    return ((algo,) if algo else ()), encoding


def parse_hash(value: object) -> tuple[str | None, str | None]:
    """``md5:<hex>``, ``sha256:<hex>`` or a bare md5 -> (algorithm, digest); else Nones."""
    if not isinstance(value, str) or not value:
        return None, None
    if ":" in value:
        algo, digest = value.split(":", 1)
    else:
        algo, digest = "md5", value
    algo = algo.lower()
    if algo not in ("md5", "sha256"):
        return None, None
    return algo, digest.lower()


@dataclass
class Prescan:
    """Scans running ahead in one thread; :meth:`take` waits for the one asked for."""

    jobs: list[ScanJob] = field(default_factory=list)
    _done: dict[ScanJob, threading.Event] = field(default_factory=dict)
    _results: dict[ScanJob, rawscan.RawScan | None] = field(default_factory=dict)
    _cancelled: bool = False
    #: each file's declared hash, computed apart at the lowest priority (:mod:`.digests`)
    _digests: dict[ScanJob, IdleDigest] = field(default_factory=dict)
    #: the comparisons with those hashes, made once everything else is checked
    _late: list[Callable[[], list[Finding]]] = field(default_factory=list)

    @classmethod
    def start(cls, package: Package, sample_every: int) -> Prescan:
        """Start scanning the package's large, plain, local CSV files (if any)."""
        ahead = cls(jobs=[job for res in package.resources
                          if (job := _job(res, sample_every)) is not None])
        if ahead.jobs:
            ahead._done = {job: threading.Event() for job in ahead.jobs}
            ahead._digests = {job: IdleDigest(job.file, job.hashes)
                              for job in ahead.jobs if job.hashes}
            threading.Thread(target=ahead._run, name="semicon-prescan", daemon=True).start()
        return ahead

    def digest(self, job: ScanJob) -> IdleDigest | None:
        """The hashes of ``job``'s file being computed apart (its scan has none)."""
        return self._digests.get(job)

    def compare_later(self, compare: Callable[[], list[Finding]]) -> None:
        """Make ``compare`` (which asks :meth:`digest`'s result) when :meth:`late_findings`
        is asked for."""
        self._late.append(compare)

    def late_findings(self) -> list[Finding]:
        """The findings of the comparisons left for last (waiting for their hashes)."""
        found: list[Finding] = []
        while self._late:
            found += self._late.pop(0)()
        return found

    def take(self, job: ScanJob) -> rawscan.RawScan | None:
        """The scan of ``job`` once finished; None when it was not scanned ahead (or failed)."""
        done = self._done.get(job)
        if done is None:
            return None
        done.wait()
        return self._results.pop(job, None)

    def cancel(self) -> None:
        """Stop reading (the validation ended before needing the scans)."""
        self._cancelled = True
        for digest in self._digests.values():
            digest.cancel()

    def __enter__(self) -> Prescan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def _run(self) -> None:
        for job in self.jobs:
            try:
                if not self._cancelled:
                    hashes = () if job in self._digests else job.hashes
                    self._results[job] = rawscan.scan_file(
                        job.file, hashes=hashes, encoding=job.encoding,
                        sample_every=job.sample_every, on_block=self._check_cancelled)
            except Exception:  # the loader scans the file itself instead
                self._results[job] = None
            finally:
                self._done[job].set()

    def _check_cancelled(self, _n: int) -> None:
        if self._cancelled:
            raise _Cancelled


class _Cancelled(Exception):
    pass


def _job(res: Resource, sample_every: int) -> ScanJob | None:
    """The scan a resource's file will need, when it is a large, plain, local CSV file."""
    if not res.tabular or res.inline or res.remote or len(res.paths) != 1:
        return None
    fmt = table_format(res)
    if (fmt not in CSV_FORMATS and fmt != "") or compression_of(res, res.paths[0]):
        return None
    file = res.files[0]
    try:
        if not file.is_file() or file.stat().st_size < AHEAD_BYTES:
            return None
    except OSError:
        return None
    hashes, encoding = scan_options(res)
    return ScanJob(file=file, hashes=hashes, encoding=encoding, sample_every=sample_every)
