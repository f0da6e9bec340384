"""frictionless's descriptor check in a child process, beside the row checks.

Importing frictionless takes about 0.3 s of pure Python, holding the GIL: in a thread it
would slow every DuckDB call of the main thread. A child process has its own interpreter,
so it runs on the other core while DuckDB parses the files. When frictionless is already
imported, or the child cannot run, the check runs in this process instead: the findings are
the same either way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

from .descriptor import metadata_findings
from .findings import Finding


class MetadataCheck:
    """Starts :func:`metadata_findings` on ``data`` in a child; :meth:`result` waits for it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.output: bytes | None = None
        self.proc: subprocess.Popen | None = None
        if "frictionless" in sys.modules:  # already paid for: checking takes milliseconds
            return
        try:
            payload = json.dumps(data).encode()
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
        if self.proc is not None:
            self.thread.join()
            if self.output is not None:
                try:
                    return [Finding(**item) for item in json.loads(self.output)]
                except (ValueError, TypeError):
                    pass
        return metadata_findings(self.data)


def main() -> None:
    """The child: a descriptor as JSON on stdin, its findings as JSON on stdout."""
    data = json.load(sys.stdin)
    json.dump([f.to_dict() for f in metadata_findings(data)], sys.stdout)
