"""Headless widget tests: every control of every interactive plot, at both ends of its range.

For each ``ipywidgets.interactive`` the notebook created (``interact`` creates one too),
each slider is set to its minimum and to its maximum (others at their current values),
each dropdown / toggle to every option, and the notebook's callback is called with
warnings turned into errors: an overflow, a division by zero or a NaN that numpy
warns about fails the test, as does any exception.  Buttons (reset / presets) are
clicked and must leave no error output.  Reference: none needed; the requirement
is "no error, no warning" over the whole declared range.

The code that runs in the kernel is tools/kernel_side/widgets.py; it finds the panels
through the notebook's own names (every panel must be reachable from a global name).
"""

import pytest

from conftest import WITH_TEMPLATE, notebook_params


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_every_slider_runs_at_both_ends_without_error_or_warning(path, nb):
    nb.run_file("widgets.py")
    report = nb.eval("_nb_check_widgets()")
    assert report["panels"] > 0, f"{path} has no interactive widget panel"
    assert report["problems"] == [], "\n".join(report["problems"])


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_buttons_click_without_error(path, nb):
    nb.run_file("widgets.py")
    nb.eval("_nb_click_buttons()")  # KernelError if a click handler shows a traceback
