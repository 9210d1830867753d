"""Body text out of agency markup: XHTML, NITF and plain-text bodies to ``Block`` lists.

Every XML wire format ends in the same problem: a tree (or a string) of article text with
markup to strip. This module owns the rules, so that NewsML-G2, NewsML 1.2, NITF and
Ritzau read bodies the same way:

- block elements (``p``, ``h1``-``h6``, NITF ``hl2``, ``li``, ``blockquote``, ``pre``,
  tables) become blocks in document order; a block nested in another (Reuters' unclosed
  ``<p>``, STT's ``<p><h3>``) splits its parent;
- inline markup (``a``, ``em``, NITF ``person``/``org``/``chron``, STT ``Company``) is
  stripped, its text kept; ``br`` is a space;
- whitespace is collapsed inside a paragraph (not inside ``pre``); non-breaking and thin
  spaces are kept as printed;
- text that arrives escaped twice (``&amp;#39;``, Ritzau's ``&amp;amp;apos;``) is unescaped,
  markup that arrived escaped (``<endash>-</endash>``) loses its tags, and mojibake
  (``Â£``) is repaired, because all three are transport damage, not content;
- preformatted text inside one element (Reuters' typewriter paragraphs indented by four
  spaces, sports tables) is split into paragraphs or kept as a ``pre`` block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence

import ftfy
import ftfy.badness
from lxml import etree

from pipeline.errors import EmptyDispatchError
from pipeline.parsers._xml import local_name, parse_html_fragment
from pipeline.records import Block, ParsedItem

# Elements that start a block, and the Block.kind they make.
BLOCK_KINDS: dict[str, str] = {
    "p": "p",
    "h1": "h",
    "h2": "h",
    "h3": "h",
    "h4": "h",
    "h5": "h",
    "h6": "h",
    "hl2": "h",  # NITF subheading
    "li": "li",
    "dt": "p",
    "dd": "p",
    "blockquote": "quote",
    "bq": "quote",  # NITF block quote
    "figcaption": "p",
    "address": "p",
}
# Elements that only group blocks: their boundaries end the current paragraph.
CONTAINERS = frozenset(
    {
        "body",
        "body.content",
        "block",
        "section",
        "article",
        "div",
        "main",
        "ul",
        "ol",
        "dl",
        "html",
        "nitf",
        "content",
        "fn",
        "note",
        "aside",
        "center",
    }
)
# Elements whose content is never body text.
SKIP = frozenset(
    {
        "head",
        "header",  # dpa XHTML repeats slugline, date, genre and headline there
        "title",
        "meta",
        "script",
        "style",
        "media",  # NITF media: read as an association, not as text
        "img",
        "figure",
        "body.head",
        "body.end",
        "object",
        "iframe",
        "noscript",
    }
)
BREAKS = frozenset({"br", "hr"})

_WS = re.compile(r"[ \t\r\n\f\v]+")
_ESCAPED = re.compile(r"&(#\d{2,7}|#[xX][0-9a-fA-F]{2,6}|quot|amp|apos|lt|gt|nbsp);")
_MOJIBAKE_HINT = re.compile("[ÂÃâÐÑØÙ][\u0080-\u00ff\u2018-\u203a\u20ac\u0152\u0153\u0160\u0161\u0178\u017d\u017e]")
# Markup that reached the text escaped (STT's "800<endash>-</endash>1 000"): keep the content.
_ESCAPED_PAIR = re.compile(r"<([A-Za-z][\w.-]{0,30})>([^<>]{0,200})</\1>")
_HTML_HINT = re.compile(
    r"<\s*/?\s*(p|br|div|h[1-6]|ul|ol|li|b|i|em|strong|a|span|table|tr|td|blockquote)\b[^>]*>", re.I
)
_INDENTED = re.compile(r"^(?: {2,}|\t)\S")
_INNER_GAP = re.compile(r"\S {3,}\S")  # column gaps; two spaces after a full stop are prose


def repair(text: str) -> str:
    """Undo transport damage: double-escaped entities and mojibake. Leaves clean text alone."""
    for _ in range(2):
        if not _ESCAPED.search(text):
            break
        text = html.unescape(text)
    if "<" in text:
        text = _ESCAPED_PAIR.sub(r"\2", text)
    if _MOJIBAKE_HINT.search(text) and ftfy.badness.is_bad(text):
        text = ftfy.fix_encoding(text)
    return text


def clean_inline(text: str | None) -> str:
    """One line of text: repaired, whitespace collapsed, stripped ("" for None)."""
    if not text:
        return ""
    return _WS.sub(" ", repair(text)).strip()


def element_text(node: etree._Element | None, *, words: bool = False) -> str:
    """All text inside ``node`` as one collapsed line ("" for None).

    Text pieces split by inline markup are joined as they are ("<em>un</em>done" reads
    "undone"); with ``words`` a space is put between two pieces that would otherwise glue
    two words together - for fields whose child elements are separate words (NITF
    ``By<person>Staff Reporter</person>``, ``<city>Ottawa</city><state>Ontario</state>``).
    """
    if node is None:
        return ""
    return clean_inline(join_words(_itertext(node)) if words else "".join(_itertext(node)))


def join_words(pieces: Iterable[str]) -> str:
    """Concatenate text pieces, adding a space where two word characters would meet."""
    out: list[str] = []
    for piece in pieces:
        if out and out[-1] and piece and out[-1][-1].isalnum() and piece[0].isalnum():
            out.append(" ")
        out.append(piece)
    return "".join(out)


def _itertext(node: etree._Element) -> Iterable[str]:
    if not isinstance(node.tag, str):
        return
    if node.text:
        yield node.text
    for kid in node:
        if isinstance(kid.tag, str):
            yield from _itertext(kid)
        elif kid.tag is etree.Entity:  # an entity reference kept as a node
            yield html.unescape(f"&{kid.name};")
        if kid.tail:
            yield kid.tail


def _has_text(text: str) -> bool:
    return bool(text.strip())


class _Collector:
    """Accumulates inline text and closes it into blocks at block boundaries."""

    def __init__(self, skip: Callable[[etree._Element], bool] | None) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.kind = "p"
        self.skip = skip

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def close(self) -> None:
        raw = "".join(self.parts)
        self.parts = []
        kind, self.kind = self.kind, "p"
        if _has_text(raw):
            self.blocks.extend(split_preformatted(raw, kind))

    def visit(self, node: etree._Element) -> None:
        if not isinstance(node.tag, str):
            if node.tag is etree.Entity:
                self.add(html.unescape(f"&{node.name};"))
            return  # comments and processing instructions: no text
        name = local_name(node).lower()
        if name in SKIP or (self.skip is not None and self.skip(node)):
            return
        if name in BREAKS:
            self.add(" ")
            return
        if name == "pre":
            self.close()
            text = "".join(_itertext(node))
            self.blocks.extend(pre_blocks(text))
            return
        if name in ("table", "nitf-table"):
            self.close()
            self.blocks.extend(table_blocks(node))
            return
        kind = BLOCK_KINDS.get(name)
        is_block = kind is not None or name in CONTAINERS
        if is_block:
            self.close()
            self.kind = kind or "p"
        self.add(node.text)
        for kid in node:
            self.visit(kid)
            self.add(kid.tail)
        if is_block:
            self.close()


def blocks_from_tree(node: etree._Element, *, skip: Callable[[etree._Element], bool] | None = None) -> list[Block]:
    """The body blocks of an XHTML or NITF element, in document order.

    ``skip`` may exclude further elements (e.g. dpa's ``p.teaser``, read as the summary).
    """
    collector = _Collector(skip)
    collector.visit(node)
    collector.close()
    return collector.blocks


def looks_like_html(text: str) -> bool:
    """True when a text field carries HTML markup (CDATA bodies, escaped Ritzau content)."""
    return bool(_HTML_HINT.search(text))


def blocks_from_string(text: str) -> list[Block]:
    """Blocks from a text field that may hold HTML (parsed leniently) or plain text."""
    if looks_like_html(text):
        return blocks_from_tree(parse_html_fragment(text))
    return blocks_from_plain(text)


def blocks_from_plain(text: str) -> list[Block]:
    """Plain-text body: paragraphs split on blank lines (and typewriter indentation)."""
    return split_preformatted(text, "p", always_split=True)


def split_preformatted(raw: str, kind: str = "p", *, always_split: bool = False) -> list[Block]:
    """One element's text as blocks: usually one, more when the text is laid out by lines.

    Lines matter when the text has blank lines, or when some lines are indented and others
    not (typewriter paragraphs: the first line indented, continuation lines flush left;
    XML pretty-printing indents every continuation line and is not mistaken for it).
    Column-aligned text (results tables) stays one ``pre`` block.
    """
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in raw.strip():
        text = clean_inline(raw)
        return [Block(text, kind)] if text else []
    lines = raw.strip("\n").split("\n")
    body_lines = [ln for ln in lines if ln.strip()]
    if len(body_lines) >= 4 and sum(1 for ln in body_lines if _INNER_GAP.search(ln.strip())) * 2 >= len(body_lines):
        return pre_blocks(raw)
    # The first line is left out: pretty-printed XML starts text right after the tag and
    # indents every following line, which is not typewriter layout.
    continuation = body_lines[1:]
    indented = sum(1 for ln in continuation if _INDENTED.match(ln))
    # Typewriter text is mostly flush continuation lines; XML indentation with an odd explicit
    # line break (NTB's &#10;) is mostly indented lines.
    typewriter = 0 < indented * 2 <= len(continuation)
    has_blank = any(not ln.strip() for ln in lines)
    if not (typewriter or has_blank or always_split):
        text = clean_inline(raw)
        return [Block(text, kind)] if text else []
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            paragraphs.append([])
        elif typewriter and _INDENTED.match(line) and paragraphs[-1]:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    blocks = []
    for para in paragraphs:
        text = clean_inline(" ".join(para))
        if text:
            blocks.append(Block(text, kind))
    return blocks


def pre_blocks(text: str) -> list[Block]:
    """Preformatted text: lines kept, trailing spaces and surrounding blank lines dropped."""
    lines = [repair(line).rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [Block("\n".join(lines), "pre")] if lines else []


def table_blocks(table: etree._Element) -> list[Block]:
    """A table as one ``pre`` block: a line per row, cells separated by tabs."""
    rows = []
    for row in table.iter():
        if isinstance(row.tag, str) and local_name(row).lower() == "tr":
            cells = [
                element_text(cell)
                for cell in row
                if isinstance(cell.tag, str) and local_name(cell).lower() in ("td", "th")
            ]
            if any(cells):
                rows.append("\t".join(cells).rstrip())
    return [Block("\n".join(rows), "pre")] if rows else []


def has_text(item: ParsedItem) -> bool:
    """True when an item carries any text: headline, summary, body or a caption."""
    return bool(item.headline or item.summary or item.body or any(a.caption for a in item.associations))


def require_text(items: Sequence[ParsedItem], *, format: str) -> list[ParsedItem]:
    """``items`` unchanged, or ``EmptyDispatchError`` when none of them carries any text.

    An item without text inside a dispatch that has others (an empty package reference
    in a newsMessage) is kept: the decision to drop it belongs downstream.
    """
    if not items:
        raise EmptyDispatchError("the document holds no news item", format=format)
    if not any(has_text(item) for item in items):
        what = "item" if len(items) == 1 else f"{len(items)} items"
        raise EmptyDispatchError(
            f"no text in the dispatch ({what}: no headline, summary, body or caption)", format=format
        )
    return list(items)
