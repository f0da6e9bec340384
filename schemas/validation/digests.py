"""A large file's declared hash, computed on cores the validation leaves idle.

A declared ``md5`` of a 100 MB file costs 0.14 s of one core, a tenth of a 1M-row
validation's CPU, and nothing else waits for it: only its finding, reported with the
others at the end. :class:`IdleDigest` hashes the file in a thread at the lowest CPU
priority (nice 19 on Linux), so that it runs where a core would idle (while the
interpreter starts, at the end of DuckDB's load, during the statements that follow it
one at a time) instead of taking a core from DuckDB's load. When the digest is asked
for, the thread stops after its current block and the caller hashes what is left at
its own priority: on a machine busy with other work the hash is never starved.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from pathlib import Path

#: bytes hashed at a time: the most the caller may wait for the thread to finish
BLOCK = 1 << 20
#: the nice value of the hashing thread (the lowest priority)
LOWEST = 19


class IdleDigest:
    """The hex digests of ``path`` by each algorithm of ``hashes`` (``hashlib`` names)."""

    def __init__(self, path: Path, hashes: tuple[str, ...]) -> None:
        self._path = path
        self._hashers = {name: hashlib.new(name) for name in hashes}
        self._offset = 0  # bytes hashed so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="semicon-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        _lower_priority()
        try:
            with self._path.open("rb", buffering=0) as fh:
                self._hash(fh, stop=self._stop)
        except OSError:  # read again by result(), which reports what fails
            return

    def _hash(self, fh: object, *, stop: threading.Event | None = None) -> None:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while stop is None or not stop.is_set():
            n = fh.readinto(buffer)  # type: ignore[attr-defined]
            if not n:
                return
            for h in self._hashers.values():
                h.update(view[:n])  # hashlib releases the GIL on buffers this size
            self._offset += n

    def result(self) -> dict[str, str]:
        """The digests: the thread stops after its block, the rest is hashed here."""
        self.cancel()
        with self._path.open("rb", buffering=0) as fh:
            fh.seek(self._offset)
            self._hash(fh)
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
