"""A throwaway JupyterLab server and the page operations the browser tests need.

``LabServer`` serves a temporary copy of the notebook folders (so nothing the
browser runs or autosaves ever lands in the repository) with its own config,
settings, runtime and workspace folders, on a free loopback port, with an
empty token.  ``NotebookPage`` drives one notebook tab the way a reader does:
menu clicks, typing into a slider's readout, looking at what is on the page.
``launch_chromium`` starts the headless browser.  The real-browser tests
(conftest.py) and the benchmark (benchmarks/browser.py) both use them.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# The checkout whose notebooks are tested: this one, or another copy named by
# NEURONS_NOTEBOOK_SOURCE (e.g. to see a deliberately broken copy fail).
ROOT = Path(os.environ.get("NEURONS_NOTEBOOK_SOURCE", Path(__file__).resolve().parents[1])).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.collection import folders, notebooks  # noqa: E402  (the one list, from _toc.yml)

NOTEBOOK_DIRS = tuple(folders(ROOT))
NOTEBOOKS = notebooks(ROOT)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Lab settings for this run only (JUPYTERLAB_SETTINGS_DIR points at a temporary folder):
# render every cell (no virtual scrolling, so every output is in the DOM), no autosave,
# no news or update notifications.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
}
# What `jupyter labextension disable ...` would write, in the temporary config folder.
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab from this Python environment (the venv), serving a temporary copy."""

    def __init__(self, startup_timeout=120):
        self.tmp = Path(tempfile.mkdtemp(prefix="neurons-browser-"))
        self.root = self.tmp / "root"
        for d in NOTEBOOK_DIRS:
            # Keep the folder structure: notebooks compile NMODL into a folder beside them. A
            # build left by another run is not copied (half of it, without the library, would be
            # taken for a finished build): the notebook builds as in a fresh clone.
            shutil.copytree(ROOT / d, self.root / d, ignore=shutil.ignore_patterns(
                ".ipynb_checkpoints", "__pycache__", "x86_64", "arm64", "aarch64", "mechanisms_*"))
        env = dict(os.environ)
        for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                         ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")]:
            (self.tmp / sub).mkdir()
            env[var] = str(self.tmp / sub)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        for name, settings in LAB_SETTINGS.items():
            path = self.tmp / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        (self.tmp / "config" / "labconfig").mkdir()
        (self.tmp / "config" / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "server.log"
        self._log = open(self.log_path, "w")
        # sys.executable is the venv's python: the server, and through the "python3"
        # kernel spec (argv "python" -> the server's own interpreter) the kernels, run there.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={self.root}",
             "--IdentityProvider.token=", "--PasswordIdentityProvider.hashed_password=",
             "--ServerApp.ip=127.0.0.1", "--ServerApp.allow_root=True",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", "--no-browser",
             "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + startup_timeout
        while True:
            if self.proc.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError(f"JupyterLab exited ({self.proc.returncode}):\n{log}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                log = self.log()
                self.stop()
                raise RuntimeError(f"JupyterLab did not answer in {startup_timeout} s:\n{log}")
            time.sleep(0.25)

    def check_kernel_python(self):
        """Raise unless the "python3" kernel runs this environment's Python (the venv)."""
        venv = Path(sys.prefix).absolute()  # not resolved: a venv's python is a symlink out of it
        if not Path(self.kernel_python()).absolute().is_relative_to(venv):
            raise RuntimeError(f"the python3 kernel runs {self.kernel_python()}, not this "
                               f"environment's Python ({venv}); run with the venv's python")

    def kernel_connection_file(self, relpath):
        """The connection file of the kernel that the notebook's open session runs."""
        sessions = [s for s in self.api("/api/sessions") if s.get("path") == relpath]
        if not sessions:
            raise RuntimeError(f"no kernel session for {relpath}")
        return self.tmp / "runtime" / f"kernel-{sessions[0]['kernel']['id']}.json"

    def kernel_python(self):
        """The interpreter of the "python3" kernel: argv "python" means the server's own (the venv's)."""
        argv0 = self.api("/api/kernelspecs")["kernelspecs"]["python3"]["spec"]["argv"][0]
        return sys.executable if argv0 in ("python", "python3") else argv0

    def log(self):
        self._log.flush()
        return self.log_path.read_text()[-4000:]

    def api(self, path):
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as r:
            return json.load(r)

    def delete(self, path):
        request = urllib.request.Request(f"{self.url}{path}", method="DELETE")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self):
        """Stop the server (and with it its kernels) by its process id, then remove the copy."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)  # jupyter shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the server and its kernels
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def launch_chromium(playwright):
    """Headless Chromium (CHROMIUM, Debian's package by default) driven by Playwright."""
    if not os.access(CHROMIUM, os.X_OK):
        raise FileNotFoundError(f"{CHROMIUM} not found: install Debian's chromium package "
                                "(apt-get install chromium), or set CHROMIUM=/path/to/chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# ---------------------------------------------------------------- the page side
MIME_STDERR = "application/vnd.jupyter.stderr"  # JupyterLab renders error outputs (tracebacks) and stderr with it
# stderr lines that are not errors: written once by matplotlib on a machine without its font cache.
HARMLESS_STDERR = ("Matplotlib is building the font cache",)
WIDGET_FAILURES = ("Error displaying widget", "Error creating widget", "Error creating view",
                   "Failed to load model class")
# Everything an output in the page (in a cell, or inside a widget's Output) shows that counts as an error.
_ERRORS_JS = """([mime, failures]) => {
    const found = [];
    for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
        const text = el.innerText || '';
        if (el.getAttribute('data-mime-type') === mime || failures.some(f => text.includes(f)))
            found.push(text.slice(0, 3000));
    }
    return found;
}"""


class PageError(AssertionError):
    """What the reader would see go wrong, with the text of the error output."""


class NotebookPage:
    """One notebook open in JupyterLab in a browser page."""

    def __init__(self, page, server, relpath):
        self.page, self.server, self.relpath = page, server, relpath

    # --- opening and running
    def open(self, timeout=90):
        # ?reset: a fresh workspace, so Lab does not also reopen the notebooks of earlier tests.
        self.page.goto(f"{self.server.url}/lab/tree/{self.relpath}?reset")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
        self.wait_for_kernel_idle(timeout)

    def _accept_dialog(self):
        """Accept a kernel-selection (or any other) dialog, as a reader clicking its default button."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            self.page.locator(".jp-Dialog .jp-mod-accept").first.click()

    def kernel_status(self):
        """The status bar's kernel text, e.g. "Python 3 (ipykernel) | Idle"."""
        texts = self.page.locator("#jp-main-statusbar .jp-StatusBar-TextItem").all_inner_texts()
        return next((t for t in texts if " | " in t), "")

    def wait_for_kernel_idle(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            self._accept_dialog()
            status = self.kernel_status()
            if status.endswith("| Idle") and not status.startswith("No Kernel"):
                return
            if time.monotonic() > deadline:
                raise PageError(f"the kernel did not become idle in {timeout} s (status bar: {status!r})")
            time.sleep(0.25)

    def execution_indicator_idle(self):
        """The notebook toolbar's kernel indicator (shown twice when the toolbar overflows)."""
        return self.page.locator(".jp-Notebook-ExecutionIndicator").evaluate_all(
            "els => els.length > 0 && els.every(e => e.dataset.status === 'idle')")

    def menu(self, menu, command):
        """Click a menu of the menu bar, then one of its items (named by its command id)."""
        self.page.locator(".lm-MenuBar-item", has_text=menu).first.click()
        self.page.locator(f'.lm-Menu-item[data-command="{command}"]').click()

    def prompts(self):
        return [p.strip() for p in self.page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]

    def run_all(self, timeout):
        """Run > Run All Cells; wait until every code cell has run and the kernel is idle.
        Stops at the first error output (Run All stops there too)."""
        self.menu("Run", "runmenu:run-all")
        deadline = time.monotonic() + timeout
        while True:
            self.raise_on_errors("while running all cells")
            prompts = self.prompts()
            if (prompts and all(p not in ("[*]:", "[ ]:", "[]:") for p in prompts)
                    and self.kernel_status().endswith("| Idle")
                    and self.execution_indicator_idle()):
                return
            if time.monotonic() > deadline:
                pending = sum(p in ("[*]:", "[ ]:", "[]:") for p in prompts)
                raise PageError(f"Run All Cells did not finish in {timeout} s ({pending} of "
                                f"{len(prompts)} code cells not run; status bar: {self.kernel_status()!r})")
            time.sleep(0.25)

    # --- what the page shows
    def error_outputs(self):
        found = self.page.evaluate(_ERRORS_JS, [MIME_STDERR, list(WIDGET_FAILURES)])
        return [t for t in found if not any(h in t for h in HARMLESS_STDERR)]

    def raise_on_errors(self, when):
        errors = self.error_outputs()
        if errors:
            # Show the first one on screen, for the failure screenshot.
            self.page.locator(f'.jp-OutputArea-output[data-mime-type="{MIME_STDERR}"]').first \
                .scroll_into_view_if_needed(timeout=5000)
            raise PageError(f"{len(errors)} error output(s) {when}:\n" + "\n---\n".join(errors))

    def panels(self):
        """The rendered ipywidgets.interactive panels (interactive() gives its box this class)."""
        return self.page.locator(".widget-interact")

    def type_into_readout(self, control, value):
        """Focus a slider's readout, replace its text with the value, press Enter."""
        readout = control.locator(".widget-readout").first
        readout.scroll_into_view_if_needed()
        readout.click()
        self.page.keyboard.press("Control+A")  # selects the readout's own text (it is contenteditable)
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")

    @staticmethod
    def plot_images(panel):
        """The image data of the plots in the panel's own output (beside its controls)."""
        return panel.locator(".widget-output img").evaluate_all("els => els.map(e => e.src)")
