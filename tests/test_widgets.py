"""Headless widget tests: every control of every interactive plot, at both ends of its range.

For each ``ipywidgets.interactive`` the notebook created (``interact`` creates one too),
each slider is set to its minimum and to its maximum (others at their current values),
each dropdown / toggle to every option, and the notebook's callback is called with
warnings turned into errors: an overflow, a division by zero or a NaN that numpy
warns about fails the test, as does any exception.  Buttons (reset / presets) are
clicked and must leave no error output.  Reference: none needed; the requirement
is "no error, no warning" over the whole declared range.
"""

import pytest

from conftest import NOTEBOOKS, notebook_params

CHECK_WIDGETS = r'''
import warnings as _w
import ipywidgets as _ipw
import matplotlib.pyplot as _plt
from ipywidgets.widgets.widget import _instances as _live

def _widget_cases(control):
    """Values to try for one control: both ends of a slider, every option of a choice."""
    if isinstance(control, _ipw.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if isinstance(control, (_ipw.IntRangeSlider, _ipw.FloatRangeSlider)):
        return [(control.min, control.min), (control.max, control.max), (control.min, control.max)]
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    if hasattr(control, "options"):
        return [v for _, v in control._options_full] if hasattr(control, "_options_full") \
            else list(getattr(control, "_options_values", ()))
    if isinstance(control, (_ipw.Checkbox, _ipw.ToggleButton)):
        return [False, True]
    return []

def _check_widgets():
    panels = [w for w in list(_live.values()) if isinstance(w, _ipw.interactive)]
    report = {"panels": len(panels), "calls": 0, "problems": []}
    for panel in panels:
        base = {c._kwarg: c.get_interact_value() for c in panel.kwargs_widgets}
        for control in panel.kwargs_widgets:
            for value in _widget_cases(control):
                kwargs = dict(base, **{control._kwarg: value})
                with _w.catch_warnings():
                    _w.simplefilter("error")
                    try:
                        panel.f(**kwargs)
                    except Exception as exc:
                        report["problems"].append(
                            f"{panel.f.__name__}({control._kwarg}={value!r}): "
                            f"{type(exc).__name__}: {exc}")
                    finally:
                        _plt.close("all")
                report["calls"] += 1
    return report

def _click_buttons():
    buttons = [w for w in list(_live.values()) if isinstance(w, _ipw.Button)]
    with _w.catch_warnings():
        _w.simplefilter("error")
        for button in buttons:
            button.click()  # a handler's exception is shown as an error output
    _plt.close("all")
    return len(buttons)
'''


@pytest.mark.parametrize("path", notebook_params(NOTEBOOKS))
def test_every_slider_runs_at_both_ends_without_error_or_warning(path, nb):
    nb.run(CHECK_WIDGETS)
    report = nb.eval("_check_widgets()")
    assert report["panels"] > 0, f"{path} has no interactive widget panel"
    assert report["problems"] == [], "\n".join(report["problems"])


@pytest.mark.parametrize("path", notebook_params(NOTEBOOKS))
def test_buttons_click_without_error(path, nb):
    nb.run(CHECK_WIDGETS)
    nb.eval("_click_buttons()")  # KernelError if a click handler shows a traceback
