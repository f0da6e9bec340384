"""The letter's reading page shows which sentences the rows quote (``semicon coverage``)."""

from __future__ import annotations

import html
import re
from urllib.parse import quote as urlquote

from click.testing import CliRunner
from semicon.cli.main import cli

from tests.conftest import BUNDLED


def test_the_reading_page_marks_every_sentence_with_its_coverage(site):
    page = site.get("/letter").read().decode()
    report = CliRunner().invoke(cli, ["coverage", str(BUNDLED), "--format", "json"])
    import json

    (doc,) = json.loads(report.output)["documents"]
    spans = re.findall(r'<span class="sentence s-(quoted|excluded|missing)" title="([^"]*)">',
                       page)
    assert [s for s, _ in spans] == [s["status"] for s in doc["sentences"]]
    assert f"{doc['quoted']} sentences are quoted by a row" in page
    # a quoted sentence links to a row that quotes it
    links = re.findall(r'<a class="row-link" href="([^"]+)">(.*?)</a>', page, flags=re.S)
    assert len(links) == doc["quoted"]
    href, text = links[0]
    row_page = site.get(href).read().decode()
    sentence = " ".join(html.unescape(text).split())
    assert any(" ".join(html.unescape(q).split())[:30] in sentence
               for q in re.findall(r'<q class="source-quote"[^>]*>(.*?)</q>', row_page, re.S))


def test_the_cited_passage_is_still_highlighted_across_sentences(site):
    quote = ("In totaal hebben het Rijk, de regio en de sector tot en met 2030 € 2,51 miljard "
             "uitgetrokken voor deze nationale impuls. Daarvan wordt € 1,73 miljard")
    page = site.get("/letter?quote=" + urlquote(quote)).read().decode()
    marks = re.findall(r"<mark( id=\"quote\")?>(.*?)</mark>", page, flags=re.S)
    assert marks[0][0] and len(marks) > 1 and not any(m[0] for m in marks[1:])
    assert " ".join("".join(m[1] for m in marks).split()) == html.escape(quote, quote=False)
