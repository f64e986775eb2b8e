"""The Allen perisomatic cell 473863510 built the way bmtk's BioNet builds it, as an independent
reference for multi-compartment-neurons/04_detailed_biophysical_models_neuron.ipynb.

Run as a script (a fresh process: bmtk's template deletes every section of the process):

    python tests/mc04_bmtk_perisomatic.py BUILD_DIR AMP [AMP ...]

It loads the NMODL library of BUILD_DIR (the notebook's build of the Allen .mod files), builds the
cell, runs one 1 s somatic current step per amplitude [nA] from 100 to 1100 ms with the fixed step
dt = 0.025 ms from the resting steady state, and prints a JSON object {amp: spike times [ms]}.

What comes from bmtk 1.2.0 (installed with --no-deps, so its modules cannot be imported: they need
h5py and pandas):

* the hoc template ``Biophys1`` is loaded from bmtk's own file
  ``bmtk/simulator/bionet/default_templates/Biophys1.hoc`` (Import3d_SWC_read + Import3d_GUI);
* ``fix_axon_peri`` and ``set_params_peri`` are transcribed below line by line from
  ``bmtk/simulator/bionet/default_setters/cell_models.py`` (bmtk 1.2.0);
* the segment count is bmtk's ``Morphology.set_segment_dl``
  (``bmtk/simulator/bionet/morphology.py``): ``nseg = 1 + 2 * int(L / (2 * dL))`` with the default
  ``dL = 20`` µm of ``bmtk/utils/scripts/bionet/default_config.json``, applied after the
  biophysics, as BioCell does.

The temperature and v_init come from the fit file's ``conditions`` (BioNet takes them from the
simulation config, which the Allen examples fill from the same file). The notebook's code is not
used: this file shares with it only the SWC file, the fit file and the compiled channels.
"""

import json
import os
import sys
from importlib import resources

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
import neuron  # noqa: E402
import numpy as np  # noqa: E402
from neuron import h  # noqa: E402

BMTK = resources.files("bmtk")
BIONET_DATA = BMTK / "utils" / "scripts" / "bionet"
SWC = str(BIONET_DATA / "morphologies" / "Rorb_325404214_m.swc")
FIT = json.loads((BIONET_DATA / "biophysical_neuron_models" / "473863510_fit.json").read_text())
TEMPLATE = str(BMTK / "simulator" / "bionet" / "default_templates" / "Biophys1.hoc")
DL = 20.0  # [µm] bmtk's default "dL" (default_config.json)


# --- transcribed from bmtk 1.2.0, bmtk/simulator/bionet/default_setters/cell_models.py --------
def fix_axon_peri(hobj):
    """Replace reconstructed axon with a stub

    :param hobj: hoc object
    """
    for sec in hobj.axon:
        h.delete_section(sec=sec)

    h.execute('create axon[2]', hobj)

    for sec in hobj.axon:
        sec.L = 30
        sec.diam = 1
        hobj.axonal.append(sec=sec)
        hobj.all.append(sec=sec)  # need to remove this comment

    hobj.axon[0].connect(hobj.soma[0], 0.5, 0)
    hobj.axon[1].connect(hobj.axon[0], 1, 0)

    h.define_shape()


def set_params_peri(hobj, biophys_params):
    """Set biophysical parameters for the cell

    :param hobj: NEURON's cell object
    :param biophys_params: name of json file with biophys params for cell's model which determine spiking behavior
    :return:
    """
    passive = biophys_params['passive'][0]
    conditions = biophys_params['conditions'][0]
    genome = biophys_params['genome']

    # Set passive properties
    cm_dict = dict([(c['section'], c['cm']) for c in passive['cm']])
    for sec in hobj.all:
        sec.Ra = passive['ra']
        sec.cm = cm_dict[sec.name().split(".")[1][:4]]
        sec.insert('pas')

        for seg in sec:
            seg.pas.e = passive["e_pas"]

    # Insert channels and set parameters
    for p in genome:
        sections = [s for s in hobj.all if s.name().split(".")[1][:4] == p["section"]]

        for sec in sections:
            if p["mechanism"] != "":
                sec.insert(p["mechanism"])
            setattr(sec, p["name"], p["value"])

    # Set reversal potentials
    for erev in conditions['erev']:
        sections = [s for s in hobj.all if s.name().split(".")[1][:4] == erev["section"]]
        for sec in sections:
            sec.ena = erev["ena"]
            sec.ek = erev["ek"]
# --- end of the transcription -------------------------------------------------------------


def set_segment_dl(hobj, dl):
    """bmtk/simulator/bionet/morphology.py, Morphology.set_segment_dl (bmtk 1.2.0)."""
    for sec in hobj.all:
        sec.nseg = 1 + 2 * int(sec.L / (2 * dl))


def build():
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    h.load_file(TEMPLATE)
    hobj = h.Biophys1(SWC)
    fix_axon_peri(hobj)
    set_params_peri(hobj, FIT)
    set_segment_dl(hobj, DL)
    return hobj


def spike_times(t, v, threshold=-20.0):
    i = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def run_step(hobj, amp, dt=0.025):
    conditions = FIT["conditions"][0]
    h.celsius = conditions["celsius"]
    stim = h.IClamp(hobj.soma[0](0.5))
    stim.amp, stim.delay, stim.dur = amp, 100.0, 1000.0
    v = h.Vector().record(hobj.soma[0](0.5)._ref_v)
    t = h.Vector().record(h._ref_t)
    h.CVode().active(False)
    h.dt = dt
    h.finitialize(conditions["v_init"])
    # the resting steady state: implicit steps of 1e9 ms at negative time (The NEURON Book, ch. 8)
    h.t = -1e10
    h.dt = 1e9
    while h.t < -1e9:
        h.fadvance()
    h.t, h.dt = 0.0, dt
    h.fcurrent()
    h.frecord_init()
    h.continuerun(1100.0)
    return spike_times(np.array(t), np.array(v))


def main(argv):
    build_dir, amps = argv[1], [float(a) for a in argv[2:]]
    if not neuron.load_mechanisms(build_dir, warn_if_already_loaded=False):
        raise SystemExit(f"no mechanism library in {build_dir}")
    hobj = build()
    counts = {"sections": sum(1 for _ in hobj.all), "segments": sum(s.nseg for s in hobj.all)}
    result = {repr(amp): run_step(hobj, amp).tolist() for amp in amps}
    print(json.dumps({"spikes": result, **counts}))


if __name__ == "__main__":
    main(sys.argv)
