"""Headless widget tests: every control of every interactive plot, at both ends of its range.

For each ``ipywidgets.interactive`` the notebook created (``interact`` creates one too),
each slider is set to its minimum and to its maximum (others at their current values),
each dropdown / toggle to every option, and the notebook's callback is called with
warnings turned into errors: an overflow, a division by zero or a NaN that numpy
warns about fails the test, as does any exception.  Buttons (reset / presets) are
clicked and must leave no error output.  Reference: none needed; the requirement
is "no error, no warning" over the whole declared range.

A panel that shows its picture in an Image widget (point 02, 04, 05: each update replaces the
widget's value) shares that picture with every later call of its callback, so the picture stored
in the committed notebook, which the site renders, must be the one the callback draws for the
panel's stored control values.

The code that runs in the kernel is tools/kernel_side/widgets.py; it finds the panels
through the notebook's own names (every panel must be reachable from a global name).
"""

import base64
import json

import pytest

from conftest import ROOT, WITH_TEMPLATE, notebook_params


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


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_a_stored_panel_picture_is_the_one_its_controls_draw(path, nb):
    state = json.loads((ROOT / path).read_text())["metadata"].get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    stored = sorted(base64.b64decode(b["data"]) for model in state.values()
                    if model["model_name"] == "ImageModel" for b in model.get("buffers", ())
                    if b["path"] == ["value"])
    nb.run_file("widgets.py")
    drawn = nb.eval("[p.update() for p in _nb_panels()] and sorted("
                    "bytes(w.value) for w in _nb_user_widgets() if isinstance(w, _nb_ipw.Image))")
    if not stored and not drawn:
        pytest.skip("no panel of this notebook shows its picture in an Image widget")
    assert len(stored) == len(drawn) and stored == drawn, \
        "the committed notebook's panel picture is not the one its controls draw: re-execute it"
