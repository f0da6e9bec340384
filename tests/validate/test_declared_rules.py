"""Each rule kind of ``semicon.rules`` (docs/declarations.md), valid and invalid, and bad
declarations (``declaration-error``)."""

from __future__ import annotations

import json

import pytest
from semicon.schemas.validation import validate_package

from .conftest import csv_resource, write_package

INT = "integer"


def found(report):
    return [(f.code, f.resource, f.line, f.field) for f in report.findings]


def shop(tmp_path, rules, *, orders="order_id,product_id,qty\no1,p1,2\no2,p2,9\n",
         provenance=None):
    """Two tables: products (stock) and orders (qty of a product)."""
    products = csv_resource("products", [{"name": "product_id"}, {"name": "stock", "type": INT},
                                         {"name": "min_qty", "type": INT},
                                         {"name": "max_qty", "type": INT}],
                            primaryKey=["product_id"])
    order = csv_resource("orders", [{"name": "order_id"}, {"name": "product_id"},
                                    {"name": "qty", "type": INT}], primaryKey=["order_id"])
    semicon = {"rules": rules}
    if provenance:
        semicon["provenance"] = provenance
    return write_package(tmp_path, [products, order], {
        "data/products.csv": "product_id,stock,min_qty,max_qty\np1,5,1,3\np2,8,4,4\np3,0,5,2\n",
        "data/orders.csv": orders}, semicon=semicon)


def test_a_cross_table_rule_added_by_editing_json_only(tmp_path):
    pkg = shop(tmp_path, [])
    assert validate_package(pkg).exit_code == 0
    descriptor = json.loads(pkg.read_text(encoding="utf-8"))
    descriptor["semicon"]["rules"].append({
        "rule": "sql", "resource": "orders", "code": "over-stock", "field": "qty",
        "check": "qty <= (SELECT stock FROM products p WHERE p.product_id = orders.product_id)",
        "message": 'order "{order_id}" asks {qty} of "{product_id}"'})
    pkg.write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate_package(pkg)
    assert found(report) == [("over-stock", "orders", 3, "qty")]
    assert report.findings[0].message == 'Line "3": order "o2" asks 9 of "p2"'
    assert report.findings[0].value == "9"
    assert report.exit_code == 1


def test_range(tmp_path):
    strict = {"rule": "range", "resource": "products", "low": "min_qty", "high": "max_qty"}
    report = validate_package(shop(tmp_path / "a", [strict]))
    assert found(report) == [("range-order", "products", 3, "max_qty"),
                             ("range-order", "products", 4, "max_qty")]
    assert report.findings[0].message == 'Line "3": "min_qty" (4) must be < "max_qty" (4)'
    lenient = {**strict, "strict": False}
    assert found(validate_package(shop(tmp_path / "b", [lenient]))) == [
        ("range-order", "products", 4, "max_qty")]


def test_range_without_resource_applies_wherever_both_fields_are(tmp_path):
    rule = {"rule": "range", "low": "min_qty", "high": "max_qty", "strict": False}
    assert found(validate_package(shop(tmp_path, [rule]))) == [
        ("range-order", "products", 4, "max_qty")]


def budget(tmp_path, rows, rule):
    fields = [{"name": "id"}, {"name": "parent"}, {"name": "kind"},
              {"name": "amount", "type": INT}, {"name": "rounding", "type": INT}]
    text = "id,parent,kind,amount,rounding\n" + "".join(f"{r}\n" for r in rows)
    res = csv_resource("budget", fields, primaryKey=["id"])
    return write_package(tmp_path, [res], {"data/budget.csv": text}, semicon={"rules": [rule]})


SUM = {"rule": "sum", "resource": "budget", "key": "id", "value": "amount",
       "rounding": "rounding", "parts": {"parent": "parent"}}


def test_sum_equal(tmp_path):
    rows = ["A,,,100,10", "A1,A,,60,", "A2,A,,44,",  # 104 within 100 +- 5
            "B,,,100,", "B1,B,,60,", "B2,B,,30,",  # 90: not equal
            "C,,,100,", "C1,C,,,"]  # no part with an amount: nothing to add up
    report = validate_package(budget(tmp_path, rows, SUM))
    assert found(report) == [("parts-exceed-parent", "budget", 5, "amount")]
    assert report.findings[0].message == (
        'Line "5": the 2 parts of "B" add up to 90, which must equal its "amount" 100 '
        "(tolerance 0)")


@pytest.mark.parametrize("relation,lines", [("at-most", [2]), ("at-least", [5])])
def test_sum_at_most_and_at_least(tmp_path, relation, lines):
    rows = ["A,,,100,", "A1,A,,60,", "A2,A,,50,",  # 110
            "B,,,100,", "B1,B,,90,"]  # 90
    report = validate_package(budget(tmp_path, rows, {**SUM, "relation": relation}))
    assert [f.line for f in report.findings] == lines


def test_sum_per_partition(tmp_path):
    rule = {**SUM, "parts": {"parent": "parent", "partition": "kind"},
            "relation": {"payer": "equal", "purpose": "at-most"}}
    rows = ["A,,,100,", "A1,A,payer,60,", "A2,A,payer,40,", "A3,A,purpose,30,",
            "A4,A,,500,",  # no partition value: left out
            "B,,,100,", "B1,B,payer,60,", "B2,B,purpose,101,"]
    report = validate_package(budget(tmp_path, rows, rule))
    assert found(report) == [("parts-exceed-parent", "budget", 7, "amount"),
                             ("parts-exceed-parent", "budget", 7, "amount")]
    assert sorted(f.message for f in report.findings) == [
        'Line "7": the 1 "payer" parts of "B" add up to 60, which must equal its "amount" '
        "100 (tolerance 0)",
        'Line "7": the 1 "purpose" parts of "B" add up to 101, which must not exceed its '
        '"amount" 100 (tolerance 0)']


def test_sum_with_parts_in_another_table(tmp_path):
    rule = {"rule": "sum", "resource": "products", "key": "product_id", "value": "stock",
            "parts": {"resource": "orders", "parent": "product_id", "value": "qty"},
            "relation": "at-most", "code": "over-ordered"}
    report = validate_package(shop(tmp_path, [rule]))
    assert found(report) == [("over-ordered", "products", 3, "stock")]


def test_count(tmp_path):
    teams = csv_resource("teams", [{"name": "team"}, {"name": "size", "type": INT}])
    people = csv_resource("people", [{"name": "name"}, {"name": "team"}])
    rule = {"rule": "count", "resource": "teams", "key": "team", "count": "size",
            "rows": {"resource": "people", "key": "team"}}
    files = {"data/teams.csv": "team,size\nT1,2\nT2,1\nT3,\nT4,1\n",
             "data/people.csv": "name,team\na,T1\nb,T1\nc,T2\nd,T2\ne,T3\n"}
    report = validate_package(write_package(tmp_path / "a", [teams, people], files,
                                            semicon={"rules": [rule]}))
    assert found(report) == [("count-mismatch", "teams", 3, "size"),
                             ("count-mismatch", "teams", 5, "size")]
    assert report.findings[0].message == (
        'Line "3": "T2" is named in 2 rows of "people" but "size" is 1')
    at_least = {**rule, "relation": "at-least"}  # T4 names nobody: 1 >= 0
    report = validate_package(write_package(tmp_path / "b", [teams, people], files,
                                            semicon={"rules": [at_least]}))
    assert found(report) == [("count-mismatch", "teams", 3, "size")]


LETTER = "De minister heeft  € 2,51 miljard\nuitgetrokken. Het Rijk draagt bij."


def quoting(tmp_path, facts, *, provenance, rules, files=None):
    res = csv_resource("facts", [{"name": "id"}, {"name": "doc"}, {"name": "status"},
                                 {"name": "quote"}])
    text = "id,doc,status,quote\n" + "".join(f"{r}\n" for r in facts)
    return write_package(tmp_path, [res], {"data/facts.csv": text, "docs/brief.txt": LETTER,
                                           **(files or {})},
                         semicon={"provenance": provenance, "rules": rules})


DOCS = {"lang": "nl", "documents": [{"id": "brief", "path": "docs/brief.txt"}],
        "quotes": [{"source": "doc", "quote": "quote"}]}


def test_quote_with_a_declared_document(tmp_path):
    facts = ['f1,brief,budgeted,"€ 2,51 miljard uitgetrokken"',
             'f2,brief,committed,"Het Rijk draagt  niets bij"',
             "f3,nota,committed,Het Rijk",  # no such document
             "f4,brief,committed,"]  # no quote: nothing to check
    report = validate_package(quoting(tmp_path, facts, provenance=DOCS,
                                      rules=[{"rule": "quote"}]))
    assert found(report) == [("quote-not-in-source", "facts", 3, "quote"),
                             ("quote-not-in-source", "facts", 4, "quote")]
    assert report.findings[0].message.endswith("it does not occur in the source text")
    assert report.findings[1].message.endswith("its source has no text")


def test_quote_of_a_missing_document_file(tmp_path):
    prov = {**DOCS, "documents": [{"id": "brief", "path": "docs/gone.txt"}]}
    report = validate_package(quoting(tmp_path, ['f1,brief,x,"Het Rijk"'], provenance=prov,
                                      rules=[{"rule": "quote"}]))
    assert found(report) == [("missing-file", None, None, None),
                             ("quote-not-in-source", "facts", 2, "quote")]


WORDS = {"rule": "backed-by-quote", "resource": "facts", "field": "status",
         "words": {"budgeted": ["uitgetrokken", "begroot"], "committed": ["toegezegd"]}}


def test_backed_by_quote_words(tmp_path):
    facts = ['f1,brief,budgeted,"€ 2,51 miljard UITGETROKKEN"',
             'f2,brief,committed,"€ 2,51 miljard uitgetrokken"',
             "f3,brief,,anything",  # no value: nothing to back
             'f4,brief,draagt,"Het Rijk draagt bij"',  # unlisted: the value itself occurs
             'f5,brief,invested,"Het Rijk draagt bij"']
    report = validate_package(quoting(tmp_path, facts, provenance=DOCS, rules=[WORDS]))
    assert found(report) == [("claim-not-in-quote", "facts", 3, "status"),
                             ("claim-not-in-quote", "facts", 6, "status")]
    assert report.findings[0].message == (
        'Line "3": "status" is "committed", which its quote does not back: '
        'none of "toegezegd" occurs in "quote"')
    assert report.findings[1].message.endswith('it does not occur in "quote"')


@pytest.mark.parametrize("unlisted,lines", [("pass", []), ("fail", [2])])
def test_backed_by_quote_unlisted_values(tmp_path, unlisted, lines):
    facts = ['f1,brief,draagt,"Het Rijk draagt bij"']
    report = validate_package(quoting(tmp_path, facts, provenance=DOCS,
                                      rules=[{**WORDS, "unlisted": unlisted}]))
    assert [f.line for f in report.findings] == lines


def test_backed_by_quote_where_the_field_is_the_quote(tmp_path):
    # the quote is normalised once a row in a subquery: a field read twice stays one column
    rule = {"rule": "backed-by-quote", "resource": "facts", "field": "quote"}
    facts = ['f1,brief,x,"Het Rijk draagt bij"', "f2,brief,x,"]
    report = validate_package(quoting(tmp_path, facts, provenance=DOCS, rules=[rule]))
    assert found(report) == []


def test_sql_query_rule_with_its_own_line_and_message(tmp_path):
    rule = {"rule": "sql", "resource": "orders", "code": "unknown-product", "field": "product_id",
            "query": "SELECT o.__line, o.product_id FROM orders o ANTI JOIN products p "
                     "USING (product_id) ORDER BY o.__line",
            "message": 'no product "{product_id}"'}
    report = validate_package(shop(tmp_path / "a", [rule],
                                   orders="order_id,product_id,qty\no1,p1,1\no2,p9,1\n"))
    assert found(report) == [("unknown-product", "orders", 3, "product_id")]
    assert report.findings[0].message == 'Line "3": no product "p9"'
    table_level = {"rule": "sql", "resource": "orders", "severity": "warning",
                   "query": "SELECT sum(qty) AS total FROM orders HAVING sum(qty) > 10",
                   "message": "{total} items ordered in all"}
    report = validate_package(shop(tmp_path / "b", [table_level]))
    assert found(report) == [("sql-check", "orders", None, None)]
    assert report.findings[0].message == "11 items ordered in all"
    assert report.exit_code == 0  # a warning


def test_sql_rule_cannot_read_files_or_run_other_statements(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret\n", encoding="utf-8")
    reads_file = {"rule": "sql", "resource": "orders",
                  "query": f"SELECT * FROM read_text('{secret}')"}
    report = validate_package(shop(tmp_path / "a", [reads_file]))
    [finding] = report.findings
    assert finding.code == "rule-error"
    assert "s3cret" not in finding.message
    assert "disabled by configuration" in finding.message
    two = {"rule": "sql", "resource": "orders", "query": "SELECT 1; DROP TABLE orders"}
    report = validate_package(shop(tmp_path / "b", [two]))
    assert found(report) == [("declaration-error", None, None, "$.semicon.rules[0].query")]
    assert "exactly one SELECT" in report.findings[0].message
    assert report.exit_code == 2
    breaks_out = {"rule": "sql", "resource": "orders", "check": "TRUE)); DROP TABLE x; (1"}
    report = validate_package(shop(tmp_path / "c", [breaks_out]))
    assert found(report) == [("declaration-error", None, None, "$.semicon.rules[0].check")]


def test_a_slow_rule_is_stopped_by_the_time_limit(tmp_path):
    from semicon.schemas.model import load_package
    from semicon.schemas.rules import load_declarations, run_rules
    from semicon.schemas.validation.resource import Context

    slow = {"rule": "sql", "resource": "orders",
            "query": "SELECT count(*) FROM range(100000000) a, range(100000000) b"}
    pkg = shop(tmp_path, [slow])
    import duckdb

    con = duckdb.connect()
    ctx = Context(con=con, base=tmp_path, resources={})
    decl = load_declarations(load_package(pkg))
    decl.rules[0].queries = lambda rctx: decl.rules[0].statements()
    [finding] = run_rules(ctx, decl, time_limit=0.5)
    assert finding.code == "rule-error"
    assert "time limit" in finding.message


CHECKS = '''
import pandera.polars as pa
import polars as pl


def even(frame):
    return pa.Check(lambda data: data.lazyframe.select(pl.col("qty") % 2 == 0),
                    name="even-qty")
'''


def test_python_rule_runs_only_when_allowed(tmp_path):
    rule = {"rule": "python", "resource": "orders", "fields": ["qty"], "field": "qty",
            "function": "checks.py:even", "code": "odd-qty"}
    pkg = shop(tmp_path, [rule])
    (tmp_path / "checks.py").write_text(CHECKS, encoding="utf-8")
    report = validate_package(pkg)
    assert found(report) == [("python-rule-skipped", "orders", None, None)]
    assert report.exit_code == 0
    report = validate_package(pkg, allow_python=True)
    assert found(report) == [("odd-qty", "orders", 3, "qty")]
    assert report.findings[0].message == 'Line "3": pandera check "even-qty" failed'


def test_python_rule_outside_the_package_is_refused(tmp_path):
    rule = {"rule": "python", "resource": "orders", "fields": ["qty"],
            "function": "../checks.py:even"}
    (tmp_path / "checks.py").write_text(CHECKS, encoding="utf-8")
    report = validate_package(shop(tmp_path / "pkg", [rule]), allow_python=True)
    [finding] = report.findings
    assert finding.code == "rule-error"
    assert 'refused "../checks.py"' in finding.message


@pytest.mark.parametrize("semicon,path,words", [
    ({"rules": [{"rule": "sumx"}]}, "$.semicon.rules[0].rule", "is not one of"),
    ({"rules": [{"rule": "range", "low": "min_qty"}]}, "$.semicon.rules[0]",
     "'high' is a required property"),
    ({"rules": [{"rule": "range", "resource": "products", "low": "min_qty", "high": "nope"}]},
     "$.semicon.rules[0].high", '"products" has no field "nope"'),
    ({"rules": [{"rule": "count", "resource": "nope", "key": "a", "count": "b",
                 "rows": {"resource": "orders", "key": "x"}}]},
     "$.semicon.rules[0].resource", 'no tabular resource "nope"'),
    ({"rules": [{"rule": "sql", "resource": "orders", "check": "qty >"}]},
     "$.semicon.rules[0].check", "Parser Error"),
    ({"rules": [{"rule": "sql", "resource": "orders", "check": "a", "query": "SELECT 1"}]},
     "$.semicon.rules[0]", 'needs exactly one of "check" or "query"'),
    ({"rules": [{"rule": "range", "low": "a", "high": "b", "code": "Not Kebab"}]},
     "$.semicon.rules[0].code", "does not match"),
    ({"rules": [{"rule": "quote"}]}, "$.semicon.rules[0]", "no quoting fields declared"),
    ({"provenance": {"documents": [{"id": "a"}]}}, "$.semicon.provenance.documents[0]",
     'needs exactly one of "path" or "resource"'),
    ({"provenance": {"quotes": [{"resource": "orders", "source": "doc", "quote": "q"}]}},
     "$.semicon.provenance.quotes[0]", '"orders" has no field "doc"'),
    ({"ruels": []}, "$.semicon", "unknown property ('ruels' was unexpected)"),
    ([], "$.semicon", "is not of type 'object'"),
])
def test_a_bad_declaration_is_a_declaration_error(tmp_path, semicon, path, words):
    pkg = shop(tmp_path, [])
    descriptor = json.loads(pkg.read_text(encoding="utf-8"))
    descriptor["semicon"] = semicon
    pkg.write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate_package(pkg)
    assert [(f.code, f.field) for f in report.findings] == [("declaration-error", path)]
    assert words in report.findings[0].message
    assert report.exit_code == 2


def test_good_rules_still_run_beside_a_bad_one(tmp_path):
    rules = [{"rule": "range", "resource": "products", "low": "min_qty", "high": "nope"},
             {"rule": "range", "resource": "products", "low": "min_qty", "hihg": "max_qty"},
             {"rule": "range", "resource": "products", "low": "min_qty", "high": "max_qty",
              "strict": False}]
    report = validate_package(shop(tmp_path, rules))
    assert found(report) == [("declaration-error", None, None, "$.semicon.rules[0].high"),
                             ("declaration-error", None, None, "$.semicon.rules[1]"),
                             ("declaration-error", None, None, "$.semicon.rules[1]"),
                             ("range-order", "products", 4, "max_qty")]


def test_provenance_parsed_for_the_site():
    from semicon.schemas.model import load_package
    from semicon.schemas.provenance import Document, Quoting, parse_provenance

    from tests.conftest import BUNDLED

    package = load_package(BUNDLED)
    resources = {r.name: r for r in package.resources}
    prov = parse_provenance(package.declarations["provenance"], resources)
    assert prov.lang == "nl"
    assert prov.table.resource == "sources"
    docs = prov.documents_from_rows([
        {"source_id": "voortgangsbrief-2025", "title": "Voortgangsbrief", "__line": 2,
         "text_path": "sources/voortgangsbrief-halfgeleiderindustrie-2025.txt"},
        {"source_id": "other", "title": "Other", "text_path": None, "__line": 3}])
    assert docs == [
        Document(id="voortgangsbrief-2025", title="Voortgangsbrief", lang="nl", line=2,
                 path="sources/voortgangsbrief-halfgeleiderindustrie-2025.txt"),
        Document(id="other", title="Other", path=None, lang="nl", line=3)]
    fields = {name: set(r.field_names) for name, r in resources.items()}
    quoting = prov.quoting_fields(fields)
    assert quoting["funding_allocations"] == Quoting(source="source_id", quote="source_quote")
    # the document table quotes the footnote that cites each document, per resource
    assert quoting["sources"] == Quoting(source="cited_in", quote="citation_quote",
                                         resource="sources")


def test_provenance_with_a_file_resource_and_a_per_resource_quote(tmp_path):
    from semicon.schemas.model import parse_package
    from semicon.schemas.provenance import parse_provenance

    raw = {"lang": "en",
           "documents": [{"id": "memo", "resource": "memo-text", "lang": "fr"},
                         {"id": "note", "path": "notes/note.txt"}],
           "quotes": [{"source": "doc", "quote": "q"},
                      {"resource": "b", "source": "doc", "quote": "passage"}]}
    package = parse_package({"resources": [{"name": "memo-text", "type": "file",
                                            "path": "memo.txt", "title": "The memo"}]},
                            tmp_path / "datapackage.json")
    prov = parse_provenance(raw, {r.name: r for r in package.resources})
    assert [(d.id, d.title, d.path, d.lang, d.resource) for d in prov.documents] == [
        ("memo", "The memo", "memo.txt", "fr", "memo-text"),
        ("note", "note", "notes/note.txt", "en", None)]
    quoting = prov.quoting_fields({"a": {"doc", "q"}, "b": {"doc", "q", "passage"},
                                   "c": {"doc"}})
    assert {t: q.quote for t, q in quoting.items()} == {"a": "q", "b": "passage"}
    assert parse_provenance(None) is None


def test_document_text_refuses_paths_leaving_the_package(tmp_path):
    from semicon.schemas.provenance import Document, document_text

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.txt").write_text("tekst", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("geheim", encoding="utf-8")
    assert document_text(tmp_path / "pkg", Document("a", "A", "a.txt")) == "tekst"
    assert document_text(tmp_path / "pkg", Document("b", "B", None)) is None
    with pytest.raises(ValueError, match="refused"):
        document_text(tmp_path / "pkg", Document("c", "C", "../secret.txt"))


def test_rule_lines_after_rejected_and_multi_line_rows(tmp_path):
    """``__line`` counts the lines DuckDB rejected and the line breaks inside quotes."""
    fields = [{"name": "id"}, {"name": "lo", "type": INT}, {"name": "hi", "type": INT}]
    text = 'id,lo,hi\na,1,2\nb,1,2,3\n"c\nx",5,1\nd,1,2\ne,9,1\n'
    pkg = write_package(tmp_path, [csv_resource("t", fields)], {"data/t.csv": text},
                        semicon={"rules": [{"rule": "range", "low": "lo", "high": "hi"}]})
    assert found(validate_package(pkg)) == [("extra-cell", "t", 3, None),
                                            ("range-order", "t", 4, "hi"),
                                            ("range-order", "t", 7, "hi")]


def test_a_field_named_like_the_line_column_does_not_break_the_rules(tmp_path):
    fields = [{"name": "__line"}, {"name": "lo", "type": INT}, {"name": "hi", "type": INT}]
    pkg = write_package(tmp_path, [csv_resource("t", fields)],
                        {"data/t.csv": "__line,lo,hi\nx,1,2\ny,3,1\n"},
                        semicon={"rules": [{"rule": "range", "low": "lo", "high": "hi"}]})
    assert found(validate_package(pkg)) == [("range-order", "t", 3, "hi")]


def test_quote_with_a_document_given_as_a_file_resource(tmp_path):
    """The text of a ``type: file`` resource is read as the document, never as a table."""
    res = csv_resource("facts", [{"name": "id"}, {"name": "doc"}, {"name": "quote"}])
    memo = {"name": "memo-text", "type": "file", "path": "docs/memo.txt", "format": "txt",
            "mediatype": "text/plain", "title": "The memo"}
    prov = {"lang": "nl", "documents": [{"id": "memo", "resource": "memo-text"}],
            "quotes": [{"source": "doc", "quote": "quote"}]}
    pkg = write_package(tmp_path, [res, memo], {
        "data/facts.csv": 'id,doc,quote\na,memo,"Het Rijk  draagt bij"\nb,memo,niet hier\n',
        "docs/memo.txt": "Het Rijk draagt\nbij.\n"},
        semicon={"provenance": prov, "rules": [{"rule": "quote"}]})
    assert found(validate_package(pkg)) == [("quote-not-in-source", "facts", 3, "quote")]
    prov["documents"] = [{"id": "memo", "resource": "memo-txt"}]
    pkg = write_package(tmp_path, [res, memo], semicon={"provenance": prov,
                                                        "rules": [{"rule": "quote"}]})
    report = validate_package(pkg)
    assert found(report) == [
        ("declaration-error", None, None, "$.semicon.provenance.documents[0].resource"),
        ("quote-not-in-source", "facts", 2, "quote"),
        ("quote-not-in-source", "facts", 3, "quote")]
    assert report.findings[0].message == 'no resource "memo-txt"'


def test_rule_lines_after_consecutive_rejected_lines(tmp_path):
    """Rows after two or more rejected lines in a row get their line (each rejected line
    counted once, however many share a position in the table)."""
    fields = [{"name": "id"}, {"name": "lo", "type": INT}, {"name": "hi", "type": INT}]
    text = ("id,lo,hi\na,1,2\nb,1\nc,1,2,3\nd,5,1\ne,1,2\nf,1\ng,9,1\nh,1,2,9\ni,3,2\n"
            "j,1\nk,1\nl,1\nm,8,7\n")
    pkg = write_package(tmp_path, [csv_resource("t", fields)], {"data/t.csv": text},
                        semicon={"rules": [{"rule": "range", "low": "lo", "high": "hi"}]})
    got = [f for f in found(validate_package(pkg)) if f[0] == "range-order"]
    assert got == [("range-order", "t", 5, "hi"), ("range-order", "t", 8, "hi"),
                   ("range-order", "t", 10, "hi"), ("range-order", "t", 14, "hi")]
