"""The contributors' template (templates/notebook.ipynb): its passive membrane against the
closed form, and its checkers against wrong answers.

Reference: V(t) = V_inf + (V0 - V_inf) exp(-t/tau), V_inf = E_L + I/g_L, tau = C/g_L, which the
exact exponential update reproduces to round-off for piecewise-constant current (1e-9 mV
allows for the accumulated rounding of a few thousand steps).
"""

import numpy as np
import pytest

from contract import BAD_CURRENTS, OPEN, Contract

NB = "templates/notebook.ipynb"
pytestmark = pytest.mark.notebook(NB)

CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    Contract(
        NB, "simulate", ("I", "nA"), "PassiveResult", ("t", "V"),
        example=dict(I=1.0, T=50.0, dt=0.1),
        shapes={"V": ("t",)},
        domain=dict(T=((OPEN, 0.0), 1e7), C=((OPEN, 0.0), 1e3), g_L=((OPEN, 0.0), 1e3),
                    E_L=(-200.0, 200.0)),
        valid=dict(I=(-5.0, 5.0), T=(1.0, 200.0), dt=(0.01, 1.0), C=(0.2, 5.0), g_L=(0.05, 1.0)),
        bad_first=BAD_CURRENTS,
    ),
]


@pytest.mark.parametrize("I, C, g_L, E_L, V0, dt", [
    (1.0, 1.0, 0.1, -65.0, -65.0, 0.1),
    (-2.5, 0.3, 0.7, -80.0, -50.0, 0.37),
    (0.2, 4.0, 0.05, -60.0, -90.0, 3.0),
])
def test_step_response_is_the_closed_form(nb, I, C, g_L, E_L, V0, dt):
    out = nb.call("simulate", I, T=200.0, dt=dt, C=C, g_L=g_L, E_L=E_L, V0=V0)
    V_inf = E_L + I / g_L
    np.testing.assert_allclose(out.V, V_inf + (V0 - V_inf) * np.exp(-out.t * g_L / C), atol=1e-9)


def verdict(nb, expr):
    return nb.run(expr).strip().split(":")[0]


@pytest.mark.parametrize("expr", [
    "check_time_constant(2.0 * 0.05)",        # C times g_L
    "check_time_constant(0.04)",              # seconds, not ms
    "check_steady_state(-75.0)",              # the wrong sign of I/g_L
    "check_steady_state(-70.0)",              # E_L itself
    "check_euler_step(lambda V, V_inf, dt, tau: V_inf + (V - V_inf) * np.exp(-dt / tau))",  # exact, not Euler
    "check_euler_step(lambda V, V_inf, dt, tau: V + dt * (V - V_inf) / tau)",  # the sign
])
def test_checkers_reject_wrong_answers(nb, expr):
    assert verdict(nb, expr) == "Not yet", expr
