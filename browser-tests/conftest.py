"""Fixtures of the real-browser suite (make test-browser): one JupyterLab server and one
headless Chromium per pytest process (per xdist worker), a fresh browser page per test,
and a screenshot of the page kept in browser-tests/artifacts/ when a test fails.

Not under tests/: `make test` never collects it, and it needs Chromium and playwright.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from lab import CHROMIUM, LabServer, launch_chromium

ARTIFACTS = Path(os.environ.get("BROWSER_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))


def pytest_configure(config):
    # Only the controlling process (not an xdist worker) clears the last run's artefacts.
    if not hasattr(config, "workerinput"):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Let fixtures see whether the test failed (item.rep_call.failed) at teardown."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def lab_server(request):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.exit(f"{CHROMIUM} not found: install Debian's chromium package "
                    "(apt-get install chromium), or set CHROMIUM=/path/to/chromium", returncode=3)
    server = LabServer()
    try:
        server.check_kernel_python()
    except RuntimeError as exc:
        server.stop()
        pytest.exit(f"{exc} (make test-browser)", returncode=3)
    yield server
    log = server.log()
    server.stop()
    if request.session.testsfailed:  # the server's log, next to the screenshots
        (ARTIFACTS / f"jupyterlab-{os.getpid()}.log").write_text(log)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(request, browser, lab_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
        print(f"screenshot of the failure: {ARTIFACTS / f'{name}.png'}")
    context.close()
    # Shut the test's kernels down through the server's REST API (the page is gone).
    for session in lab_server.api("/api/sessions"):
        lab_server.delete(f"/api/sessions/{session['id']}")
