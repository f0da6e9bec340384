"""``semicon validate --engine spark``: the same findings as the DuckDB engine, counted.

One Spark session (``local[2]``, the ``spark`` fixture of conftest.py) serves every Spark
test: starting one takes about 10 s. Skipped only where Java or the ``spark`` extra is
missing and CI is not the caller (CI installs both, so there a missing one fails).
"""

from __future__ import annotations

import collections
import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli
from semicon.schemas.validation import validate_package

from benchmarks.synthetic import write_package

from .sparkenv import extra_missing, require


def test_a_local_session_gets_a_heap_for_millions_of_rows(spark):
    """Spark's default 1 GB heap ran out ("Java heap space") caching the 10M-row benchmark
    package on local[2]: a local session gets a larger one unless SPARK_DRIVER_MEMORY,
    Spark's own setting, is given."""
    from semicon.schemas.validation.spark.session import LOCAL_DRIVER_MEMORY

    if os.environ.get("SPARK_DRIVER_MEMORY"):
        pytest.skip("SPARK_DRIVER_MEMORY chooses the heap here")
    assert spark.sparkContext.getConf().get("spark.driver.memory") == LOCAL_DRIVER_MEMORY


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """The synthetic package with one row in 12 spoilt (every kind of the generator),
    plus what it does not make: a blank row, a repeated unique value, a repeated unique
    key, an empty primary key, a wrong header label, a foreign key across files and
    integers beyond 64 bits."""
    folder = tmp_path_factory.mktemp("seeded")
    descriptor = write_package(folder, 480, bad_every=12, with_hash=False)
    data = json.loads(descriptor.read_text())
    sources = data["resources"][0]["schema"]
    sources["fields"][1]["constraints"]["unique"] = True
    # a unique key of two fields (v2): rows with an empty cell in it are not compared
    data["resources"][1]["schema"]["uniqueKeys"] = [["source_id", "announced_on"]]
    descriptor.write_text(json.dumps(data), encoding="utf-8")
    src = folder / "data" / "sources.csv"
    text = src.read_text().replace("published_on", "Published_On", 1)
    src.write_text(text + "S900,Kamerbrief 3,2024-01-15\n")
    with (folder / "data" / "allocations.csv").open("a") as fh:
        fh.write(",,,,,,,,,\n")
        fh.write(",S001,5,EUR,committed,No key,2024-01-01,2024,2025,0.5\n")
        # integers beyond 64 bits: valid, and compared with the minimum all the same
        fh.write("FA-9999998,S001,123456789012345678901234,EUR,committed,Huge,"
                 "2024-01-01,2024,2025,0.5\n")
        fh.write("FA-9999997,S001,-123456789012345678901234,EUR,committed,Below,"
                 "2024-01-01,2024,2025,0.5\n")
    _add_kinds(folder, descriptor)
    return descriptor


#: a resource of every type that is not text, number, date or boolean (one row a line:
#: valid cells, cells of the wrong format, cells breaking a constraint)
KINDS_FIELDS = [
    {"name": "id", "type": "string"},
    {"name": "t", "type": "time", "constraints": {"minimum": "08:00:00", "unique": True}},
    {"name": "ym", "type": "yearmonth", "constraints": {"enum": ["2024-01", "2024-02"]}},
    {"name": "du", "type": "duration"},
    {"name": "gp", "type": "geopoint"},
    {"name": "ga", "type": "geopoint", "format": "array"},
    {"name": "go", "type": "geopoint", "format": "object"},
    {"name": "gj", "type": "geojson"},
    {"name": "ob", "type": "object", "constraints": {"required": True}},
    # a length on a type that is not text or a list is not checked (by either engine)
    {"name": "ar", "type": "array", "constraints": {"maxLength": 1}},
    {"name": "li", "type": "list", "itemType": "integer",
     "constraints": {"minLength": 2, "maxLength": 3}},
    {"name": "ls", "type": "list", "delimiter": ";", "constraints": {"required": True}},
    {"name": "tl", "type": "list", "itemType": "time"},
    # text a spreadsheet would run: a number is not a formula, '-inf' or '+1_0' is
    {"name": "tx", "type": "string"},
]
KINDS_ROWS = [
    ["K1", "12:00:00", "2024-01", "P1D", "5.1, 52.3", "[5.1, 52.3]",
     '{"lon":5.1,"lat":52.3}', '{"type":"Point","coordinates":[5.1,52.3]}', '{"a":1}',
     "[1,2]", "1,2", "a;b;", "12:00:00,13:00:00Z", "-5"],
    ["K2", "12:00:00+01", "2024-02", "PT1H", "-180,-90", '["5","6"]', '{"lat":6,"lon":5}',
     '{"type":"FeatureCollection","features":[]}', '{"a":1,"a":2}', "[1,2,]", "1,2,3", "c",
     "08:00:00", "-inf"],
    ["K3", "25:00:00", "2024-13", "P", "181,0", "[181,0]", '{"lon":5}', '{"type":"Foo"}',
     "[1]", '{"a":1}', "1,x", "a;b", "12:00,x", "+1_0"],
    ["K4", "07:59:59", "2024-03", "P2D", "5,6", "[5,6]", '{"lon":5,"lat":6}',
     '{"type":"Point"}', "", "[]", "1", "a", "12:00:00", "=1+1"],
    ["K5", "12:00:00Z", "2024-01", "P1Y2M3W4DT5H6M7S", "5,6", "[5,6]", '{"lon":5,"lat":6}',
     '{"type":"Topology"}', "{}", "[]", "1,2,3,4", "", "", "+1.5e3"],
    ["K6", "11:00:00Z", "2024-1", "PT", "nan,0", "[5,6]x", '{"lon":5,"lat":6,}', "[1]",
     '{"a":1}x', "[nan]", "01, 2", "c;d", "1:2:3", "- bullet"],
    ["K7", "08:30:00+01", "2024-02", "-P1D", "5,6,7", "[5]", '{"lon":5,"lon":6}',
     '{"type":"Point"} ', "[]", "{}", "1,,2", "c", "23:59:60", "@x"],
]


def _add_kinds(folder: Path, descriptor: Path) -> None:
    data = json.loads(descriptor.read_text())
    data["resources"].append({"name": "kinds", "path": "data/kinds.csv", "format": "csv",
                              "schema": {"fields": KINDS_FIELDS, "primaryKey": ["id"]}})
    descriptor.write_text(json.dumps(data), encoding="utf-8")
    with (folder / "data" / "kinds.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [[f["name"] for f in KINDS_FIELDS], *KINDS_ROWS])


def _counts(findings) -> dict[tuple, int]:
    out: collections.Counter = collections.Counter()
    for f in findings:
        out[(f.resource, f.field, f.code)] += f.count
    return dict(out)


def test_spark_finds_what_duckdb_finds_with_the_same_counts(spark, seeded):
    from semicon.schemas.validation.spark import validate_package_spark

    duck = validate_package(seeded)
    on_spark = validate_package_spark(seeded, spark=spark)
    codes = {f.code for f in duck.findings}
    # every kind the generator makes, and the ones added above, are there
    assert {"type-error", "constraint-error", "primary-key", "foreign-key", "missing-cell",
            "extra-cell", "blank-row", "unique-error", "incorrect-label", "formula-injection",
            "range-order"} <= codes
    # every type that is not text is checked: valid cells, bad formats, constraints
    kinds = {(f.field, f.code) for f in duck.findings if f.resource == "kinds"}
    assert {(f["name"], "type-error") for f in KINDS_FIELDS[1:-1]} - {
        ("ls", "type-error")} <= kinds
    assert {("t", "constraint-error"), ("t", "unique-error"), ("ym", "constraint-error"),
            ("ob", "constraint-error"), ("li", "constraint-error"),
            ("ls", "constraint-error")} <= kinds
    assert _counts(duck.findings)[("kinds", "tx", "formula-injection")] == 5
    assert _counts(duck.findings)[("allocations", "source_id, announced_on", "unique-error")]
    assert _counts(on_spark.findings) == _counts(duck.findings)
    assert on_spark.exit_code == duck.exit_code == 1
    assert on_spark.error_count == duck.error_count
    assert on_spark.stats["rows"] == duck.stats["rows"]
    below = [f for f in duck.findings if f.code == "constraint-error" and f.field == "amount"
             and f.value == "-123456789012345678901234"]
    assert len(below) == 1  # the huge integer is valid and compared with the minimum
    # counts with samples instead of lines (Spark reads the file in parallel splits)
    amount = next(f for f in on_spark.findings
                  if f.code == "type-error" and f.field == "amount")
    assert amount.line is None and amount.value == "12x" and amount.count == 3
    assert "3 rows" in amount.message


def test_cli_reports_spark_findings_in_every_format(spark, seeded, tmp_path):
    runner = CliRunner()
    report = tmp_path / "report.json"
    result = runner.invoke(cli, ["validate", str(seeded), "--engine", "spark",
                                 "--format", "json", "--output", str(report)])
    assert result.exit_code == 1, result.output
    data = json.loads(report.read_text())
    assert data["valid"] is False and data["exit_code"] == 1
    foreign = [f for f in data["findings"] if f["code"] == "foreign-key"]
    assert foreign == [{
        "code": "foreign-key", "severity": "error", "resource": "allocations",
        "path": "data/allocations.csv", "line": None, "field": "source_id",
        "value": "S999", "count": 2,
        "message": '2 rows: values of "source_id" not found in the lookup table "sources" '
                   'as "source_id" (e.g. "S999")'}]
    assert data["summary"]["errors"] == sum(f["count"] for f in data["findings"]
                                            if f["severity"] == "error")
    github = runner.invoke(cli, ["validate", str(seeded), "--engine", "spark",
                                 "--format", "github", "--severity", "foreign-key=warning"])
    assert github.exit_code == 1
    assert ("::warning file=" in github.output and "title=foreign-key::allocations: 2 rows"
            in github.output)


def test_spark_reads_parquet_under_a_data_root(spark, tmp_path):
    """A resource in Parquet, read from under ``--data-root`` (here a ``file:`` URI)."""
    from semicon.schemas.validation.spark import validate_package_spark

    folder = tmp_path / "pkg"
    descriptor = write_package(folder, 60, bad_every=7, with_hash=False)
    data = json.loads(descriptor.read_text())
    remote = tmp_path / "remote"
    frame = spark.read.csv(str(folder / "data" / "sources.csv"), header=True)
    frame.write.parquet(str(remote / "data" / "sources.parquet"))
    shutil.copytree(folder / "data", remote / "data", dirs_exist_ok=True)
    data["resources"][0].update(path="data/sources.parquet", format="parquet")
    descriptor.write_text(json.dumps(data), encoding="utf-8")
    report = validate_package_spark(descriptor, spark=spark,
                                    data_root=(remote).as_uri())
    csv_report = validate_package_spark(write_package(tmp_path / "csv", 60, bad_every=7,
                                                      with_hash=False), spark=spark)
    assert _counts(report.findings) == _counts(csv_report.findings)
    assert report.stats["rows"] == {"sources": 50, "allocations": 60}


def test_without_java_spark_is_refused_in_one_line(tmp_path, monkeypatch):
    """No Java on the PATH, no JAVA_HOME, no Spark Connect: exit 2, one line, no report."""
    require(extra_missing())
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    descriptor = write_package(tmp_path / "pkg", 10)
    result = CliRunner().invoke(cli, ["validate", str(descriptor), "--engine", "spark"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "semicon validate: --engine spark: Java (17 or newer) is not installed: install it "
        "(Debian: default-jre-headless)"]


def test_spark_options_need_the_spark_engine(tmp_path):
    descriptor = write_package(tmp_path / "pkg", 10)
    result = CliRunner().invoke(cli, ["validate", str(descriptor), "--master", "local[2]"])
    assert result.exit_code == 2
    assert "--master and --data-root need --engine spark" in result.output
