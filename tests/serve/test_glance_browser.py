"""The glance page and each chart in headless Chromium, on a desktop and on a 390 px phone.

Screenshots go to tmp; with SEMICON_SCREENSHOTS=1 they are copied to docs/screenshots (the
README shows them).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import BUNDLED
from tests.serve.test_browser import ARGS, CHROMIUM, _keep, pytestmark  # noqa: F401
from tests.serve.test_glance import rows

CHARTS = [c for c in json.loads((BUNDLED / "datapackage.json").read_text(encoding="utf-8"))[
    "semicon"]["site"]["charts"] if c.get("kind", "vega-lite") == "vega-lite"]
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# Every text of the visible drawing: its box, and the drawing's box, in CSS pixels.
TEXT_BOXES = """(fig) => {
  const svg = [...fig.querySelectorAll('.chart-picture')]
      .find(d => getComputedStyle(d).display !== 'none').querySelector('svg');
  const box = svg.getBoundingClientRect();
  return {svg: [box.left, box.right, box.width],
          texts: [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
              .map(t => { const r = t.getBoundingClientRect();
                          return [t.textContent, r.left, r.right, r.height]; })};
}"""


@pytest.fixture(scope="module", params=list(SCREENS))
def screen(request, site):
    from playwright import sync_api
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport=SCREENS[request.param])
        page.goto(site.url + "/")
        yield request.param, page
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("glance-shots")


def test_the_glance_is_the_first_thing_and_fits_the_screen(screen, shots):
    name, page = screen
    headings = page.locator("main h2, section h2").all_inner_texts()
    assert headings[0] == "At a glance"
    width = SCREENS[name]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot = shots / f"glance-{name}.png"
    page.locator("#glance").screenshot(path=str(shot))
    _keep(shot)
    figures = page.locator("#glance ul.key-figures li")
    assert figures.count() == 6
    assert all(b["width"] <= width for b in (figures.nth(i).bounding_box()
                                             for i in range(figures.count())))


@pytest.mark.parametrize("chart", [c["name"] for c in CHARTS])
def test_each_chart_is_drawn_whole_and_readable(screen, shots, chart):
    name, page = screen
    fig = page.locator(f"#chart-{chart}")
    fig.scroll_into_view_if_needed()
    boxes = fig.evaluate(TEXT_BOXES)
    left, right, svg_width = boxes["svg"]
    assert 250 <= svg_width <= SCREENS[name]["width"]
    assert boxes["texts"]
    for text, t_left, t_right, height in boxes["texts"]:
        # nothing cut off at the drawing's edges, and no label smaller than 8 px
        assert left - 0.5 <= t_left and t_right <= right + 0.5, (chart, text)
        assert height >= 8, (chart, text, height)
    shot = shots / f"chart-{chart}-{name}.png"
    fig.screenshot(path=str(shot))
    _keep(shot)


@pytest.mark.parametrize("chart", [c["name"] for c in CHARTS])
def test_each_chart_has_a_table_for_screen_readers(screen, chart):
    _, page = screen
    fig = page.locator(f"#chart-{chart}")
    svg = fig.locator(".chart-picture svg").first
    assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
    table = fig.locator("details.chart-data table")
    assert table.locator("caption").text_content().strip()
    # one table row per linked mark: the same rows as the picture, readable as text
    links = set(fig.locator(".chart-wide svg a").evaluate_all(
        "as => as.map(a => a.getAttribute('xlink:href'))"))
    hrefs = set(table.locator("tbody a").evaluate_all("as => as.map(a => a.getAttribute('href'))"))
    assert links and links == hrefs
    fig.locator("details.chart-data summary").click()
    assert table.is_visible()
    fig.locator("details.chart-data summary").click()


def test_a_mark_opens_its_row_and_the_quote(site, screen):
    _, page = screen
    mark = page.locator("#chart-beethoven .chart-picture:visible svg a").first
    href = mark.get_attribute("xlink:href")
    key = href.rsplit("/", 1)[1]
    quote = next(r["source_quote"] for r in rows("funding_allocations")
                 if r["allocation_id"] == key)
    mark.click()
    page.wait_for_url(f"**{href}")
    assert " ".join(quote.split())[:60] in " ".join(page.inner_text("body").split())
    page.goto(site.url + "/")
