"""Markup bodies carried inside other formats (ninjs ``bodies``/``body_html``) as Blocks.

A ninjs body is an HTML fragment, a whole HTML document, or NITF XML in a string. All of
them are read with lxml's HTML parser, which never fetches or expands anything, and
walked once: block elements become ``Block`` s (p, h, quote, li, pre), containers are
descended into, page furniture (scripts, figures, NITF ``body.head``/``body.end``) is
skipped. Text only: no markup survives into a block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from pipeline.records import Block

_BLANKS = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Tag -> block kind; anything not listed is a container or inline.
_BLOCK_KINDS = {
    "p": "p",
    "h1": "h",
    "h2": "h",
    "h3": "h",
    "h4": "h",
    "h5": "h",
    "h6": "h",
    "hl1": "h",
    "hl2": "h",
    "blockquote": "quote",
    "bq": "quote",
    "li": "li",
    "pre": "pre",
    "dt": "p",
    "dd": "p",
    "figcaption": "p",
}
_SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "iframe",
        "object",
        "embed",
        "svg",
        "form",
        "button",
        "nav",
        "figure",
        "img",
        "video",
        "audio",
        "media",
        "body.head",
        "body.end",
        "docdata",
        "pubdata",
        "revision-history",
        "tobject",
        "identified-content",
    }
)
_CONTAINERS = frozenset(
    {
        "html",
        "body",
        "div",
        "section",
        "article",
        "main",
        "ul",
        "ol",
        "dl",
        "block",
        "body.content",
        "nitf",
        "header",
        "footer",
        "aside",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "center",
        "span-block",
        "tr",
    }
)


def _text(node: etree._Element) -> str:
    """The text of an element, skipped subtrees left out, blanks collapsed."""
    parts: list[str] = []

    def visit(element: etree._Element) -> None:
        if element.text:
            parts.append(element.text)
        for child in element:
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag == "br":
                parts.append(" ")
            elif tag and tag not in _SKIP:
                visit(child)
            if child.tail:
                parts.append(child.tail)

    visit(node)
    return _BLANKS.sub(" ", "".join(parts)).strip()


def _row(node: etree._Element) -> str:
    cells = [_BLANKS.sub(" ", "".join(c.itertext())).strip() for c in node if isinstance(c.tag, str)]
    return "\t".join(cells)


def _walk(node: etree._Element) -> Iterator[Block]:
    loose: list[str] = []

    def flush() -> Iterator[Block]:
        text = _BLANKS.sub(" ", "".join(loose)).strip()
        loose.clear()
        if text:
            yield Block(text)

    if node.text:
        loose.append(node.text)
    for child in node:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if not tag or tag in _SKIP:
            if child.tail:
                loose.append(child.tail)
            continue
        if tag == "table":
            yield from flush()
            rows = [_row(tr) for tr in child.iter("tr")]
            text = "\n".join(r for r in rows if r.strip())
            if text:
                yield Block(text, "pre")
        elif tag in _BLOCK_KINDS:
            yield from flush()
            kind = _BLOCK_KINDS[tag]
            if kind == "pre":  # keep the lines and their alignment
                text = "\n".join(line.rstrip() for line in "".join(child.itertext()).strip("\n").split("\n"))
            else:
                text = _text(child)
            if text.strip():
                yield Block(text, kind)
        elif tag in _CONTAINERS:
            yield from flush()
            yield from _walk(child)
        elif tag == "br":
            loose.append(" ")
        else:  # inline element: its text joins the running paragraph
            loose.append(_text(child) + " ")
        if child.tail:
            loose.append(child.tail)
    yield from flush()


def html_blocks(markup: str) -> tuple[Block, ...]:
    """The blocks of an HTML (or NITF/XHTML) body, in document order."""
    markup = _XML_DECLARATION.sub("", markup)
    if not markup.strip():
        return ()
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)
    root = etree.fromstring(f"<div>{markup}</div>" if "<html" not in markup[:500].lower() else markup, parser)
    if root is None:
        return ()
    container = next(iter(root.iter("body.content")), None)
    if container is None:
        container = next(iter(root.iter("body")), root)
    return tuple(_walk(container))


def html_text(markup: str) -> str:
    """An HTML fragment as one line of plain text (descriptions, captions)."""
    return " ".join(block.text for block in html_blocks(markup))


def text_blocks(text: str) -> tuple[Block, ...]:
    """A plain-text body as paragraphs: blank lines separate them, or else line breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ()
    chunks = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    return tuple(Block(_BLANKS.sub(" ", chunk).strip()) for chunk in chunks if chunk.strip())
