"""Each correction of data 2.0.0 would have been caught: the declared rules of the bundled
package (semicon.rules) refuse the old value, on its file, line and field."""

from __future__ import annotations

import pytest

from tests.data.test_consistency import edit, findings


@pytest.mark.parametrize(("table", "key", "field", "old"), [
    # "€ 2,51 miljard uitgetrokken" is budgeted, not a commitment
    ("funding_allocations", "beethoven-total", "status", "committed"),
    # "geïnvesteerd" is said of the United States and Japan only
    ("funding_allocations", "china-big-fund", "status", "invested"),
    # the letter says "Europa", not the EU
    ("funding_allocations", "europe-investment-need", "funder_country", "EU"),
    # the grant's period comes from the next sentence, not its own quote
    ("funding_allocations", "talent-regions-initial-students", "period_start_year", "2025"),
    # the letter says "vanuit de departementen", never "Ministerie van Buitenlandse Zaken"
    ("board_members", "ministerie-bho", "represents", "Ministerie van Buitenlandse Zaken"),
    ("board_members", "high-tech-nl", "represents",
     "Het MKB (small and medium-sized enterprises)"),
    # the 2024 extension of the export controls is passive in the letter
    ("events", "export-controls-2024", "actor",
     "Minister voor Buitenlandse Handel en Ontwikkelingshulp"),
    ("events", "bo-brainport-agenda", "date_text", "in de zomer"),
    # the initiator role is stated in the sentence after the announcement
    ("coalition_members", "semicon-coalition", "role", "coordinator"),
    ("coalitions", "ipcei-ast", "netherlands_role", "initiator"),
    ("partnerships", "dialogue-japan", "partner", "China"),
    ("policy_statements", "ipcei-ast-decision", "actor", "het kabinet"),
    ("key_figures", "ipcei-ast-member-states", "year", "2025"),
    ("key_figures", "brainport-homes", "qualifier", "approximate"),
])
def test_a_claim_its_own_quote_does_not_back_is_refused(bundled_copy, table, key, field, old):
    line = edit(bundled_copy, table, key, field, old)
    assert ("claim-not-in-quote", table, f"data/{table}.csv", line, field) in findings(
        bundled_copy)


def test_an_organisation_put_on_the_board_by_another_sentence_is_refused(bundled_copy):
    # the Defence row once made the minister and state secretary permanent board members
    line = edit(bundled_copy, "organisations", "staatssecretaris-defensie", "mentioned_as",
                "Permanent member of the Semicon Board NL")
    assert ("claim-not-in-quote", "organisations", "data/organisations.csv", line,
            "mentioned_as") in findings(bundled_copy)


def test_a_board_member_with_another_id_than_its_organisation_is_refused(bundled_copy):
    edit(bundled_copy, "board_members", "ministerie-bho", "member_id", "minister-bho")
    assert any(f[0] == "foreign-key" and f[1] == "board_members" for f in findings(bundled_copy))


def test_a_cited_document_that_backs_no_row_is_refused(bundled_copy):
    line = edit(bundled_copy, "policy_statements", "cabinet-supports-draghi", "cites_source_id",
                "")
    hits = [f for f in findings(bundled_copy) if f[0] == "source-backs-no-row"]
    assert hits and hits[0][1] == "sources" and line > 1
