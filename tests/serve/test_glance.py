"""The letter at a glance: the bundled package's declared charts on the home page.

The numbers of every chart are read back from the page (the table each chart carries as its
text alternative) and compared with what the CSV files say.
"""

from __future__ import annotations

import csv
import json
import re
import urllib.parse
from collections import Counter
from html.parser import HTMLParser

import pytest

from tests.conftest import BUNDLED

DATA = BUNDLED / "data"


def rows(table: str) -> list[dict[str, str]]:
    with (DATA / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by_id(table: str, key: str) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in rows(table)}


class Figures(HTMLParser):
    """Each glance figure's id, its table (header and rows, with each row's link), its SVG
    links and its key figures."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict] = {}
        self.current: dict | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.row_href: str | None = None
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and (a.get("id") or "").startswith("chart-"):
            self.current = self.figures[a["id"][6:]] = {
                "head": [], "rows": [], "svg_links": [], "svgs": 0, "figures": []}
        if self.current is None:
            return
        if tag == "svg":
            self.current["svgs"] += 1
        elif tag == "a" and "xlink:href" in a:
            self.current["svg_links"].append(a["xlink:href"])
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row, self.row_href = [], None
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "a" and self.row is not None and a.get("href"):
            self.row_href = a["href"]
        elif tag == "li":
            self.cell = []
        elif tag == "a" and a.get("href") and self.cell is not None:
            self.current["figures"].append({"href": a["href"]})

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "li" and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            if self.current["figures"]:
                self.current["figures"][-1]["text"] = text
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.in_head:
                self.current["head"] = self.row
            else:
                self.current["rows"].append(dict(zip(self.current["head"], self.row,
                                                     strict=False)) | {"href": self.row_href})
            self.row = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "figure":
            self.current = None


@pytest.fixture(scope="module")
def home(site) -> str:
    return site.get("/").read().decode()


@pytest.fixture(scope="module")
def figures(home) -> dict[str, dict]:
    parser = Figures()
    parser.feed(home)
    return parser.figures


def declared() -> list[dict]:
    descriptor = json.loads((BUNDLED / "datapackage.json").read_text(encoding="utf-8"))
    return descriptor["semicon"]["site"]["charts"]


def test_the_home_page_opens_with_the_letter_at_a_glance(home, figures):
    body = home[home.index("<main"):] if "<main" in home else home
    h2 = re.findall(r"<h2[^>]*>(.*?)</h2>", body)
    assert h2[0] == "At a glance"
    assert list(figures) == [c["name"] for c in declared()]
    for chart in declared():
        fig = figures[chart["name"]]
        if chart.get("kind") == "figures":
            assert fig["svgs"] == 0 and len(fig["figures"]) == 6
        else:  # a wide and a narrow drawing, every mark linked, and the table alternative
            assert fig["svgs"] == 2, chart["name"]
            assert fig["rows"] and set(fig["svg_links"]) == {r["href"] for r in fig["rows"]}


def test_every_mark_links_to_its_rows_and_their_quotes(site, figures):
    quotes = {t: {r.get("source_quote") for r in rows(t)} for t in
              ("funding_allocations", "events", "coalition_members", "board_members",
               "key_figures")}
    links = {h for f in figures.values() for h in f["svg_links"]}
    links |= {x["href"] for f in figures.values() for x in f["figures"]}
    assert len(links) > 50
    for href in sorted(links):
        page = site.get(href).read().decode()
        table = urllib.parse.urlsplit(href).path.split("/")[2]
        shown = {q for q in quotes[table] if q and _html(q) in page}
        assert shown, href


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        "'", "&#39;").replace('"', "&#34;")


def _num(text: str) -> float:
    return float(text)


def test_beethoven_split_matches_the_csv(figures):
    alloc = rows("funding_allocations")
    total = next(r for r in alloc if r["allocation_id"] == "beethoven-total")
    payers = {r["funder"]: int(r["amount"]) for r in alloc
              if r["parent_id"] == "beethoven-total" and r["breakdown"] == "payer"}
    purposes = {r["title"]: int(r["amount"]) for r in alloc
                if r["parent_id"] == "beethoven-total" and r["breakdown"] == "purpose"}
    expected = {("Who pays", k, v / 1e9) for k, v in payers.items()}
    expected |= {("What it pays for", k, v / 1e9) for k, v in purposes.items()}
    expected.add(("What it pays for", "Not broken down in the letter",
                  (int(total["amount"]) - sum(purposes.values())) / 1e9))
    shown = {(r["split"], r["part"], _num(r["eur billion"])) for r in figures["beethoven"]["rows"]}
    assert shown == expected
    # the payers add up to the total within the letter's rounding (1.73 + 0.778 = 2.508)
    assert sum(v for s, _, v in shown if s == "Who pays") == pytest.approx(
        int(total["amount"]) / 1e9, abs=0.0105)


def test_the_comparison_never_mixes_currencies_and_matches_the_csv(figures):
    alloc = by_id("funding_allocations", "allocation_id")
    shown = figures["compare"]["rows"]
    assert {r["currency"] for r in shown} == {"USD", "EUR"}
    for r in shown:
        key = r["href"].rsplit("/", 1)[1]
        csv_row = alloc[key]
        assert r["currency"] == csv_row["currency"]
        high = int(csv_row["amount"] or csv_row["amount_high"])
        low = int(csv_row["amount_low"] or 0)
        assert (_num(r["from billion"]), _num(r["to billion"])) == (low / 1e9, high / 1e9)
        assert r["status"] == csv_row["status"]
    countries = {alloc[r["href"].rsplit("/", 1)[1]]["funder_country"] for r in shown}
    assert {"US", "JP", "CN"} <= countries


def test_the_timeline_holds_every_event_of_the_csv(figures):
    expected = sorted((r["date"], r["title"], r["status"]) for r in rows("events"))
    shown = sorted((r["date"], r["title"], r["status"]) for r in figures["timeline"]["rows"])
    assert shown == expected


def test_the_coalitions_chart_holds_every_named_member_state(figures):
    names = {"ipcei-ast": "IPCEI AST", "semicon-coalition": "Semicon Coalition"}
    expected = Counter((r["country_name"], names[r["coalition_id"]], r["role"])
                       for r in rows("coalition_members"))
    shown = Counter((r["country name"], r["coalition"], r["role"])
                    for r in figures["coalitions"]["rows"])
    assert shown == expected


def test_the_board_chart_counts_the_members_of_the_csv(figures):
    expected = Counter((r["role"], r["represents"] or "chair") for r in rows("board_members"))
    seat = {"Chair": "chair", "Permanent members": "permanent-member",
            "For the sector": "sector-member"}
    shown = {(seat[r["seat"]], r["on behalf of"]): int(r["members"])
             for r in figures["board"]["rows"]}
    assert shown == dict(expected)
    assert sum(shown.values()) == len(rows("board_members"))


def test_the_key_figures_are_the_csvs_numbers(figures):
    alloc = by_id("funding_allocations", "allocation_id")
    kf = by_id("key_figures", "figure_id")
    texts = [f["text"] for f in figures["key-figures"]["figures"]]
    assert texts[0].startswith(f"EUR {int(alloc['beethoven-total']['amount']) / 1e9:.2f} billion")
    assert texts[1].startswith(
        f"EUR {int(alloc['talent-plan-incidental']['amount']) // 1_000_000} million")
    assert texts[2].startswith(f"{int(float(kf['brainport-homes']['value'])):,}")
    assert texts[3].startswith(f"{int(float(kf['talent-need-2030']['value'])):,}")
    assert texts[4].startswith(
        f"EUR {int(alloc['chipnl-private-commitment']['amount']) // 1_000_000} million")
    assert texts[5].startswith(f"{int(float(kf['ipcei-ast-member-states']['value']))} ")


def test_table_pages_show_the_rows_first_with_the_column_help_folded(site):
    page = site.get(f"/{site.db_name}/funding_allocations").read().decode()
    assert 'class="column-descriptions"' not in page
    help_at = page.index('<details class="column-help">')
    assert page.index("<table", help_at) > help_at
    assert "What the 21 columns mean" in page
    assert "CC-BY-4.0" in page or "Creative Commons" in page  # the inherited licence stays
