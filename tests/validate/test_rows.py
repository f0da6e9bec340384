"""Every frictionless error kind that applies to CSV: code, line, field and exit code."""

from __future__ import annotations

import hashlib

import pytest
from semicon.schemas.validation import validate_package

from .conftest import codes, csv_resource, write_package

S = {"name": "id", "type": "string"}


def test_valid_table(one_table):
    report = validate_package(one_table([S, {"name": "n", "type": "integer"}], "id,n\na,1\nb,2\n"))
    assert report.findings == []
    assert report.exit_code == 0
    assert report.stats["rows"] == {"t": 2}


def test_type_errors(one_table):
    fields = [
        {"name": "i", "type": "integer"},
        {"name": "x", "type": "number"},
        {"name": "d", "type": "date"},
        {"name": "b", "type": "boolean"},
        {"name": "y", "type": "year"},
    ]
    text = (
        "i,x,d,b,y\n1,1.5,2020-01-31,true,2020\n1.5,abc,2020-02-30,yes,20\n"
        "+1,1e3,2020-1-5,0,0999\n"
    )
    report = validate_package(one_table(fields, text))
    assert codes(report) == [
        ("type-error", 3, "b"),
        ("type-error", 3, "d"),
        ("type-error", 3, "i"),
        ("type-error", 3, "x"),
        ("type-error", 3, "y"),
    ]
    assert report.exit_code == 1
    first = report.findings[0]
    assert first.value == "yes"
    assert first.message == (
        'Type error in the cell "yes" in line "3" and field "b" at position "4": '
        'type is "boolean/default"'
    )


def test_dates_and_datetimes_with_surrounding_whitespace(one_table):
    """strptime('%Y-%m-%d') and dateutil's isoparse (frictionless's parsers) refuse
    whitespace around a date or datetime; DuckDB's casts read some of it."""
    fields = [{"name": "d", "type": "date"}, {"name": "t", "type": "datetime"}]
    text = ("d,t\n2020-1-5,2020-01-01T10:00:00Z\n"
            '"2020-1-5 ","2020-01-01T10:00:00 "\n'
            '"2020-1-5\t"," 2020-1-01T10:00:00"\n')
    report = validate_package(one_table(fields, text))
    assert codes(report) == [("type-error", 3, "d"), ("type-error", 3, "t"),
                             ("type-error", 4, "d"), ("type-error", 4, "t")]


def test_the_end_of_a_day_is_midnight(one_table):
    """`24:00:00` is a time, midnight, as dateutil (frictionless) reads it; only that one."""
    fields = [{"name": "t", "type": "time", "constraints": {"minimum": "09:00:00",
                                                            "unique": True}}]
    text = "t\n24:00:00\n00:00:00.000\n24:00:00.5\n24:00:01\n10:00:00\n"
    report = validate_package(one_table(fields, text))
    assert codes(report) == [("constraint-error", 2, "t"), ("constraint-error", 3, "t"),
                             ("unique-error", 3, "t"), ("type-error", 4, "t"),
                             ("type-error", 5, "t")]


def test_durations_as_isodate_reads_them(one_table):
    """isodate (frictionless) reads a duration whose time part is empty (`PT`, `P1DT`);
    a bare `P` is none."""
    text = "d\nPT\nP1DT\nP\n-P1D\nP1D \n"
    report = validate_package(one_table([{"name": "d", "type": "duration"}], text))
    assert codes(report) == [("type-error", 4, "d"), ("type-error", 6, "d")]


def test_json_nan_and_empty_lists_as_python_reads_them(one_table):
    """`json.loads` refuses a trailing comma (DuckDB's parser reads it), `Decimal('NaN')`
    fails every bound, and an empty list cell is a missing value, as in frictionless."""
    fields = [{"name": "o", "type": "object"}, {"name": "a", "type": "array"},
              {"name": "n", "type": "number", "constraints": {"minimum": -1.5}},
              {"name": "l", "type": "list", "delimiter": ";", "constraints": {"minLength": 2}}]
    text = ('o,a,n,l\n"{""a"": 1,}","[1,]",NaN,\n'
            '"{""a"": "",}""}","["",]""]",1,a;b\n'
            '"{""a"": ""\\"",}""}","[1, 2 ]",-inf,a\n')
    report = validate_package(one_table(fields, text))
    assert codes(report) == [("type-error", 2, "a"), ("constraint-error", 2, "n"),
                             ("type-error", 2, "o"), ("constraint-error", 4, "l"),
                             ("constraint-error", 4, "n")]


def test_constraint_errors(one_table):
    fields = [
        {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "A[0-9]+"}},
        {"name": "n", "type": "integer", "constraints": {"minimum": 0, "maximum": 10}},
        {"name": "x", "type": "number",
         "constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}},
        {"name": "c", "type": "string", "constraints": {"enum": ["EUR", "USD"]}},
        {"name": "s", "type": "string", "constraints": {"minLength": 2, "maxLength": 3}},
    ]
    text = (
        "id,n,x,c,s\n"
        "A1,0,0.5,EUR,ab\n"
        ",11,0,GBP,a\n"
        "B2,-1,1,USD,abcd\n"
    )
    report = validate_package(one_table(fields, text))
    got = [(f.line, f.field, f.message.split(": ")[-1]) for f in report.findings]
    assert all(f.code == "constraint-error" for f in report.findings)
    assert got == [
        (3, "c", "constraint \"enum\" is \"['EUR', 'USD']\""),
        (3, "id", 'constraint "required" is "True"'),
        (3, "n", 'constraint "maximum" is "10"'),
        (3, "s", 'constraint "minLength" is "2"'),
        (3, "x", 'constraint "exclusiveMinimum" is "0"'),
        (4, "id", 'constraint "pattern" is "A[0-9]+"'),
        (4, "n", 'constraint "minimum" is "0"'),
        (4, "s", 'constraint "maxLength" is "3"'),
        (4, "x", 'constraint "exclusiveMaximum" is "1"'),
    ]
    assert report.exit_code == 1


def test_unique_and_primary_key(one_table):
    fields = [S, {"name": "u", "type": "integer", "constraints": {"unique": True}}]
    text = "id,u\na,1\nb,01\na,2\n,3\nc,\nd,\n"
    report = validate_package(one_table(fields, text, primaryKey=["id"]))
    assert codes(report) == [
        ("unique-error", 3, "u"),
        ("primary-key", 4, "id"),
        ("primary-key", 5, "id"),
    ]
    assert "the same as in the row at line 2" in report.findings[0].message
    assert 'all "None"' in report.findings[2].message


def test_composite_primary_key(one_table):
    fields = [S, {"name": "k", "type": "integer"}]
    report = validate_package(one_table(fields, "id,k\na,1\na,2\na,1\n", primaryKey=["id", "k"]))
    assert codes(report) == [("primary-key", 4, "id, k")]


def test_self_referencing_foreign_key(one_table):
    fields = [S, {"name": "parent", "type": "string"}]
    fk = [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}]
    text = "id,parent\na,\nb,a\nc,zz\n"
    report = validate_package(one_table(fields, text, primaryKey=["id"], foreignKeys=fk))
    assert codes(report) == [("foreign-key", 4, "parent")]
    assert report.findings[0].value == "zz"
    assert 'not found in the lookup table "" as "id"' in report.findings[0].message


def test_self_referencing_foreign_key_without_resource(one_table):
    """v2: a reference naming no resource is to the same resource (frictionless agrees)."""
    fields = [S, {"name": "parent", "type": "string"}]
    fk = [{"fields": ["parent"], "reference": {"fields": ["id"]}}]
    text = "id,parent\na,\nb,a\nc,zz\n"
    report = validate_package(one_table(fields, text, primaryKey=["id"], foreignKeys=fk))
    assert codes(report) == [("foreign-key", 4, "parent")]


def test_yearmonth_and_geopoint_compare_by_value(tmp_path):
    """A yearmonth is its year and month, a geopoint its two numbers, however written:
    bounds, enum, unique and foreign keys compare those, as frictionless does."""
    ym = {"name": "ym", "type": "yearmonth",
          "constraints": {"minimum": "2000-01", "unique": True, "enum": ["2020-01", "2021-3"]}}
    points = csv_resource("points", [{"name": "g", "type": "geopoint"}])
    table = csv_resource("t", [ym, {"name": "g", "type": "geopoint",
                                    "constraints": {"unique": True}}],
                         foreignKeys=[{"fields": ["g"],
                                       "reference": {"resource": "points", "fields": ["g"]}}])
    pkg = write_package(tmp_path, [points, table], {
        "data/points.csv": 'g\n"0,0"\n"1,1"\n',
        "data/t.csv": 'ym,g\n 2020-01,"0,0"\n2020-1,"+0, 0.0"\n2021-03,"1.0,1"\n'
                      '1999-12,"2,2"\n',
    })
    report = validate_package(pkg)
    assert [(f.resource, f.code, f.line, f.field) for f in report.findings] == [
        ("t", "unique-error", 3, "g"),
        ("t", "unique-error", 3, "ym"),
        ("t", "foreign-key", 5, "g"),
        ("t", "constraint-error", 5, "ym"),
        ("t", "constraint-error", 5, "ym"),
    ]


def test_foreign_key_to_other_resource(tmp_path):
    src = csv_resource("sources", [{"name": "source_id"}], primaryKey=["source_id"])
    alloc = csv_resource(
        "alloc", [S, {"name": "source_id"}],
        foreignKeys=[{"fields": ["source_id"],
                      "reference": {"resource": "sources", "fields": ["source_id"]}}],
    )
    pkg = write_package(tmp_path, [src, alloc], {
        "data/sources.csv": "source_id\nS1\nS2\n",
        "data/alloc.csv": "id,source_id\na,S1\nb,S3\nc,\nd,S2\n",
    })
    report = validate_package(pkg)
    assert [(f.resource, f.code, f.line, f.field) for f in report.findings] == [
        ("alloc", "foreign-key", 3, "source_id"),
    ]


def test_missing_and_extra_cells(one_table):
    text = "id,a,b\n1,2,3\n1,2\n1,2,3,4,5\n"
    report = validate_package(one_table([S, {"name": "a"}, {"name": "b"}], text))
    assert codes(report) == [
        ("missing-cell", 3, "b"),
        ("extra-cell", 4, None),
        ("extra-cell", 4, None),
    ]
    assert report.findings[1].value == "4"
    assert report.findings[2].message == (
        'Row at line "4" has an extra value in field at position "5"')


@pytest.mark.parametrize("missing_values", [None, ["NA"], []])
@pytest.mark.parametrize("blank_line", ["", "\n"])  # DuckDB's reader, then Python's csv
def test_missing_cell_of_a_required_field(one_table, missing_values, blank_line):
    """A missing cell of a required field is a missing cell and breaks `required`, as
    frictionless says."""
    b = {"name": "b", "constraints": {"required": True}}
    if missing_values is not None:
        b["missingValues"] = missing_values
    text = "id,a,b\n1,2,3\n" + blank_line + "4,5\n"
    report = validate_package(one_table([S, {"name": "a"}, b], text))
    line = 3 + len(blank_line)
    assert codes(report) == [("blank-row", 3, None)] * len(blank_line) + [
        ("constraint-error", line, "b"), ("missing-cell", line, "b")]
    assert report.findings[-2].message == (
        f'The cell "None" in line "{line}" and field "b" at position "3" does not conform '
        'to a constraint: constraint "required" is "True"')


def test_blank_rows(one_table):
    text = "id,a\n1,2\n\n,\n3,4\n"
    report = validate_package(one_table([S, {"name": "a", "constraints": {"required": True}}],
                                        text))
    assert codes(report) == [("blank-row", 3, None), ("blank-row", 4, None)]


def test_label_errors(one_table):
    fields = [S, {"name": "x"}, {"name": "y"}, {"name": "z"}]
    report = validate_package(one_table(fields, "id,X,id,\n1,2,3,4\n"))
    assert codes(report) == [
        ("incorrect-label", 1, "x"),
        ("duplicate-label", 1, "y"),
        ("blank-label", 1, "z"),
    ]
    assert report.exit_code == 1


def test_missing_and_extra_labels(one_table, tmp_path):
    report = validate_package(one_table([S, {"name": "x"}], "id\n1\n"))
    assert codes(report) == [("missing-label", 1, "x")]
    report = validate_package(one_table([S], "id,x\n1,2\n"))
    assert codes(report) == [("extra-label", 1, "x")]


def test_line_numbers_follow_physical_lines(one_table):
    fields = [S, {"name": "n", "type": "integer"}]
    text = 'id,n\n"a\nb",1\n\nc,x\n'
    report = validate_package(one_table(fields, text))
    assert codes(report) == [("blank-row", 4, None), ("type-error", 5, "n")]


def test_rejected_lines_keep_line_numbers(one_table):
    fields = [S, {"name": "n", "type": "integer"}]
    rows = "".join(f"r{i},{i}\n" for i in range(50))
    text = "id,n\n" + rows + "short\n" + rows.replace("r", "s") + "t,x\n"
    report = validate_package(one_table(fields, text))
    assert codes(report) == [("missing-cell", 52, "n"), ("type-error", 103, "n")]


def test_bytes_and_hash(tmp_path):
    content = "id\na\n"
    res = csv_resource("t", [S])
    res["bytes"] = 99
    res["hash"] = "md5:" + "0" * 32
    report = validate_package(write_package(tmp_path, [res], {"data/t.csv": content}))
    assert [f.code for f in report.findings] == ["byte-count", "hash-count"]
    res["bytes"] = len(content)
    res["hash"] = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
    report = validate_package(write_package(tmp_path, [res], {"data/t.csv": content}))
    assert report.findings == []


def test_encoding_error(one_table):
    report = validate_package(one_table([S, {"name": "x"}], b"id,x\n1,caf\xe9\n2,b\n"))
    assert codes(report) == [("encoding-error", 2, None)]
    assert report.exit_code == 1


def test_careful_parser_inserts_in_batches(one_table, monkeypatch):
    from semicon.schemas.validation import tables

    monkeypatch.setattr(tables.insert_records, "__defaults__", (7,))
    fields = [S, {"name": "n", "type": "integer", "constraints": {"unique": True}}]
    rows = [f"r{i},{i}\n" for i in range(40)]
    text = "id,n\n" + "".join(rows[:11]) + "\n" + "".join(rows[11:]) + "x,oops\ny,3\n"
    report = validate_package(one_table(fields, text))
    assert report.stats["rows"] == {"t": 43}
    assert [(f.code, f.line) for f in report.findings] == [
        ("blank-row", 13), ("type-error", 43), ("unique-error", 44)]


@pytest.mark.parametrize("schema_extra", [
    {},  # no field kept for every row: whole rows compared
    {"primaryKey": ["id"]},  # a kept text field compared
    {"foreignKeys": [{"fields": ["n"], "reference": {"resource": "", "fields": ["n"]}}]},
], ids=["whole-rows", "kept-text", "kept-typed"])
def test_rows_stored_out_of_order_are_detected(one_table, monkeypatch, schema_extra):
    """If DuckDB ever stored rows out of file order, the sample check reloads on one thread
    (on a large package: a small one's connection runs every statement on one thread)."""
    from semicon.schemas.validation import engine, loader

    real = loader.load_fast
    calls = []

    def shuffled_load(con, r, dialect, **kw):
        calls.append(kw.get("threads"))
        out = real(con, r, dialect, **kw)
        if len(calls) == 1:  # the first load: store the rows backwards
            t = f"r{r.index}_t"
            con.execute(f"CREATE TABLE {t}_x AS SELECT * FROM {t} ORDER BY rowid DESC")
            con.execute(f"DROP TABLE {t}")
            con.execute(f"ALTER TABLE {t}_x RENAME TO {t}")
        return out

    monkeypatch.setattr(loader, "load_fast", shuffled_load)
    monkeypatch.setattr(loader, "SAMPLE_EVERY", 64)
    monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)
    monkeypatch.setenv("SEMICON_VALIDATE_THREADS", "2")
    fields = [S, {"name": "n", "type": "integer"}]
    rows = "".join(f"r{i},{i}\n" for i in range(300))
    text = "id,n\n" + rows + "short\n" + rows.replace("r", "s") + "t,x\n"
    report = validate_package(one_table(fields, text, **schema_extra))
    assert calls == [2, 1]
    assert codes(report) == [("missing-cell", 302, "n"), ("type-error", 603, "n")]


def test_the_order_check_runs_beside_the_views_and_reports_its_error(tmp_path, monkeypatch):
    """The sample order check runs in a thread on a cursor of its own while the caller
    stores the rejected lines and builds the views; its error is raised in the caller's
    thread, which goes on with no thread or cursor left behind."""
    import threading

    from semicon.schemas.validation import engine, fastload

    started, release = threading.Event(), threading.Event()

    def slow_check(con, r, dialect, scan, rejected):
        started.set()
        assert release.wait(10)
        raise RuntimeError("order check failed")

    def views_while_checking(*args, **kwargs):  # the caller's work, while the check waits
        assert started.wait(10)
        assert any(t.name == "semicon-order" for t in threading.enumerate())
        release.set()
        return real_finish(*args, **kwargs)

    from semicon.schemas.validation import loader

    real_finish = loader.finish_fast
    monkeypatch.setattr(fastload, "in_file_order", slow_check)
    monkeypatch.setattr(loader, "finish_fast", views_while_checking)
    monkeypatch.setattr(loader, "SAMPLE_EVERY", 64)
    monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)
    monkeypatch.setenv("SEMICON_VALIDATE_THREADS", "2")
    rows = "".join(f"r{i},{i}\n" for i in range(300))
    res = csv_resource("t", [S, {"name": "n", "type": "integer"}])
    descriptor = write_package(tmp_path / "pkg", [res], {"data/t.csv": "id,n\n" + rows})
    with pytest.raises(RuntimeError, match="order check failed"):
        validate_package(descriptor)
    assert not any(t.name == "semicon-order" for t in threading.enumerate())


def test_a_file_of_several_reader_parts_keeps_every_line_number(one_table, monkeypatch):
    """DuckDB's CSV reader parses a quarter of its buffer (sqlchecks.CSV_BUFFER_BYTES) at a
    time on each thread: rows on both sides of every part's end, and after a rejected line,
    keep their line numbers, and the sample check finds them in order (no reload)."""
    from semicon.schemas.validation import loader
    from semicon.schemas.validation.sqlchecks import CSV_BUFFER_BYTES

    monkeypatch.setenv("SEMICON_VALIDATE_THREADS", "2")
    part = CSV_BUFFER_BYTES // 4
    row = "r{:07d},{:05d},{}\n"  # 40 bytes a row
    width = len(row.format(0, 0, "x" * 23))
    count = 3 * part // width + 1000
    bad = {2 + i * part // width + d for i in range(1, 4) for d in (-1, 0, 1)} | {
        2 + count - 1, 5000}
    lines = [row.format(i, i % 99999, "x" * 23) if i + 2 not in bad else
             row.format(i, 0, "x" * 23).replace(",00000,", ",oops0,")
             for i in range(count)]
    lines[200] = "short\n"  # a rejected line: line 202
    loads = []
    real = loader.load_fast

    def counted(*args, **kwargs):
        loads.append(kwargs.get("threads"))
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_fast", counted)
    fields = [S, {"name": "n", "type": "integer"}, S | {"name": "s"}]
    report = validate_package(one_table(fields, "id,n,s\n" + "".join(lines)))
    assert len(loads) == 1  # stored in file order the first time
    assert report.stats["rows"] == {"t": count}
    assert codes(report) == [("missing-cell", 202, "n"), ("missing-cell", 202, "s")] + [
        ("type-error", line, "n") for line in sorted(bad) if line != 202]


def test_sample_lines_match_the_file(tmp_path, monkeypatch):
    from semicon.schemas.validation import rawscan

    lines = [f"row{i},{'x' * (i % 37)}" for i in range(3000)]
    path = tmp_path / "x.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    monkeypatch.setattr(rawscan, "BLOCK", 1000)
    scan = rawscan.scan_file(path, sample_every=333)
    assert len(scan.samples) > 100
    assert all(lines[line - 1].encode() == raw for line, raw in scan.samples)
    assert scan.newlines == 3000


@pytest.mark.parametrize("block", [b"", b"\n", b"\n" * 1000, b"a,b\r\n" * 7, b"no newline",
                                   bytes(range(256)) * 40, b'"x\n"\n\n"y"'])
def test_occurrences_counts_as_bytes_count_does(block):
    from semicon.schemas.validation.rawscan import occurrences

    for data in (block, bytearray(block)):
        assert occurrences(data, b"\n") == block.count(b"\n")
        assert occurrences(data, b'"') == block.count(b'"')


def test_foreign_key_keeps_the_failing_typed_value(tmp_path):
    """An integer key is stored typed; the finding still names the cell, like frictionless."""
    ref = csv_resource("ref", [{"name": "id", "type": "integer"}], primaryKey=["id"])
    child = csv_resource(
        "child", [S, {"name": "ref_id", "type": "integer"}],
        foreignKeys=[{"fields": ["ref_id"], "reference": {"resource": "ref", "fields": ["id"]}}],
    )
    pkg = write_package(tmp_path, [ref, child], {
        "data/ref.csv": "id\n1\n2\n",
        "data/child.csv": "id,ref_id\na,1\nb,7\n",
    })
    report = validate_package(pkg)
    assert codes(report) == [("foreign-key", 3, "ref_id")]
    assert report.findings[0].value == "7"
    assert report.findings[0].message == (
        'Row at line "3" violates the foreign key: for "ref_id": values "7" not found in the '
        'lookup table "ref" as "id"')


@pytest.mark.parametrize(("text", "expected", "asked"), [
    ("id,n\na,1\nb,2\n", [], False),  # a row for every line: nothing rejected to ask for
    ("id,n\na,1\nb\nc,3\n", [("missing-cell", 3, "n")], True),
], ids=["all-rows-stored", "a-line-rejected"])
def test_rejected_lines_are_asked_for_only_when_a_line_is_missing(one_table, statements,
                                                                   text, expected, asked):
    report = validate_package(one_table([S, {"name": "n", "type": "integer"}], text))
    assert codes(report) == expected
    assert any("FROM r0_rej_errors" in sql for sql in statements) is asked
    assert any(sql.startswith("CREATE TABLE r0_t AS") for sql in statements)  # by DuckDB
