"""A time limit on statements: one thread that interrupts the connection when a statement
outlives its limit.

A ``threading.Timer`` per statement starts a thread per statement, which costs more than
the statements of a small package; this thread is started once and leaves after a second
without a statement to watch, or when :meth:`Watchdog.close` is called (it holds the
connection: it must not outlive it).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

#: seconds the thread waits for a next statement before it leaves
IDLE = 1.0


class Watchdog:
    """Calls ``interrupt`` when the statement run under :meth:`limit` takes too long."""

    def __init__(self, interrupt: Callable[[], None]) -> None:
        self._interrupt = interrupt
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self.fired = False

    @contextlib.contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        """Run the body with a time limit; :attr:`fired` says whether it was interrupted."""
        with self._cond:
            self.fired = False
            self._deadline = time.monotonic() + seconds
            if self._thread is None:
                self._closing = False
                self._thread = threading.Thread(target=self._watch, daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._deadline = None
                self._cond.notify()

    def close(self) -> None:
        """Stop the thread (a later :meth:`limit` starts another)."""
        with self._cond:
            thread = self._thread
            self._closing = True
            self._cond.notify()
        if thread is not None:
            thread.join()

    def _watch(self) -> None:
        with self._cond:
            while True:
                if self._closing:
                    self._thread = None
                    return
                if self._deadline is None:
                    if not self._cond.wait(IDLE) and self._deadline is None:
                        self._thread = None  # idle: leave; the next limit starts another
                        return
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._deadline = None
                self.fired = True
                self._interrupt()
