"""frictionless's descriptor check in a child process gives the in-process findings."""

from __future__ import annotations

import json
import subprocess
import sys

from semicon.schemas.validation.descriptor import metadata_findings

DESCRIPTOR = {
    "name": "demo",
    "resources": [{"name": "t", "path": "data/t.csv", "schema": {"fields": [
        {"name": "id", "type": "no-such-type"}]}}],
}

_CHILD = """
import json, sys
from semicon.schemas.validation.metacheck import MetadataCheck
check = MetadataCheck(json.loads(sys.argv[1]))
findings = [f.to_dict() for f in check.result()]
print(json.dumps({"child": check.proc is not None,
                  "frictionless_here": "frictionless" in sys.modules,
                  "findings": findings}))
"""


def test_child_process_finds_what_frictionless_finds_in_process():
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(DESCRIPTOR)],
                         capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["child"] is True
    assert got["frictionless_here"] is False  # the check ran in the child
    expected = [f.to_dict() for f in metadata_findings(DESCRIPTOR)]
    assert [f["code"] for f in expected] == ["field-error"]
    assert got["findings"] == expected


def test_package_names_load_on_first_use():
    code = ("import sys, semicon.schemas.validation as v; "
            "assert 'semicon.schemas.validation.engine' not in sys.modules; "
            "print(sorted(n for n in v.__all__ if getattr(v, n) is not None))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    import semicon.schemas.validation as v

    assert out.stdout.strip() == str(sorted(v.__all__))
