"""The site's JavaScript, served from the site itself: fetched from the npm registry at build time.

    .venv/bin/python tools/site_assets.py          # fetch (cached), verify, unpack into _static/vendor/

A built page needs three libraries in the reader's browser: MathJax (typesets the equations),
the Jupyter widgets HTML manager (draws each interactive panel's saved state) and require.js
(which the widget manager is loaded with). Jupyter Book points at public CDNs for all three, so
offline, or on a network that blocks them, a reader sees raw LaTeX and empty panels. `make book`
runs this first: each package is downloaded once from the npm registry (cached in
.venv/site-assets/), checked against the registry's own SHA-512 integrity hash pinned below, and
the files a page uses are unpacked into _site_assets/vendor/, which Sphinx copies into the site's
_static/vendor/.
_config.yml points MathJax (`mathjax_path`) and the widget scripts (`nb_ipywidgets_js`) there.
"""

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".venv" / "site-assets"
# Not under _static/: Jupyter Book adds every .js file found there to every page. Sphinx copies
# this folder (html_static_path in _config.yml) into the site's _static/.
STATIC = ROOT / "_site_assets"
VENDOR = STATIC / "vendor"
OWN_FILES = [Path(__file__).resolve().parent / "site" / "widgets-setup.js"]

# name, version, the registry's tarball and integrity (npm view <name>@<version> dist), and the
# members to unpack: (path prefix inside the tarball's package/, where it goes under vendor/).
PACKAGES = [
    dict(name="mathjax", version="3.2.2",
         tarball="https://registry.npmjs.org/mathjax/-/mathjax-3.2.2.tgz",
         integrity="sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
         # The combined TeX/MathML-to-HTML component, and the pieces it loads on demand (TeX
         # extensions, the CHTML fonts, the menu, the accessibility and speech components).
         members=[("es5/tex-mml-chtml.js", "mathjax/es5/tex-mml-chtml.js"),
                  ("es5/input/", "mathjax/es5/input/"),
                  ("es5/output/chtml/", "mathjax/es5/output/chtml/"),
                  ("es5/output/chtml.js", "mathjax/es5/output/chtml.js"),
                  ("es5/ui/", "mathjax/es5/ui/"),
                  ("es5/a11y/", "mathjax/es5/a11y/"),
                  ("es5/sre/", "mathjax/es5/sre/"),
                  ("es5/adaptors/", "mathjax/es5/adaptors/"),
                  ("LICENSE", "mathjax/LICENSE")]),
    dict(name="@jupyter-widgets/html-manager", version="1.0.6",
         tarball="https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-1.0.6.tgz",
         integrity="sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ==",
         # The AMD build (loaded through require.js) with the widget controls built in, and the
         # icon fonts its stylesheet refers to.
         members=[("dist/embed-amd.js", "html-manager/dist/embed-amd.js"),
                  ("dist/embed.js.LICENSE.txt", "html-manager/dist/embed.js.LICENSE.txt"),
                  *[(f"dist/{font}", f"html-manager/dist/{font}") for font in (
                      "1551f4f60c37af51121f.woff2", "2285773e6b4b172f07d9.woff",
                      "23f19bb08961f37aaf69.eot", "2f517e09eb2ca6650ff5.svg",
                      "4689f52cc96215721344.svg", "491974d108fe4002b2aa.ttf",
                      "527940b104eb2ea366c8.ttf", "77206a6bb316fa0aded5.eot",
                      "7a3337626410ca2f4071.woff2", "7a8b4f130182d19a2d7c.svg",
                      "9bbb245e67a133f6e486.eot", "bb58e57c48a3e911f15f.woff",
                      "be9ee23c0c6390141475.ttf", "d878b0a6a1144760244f.woff2",
                      "eeccf4f66002c6f2ba24.woff")],
                  ("LICENSE", "html-manager/LICENSE")]),
    dict(name="requirejs", version="2.3.6",
         tarball="https://registry.npmjs.org/requirejs/-/requirejs-2.3.6.tgz",
         integrity="sha512-ipEzlWQe6RK3jkzikgCupiTbTvm4S0/CAU5GlgptkN5SO6F3u0UD0K18wy6ErDqiCyP4J4YYe1HuAShvsxePLg==",
         members=[("require.js", "requirejs/require.js"),
                  ("README.md", "requirejs/README.md")]),
]


class IntegrityError(RuntimeError):
    """A downloaded package is not the one the registry published."""


def integrity_of(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def tarball(package):
    """The package's tarball bytes, from the cache or the registry, verified."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / Path(package["tarball"]).name
    if cached.exists():
        data = cached.read_bytes()
    else:
        with urllib.request.urlopen(package["tarball"], timeout=120) as response:
            data = response.read()
    if integrity_of(data) != package["integrity"]:
        cached.unlink(missing_ok=True)
        raise IntegrityError(f"{package['name']}@{package['version']}: {package['tarball']} does not "
                             f"match the registry's integrity {package['integrity'][:24]}...")
    cached.write_bytes(data)
    return data


def unpack(package, data):
    """Write the package's listed members under VENDOR; return how many bytes were written."""
    written = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            inner = member.name[len("package/"):]
            for prefix, target in package["members"]:
                if inner == prefix or (prefix.endswith("/") and inner.startswith(prefix)):
                    path = VENDOR / (target + inner[len(prefix):] if prefix.endswith("/") else target)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(archive.extractfile(member).read())
                    written += member.size
                    break
    return written


def main():
    shutil.rmtree(STATIC, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    for path in OWN_FILES:
        shutil.copy(path, VENDOR / path.name)
    total = 0
    for package in PACKAGES:
        size = unpack(package, tarball(package))
        total += size
        print(f"site assets: {package['name']}@{package['version']} verified, "
              f"{size / 1e6:.1f} MB into {VENDOR.relative_to(ROOT)}/")
    print(f"site assets: {total / 1e6:.1f} MB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
