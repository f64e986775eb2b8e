"""Launch links and the site's configuration agree with each other (no build needed).

Reference: _config.yml, the one place that names the repository (`repository.url`, `.branch`);
the Jupyter Book site derives its launch buttons from it, and the README badges must match.
Binder's URL form is mybinder.org's (/v2/gh/<owner>/<repo>/<ref>?urlpath=lab), Colab's
colab.research.google.com/github/<owner>/<repo>/blob/<branch>/<path>. `make book` itself
(build with -W, then tools/check_book.py) checks the rendered pages.
"""

import re

import yaml

from conftest import NOTEBOOKS, ROOT
from tools.reading_order import reading_order, readme_rows


def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def slug_and_branch():
    repository = config()["repository"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", repository["url"])
    assert match, f"repository.url is not a GitHub repository address: {repository['url']}"
    return match.group(1), repository["branch"]


def readme():
    return (ROOT / "README.md").read_text()


def test_readme_has_the_binder_badge_for_the_configured_repository():
    slug, branch = slug_and_branch()
    binder = f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})" in readme()


def test_readme_has_a_colab_badge_on_each_notebooks_row():
    slug, branch = slug_and_branch()
    rows = {m.group(1): m.group(0) for m in
            re.finditer(r"^\|\s*\d+\s*\|\s*\[[^\]]*\]\(([^)\s]+\.ipynb)\)[^\n]*$", readme(), re.M)}
    for path in NOTEBOOKS:
        assert path in rows, f"{path}: not in the README table"
        colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/{path}"
        assert f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]" \
               f"({colab})" in rows[path], f"{path}: no Colab badge for it on its row"


def test_readme_names_no_other_repository_or_branch():
    slug, branch = slug_and_branch()
    for url in re.findall(r"https://(?:mybinder\.org/v2/gh|colab\.research\.google\.com/github"
                          r"|github\.com)/[^\s)\]]+", readme()):
        assert f"/{slug}/" in url + "/", f"README link to another repository: {url}"
        if "mybinder.org" in url or "colab" in url:
            assert f"/{slug}/{branch}?" in url or f"/{slug}/blob/{branch}/" in url, url


def test_binder_environment_is_identical_to_the_conda_file():
    # A copy, not a symlink: repo2docker reads binder/ (it ignores the top-level file once a
    # binder/ folder exists) and copies the file into its image build on its own.
    binder = ROOT / "binder" / "environment.yml"
    assert not binder.is_symlink()
    assert binder.read_bytes() == (ROOT / "neurons_environment.yml").read_bytes(), \
        "binder/environment.yml differs: cp neurons_environment.yml binder/environment.yml"


def test_book_toc_is_the_reading_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert (ROOT / f"{toc['root']}.md").exists()
    listed = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    in_readme = [m.group(1) for m in re.finditer(r"\]\(([^)\s]+)\.ipynb\)", readme())]
    assert [p for p in in_readme if p in listed] == listed, "README table order differs"


def test_intro_reading_order_is_written_from_the_readme_table():
    """The landing page's reading order is not kept by hand: the site's build writes it from
    _toc.yml, the notebooks' titles and README's table (tools/reading_order.py, a Sphinx
    extension of _config.yml; tools/check_book.py checks the built page)."""
    assert "tools.reading_order" in config()["sphinx"]["local_extensions"]
    intro = (ROOT / "intro.md").read_text()
    assert not re.search(r"^\d+\. \[", intro, re.M), "intro.md lists notebooks by hand"
    items = re.findall(r"^(\d+)\. \[[^\]]+\]\(([^)\s]+\.ipynb)\): (.*)\.$", reading_order(intro), re.M)
    rows = readme_rows()
    assert [(int(n), path, learn) for n, path, learn in items] == \
        [(number, path, rows[path][1]) for number, path in enumerate(NOTEBOOKS, 1)]


def test_book_renders_the_committed_outputs_and_builds_only_the_toc():
    cfg = config()
    assert cfg["execute"]["execute_notebooks"] == "off"
    assert cfg["only_build_toc_files"] is True
    assert ".venv" in cfg["exclude_patterns"]
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_book_is_built_with_warnings_as_errors_and_ignored_by_git():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbook:", 1)[1].split("\n\n", 1)[0]
    assert "jupyter-book build . --all --warningiserror --nitpick --keep-going" in recipe
    assert "tools/check_book.py" in recipe
    assert "requirements-book.txt" in makefile
    assert "_build/" in (ROOT / ".gitignore").read_text().splitlines()


def test_site_serves_its_own_javascript():
    """Equations and widget panels must render offline: MathJax and the widget manager are
    taken from the site's _static/vendor/ (tools/site_assets.py), never from a CDN."""
    sphinx = config()["sphinx"]["config"]
    assert not sphinx["mathjax_path"].startswith(("http:", "https:", "//"))
    scripts = list(sphinx["nb_ipywidgets_js"])
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    from tools.site_assets import PACKAGES
    for package in PACKAGES:
        assert package["tarball"].startswith("https://registry.npmjs.org/")
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"]), package["name"]
