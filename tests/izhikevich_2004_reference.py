"""The published MATLAB figure code of Izhikevich (2003, 2004), transcribed into Python for the
tests, independently of point-neurons/05_izhikevich.ipynb.

Source: ModelDB accession 39948, file ``izhi2003.m`` (github.com/ModelDBRepository/39948,
commit 9c8200a).  Its header reads "This MATLAB file generates figure 2 in the paper by
Izhikevich E.M. (2004) 'Simple model of spiking neurons' and figure 1 in the paper by
Izhikevich E.M. (2004) 'Which Model to Use For Cortical Spiking Neurons?' ... November 2003.
San Diego, CA"; its second section (``%% figure;`` with ``subplot(5,4,k)``, panels (A)-(T)) is
the published ``figure1.m`` (izhikevich.org/publications/figure1.m), its first section the eight
cell classes of Fig. 2 of the 2003 paper.  Every panel has the same loop::

    V=V0;  u=b*V;            % (R): u=-16
    tau = ...; tspan = 0:tau:T;
    for t=tspan
        if <protocol> I=...; else I=...; end;
        V = V + tau*(0.04*V^2+5*V+140-u+I);    % (G), (L): 0.04*V^2+4.1*V+108
        u = u + tau*a*(b*V-u);                  % (R): u = u + tau*a*(b*(V+65))
        if V > 30
            VV(end+1)=30;  V = c;  u = u + d;
        else
            VV(end+1)=V;
        end;
        uu(end+1)=u;
    end;
    plot(tspan,VV, ...)

so the value computed in the step that starts at tspan(k) is drawn at tspan(k).  Below, each
protocol is written from the MATLAB if/else text (not from the notebook's current functions),
the time grid follows MATLAB's colon operator (the first half of ``a:d:b`` is ``a + k*d``, the
second half ``b' - k*d`` counted from the end point, the middle element of an even count the
mean of the two ends), and a spike is reported at tspan(k), as the figure draws it.
"""

import math

import numpy as np


def matlab_colon(base, step, limit):
    """MATLAB's ``base:step:limit`` for step > 0 (the algorithm of MathWorks' colonop.m)."""
    tol = 2.0 * np.finfo(float).eps * max(abs(base), abs(limit))
    n = round((limit - base) / step)                    # number of intervals
    if base + n * step - limit > tol:
        n -= 1
    last = base + n * step
    if last - limit > -tol:
        last = limit
    out = np.zeros(n + 1)
    k = np.arange(n // 2 + 1)
    out[k] = base + k * step
    out[n - k] = last - k * step
    if n % 2 == 0:
        out[n // 2] = (base + last) / 2
    return out


def _step(T1, on, off=0.0):
    return lambda t: on if t > T1 else off


def _windows(starts, width, on, off=0.0):
    """I = on inside any open window (T, T + width), as figure1.m's (t>T) & (t<T+width)."""
    return lambda t: on if any(t > s and t < s + width for s in starts) else off


def _rz(t):      # resonator (RZ) of the first section
    T1 = 100 / 10
    T2 = T1 + 50
    if t > T2 and t < T2 + 5:
        return 10.0
    if t > T1:
        return -0.5
    return -2.0


def _panel_o(t):
    if (t > 10 and t < 15) or (t > 80 and t < 85):
        return 1.0
    if t > 70 and t < 75:
        return -6.0
    return 0.0


def _panel_r(t):
    if t < 200:
        return t / 25
    if t < 300:
        return 0.0
    if t < 312.5:
        return (t - 300) / 12.5 * 4
    return 0.0


def _inhibition(t):  # panels S and T
    return 80.0 if (t < 50) or (t > 250) else 75.0


# key: (a, b, c, d, V0, tau, T, I(t), form, u0); form "standard", "class1" (4.1 V + 108) or
# "accommodation" (u' = a b (V + 65)); u0 None means u = b*V0.  Values as printed in izhi2003.m.
PANELS = {
    # first section: Izhikevich (2003), Fig. 2
    "RS": (0.02, 0.2, -65, 8, -63, 0.25, 150, _step(150 / 10, 14.0), "standard", None),
    "IB": (0.02, 0.2, -55, 4, -70, 0.25, 150, _step(150 / 10, 11.0), "standard", None),
    "CH": (0.02, 0.2, -50, 2, -70, 0.25, 150, _step(150 / 10, 10.0), "standard", None),
    "FS": (0.1, 0.2, -65, 2, -70, 0.25, 150, _step(150 / 10, 10.0), "standard", None),
    "TC": (0.02, 0.25, -65, 0.05, -63, 0.25, 150, _step(2 * 150 / 10, 1.5), "standard", None),
    "TC burst": (0.02, 0.25, -65, 0.05, -87, 0.25, 150, _step(3 * 150 / 10, 0.0, -25.0),
                 "standard", None),
    "RZ": (0.1, 0.26, -65, 2, -70, 0.25, 100, _rz, "standard", None),
    "LTS": (0.02, 0.25, -65, 2, -63, 0.25, 250, _step(1 * 250 / 10, 10.0), "standard", None),
    # second section: figure1.m, Izhikevich (2004), Fig. 1
    "A": (0.02, 0.2, -65, 6, -70, 0.25, 100, _step(100 / 10, 14.0), "standard", None),
    "B": (0.02, 0.25, -65, 6, -64, 0.25, 200, _step(20, 0.5), "standard", None),
    "C": (0.02, 0.2, -50, 2, -70, 0.25, 220, _step(22, 15.0), "standard", None),
    "D": (0.02, 0.25, -55, 0.05, -64, 0.2, 200, _step(20, 0.6), "standard", None),
    "E": (0.02, 0.2, -55, 4, -70, 0.25, 160, _step(160 / 10, 10.0), "standard", None),
    "F": (0.01, 0.2, -65, 8, -70, 0.25, 85, _step(85 / 10, 30.0), "standard", None),
    "G": (0.02, -0.1, -55, 6, -60, 0.25, 300, lambda t: 0.075 * (t - 30) if t > 30 else 0.0,
          "class1", None),
    "H": (0.2, 0.26, -65, 0, -64, 0.25, 300,
          lambda t: -0.5 + 0.015 * (t - 30) if t > 30 else -0.5, "standard", None),
    "I": (0.02, 0.2, -65, 6, -70, 0.2, 100, _windows([100 / 10], 3, 7.04), "standard", None),
    "J": (0.05, 0.26, -60, 0, -62, 0.25, 200, _windows([200 / 10], 5, 2.0), "standard", None),
    "K": (0.1, 0.26, -60, -1, -62, 0.25, 400,
          _windows([400 / 10, 400 / 10 + 20, 0.7 * 400, 0.7 * 400 + 40], 4, 0.65),
          "standard", None),
    "L": (0.02, -0.1, -55, 6, -60, 0.25, 100,
          _windows([100 / 11, 100 / 11 + 5, 0.7 * 100, 0.7 * 100 + 10], 2, 9.0),
          "class1", None),
    "M": (0.03, 0.25, -60, 4, -64, 0.2, 200, _windows([20], 5, -15.0), "standard", None),
    "N": (0.03, 0.25, -52, 0, -64, 0.2, 200, _windows([20], 5, -15.0), "standard", None),
    "O": (0.03, 0.25, -60, 4, -64, 0.25, 100, _panel_o, "standard", None),
    "P": (0.1, 0.26, -60, 0, -61, 0.25, 300, _windows([300 / 8, 216], 5, 1.24, 0.24),
          "standard", None),
    "Q": (1, 0.2, -60, -21, -70, 0.1, 50, lambda t: 20.0 if abs(t - 10) < 1 else 0.0,
          "standard", None),
    "R": (0.02, 1, -55, 4, -65, 0.5, 400, _panel_r, "accommodation", -16.0),
    "S": (-0.02, -1, -60, 8, -63.8, 0.5, 350, _inhibition, "standard", None),
    "T": (-0.026, -1, -45, -2, -63.8, 0.5, 350, _inhibition, "standard", None),
}


def run_panel(key):
    """(tspan, VV, spike times as drawn) of one panel of izhi2003.m / figure1.m."""
    a, b, c, d, V, tau, T, current, form, u0 = PANELS[key]
    u = b * V if u0 is None else u0
    tspan = matlab_colon(0.0, tau, T)
    VV, spikes = [], []
    for t in tspan:
        I = current(t)
        if form == "class1":
            V = V + tau * (0.04 * V ** 2 + 4.1 * V + 108 - u + I)
        else:
            V = V + tau * (0.04 * V ** 2 + 5 * V + 140 - u + I)
        if form == "accommodation":
            u = u + tau * a * (b * (V + 65))
        else:
            u = u + tau * a * (b * V - u)
        if V > 30:
            VV.append(30.0)
            V = c
            u = u + d
            spikes.append(t)
        else:
            VV.append(V)
    assert math.isfinite(V) and math.isfinite(u), key
    return tspan, np.array(VV), np.array(spikes)
