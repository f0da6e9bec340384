"""Sentences of a plain-text document, as PDF or web pages give it."""

from __future__ import annotations

from semicon.schemas.sentences import normalise, split_sentences

from tests.conftest import LETTER


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_sentences_end_at_stops_before_a_capital_not_at_abbreviations():
    text = ("Europa verdient ca. 10% van de omzet.5 Gericht op Taiwan resp. Maleisië en (bv.\n"
            "automotive). Het kabinet\nbesluit. Dat is e.g. nodig? Ja!")
    assert texts(text) == [
        "Europa verdient ca. 10% van de omzet.5",
        "Gericht op Taiwan resp. Maleisië en (bv. automotive).",
        "Het kabinet besluit.",
        "Dat is e.g. nodig?",
        "Ja!",
    ]


def test_headings_list_items_and_paragraphs_are_units_of_their_own():
    text = ("Ik informeer u over:\nA. De voortgang van het project;\nB. Initiatieven.\n\n"
            "A. Voortgang project\nIn 2024 is er een impuls gegeven. Die werkt\n\nTot slot\n"
            "Het einde.\n")
    assert texts(text) == [
        "Ik informeer u over:", "A. De voortgang van het project;", "B. Initiatieven.",
        "A. Voortgang project", "In 2024 is er een impuls gegeven.", "Die werkt",
        "Tot slot", "Het einde.",
    ]


def test_footnotes_and_the_body_a_page_break_resumes_are_apart():
    text = ("De samenwerking met ASML aan de uitvoering van de\n\n"
            "7 Kamerstuk 33009, nr. 141\n8 Een tweede noot die\ndoorloopt.\n"
            " woningbouw verloopt uitstekend. Daarna meer.\n")
    assert texts(text) == [
        "De samenwerking met ASML aan de uitvoering van de",
        "7 Kamerstuk 33009, nr. 141",
        "8 Een tweede noot die doorloopt.",
        "woningbouw verloopt uitstekend.",
        "Daarna meer.",
    ]


def test_spans_and_lines_point_into_the_text():
    text = LETTER.read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert len(sentences) > 150
    for s in sentences:
        assert normalise(text[s.start:s.end]) == s.text
        assert text.count("\n", 0, s.start) + 1 == s.line
    board = next(s for s in sentences if s.text.startswith("Naast mij als voorzitter"))
    assert board.line == 366 and board.text.endswith("de minister van Defensie.")
