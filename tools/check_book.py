"""Check the built site's HTML (`make book` runs this after `jupyter-book build`, before the
real-browser test of the site, browser-tests/test_site.py).

What the browser test cannot see, or sees only as a symptom, is checked here in the HTML:
every page of _toc.yml was built; the landing page's reading order links every notebook, in
order; the Colab setup cell (tag remove-cell) is not on any page;
no page loads a script or stylesheet from another host (the site must render offline), and
every script it loads from the site is there. What a reader sees (typeset equations, figures,
widget panels, collapsed solutions, launch buttons) is the browser test's job.
Exit status 1 and one line per problem if anything is wrong.
"""

import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT))
from tools.collection import notebooks  # noqa: E402  (the one list, from _toc.yml)


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [p.removesuffix(".ipynb") for p in notebooks()]


ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>')


def reading_order_problems(page):
    """The landing page's "Reading order" section (written by tools/reading_order.py as the site
    is built) must link every notebook, in _toc.yml's order."""
    section = re.search(r'<section id="reading-order">(.*?)</section>', page, re.S)
    if section is None:
        return ["landing page: no 'Reading order' section"]
    links = re.findall(r'href="([^"#]+)\.html"', section.group(1))
    expected = [p.removesuffix(".ipynb") for p in notebooks()]
    if links != expected:
        return [f"landing page: the reading order links {links}, not _toc.yml's {expected}"]
    return []


def main():
    problems = []
    if not (SITE / "index.html").exists():
        problems.append("_build/html/index.html missing")
    for name in toc_files():
        page_path = SITE / f"{name}.html"
        if not page_path.exists():
            problems.append(f"{name}: no page {page_path.relative_to(ROOT)}")
            continue
        page = page_path.read_text()
        if name == toc_files()[0]:
            problems += reading_order_problems(page)
        if "Colab setup cell" in page:
            problems.append(f"{name}: the Colab setup cell is shown (it should carry remove-cell)")
        for tag in ASSET.finditer(page):
            url = tag.group(1)
            if "rel=\"canonical\"" in tag.group(0) or "rel=\"prev\"" in tag.group(0) \
                    or "rel=\"next\"" in tag.group(0) or "rel=\"index\"" in tag.group(0) \
                    or "rel=\"search\"" in tag.group(0) or "rel=\"icon\"" in tag.group(0):
                continue
            if urlparse(url).scheme in ("http", "https") or url.startswith("//"):
                problems.append(f"{name}: loads {url} from another host (the site must work offline)")
                continue
            target = urlparse(urljoin(f"{name}.html", url)).path
            if not (SITE / target).is_file():
                problems.append(f"{name}: {url} is not in the site")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_book: {len(toc_files())} pages, {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
