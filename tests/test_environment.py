"""The conda file and the pip requirements name the same packages with the same ranges.

Reference: requirements.txt + requirements-test.txt + requirements-book.txt +
requirements-browser.txt + requirements-data.txt (what `make lab` / `make test` /
`make book` / `make test-browser` install).
"""

import re

from conftest import ROOT

# Conda-only entries: the interpreter and the build tools pip cannot provide.
CONDA_ONLY = {"python", "cxx-compiler", "make", "pip"}


def requirement(line):
    """'numpy>=1.26,<3  # comment' -> ('numpy', '>=1.26,<3')."""
    line = line.split("#", 1)[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", line)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def pip_requirements(name):
    """Packages of one requirements file, following '-r other.txt' includes."""
    found = {}
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found.update(pip_requirements(line[3:].strip()))
        elif line:
            package, spec = requirement(line)
            found[package] = spec
    return found


def all_pip_requirements():
    """Everything make installs: the book set and the browser-test set (each includes the test
    set, which includes the runtime set) and the data set."""
    return {**pip_requirements("requirements-book.txt"), **pip_requirements("requirements-browser.txt"),
            **pip_requirements("requirements-data.txt")}


def conda_requirements():
    found = {}
    text = (ROOT / "neurons_environment.yml").read_text()
    for raw in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"^\s+-\s+([A-Za-z].*)$", raw)
        if match and not match.group(1).rstrip().endswith(":"):
            package, spec = requirement(match.group(1))
            if package not in CONDA_ONLY:
                found[package] = spec
    return found


def test_environment_file_names_the_env_neurons_env():
    text = (ROOT / "neurons_environment.yml").read_text()
    assert re.search(r"^name:\s*neurons_env\s*$", text, re.M)


def test_conda_and_pip_list_the_same_packages_and_ranges():
    pip, conda = all_pip_requirements(), conda_requirements()
    assert pip == conda, (f"only in pip: {sorted(set(pip) - set(conda))}, "
                          f"only in conda: {sorted(set(conda) - set(pip))}, "
                          f"different ranges: {[k for k in pip if k in conda and pip[k] != conda[k]]}")


def test_the_packages_the_notebooks_and_tests_need_are_listed():
    listed = all_pip_requirements()
    for package in ["numpy", "scipy", "matplotlib", "ipywidgets", "jupyterlab", "neuron",
                    "nbval", "pytest", "nbclient", "jupyter-book", "playwright"]:
        assert package in listed, package


def test_neuron_comes_from_pip_in_the_conda_file():
    pip_block = (ROOT / "neurons_environment.yml").read_text().split("- pip:", 1)[1]
    assert re.search(r"^\s+-\s+neuron[<>=]", pip_block, re.M)


def test_the_book_set_includes_the_test_set_and_the_test_set_the_runtime_set():
    """So that the pip lists above nest and nothing make installs is left out of the comparison."""
    assert "-r requirements-test.txt" in (ROOT / "requirements-book.txt").read_text()
    assert "-r requirements.txt" in (ROOT / "requirements-test.txt").read_text()


def test_the_browser_set_includes_the_test_set():
    """The same nesting for requirements-browser.txt (make test-browser)."""
    assert "-r requirements-test.txt" in (ROOT / "requirements-browser.txt").read_text()
    assert set(pip_requirements("requirements-test.txt")) <= set(pip_requirements("requirements-browser.txt"))
