# Runs inside a notebook's kernel after the notebook has run (tests/test_widgets.py,
# benchmarks/run.py): finds the notebook's interactive panels through its own namespace
# (public ipywidgets API only) and drives their controls.
import warnings as _nb_warnings

import ipywidgets as _nb_ipw
import matplotlib.pyplot as _nb_plt


def _nb_walk_widgets(roots):
    """Every widget reachable from the given objects: containers' children, dict and list
    values, and the .widget of a function decorated with @interact."""
    seen, found, stack = set(), [], list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _nb_ipw.Widget):
            found.append(obj)
            stack.extend(getattr(obj, "children", ()))
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif callable(obj) and isinstance(getattr(obj, "widget", None), _nb_ipw.Widget):
            stack.append(obj.widget)
    return found


def _nb_user_widgets():
    namespace = get_ipython().user_ns  # noqa: F821  (IPython's global in a kernel)
    return _nb_walk_widgets([v for k, v in list(namespace.items()) if not k.startswith("_")])


def _nb_panels():
    """The notebook's ipywidgets.interactive panels, in creation order of their names."""
    return [w for w in _nb_user_widgets() if isinstance(w, _nb_ipw.interactive)]


def _nb_buttons():
    return [w for w in _nb_user_widgets() if isinstance(w, _nb_ipw.Button)]


def _nb_widget_cases(control):
    """Values to try for one control: both ends of a slider, every option of a choice."""
    if isinstance(control, _nb_ipw.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if isinstance(control, (_nb_ipw.IntRangeSlider, _nb_ipw.FloatRangeSlider)):
        return [(control.min, control.min), (control.max, control.max), (control.min, control.max)]
    if isinstance(control, (_nb_ipw.SelectionSlider, _nb_ipw.Dropdown, _nb_ipw.RadioButtons,
                            _nb_ipw.ToggleButtons, _nb_ipw.Select)):
        return [value for _, value in control._options_full] if hasattr(control, "_options_full") \
            else list(control.options)
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    if isinstance(control, (_nb_ipw.Checkbox, _nb_ipw.ToggleButton)):
        return [False, True]
    return []


def _nb_check_widgets():
    """Call every panel's callback with each control at each of its cases, warnings as errors."""
    panels = _nb_panels()
    report = {"panels": len(panels), "calls": 0, "problems": []}
    for panel in panels:
        base = {c._kwarg: c.get_interact_value() for c in panel.kwargs_widgets}
        for control in panel.kwargs_widgets:
            for value in _nb_widget_cases(control):
                kwargs = dict(base, **{control._kwarg: value})
                with _nb_warnings.catch_warnings():
                    _nb_warnings.simplefilter("error")
                    try:
                        panel.f(**kwargs)
                    except Exception as exc:
                        report["problems"].append(
                            f"{panel.f.__name__}({control._kwarg}={value!r}): "
                            f"{type(exc).__name__}: {exc}")
                    finally:
                        _nb_plt.close("all")
                report["calls"] += 1
    return report


def _nb_click_buttons():
    """Click every button (reset, presets); a handler's exception shows as an error output."""
    buttons = _nb_buttons()
    with _nb_warnings.catch_warnings():
        _nb_warnings.simplefilter("error")
        for button in buttons:
            button.click()
    _nb_plt.close("all")
    return len(buttons)
