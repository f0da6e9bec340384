"""A large file's declared hash, computed where DuckDB's load leaves a core idle.

A declared ``md5`` of a 100 MB file costs 0.14 s of one core, a tenth of a 1M-row
validation's CPU, and nothing waits for it but its finding, reported with the others at
the end. :class:`IdleDigest` hashes the file in a thread at the lowest CPU priority
(nice 19 on Linux) while the interpreter starts and DuckDB loads the file: it takes the
core the start leaves idle, and no core from the load. Once the table is stored
(:meth:`IdleDigest.hurry`), the rest is hashed at normal priority beside the
statements and checks that follow, which leave a core idle more often than not; left at
the lowest priority it would wait for the end of the run, where nothing runs beside it
(10M rows: 0.7 s slower). Asked for (:meth:`IdleDigest.result`), the thread stops after
its current block and the caller hashes what is left.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import BinaryIO

#: bytes hashed at a time: the most the caller may wait for the thread to finish
BLOCK = 1 << 20
#: the nice value of the hashing thread until the table is stored (the lowest priority)
LOWEST = 19


class IdleDigest:
    """The hex digests of ``path`` by each algorithm of ``hashes`` (``hashlib`` names)."""

    def __init__(self, path: Path, hashes: tuple[str, ...]) -> None:
        self._path = path
        self._hashers = {name: hashlib.new(name) for name in hashes}
        self._offset = 0  # bytes hashed so far
        self._stop = threading.Event()
        self._thread = self._start(lowest=True)

    def _start(self, *, lowest: bool) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(self._stop, lowest), daemon=True,
                                  name="semicon-digest")
        thread.start()
        return thread

    def _run(self, stop: threading.Event, lowest: bool) -> None:
        if lowest:
            _lower_priority()
        with contextlib.suppress(OSError):  # read again by result(), which says what fails
            self._hash_rest(stop)

    def _hash_rest(self, stop: threading.Event | None = None) -> None:
        with self._path.open("rb", buffering=0) as fh:
            fh.seek(self._offset)
            self._hash(fh, stop)

    def _hash(self, fh: BinaryIO, stop: threading.Event | None) -> None:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while stop is None or not stop.is_set():
            n = fh.readinto(buffer)
            if not n:
                return
            for h in self._hashers.values():
                h.update(view[:n])  # hashlib releases the GIL on buffers this size
            self._offset += n

    def hurry(self) -> None:
        """Hash the rest at normal priority, in a thread of its own (a thread started
        here has the caller's priority: no permission is needed to raise it back)."""
        if not self._thread.is_alive():
            return
        self.cancel()
        self._stop = threading.Event()
        self._thread = self._start(lowest=False)

    def result(self) -> dict[str, str]:
        """The digests: the thread stops after its block, the rest is hashed here."""
        self.cancel()
        self._hash_rest()
        return {name: h.hexdigest() for name, h in self._hashers.items()}

    def cancel(self) -> None:
        """Stop hashing (after the current block) and wait for the thread."""
        self._stop.set()
        self._thread.join()


def _lower_priority() -> None:
    """Give the calling thread the lowest CPU priority. Linux sets a thread's own nice
    value by its thread id; elsewhere that would be the whole process, left as it is."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST)
