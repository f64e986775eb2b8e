"""Every notebook, in JupyterLab, in a real (headless) Chromium, as a reader uses it.

For each notebook: open it, Run > Run All Cells, wait for the kernel to go idle, and
require no error output anywhere on the page.  Then, in every interactive panel, type
a new value into one slider's readout and press Enter, as a person would; the plot
in that panel's output must change, and no error output may appear.

Reference: none needed; the requirement is "runs without error, and the controls
drive the plots" in the real front end (widget JavaScript, comm messages, the
inline backend), which the kernel-side tests in tests/ cannot see.
"""

import time
from pathlib import Path

import pytest

from lab import NOTEBOOKS, NotebookPage, PageError

# Generous per-step limits; the whole suite takes a few minutes (see the Makefile).
RUN_ALL_TIMEOUT = 300
PLOT_TIMEOUT = 120


def slider_change(slider):
    """Read a slider's range and value from the page; pick a new value a quarter of the range away."""
    handle = slider.locator(".noUi-handle").first
    lo, hi, now = (float(handle.get_attribute(a)) for a in
                   ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
    readout = slider.locator(".widget-readout").first.inner_text().strip()
    step = (hi - lo) / 4
    new = now + step if now + step <= hi else now - step
    integer = "." not in readout  # an IntSlider's readout shows no decimals
    new = round(new) if integer else round(new, 2)
    return readout, now, new


def wait_for_new_plot(nb, panel, before, timeout):
    """Until the panel's plot differs from `before` (and the kernel is idle); fail on an error output."""
    deadline = time.monotonic() + timeout
    while True:
        nb.raise_on_errors("after the slider change")
        after = nb.plot_images(panel)
        if after and after != before and nb.kernel_status().endswith("| Idle"):
            return after
        if time.monotonic() > deadline:
            raise PageError(f"the plot did not change within {timeout} s of the slider change "
                            f"({len(after)} image(s) in the panel's output now)")
        time.sleep(0.25)


@pytest.mark.parametrize("relpath", NOTEBOOKS, ids=[Path(p).stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_sliders_drive_the_plots(relpath, page, lab_server):
    nb = NotebookPage(page, lab_server, relpath)
    nb.open()
    nb.run_all(RUN_ALL_TIMEOUT)
    nb.raise_on_errors("after Run All Cells")

    panels = nb.panels()
    assert panels.count() > 0, f"{relpath}: no interactive widget panel on the page after Run All"
    for index in range(panels.count()):
        panel = panels.nth(index)
        panel.scroll_into_view_if_needed()
        sliders = panel.locator(".widget-slider")
        assert sliders.count() > 0, f"panel {index + 1} has no slider"
        before = nb.plot_images(panel)
        assert before, f"panel {index + 1} shows no plot after Run All"
        slider = sliders.first
        label = slider.locator(".widget-label").first.inner_text()
        shown, now, new = slider_change(slider)
        nb.type_into_readout(slider, new)
        try:
            wait_for_new_plot(nb, panel, before, PLOT_TIMEOUT)
        except PageError as exc:
            raise PageError(f"panel {index + 1}, slider {label!r} {shown} -> {new}: {exc}") from None
        # The readout shows the value typed (the handle's aria-valuenow is rounded by noUiSlider).
        shown_now = slider.locator(".widget-readout").first.inner_text().strip()
        assert float(shown_now.replace("\u2212", "-")) == pytest.approx(new, abs=1e-6), \
            f"panel {index + 1}, slider {label!r}: typed {new}, the readout shows {shown_now}"
    nb.raise_on_errors("after the slider changes")
