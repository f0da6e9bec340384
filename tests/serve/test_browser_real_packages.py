"""Headless Chromium on the sites of packages nobody here wrote (tests/real_packages/), each
served by a real ``datasette`` process exactly as ``semicon serve`` runs it: the site shows the
package's own title and description, no word about a letter, and every same-site link on it
answers 200."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.serve.conftest import REAL, REAL_PACKAGES, build, start_site
from tests.serve.site_checks import letter_words
from tests.serve.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("SEMICON_REQUIRE_BROWSER"),
        reason="/usr/bin/chromium is not installed (apt-get install chromium)",
    ),
]
SAME_SITE_LINKS = """base => [...document.querySelectorAll('a[href]')]
  .map(a => a.href.split('#')[0]).filter(h => h.startsWith(base + '/'))"""


@pytest.fixture(scope="module", params=REAL)
def served(request, tmp_path_factory):
    """One real package, built and packaged, served by ``datasette`` on a free port."""
    work = tmp_path_factory.mktemp(f"browse-{request.param}")
    pkg = work / request.param
    shutil.copytree(REAL_PACKAGES / request.param, pkg)
    descriptor = pkg / "datapackage.json"
    out = work / "dist"
    build(descriptor, out)
    site = start_site(descriptor, out, work / "datasette.log")
    try:
        yield site, json.loads(descriptor.read_text())
    finally:
        site.proc.terminate()
        try:
            site.proc.wait(10)
        except subprocess.TimeoutExpired:
            site.proc.kill()


def test_real_package_site(served, browser):
    site, raw = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    response = page.goto(site.url + "/")
    assert response is not None and response.status == 200
    assert page.locator("h1").first.inner_text().strip() == raw["title"]
    assert page.locator("p.lead").inner_text().strip() == raw["description"]
    assert raw["title"] in page.title()
    assert not letter_words(page.inner_text("body"), raw)
    assert page.locator("a[href='/letter'], q.source-quote").count() == 0
    links = sorted(set(page.evaluate(SAME_SITE_LINKS, site.url)))
    tables = [f"{site.url}/{raw['name']}/{r['name']}" for r in raw["resources"]]
    assert set(tables) <= set(links)
    assert len(links) > len(tables)
    broken = {}
    for link in links:
        r = page.request.get(link)
        if r.status != 200:
            broken[link] = r.status
    assert not broken
    # each table page, as a browser shows it: rows, and nothing about a letter either
    for link in tables:
        page.goto(link)
        assert page.locator("table.rows-and-columns tbody tr").count() >= 1, link
        assert not letter_words(page.inner_text("body"), raw), link
    page.close()
