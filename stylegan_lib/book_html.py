"""``python -m stylegan_lib html``: the static HTML edition of the book, built offline.

It reads the executed chapters as ``make book`` left them (``chapters/NN.ipynb``, outputs
included; nothing is run again) and writes, under ``build/html/`` by default,

* ``index.html``: the book's title and its chapters in reading order (book.toml);
* one page per chapter in JupyterLab's look, its figures embedded, with links to the previous
  and next chapter, its animations playing; each interactive widget becomes a note pointing to
  the live notebook, since a page without a kernel cannot redraw it (every widget of the book
  sits beside a static figure of its default view);
* ``mathjax/``: a local MathJax (from the ``jupyter-server-mathjax`` package) for the equations.

Nothing is downloaded while building, and nothing is fetched while reading: :func:`remote_assets`
checks every written page for scripts, styles or images from the network, and the build fails if
it finds one. Open ``build/html/index.html`` from the file system.
"""
from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from pathlib import Path

from .book import ROOT, read_book

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Written into every edition's folder, so a rebuild knows the folder is its own to replace.
STAMP = ".stylegan-book-html"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<div class="book-widget">Interactive widget: it redraws only with a running '
               'kernel. Open this chapter in JupyterLab (<code>make lab</code>) to use it; the '
               'static figure of this section shows its default view.</div>')


def remote_assets(page: str) -> list[str]:
    """Addresses of scripts, stylesheets, images or frames that a page would fetch from the
    network (links a reader may click are not counted)."""
    tags = r"<(?:script|img|iframe|source|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']((?:https?:)?//[^\"']+)"
    css = r"@import\s+(?:url\()?[\"']?((?:https?:)?//[^\"')]+)|url\(\s*[\"']?((?:https?:)?//[^\"')]+)"
    found = re.findall(tags, page, flags=re.IGNORECASE)
    found += [a or b for a, b in re.findall(css, page, flags=re.IGNORECASE)]
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.IGNORECASE | re.DOTALL):
        found += re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/[^\s\"'<>]*", script)
    return sorted(set(found))


def static_outputs(nb) -> int:
    """Make every output readable without a kernel: a widget view becomes :data:`WIDGET_NOTE`,
    an animation (``image/gif``, which nbconvert's templates do not draw) an ``<img>`` of the
    same data. Returns the number of outputs changed."""
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:
                out["data"] = {"text/html": WIDGET_NOTE}
            elif "image/gif" in data:
                gif = "".join(data["image/gif"]).replace("\n", "")
                out["data"] = {"text/html": f'<img src="data:image/gif;base64,{gif}" alt="animation">'}
            else:
                continue
            count += 1
    return count


def navigation(chapters: list[dict], i: int) -> str:
    """The bar above and below chapter ``i``: previous, contents, next."""
    def link(j: int, arrow: str) -> str:
        if not 0 <= j < len(chapters):
            return "<span></span>"
        ch = chapters[j]
        text = f"{ch['name'][:2]}. {html.escape(ch.get('title', ch['name']))}"
        return f'<a href="{ch["name"]}.html">{arrow} {text}</a>' if arrow == "←" else \
            f'<a href="{ch["name"]}.html">{text} {arrow}</a>'

    return f'{link(i - 1, "←")}<a href="index.html">Contents</a>{link(i + 1, "→")}'


def index_page(title: str, chapters: list[dict], pictures: dict[str, int]) -> str:
    """The edition's first page: the title and the chapter list."""
    items = "\n".join(
        f'  <li><a href="{ch["name"]}.html">{html.escape(ch.get("title", ch["name"]))}</a> '
        f'<span class="count">({pictures[ch["name"]]} figures)</span></li>' for ch in chapters)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body {{ font-family: sans-serif; max-width: 46em; margin: 3em auto; line-height: 1.5; }}
li {{ margin: 0.3em 0; }} .count {{ color: #777; font-size: 0.9em; }}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>The static edition of the book: every chapter as <code>make book</code> executed it, with its
figures. The widgets need a running kernel: open the chapters in JupyterLab (<code>make lab</code>)
to move them.</p>
<ol start="0">
{items}
</ol>
</body></html>
"""


def check_destination(out: Path, force: bool) -> None:
    """Refuse to replace a folder that is not an earlier edition, unless ``force``."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder: choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / STAMP).is_file() and not force:
        raise FileExistsError(f"{out} is a folder with files that no HTML edition wrote: choose another "
                              "--out, or pass --force to replace its contents")


def mathjax_folder() -> Path:
    """MathJax 2 as the ``jupyter-server-mathjax`` package ships it."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise ModuleNotFoundError("the HTML edition needs the package jupyter-server-mathjax for its "
                                  "equations: pip install -e '.[book]' (make html does)") from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def build(out: Path, root: Path = ROOT, force: bool = False) -> list[Path]:
    """Write the edition under ``out``; the pages written, index first."""
    import nbformat
    from nbconvert import HTMLExporter

    book = read_book(root)
    chapters = book.get("chapters", [])
    missing = [ch["name"] for ch in chapters if not (root / "chapters" / f"{ch['name']}.ipynb").is_file()]
    if missing:
        raise FileNotFoundError(f"chapters {missing} have no executed notebook: run `make book` first")
    check_destination(out, force)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / STAMP).write_text("written by python -m stylegan_lib html; replaced by the next build\n")
    shutil.copytree(mathjax_folder(), out / "mathjax")

    exporter = HTMLExporter(template_name="lab", extra_template_paths=[str(TEMPLATES)],
                            template_file="book.html.j2", embed_images=True)
    exporter.mathjax_url = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
    pages, pictures = [], {}
    for i, ch in enumerate(chapters):
        nb = nbformat.read(root / "chapters" / f"{ch['name']}.ipynb", as_version=4)
        static_outputs(nb)
        nb.metadata.pop("widgets", None)   # the saved widget state would load a widget manager online
        nb.metadata["title"] = ch.get("title", ch["name"])
        body, _ = exporter.from_notebook_node(nb, resources={"book_nav": navigation(chapters, i)})
        remote = remote_assets(body)
        if remote:
            raise RuntimeError(f"{ch['name']}: the page would fetch {remote} from the network; "
                               "the edition must read offline")
        pictures[ch["name"]] = body.count('src="data:image/')
        page = out / f"{ch['name']}.html"
        page.write_text(body, encoding="utf-8")
        pages.append(page)
    index = out / "index.html"
    index.write_text(index_page(book.get("book", {}).get("title", "The book"), chapters, pictures),
                     encoding="utf-8")
    return [index, *pages]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stylegan_lib html", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "html", help="folder (default build/html)")
    ap.add_argument("--force", action="store_true", help="replace a folder no edition wrote")
    args = ap.parse_args(argv)
    try:
        pages = build(args.out, force=args.force)
    except (FileNotFoundError, FileExistsError, ModuleNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(pages)} pages: open {pages[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
