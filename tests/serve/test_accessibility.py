"""WCAG 2.1 AA on every page type of the served site, checked by axe-core in Chromium.

axe-core comes with the ``axe-playwright-python`` package (no network). Every page type the
site serves is checked at desktop and phone width, and a keyboard-only walk goes from the
home page to a table, applies a facet and reaches a row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serve.test_browser import pytestmark  # noqa: F401 (the browser marks)

ROOT = Path(__file__).resolve().parents[2]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": 1280, "phone": 390}


def page_types(db: str) -> dict[str, str]:
    """One URL of each kind of page the bundled site serves."""
    return {
        "home": "/",
        "database": f"/{db}",
        "table": f"/{db}/funding_allocations",
        "faceted table": f"/{db}/funding_allocations?_facet=status&status=budgeted",
        "table with filter": f"/{db}/funding_allocations?amount__gt=1000000",
        "row": f"/{db}/board_members/asml",
        "canned query": f"/{db}/beethoven_by_payer",
        "SQL query": f"/{db}?sql=select+*+from+sources+limit+3",
        "letter": "/letter",
        "letter with quote": "/letter?quote=In+totaal+hebben+het+Rijk",
        "data dictionary": f"/{db}/_data_dictionary",
        "search": "/-/search?q=ASML",
        "not found": "/no-such-page",
    }


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{v['id']} x{len(v['nodes'])}: {v['nodes'][0]['target']} {v['help']}"
        for v in result.response["violations"]
    ]


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_every_page_type_passes_wcag_21_aa(site, browser, width):
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 900})
    found = {}
    for kind, path in page_types(site.db_name).items():
        page.goto(site.url + path)
        if kind == "search":
            page.wait_for_selector("table.rows-and-columns td", timeout=15000)
        assert page.locator("html").get_attribute("lang") == "en", kind
        bad = violations(page)
        if bad:
            found[kind] = bad
    page.close()
    assert found == {}


def declared_langs(descriptor: Path) -> dict[str, dict[str, str]]:
    """Table -> column -> language, as the bundled package declares them."""
    import json

    site = json.loads(descriptor.read_text())["semicon"]["site"]["resources"]
    return {t: d["lang"] for t, d in site.items() if d.get("lang")}


def cell_langs(page, column: str) -> list[str]:
    """The language of every non-empty cell of ``column`` in the page's results tables."""
    return page.locator(f"td.col-{column}").evaluate_all(
        "tds => tds.filter(td => td.innerText.trim())"
        ".map(td => (td.querySelector('[lang]') || td.closest('[lang]')).lang)")


def test_dutch_text_is_marked_dutch(site, browser):
    page = browser.new_page()
    page.goto(f"{site.url}/{site.db_name}/funding_allocations")
    quotes = page.locator("td.col-source_quote q")
    assert quotes.count() >= 10
    langs = quotes.evaluate_all("qs => qs.map(q => q.closest('[lang]').lang)")
    assert set(langs) == {"nl"}
    declared = declared_langs(site.descriptor)
    assert declared, "the bundled package declares its Dutch columns"
    for table, columns in declared.items():
        page.goto(f"{site.url}/{site.db_name}/{table}?_size=max")
        for column, lang in columns.items():
            assert set(cell_langs(page, column)) == {lang}, (table, column)
    # search results are drawn by script from JSON: quotes keep their language there too
    page.goto(site.url + "/-/search?q=Beethoven")
    page.wait_for_selector("#search-all-results td", timeout=15000)
    found = page.locator("#search-all-results td").evaluate_all(
        "tds => tds.filter(td => td.closest('table').querySelectorAll('th')[td.cellIndex]"
        ".innerText == 'source_quote').map(td => td.closest('[lang]').lang)")
    assert found and set(found) == {"nl"}
    page.goto(site.url + "/letter")
    assert page.locator("pre.document-text").evaluate("e => e.closest('[lang]').lang") == "nl"
    page.close()


def tab_to(page, predicate: str, limit: int = 400) -> str:
    """Press Tab until the focused element satisfies ``predicate`` (a JS function of it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"({predicate})(document.activeElement)"):
            return page.evaluate("document.activeElement.outerHTML")
    raise AssertionError(f"no focusable element matched {predicate} in {limit} tabs")


def follow(page) -> None:
    """Press Enter on the focused link and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_home_to_table_facet_and_row(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.url + "/")
    # The first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    tab_to(page, "e => e.tagName == 'A' && e.getAttribute('href')"
                 " && e.getAttribute('href').endsWith('/funding_allocations')")
    follow(page)
    assert page.url.endswith("/funding_allocations")
    tab_to(page, "e => e.tagName == 'A' && e.closest('.facet-info')")
    follow(page)
    assert "=" in page.url.split("?", 1)[1]
    tab_to(page, "e => e.tagName == 'A' && e.closest('td.type-pk')")
    follow(page)
    assert page.locator("table.rows-and-columns tbody tr").count() == 1
    page.close()


def test_every_template_edit_finds_its_place():
    """Each accessibility edit matches the template text the installed Datasette ships.

    A Datasette upgrade that changes one of these lines fails here, not silently on the site.
    """
    import datasette
    import datasette_search_all
    from datasette.utils import module_from_path

    path = ROOT / "build" / "plugins" / "semicon_a11y.py"
    a11y = module_from_path(str(path), name=path.name)
    shipped = {
        p.name: p.read_text(encoding="utf-8")
        for pkg in (datasette, datasette_search_all)
        for p in (Path(pkg.__file__).parent / "templates").glob("*.html")
    }
    missing = [(name, old) for name, edits in a11y.PATCHES.items()
               for old, _ in edits if old not in shipped[name]]
    assert missing == []
    patched = a11y.patch("default:base.html", shipped["base.html"])
    assert '<html lang="en">' in patched and 'class="skip-link"' in patched
