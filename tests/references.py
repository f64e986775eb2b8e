"""Independent references for the tests: hybrid (spike-and-reset) models integrated with
scipy's `solve_ivp` and event detection.

This code shares nothing with the notebooks' integrators: the smooth dynamics are handed to
an adaptive high-order solver with tight tolerances, each threshold crossing is located by
the solver's root finding, and the reset is applied at that exact time.
"""

import numpy as np
from scipy.integrate import solve_ivp


def spike_times(rhs, y0, T, threshold, reset, *, t_ref=0.0, hold=None, breaks=(),
                method="DOP853", rtol=1e-10, atol=1e-10):
    """Spike times [ms] of a hybrid model on [0, T].

    rhs(t, y) is the smooth vector field; a spike is an upward crossing of `threshold` by y[0];
    reset(y) returns the state just after it.  For t_ref > 0, hold(y, duration) returns the
    state after the refractory period (V clamped, the other variables relaxing); without
    `hold` the state is kept as reset(y) left it.  The solver is restarted at every time in
    `breaks` (jumps of the input), so it never steps across a discontinuity.
    """
    def crossing(t, y):
        return y[0] - threshold
    crossing.terminal, crossing.direction = True, 1

    stops = sorted({float(b) for b in breaks if 0 < b < T} | {float(T)})
    t, y, spikes = 0.0, np.asarray(y0, dtype=float), []
    while t < T:
        t_stop = next(s for s in stops if s > t)
        sol = solve_ivp(rhs, (t, t_stop), y, method=method, rtol=rtol, atol=atol,
                        events=crossing)
        assert sol.status >= 0, sol.message
        if sol.t_events[0].size:
            t = float(sol.t_events[0][0])
            spikes.append(t)
            y = np.asarray(reset(sol.y_events[0][0]), dtype=float)
            if t_ref > 0:
                y = np.asarray(hold(y, t_ref), dtype=float) if hold is not None else y
                t += t_ref
        else:
            t, y = t_stop, sol.y[:, -1]
    return np.array([s for s in spikes if s <= T])


def current(I):
    """A number or a callable of t [ms], as a callable."""
    return I if callable(I) else (lambda t: I)
