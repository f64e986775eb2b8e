"""Headless widget tests: every control of every interactive plot, at both ends of its range.

For each ``ipywidgets.interactive`` the notebook created (``interact`` creates one too),
each slider is set to its minimum and to its maximum (others at their current values),
each dropdown / toggle to every option, and the notebook's callback is called with
warnings turned into errors: an overflow, a division by zero or a NaN that numpy
warns about fails the test, as does any exception.  Buttons (reset / presets) are
clicked and must leave no error output.  Reference: none needed; the requirement
is "no error, no warning" over the whole declared range.

A panel that shows its picture in an Image widget (point 01-05: each update replaces the
widget's value, and the panel's output is not cleared) shares that picture with every later call
of its callback, so the picture stored in the committed notebook, which the site renders, must be
the one the callback draws for the panel's stored control values; and what a failed update left
below the picture (its traceback) must go with the next picture.

The code that runs in the kernel is tools/kernel_side/widgets.py; it finds the panels
through the notebook's own names (every panel must be reachable from a global name).
"""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

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


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_a_stored_panel_picture_is_the_one_its_controls_draw(path, nb):
    state = json.loads((ROOT / path).read_text())["metadata"].get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    stored = [base64.b64decode(b["data"]) for model in state.values()
              if model["model_name"] == "ImageModel" for b in model.get("buffers", ())
              if b["path"] == ["value"]]
    nb.run_file("widgets.py")
    if not stored and not nb.eval("any(isinstance(w, _nb_ipw.Image) for w in _nb_user_widgets())"):
        pytest.skip("no panel of this notebook shows its picture in an Image widget")
    # The buttons' resets first: other tests in this kernel move the panels, and a panel that
    # keeps its axis limits while the data fill them (04, 05) draws the same values differently
    # after other moves; a reset draws a preset's first picture, as the notebook leaves it.
    nb.eval("_nb_click_buttons()")
    drawn = nb.eval("[p.update() for p in _nb_panels()] and ["
                    "bytes(w.value) for w in _nb_user_widgets() if isinstance(w, _nb_ipw.Image)]")
    assert len(stored) == len(drawn) == 1, (len(stored), len(drawn))
    # pixels, not bytes: another zlib or Pillow may encode the same picture differently
    assert np.array_equal(_pixels(stored[0]), _pixels(drawn[0])), \
        "the committed notebook's panel picture is not the one its controls draw: re-execute it"


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_the_next_picture_removes_what_a_failed_update_left(path, nb):
    nb.run_file("widgets.py")
    n = nb.eval("len([w for w in _nb_user_widgets() if isinstance(w, _nb_ipw.Image)])")
    if not n:
        pytest.skip("no panel of this notebook shows its picture in an Image widget")
    # What the front end syncs back after a failed update: the traceback after the picture.
    left = nb.eval(
        "[_p for _p in _nb_panels() if len(_p.out.outputs) == 1][0].out.outputs[0]")
    nb.run("_nb_p = [_p for _p in _nb_panels() if len(_p.out.outputs) == 1][0]\n"
           "_nb_p.out.outputs = _nb_p.out.outputs + ({'output_type': 'error', 'ename': 'ValueError',"
           " 'evalue': 'an earlier move', 'traceback': []},)\n"
           "_nb_c = [c for c in _nb_p.kwargs_widgets if hasattr(c, 'max')][0]\n"
           "_nb_v = _nb_c.value\n"
           "_nb_c.value = _nb_c.min if _nb_v != _nb_c.min else _nb_c.max\n")
    after = nb.eval("_nb_p.out.outputs")
    nb.run("_nb_c.value = _nb_v")
    assert list(after) == [left], after
