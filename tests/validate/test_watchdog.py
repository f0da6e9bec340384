"""The rules' time limit: one watching thread, not one a statement."""

from __future__ import annotations

import threading

from semicon.schemas.rules.watchdog import Watchdog


def test_a_statement_over_its_limit_is_interrupted():
    stopped = threading.Event()
    dog = Watchdog(stopped.set)
    with dog.limit(0.05):
        assert stopped.wait(10)  # the body runs until the watchdog interrupts it
    assert dog.fired


def test_quick_statements_share_one_thread_that_leaves_when_idle():
    calls: list[int] = []
    dog = Watchdog(lambda: calls.append(1))
    threads = set()
    for _ in range(50):
        with dog.limit(30):
            threads.add(dog._thread)
    assert len(threads) == 1 and not dog.fired and calls == []
    [thread] = threads
    thread.join(timeout=30)  # it leaves a second after the last statement
    assert not thread.is_alive() and dog._thread is None
    with dog.limit(30):  # and a new one watches the next statement
        assert dog._thread is not None and dog._thread is not thread


def test_close_stops_the_thread_at_once():
    dog = Watchdog(lambda: None)
    with dog.limit(30):
        thread = dog._thread
    dog.close()
    assert thread is not None and not thread.is_alive() and dog._thread is None
