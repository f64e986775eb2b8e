"""The built site (`make book` -> _build/html) as a reader sees it: every page opened in headless
Chromium with no network at all (every request that does not go to the local server is refused).

For every page of _toc.yml:
* equations are typeset: MathJax loaded from the site, its output elements (mjx-container) are
  present wherever the HTML has maths, and no raw TeX delimiters remain in the page's text;
* every figure loads (no broken image);
* each interactive panel shows its saved initial state: the widget manager, loaded from the
  site, has drawn its controls and its initial plot;
* collapsed exercise solutions are hidden, and open on a click;
* the launch buttons point at this notebook on Binder and on Colab (from _config.yml);
* nothing was requested from outside the site.

A failing page leaves a screenshot in browser-tests/artifacts/. Run by `make book` after the
build (not by `make test-browser`, which tests the notebooks in JupyterLab).
"""

import functools
import http.server
import os
import re
import sys
import threading
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import ARTIFACTS
from lab import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.collection import notebooks  # noqa: E402

SITE = Path(os.environ.get("NEURONS_SITE", ROOT / "_build" / "html"))
TOC_ROOT = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]   # index.html redirects here
PAGES = [TOC_ROOT] + [p.removesuffix(".ipynb") for p in notebooks(ROOT)]
TYPESET_TIMEOUT = 60_000   # ms: MathJax typesets ~100 equations a page in a few seconds
WIDGETS_TIMEOUT = 60_000   # ms: the widget manager draws every saved panel
PAGE_TIMEOUT = 120_000     # ms: loading a long page on two busy cores

# Console messages that are not failures: the book theme's notice when no colour theme is stored
# yet, and sphinx-thebe's inline settings, which Jupyter Book 1 writes into every page twice
# (live code is off here: launch_buttons.thebe is false), so the second `const` throws.
HARMLESS_CONSOLE = ("Got invalid theme mode", "Identifier 'THEBE_JS_URL' has already been declared")


@pytest.fixture(scope="module")
def site_url():
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site at {SITE}: run `make book` (it runs these tests after building)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def offline_page(request, browser, site_url):
    """A page that can reach the local site and nothing else; screenshot kept on failure."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    refused, console = [], []

    def route(r):
        if r.request.url.startswith(site_url + "/"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    missing = []
    page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.refused, page.console_errors, page.missing = refused, console, missing
    page.set_default_timeout(PAGE_TIMEOUT)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), timeout=PAGE_TIMEOUT)
        (ARTIFACTS / f"site-{name}.console.txt").write_text("\n".join(console + refused))
    context.close()


def launch_urls(page_name):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    slug = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    return (f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/{page_name}.ipynb",
            f"https://colab.research.google.com/github/{slug}/blob/{branch}/{page_name}.ipynb")


TYPESET_JS = """async () => {
    if (!window.MathJax || !window.MathJax.startup) return {loaded: false};
    await window.MathJax.startup.promise;
    const main = document.querySelector('main').cloneNode(true);
    main.querySelectorAll('pre, code, script, mjx-container').forEach(e => e.remove());
    const text = main.textContent;
    return {loaded: true,
            maths: document.querySelectorAll('.math').length,
            typeset: document.querySelectorAll('mjx-container').length,
            raw: (text.match(/\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\$\\$/g) || []).length,
            sample: (text.match(/.{0,40}(\\\\\\(|\\\\\\[|\\$\\$).{0,40}/) || [''])[0]};
}"""

# A progress bar (a long fit's) is a widget view but not a panel: it has no controls and no plot.
PANELS_JS = """() => [...document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]')].map(s => {
    const box = s.parentElement;
    return {drawn: box.querySelectorAll('.jupyter-widgets').length,
            progress: box.querySelectorAll('.widget-hprogress, .widget-vprogress').length,
            controls: box.querySelectorAll('.widget-slider, .widget-dropdown, .widget-button, '
                                           + '.widget-checkbox, .widget-toggle-buttons').length,
            plots: [...box.querySelectorAll('.widget-output img')].filter(
                i => i.complete && i.naturalWidth > 0).length};
})"""


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(offline_page, site_url, name):
    page = offline_page
    page.goto(f"{site_url}/{name}.html", wait_until="load")

    maths = page.evaluate(TYPESET_JS)
    assert maths["loaded"], "MathJax did not load from the site"
    if maths["maths"]:
        assert maths["typeset"] >= 1, f"{maths['maths']} equations, none typeset"
    assert maths["raw"] == 0, f"raw TeX left in the text: ...{maths['sample']}..."

    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
    broken = page.evaluate("() => [...document.images].filter(i => i.naturalWidth === 0)"
                           ".map(i => i.src)")
    assert not broken, f"broken images: {broken}"

    views = page.evaluate(PANELS_JS)
    if views:
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]')]"
                ".every(s => s.parentElement.querySelector('.jupyter-widgets .widget-output img')"
                " || s.parentElement.querySelector('.widget-hprogress, .widget-vprogress'))",
                timeout=WIDGETS_TIMEOUT)
        except PlaywrightTimeout:
            pass  # reported below, panel by panel
        views = page.evaluate(PANELS_JS)
        views = [v for v in views if not (v["progress"] and not v["controls"] and not v["plots"])]
        for index, view in enumerate(views):
            assert view["drawn"] and view["controls"], f"panel {index + 1} not drawn: {view}"
            assert view["plots"] >= 1, f"panel {index + 1} shows no initial plot: {view}"

    solutions = page.locator(".cell.tag_solution details")
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        code = solution.locator(".cell_input pre").first
        assert not code.is_visible(), f"solution {index + 1} is shown before it is opened"
        solution.locator("summary").click()
        code.wait_for(state="visible", timeout=5_000)

    if name != TOC_ROOT:
        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for url in launch_urls(name):
            assert url in hrefs, f"no launch link to {url}"

    assert not page.refused, f"requests outside the site: {page.refused[:5]}"
    assert not page.missing, f"files missing from the site: {page.missing[:5]}"
    errors = [e for e in page.console_errors if not any(h in e for h in HARMLESS_CONSOLE)
              and not e.startswith("Failed to load resource")]  # reported above, with the URL
    assert not errors, f"console errors: {errors[:5]}"
