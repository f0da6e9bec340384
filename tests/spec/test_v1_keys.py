"""Keys in their v1 string form (which v2 requires consumers to accept) pass the profile
check and are checked like lists."""

from __future__ import annotations

from semicon.schemas.validation import validate_package

from tests.validate.conftest import write_package


def test_string_keys(tmp_path):
    fields = [{"name": "id", "type": "integer"}, {"name": "parent", "type": "integer"}]
    schema = {"fields": fields, "primaryKey": "id",
              "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}
    res = {"name": "t", "path": "data/t.csv", "schema": schema}
    pkg = write_package(tmp_path, [res], {"data/t.csv": "id,parent\n1,\n2,1\n2,9\n"})
    report = validate_package(pkg)
    assert [(f.code, f.line, f.field, f.value) for f in report.findings] == [
        ("primary-key", 4, "id", "2"),
        ("foreign-key", 4, "parent", "9"),
    ]
