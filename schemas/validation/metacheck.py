"""frictionless's descriptor check: kept from an earlier run, else in a child process.

Importing frictionless and setting up its checks takes about 0.4 s of pure Python for
about 10 ms of work. The findings on a descriptor are kept (:mod:`.verdicts`), so an
unchanged descriptor costs a file read. Otherwise the check runs in a child process, which
has its own interpreter and so runs on the other core while DuckDB parses the files (in a
thread, holding the GIL, it would slow every DuckDB call of the main thread). When
frictionless is already imported, or the child cannot run, the check runs in this process
instead: the findings are the same either way.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import descriptor
from .descriptor import metadata_findings
from .findings import Finding
from .verdicts import Verdict

if TYPE_CHECKING:  # pragma: no cover
    import subprocess


class MetadataCheck:
    """Starts :func:`metadata_findings` on ``data``; :meth:`result` gives its findings."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.output: bytes | None = None
        self.proc: subprocess.Popen | None = None
        self.verdict: Verdict | None = None
        self.kept: list[Finding] | None = None
        if "frictionless" in sys.modules:  # already paid for: checking takes milliseconds
            return
        self.verdict = Verdict("frictionless-profile", data,
                               code=[Path(descriptor.__file__)], libraries=["frictionless"])
        self.kept = self.verdict.recall()
        if self.kept is None:
            self._start_child()

    def _start_child(self) -> None:
        import subprocess  # only here: 3 ms of imports a run whose check is kept never needs

        try:
            payload = json.dumps(self.data).encode()
            self.proc = subprocess.Popen(
                [sys.executable, "-c", f"from {__name__} import main; main()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except (OSError, ValueError, TypeError):
            self.proc = None
            return
        self.thread = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self.thread.start()

    def _talk(self, payload: bytes) -> None:
        assert self.proc is not None
        try:
            out, _ = self.proc.communicate(payload)
        except OSError:
            return
        if self.proc.returncode == 0:
            self.output = out

    def result(self) -> list[Finding]:
        if self.kept is not None:
            return list(self.kept)
        found = self._child_result()
        if found is None:
            found = metadata_findings(self.data)
        if self.verdict is not None:
            self.verdict.keep(found)
        self.kept = found
        return list(found)

    def _child_result(self) -> list[Finding] | None:
        if self.proc is None:
            return None
        self.thread.join()
        if self.output is None:
            return None
        try:
            return [Finding(**item) for item in json.loads(self.output)]
        except (ValueError, TypeError):
            return None


def main() -> None:
    """The child: a descriptor as JSON on stdin, its findings as JSON on stdout."""
    data = json.load(sys.stdin)
    json.dump([f.to_dict() for f in metadata_findings(data)], sys.stdout)
