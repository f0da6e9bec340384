"""The bundled package's declared rules (``semicon.rules``), run on small packages."""

from __future__ import annotations

import json

from semicon.schemas.validation import validate_package

from tests.conftest import BUNDLED

from .conftest import csv_resource, write_package

STR = {"name": "id", "type": "string"}
DECLARED = json.loads((BUNDLED / "datapackage.json").read_text(encoding="utf-8"))["semicon"]


def bundled_rules(*kinds: str, code: str | None = None,
                  on: set[str] | None = None) -> list[dict]:
    """The bundled package's declared rules of these kinds (and code), on these resources."""
    return [r for r in DECLARED["rules"] if r["rule"] in kinds
            and (code is None or r.get("code") == code)
            and (on is None or r.get("resource") in on | {None})]


def bundled_provenance() -> dict:
    """The bundled provenance with its package-wide quoting fields only."""
    prov = {k: v for k, v in DECLARED["provenance"].items() if k != "exclusions"}
    prov["quotes"] = [q for q in prov["quotes"] if "resource" not in q]
    return prov


def rule_codes(report):
    return [(f.resource, f.code, f.line, f.field) for f in report.findings]


def test_range_ends_in_order(tmp_path):
    fields = [STR,
              {"name": "amount_low", "type": "integer"},
              {"name": "amount_high", "type": "integer"},
              {"name": "period_start_year", "type": "integer"},
              {"name": "period_end_year", "type": "integer"}]
    text = ("id,amount_low,amount_high,period_start_year,period_end_year\n"
            "a,1,2,2020,2020\n"
            "b,2,2,2021,2020\n"
            "c,,5,,\n"
            "d,x,1,2020,2030\n")
    pkg = write_package(tmp_path, [csv_resource("ranges", fields)], {"data/ranges.csv": text},
                        semicon={"rules": bundled_rules("range")})
    report = validate_package(pkg)
    assert rule_codes(report) == [
        ("ranges", "range-order", 3, "amount_high"),
        ("ranges", "range-order", 3, "period_end_year"),
        ("ranges", "type-error", 5, "amount_low"),
    ]
    assert report.findings[0].message == (
        'Line "3": "amount_low" (2) must be < "amount_high" (2)')


ALLOC_FIELDS = [
    {"name": "allocation_id", "type": "string"},
    {"name": "parent_id", "type": "string"},
    {"name": "amount", "type": "integer"},
    {"name": "rounding", "type": "integer"},
    {"name": "breakdown", "type": "string", "constraints": {"enum": ["payer", "purpose"]}},
    {"name": "currency", "type": "string"},
]


def alloc_package(tmp_path, text):
    res = csv_resource(
        "funding_allocations", ALLOC_FIELDS, primaryKey=["allocation_id"],
        foreignKeys=[{"fields": ["parent_id"],
                      "reference": {"resource": "", "fields": ["allocation_id"]}}])
    return write_package(tmp_path, [res], {"data/funding_allocations.csv": text},
                         semicon={"rules": bundled_rules("sum", "sql", on={"funding_allocations"})})


def test_parts_add_up(tmp_path):
    text = (
        "allocation_id,parent_id,amount,rounding,breakdown,currency\n"
        # 2,51 miljard rounded to 10 million; payers 1,73 + 0,778 miljard: within tolerance
        "A,,2510000000,10000000,,EUR\n"
        "A1,A,1730000000,10000000,payer,EUR\n"
        "A2,A,778000000,1000000,payer,EUR\n"
        # an earmarked part well inside its parent, without an amount of its own
        "A3,A,450000000,10000000,purpose,EUR\n"
        "A4,A3,,,purpose,EUR\n"
        # payers add up to far less than the parent
        "B,,100,1,,EUR\n"
        "B1,B,10,1,payer,EUR\n"
        # purposes may add up to less, never more
        "C,,100,,,EUR\n"
        "C1,C,60,,purpose,EUR\n"
        "C2,C,30,,purpose,EUR\n"
        "D,,100,,,EUR\n"
        "D1,D,60,,purpose,EUR\n"
        "D2,D,50,,purpose,USD\n"
    )
    report = validate_package(alloc_package(tmp_path, text))
    assert rule_codes(report) == [
        ("funding_allocations", "parts-exceed-parent", 7, "amount"),
        ("funding_allocations", "parts-exceed-parent", 12, "amount"),
        ("funding_allocations", "currency-mismatch", 14, "currency"),
    ]
    assert 'the 1 "payer" parts of allocation "B" add up to 10, which must equal its amount 100' \
        in report.findings[0].message
    assert report.exit_code == 1


def test_coalition_count(tmp_path):
    coalitions = csv_resource(
        "coalitions", [{"name": "coalition_id"},
                       {"name": "member_count_reported", "type": "integer"}],
        primaryKey=["coalition_id"])
    members = csv_resource("coalition_members", [{"name": "coalition_id"}, {"name": "member"}])
    pkg = write_package(tmp_path, [coalitions, members], {
        "data/coalitions.csv": "coalition_id,member_count_reported\nK1,2\nK2,\nK3,1\n",
        "data/coalition_members.csv": "coalition_id,member\nK1,a\nK1,b\nK2,a\nK3,a\nK3,b\n",
    }, semicon={"rules": bundled_rules("count")})
    report = validate_package(pkg)
    assert rule_codes(report) == [("coalitions", "coalition-count", 4, "member_count_reported")]


def quotes_package(tmp_path, text_path="sources/letter.txt", letter="In  2025 the\ncabinet"
                   " invests\t2,51 miljard."):
    sources = csv_resource("sources", [{"name": "source_id"}, {"name": "title"},
                                       {"name": "text_path"}], primaryKey=["source_id"])
    facts = csv_resource("facts", [{"name": "fact_id"}, {"name": "source_id"},
                                   {"name": "source_quote"}])
    files = {
        "data/sources.csv": f"source_id,title,text_path\nL,Letter,{text_path}\nX,Other,\n",
        "data/facts.csv": (
            "fact_id,source_id,source_quote\n"
            'f1,L,"the cabinet   invests 2,51 miljard"\n'
            'f2,L,"the cabinet invests 3 miljard"\n'
            "f3,X,anything\n"
            "f4,L,\n"
        ),
    }
    if not text_path.startswith(("/", "..")):
        files[text_path] = letter
    return write_package(tmp_path, [sources, facts], files, semicon={
        "provenance": bundled_provenance(), "rules": bundled_rules("quote")})


def test_quotes_verbatim(tmp_path):
    report = validate_package(quotes_package(tmp_path))
    assert rule_codes(report) == [
        ("facts", "quote-not-in-source", 3, "source_quote"),
        ("facts", "quote-not-in-source", 4, "source_quote"),
    ]
    assert "does not occur in the source text" in report.findings[0].message
    assert "its source has no text" in report.findings[1].message


def test_quotes_with_injected_source_texts(tmp_path):
    pkg = quotes_package(tmp_path)
    report = validate_package(
        pkg, source_texts={"sources/letter.txt": "the cabinet invests 3 miljard"})
    assert [f.line for f in report.findings] == [2, 4]


def test_unsafe_text_path(tmp_path):
    report = validate_package(quotes_package(tmp_path, text_path="../etc/passwd"))
    assert ("sources", "unsafe-path", 2, "text_path") in rule_codes(report)
    [unsafe] = [f for f in report.findings if f.code == "unsafe-path"]
    assert unsafe.message.startswith('Refused text path "../etc/passwd"')
    assert report.exit_code == 2


def test_fields_read_by_the_rules_on_the_bundled_package():
    """Only these cells are kept for every row (besides keys): the rest only on bad rows."""
    from semicon.schemas.model import load_package
    from semicon.schemas.rules import fields_read

    read = fields_read(load_package(BUNDLED))
    assert read["funding_allocations"] >= {
        "allocation_id", "parent_id", "amount", "rounding", "breakdown", "currency",
        "source_id", "source_quote"}
    assert read["coalitions"] >= {"coalition_id", "member_count_reported"}
    assert "coalition_id" in read["coalition_members"]
    assert read["sources"] >= {"source_id", "text_path"}
    quoting = {name for name, names in read.items() if "source_quote" in names}
    assert len(quoting) >= 8
    # the SQL rule's reads are worked out from its query: only columns it names
    assert "title" not in read["funding_allocations"]


def test_no_rule_applies_without_declarations(tmp_path):
    from semicon.schemas.model import parse_package
    from semicon.schemas.rules import fields_read

    data = {"resources": [
        {"name": "allocations", "schema": {"fields": [{"name": "amount"}, {"name": "currency"}]}},
        {"name": "periods", "schema": {"fields": [{"name": "period_start_year"},
                                                  {"name": "period_end_year"}]}},
    ]}
    descriptor = tmp_path / "datapackage.json"
    assert fields_read(parse_package(data, descriptor)) == {}
    data["semicon"] = {"rules": bundled_rules("range")}
    assert fields_read(parse_package(data, descriptor)) == {
        "periods": {"period_start_year", "period_end_year"}}


def test_a_rule_reading_undeclared_fields_is_a_rule_error(tmp_path):
    """The typed views hold only the fields the rules declare they read."""
    from semicon.schemas.rules.base import Statement
    from semicon.schemas.rules.kinds import Range

    text = "id,amount_low,amount_high,title\na,1,2,x\n"
    fields = [STR, {"name": "amount_low", "type": "integer"},
              {"name": "amount_high", "type": "integer"}, {"name": "title"}]
    pkg = write_package(tmp_path, [csv_resource("t", fields)], {"data/t.csv": text},
                        semicon={"rules": bundled_rules("range")[:1]})

    class ReadsTitle(Range):
        def statements(self):
            return [Statement("t", 'SELECT __line, "title" FROM "t"', "title", {"t": set()})]

    import semicon.schemas.rules.declared as declared

    original = declared.KINDS["range"]
    declared.KINDS["range"] = ReadsTitle
    try:
        report = validate_package(pkg)
    finally:
        declared.KINDS["range"] = original
    [finding] = report.findings
    assert finding.code == "rule-error"
    assert 'semicon.rules[0] (range) could not run' in finding.message
    assert '"title" not found' in finding.message


def test_pandera_is_preloaded_only_for_allowed_python_rules(tmp_path):
    from semicon.schemas.model import load_package, parse_package
    from semicon.schemas.rules import load_declarations, uses_pandera

    bundled = load_declarations(load_package(BUNDLED))
    assert not uses_pandera(bundled, allow_python=True)  # every bundled rule is SQL
    python = load_declarations(parse_package({
        "resources": [{"name": "t", "schema": {"fields": [{"name": "a"}]}}],
        "semicon": {"rules": [{"rule": "python", "resource": "t", "fields": ["a"],
                               "function": "checks.py:rules"}]}}, tmp_path / "datapackage.json"))
    assert not python.findings
    assert uses_pandera(python, allow_python=True)
    assert not uses_pandera(python, allow_python=False)
