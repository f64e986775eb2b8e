"""Compartment-by-compartment comparison with NEURON, shared by the morphology tests (MC 03, MC 06).

A reference run in NEURON stores V with one column per segment, keyed "section@x" (x to nine
decimals); the notebook's result names its compartments the same way (``out.names``, ``out.x``).
"""

import numpy as np


def in_neuron_order(out, ref):
    """The notebook's V with its columns in NEURON's segment order (same keys required)."""
    keys = [f"{n}@{x:.9f}" for n, x in zip(out.names, out.x)]
    assert sorted(keys) == sorted(ref["keys"]), "not the same compartments as NEURON"
    return out.V[:, np.argsort([ref["column"][k] for k in keys])]


def max_dv(out, ref):
    """Largest |V_here - V_NEURON| [mV] over every compartment and time point."""
    assert out.V.shape == ref["V"].shape
    return float(np.max(np.abs(in_neuron_order(out, ref) - ref["V"])))
