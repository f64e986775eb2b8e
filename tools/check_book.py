"""Check the built site (`make book` runs this after `jupyter-book build`).

Sphinx's -W catches broken links and references; this catches what renders wrongly without a
warning: a notebook of _toc.yml without a page, LaTeX left as raw `$...$` text (MyST did not
parse it as maths), a page without MathJax, the Colab setup cell shown on a page, a notebook
page without its Binder and Colab launch links for the repository of _config.yml.
Exit status 1 and one line per problem if anything is wrong.
"""

import html
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT))
from tools.collection import notebooks  # noqa: E402  (the one list, from _toc.yml)


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [p.removesuffix(".ipynb") for p in notebooks()]


def visible_text(page):
    """Page text outside scripts, code and typeset maths (where a `$` may legitimately stand)."""
    for pattern in (r"<script.*?</script>", r"<pre.*?</pre>", r"<code.*?</code>",
                    r'<span class="math[^"]*">.*?</span>', r'<div class="math[^"]*">.*?</div>'):
        page = re.sub(pattern, " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def main():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    slug = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    problems = []
    if not (SITE / "index.html").exists():
        problems.append("_build/html/index.html missing")
    for name in toc_files():
        page_path = SITE / f"{name}.html"
        if not page_path.exists():
            problems.append(f"{name}: no page {page_path.relative_to(ROOT)}")
            continue
        page = page_path.read_text()
        text = visible_text(page)
        for match in re.finditer(r"\$", text):
            context = " ".join(text[max(0, match.start() - 50):match.start() + 50].split())
            problems.append(f"{name}: LaTeX not rendered as maths: ...{context}...")
            break
        if "mathjax" not in page.lower():
            problems.append(f"{name}: no MathJax script")
        if name == toc_files()[0]:
            continue
        if "Colab setup cell" in page:
            problems.append(f"{name}: the Colab setup cell is shown (it should carry remove-cell)")
        for url in (f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/{name}.ipynb",
                    f"https://colab.research.google.com/github/{slug}/blob/{branch}/{name}.ipynb"):
            if f'href="{url}"' not in page:
                problems.append(f"{name}: no launch link {url}")
    for problem in problems:
        print(problem, file=sys.stderr)
    pages = len(toc_files())
    print(f"check_book: {pages} pages, {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
