"""The site in Chromium under its Content-Security-Policy: no inline script but the pages' own.

Every page type of ``test_accessibility.page_types`` is opened in Debian's Chromium with a
listener for ``securitypolicyviolation`` events installed before any page script runs, and
the console is watched for Content-Security-Policy messages: there must be none, the inline
scripts the pages carry must have run (their hashes are in the policy), and no element may
carry an inline event handler attribute or a ``javascript:`` URL.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.serve.test_accessibility import page_types
from tests.serve.test_browser import pytestmark  # noqa: F401 (the browser marks)

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
INLINE_HANDLERS = """() => Array.from(document.querySelectorAll("*")).flatMap(el =>
  Array.from(el.attributes).filter(a => a.name.startsWith("on")
    || /^\\s*javascript:/i.test(a.value)).map(a => `${el.tagName} ${a.name}`))"""
#: what each page's inline scripts leave behind when they have run
RAN = {
    "table": "typeof DATASETTE_ALLOW_FACET !== 'undefined'",
    "SQL query": "document.querySelector('.CodeMirror') !== null",
    "database": "document.querySelector('.CodeMirror') !== null",
    "search": "document.querySelectorAll('table.rows-and-columns td').length > 0",
}


def script_src(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            policy = r.headers["content-security-policy"]
    except urllib.error.HTTPError as e:  # the not-found page
        policy = e.headers["content-security-policy"]
    return next(d for d in policy.split(";") if d.strip().startswith("script-src")).strip()


def test_every_page_type_runs_under_the_csp_without_a_violation(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    found, handlers, hashed = {}, {}, 0
    for kind, path in page_types(site.db_name).items():
        directive = script_src(site.url + path)
        assert "'unsafe-inline'" not in directive and "'unsafe-eval'" not in directive, kind
        hashed += "'sha256-" in directive
        console.clear()
        page.goto(site.url + path)
        if kind == "search":
            page.wait_for_selector("table.rows-and-columns td", timeout=15000)
        if kind in RAN:
            assert page.evaluate(RAN[kind]), f"the inline script of the {kind} page did not run"
        # the column menu of table pages and the SQL editor are script-driven: use them
        if kind == "table":
            page.locator("th .dropdown-menu-icon").first.click()
        violations = page.evaluate("window.__csp") + [
            m for m in console if "Content Security Policy" in m or m.startswith("page error")]
        if violations:
            found[kind] = violations
        if bad := page.evaluate(INLINE_HANDLERS):
            handlers[kind] = bad
    context.close()
    assert found == {}
    assert handlers == {}
    assert hashed >= 5  # the pages' inline scripts are allowed by hash, not wholesale


def test_a_script_injected_into_a_page_is_blocked(site, browser):
    """A page whose HTML gained an inline script on the way (as an injection would add it)
    keeps the site's policy: the browser refuses to run it and reports the violation."""
    context = browser.new_context()
    context.add_init_script(LISTEN)
    page = context.new_page()
    url = site.url + f"/{site.db_name}/funding_allocations"

    def inject(route):
        response = route.fetch()
        body = response.text().replace("</body>", "<script>window.injected = 1;</script></body>")
        route.fulfill(response=response, body=body)

    page.route(url, inject)
    page.goto(url)
    assert page.evaluate("typeof window.injected") == "undefined"
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
    assert page.evaluate("typeof DATASETTE_ALLOW_FACET !== 'undefined'")  # the page's own ran
    context.close()
