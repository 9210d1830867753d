"""Any XML news item no specific parser claims: read by element names and structure.

Agencies deliver XML of their own (Canadian Press's ``<Publish><ContentItem>`` with
``Headline`` and escaped-HTML ``ContentText``, broadcasters' and CMS exports), standard
documents inside unknown envelopes (a NewsML-G2 item in a SOAP body, an NITF document in
a bare ``<contentSet>``), and standard formats that put their text where the standard
parser does not look. This parser reads them the way a person would:

1. **standard documents inside**: NewsML-G2 ``newsItem``/``packageItem``, NewsML 1.x
   ``NewsItem`` and NITF ``nitf`` elements anywhere in the tree are read by those
   formats' own readers (when that gives text);
2. **items**: every headline-like element (``_fields``: names in several languages and
   conventions) belongs to the nearest enclosing element that holds article text besides
   it; so does every body-like element. An enclosing item whose own text is only what the
   inner ones hold is a container (a feed, an envelope): its inner items are read. When
   the document holds one item, the whole document is that item (metadata may sit beside
   the text, as NITF's ``head`` sits beside its ``body``);
3. **fields**: each element and attribute is a candidate for the field its name means;
   the most trusted name wins (listed names before names read from their words, then the
   shallowest, then the first). An element named for a field but empty gives its
   attributes' values (``<Language FormalName="de"/>``, ``<date.issue norm="..."/>``). In a
   document of several items, the identifiers, dates and language of the envelope
   apply to the items that lack their own;
4. **body**: the most trusted body-named element holding at least half the text of the
   longest (markup read as markup, escaped HTML as HTML, plain text by paragraphs); when
   no element is named like a body, the element whose children hold the most prose.

It is registered last (``fallback``): the NewsML, NITF, RSS/Atom and Ritzau parsers claim
their roots first, and it reads what they claim but find no item in. Items are marked
``wf_format: generic-xml``; ``extra`` records which element gave each field.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from pipeline.errors import EmptyDispatchError, PipelineError
from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dateline import parse_dateline
from pipeline.parsers._fields import (
    DATE_FIELDS,
    classify,
    fold_name,
    guid_value,
    headline_value,
    language_tag,
    skipped,
    urgency_value,
    version_value,
    vocabulary,
    when,
)
from pipeline.parsers._iptc import pub_status
from pipeline.parsers._teletype import agency_header
from pipeline.parsers._text import (
    BLOCK_KINDS,
    CONTAINERS,
    SKIP,
    blocks_from_string,
    blocks_from_tree,
    element_text,
    has_text,
)
from pipeline.parsers._xml import local_name, parse_xml, root_name
from pipeline.parsers.base import Parser, registry
from pipeline.records import Block, Headers, ParsedItem, When

log = logging.getLogger(__name__)

NAME = "generic-xml"
#: characters of text that make an element an article's text (not a label or a code)
MIN_BODY_CHARS = 80
#: a child's text reads as prose (for a body no element names): this long, with a sentence end
MIN_PROSE_CHARS = 40
#: ... or this many words (a label, a code or a name is shorter)
MIN_PROSE_WORDS = 6
#: fields an item in a list may take from the envelope around it (a feed's language, dates)
ENVELOPE_FIELDS = frozenset({*DATE_FIELDS, "language", "credit", "copyright"})
#: added to the rank of a field named by an attribute (after the listed element names)
ATTRIBUTE_RANK = 500
#: fields whose value is a text line, and how many of the item's candidates are collected
_LINE_FIELDS = frozenset({"summary", "subheadline", "slugline", "credit", "copyright"})

#: element names the markup readers know (HTML/NITF blocks, containers, inline tags)
MARKUP_TAGS = frozenset(
    {
        *BLOCK_KINDS,
        *CONTAINERS,
        *SKIP,
        "pre",
        "table",
        "br",
        "hr",
        "a",
        "b",
        "i",
        "u",
        "em",
        "strong",
        "span",
        "sub",
        "sup",
    }
)
_SENTENCE_END = re.compile(r"[.!?…。！？](?:[\"'”’»)]*)(?:\s|$)")
_STATUS_NAMES = frozenset({"pubstatus", "status", "publicationstatus", "managementstatus"})


@dataclass(frozen=True)
class Candidate:
    field: str
    rank: int
    scope: int  # 0: inside the item; 1, 2...: in the envelope around it
    depth: int
    order: int
    node: etree._Element
    attribute: str | None = None  # the attribute that names the field (its value is read)


def _elements(node: etree._Element) -> Iterator[etree._Element]:
    for kid in node:
        if isinstance(kid.tag, str):
            yield kid


def _field(node: etree._Element) -> tuple[str, int] | None:
    return classify(local_name(node))


# --------------------------------------------------------------------------- structure


class _Tree:
    """Per-document memo: each element's text length outside its labelled fields."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._own: dict[etree._Element, int] = {}

    def own_text(self, node: etree._Element) -> int:
        """Characters of prose under ``node``, outside fields that are not text (titles, ids,
        dates...) and outside skipped subtrees: what an article's text is made of. Short
        labels (subject names, codes, user names) are not prose."""
        if node in self._own:
            return self._own[node]
        kids = list(_elements(node))
        mixed = bool((node.text or "").strip()) or any((k.tail or "").strip() for k in kids)
        if not kids or mixed:
            text = element_text(node)
            total = len(text) if _prose_piece(text) else 0
        else:
            total = 0
            for kid in kids:
                name = local_name(kid)
                field = classify(name)
                if not skipped(name) and (field is None or field[0] in ("body", "summary")):
                    total += self.own_text(kid)
        self._own[node] = total
        return total


def _prose_piece(text: str) -> bool:
    """Text that reads as prose rather than a label: long, or several words."""
    return len(text) >= MIN_PROSE_CHARS or len(text.split()) >= MIN_PROSE_WORDS


def _skipped_below(node: etree._Element, root: etree._Element) -> bool:
    """Whether ``node`` sits in a subtree whose content is never the article."""
    current: etree._Element | None = node
    while current is not None and current is not root:
        if skipped(local_name(current)):
            return True
        current = current.getparent()
    return False


def _anchors(root: etree._Element) -> list[etree._Element]:
    """Headline-like elements with a headline, and body-like elements with text."""
    found = []
    for node in root.iter():
        if not isinstance(node.tag, str) or node is root:
            continue
        field = _field(node)
        if field is None or field[0] not in ("headline", "body"):
            continue
        if _skipped_below(node, root):
            continue
        text = element_text(node)
        headline = field[0] == "headline" and headline_value(text)
        if headline or (field[0] == "body" and len(text) >= MIN_BODY_CHARS):
            found.append(node)
    return found


def _inside(node: etree._Element, ancestor: etree._Element) -> bool:
    current: etree._Element | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.getparent()
    return False


def _list_of_items(root: etree._Element, anchors: list[etree._Element], headlines: bool) -> list[etree._Element]:
    """The shallowest run of same-named siblings that each hold an anchor inside them (a
    feed's items, a message's items), or [].

    With ``headlines`` the anchors are headlines, and they must differ: the parts of one
    article (a photo component beside the text) repeat its headline or have none; the
    articles of a list each have their own.
    """
    groups: dict[tuple[etree._Element, Any], list[etree._Element]] = {}
    texts: dict[etree._Element, set[str]] = {}
    for anchor in anchors:
        child, parent = anchor, anchor.getparent()
        while parent is not None:
            if child is not anchor and not skipped(local_name(child)):
                group = groups.setdefault((parent, child.tag), [])
                if child not in group:
                    group.append(child)
                texts.setdefault(child, set()).add(element_text(anchor))
            if parent is root:
                break
            child, parent = parent, parent.getparent()
    best: list[etree._Element] = []
    best_depth = -1
    for (parent, _), found in groups.items():
        # A photo with its caption beside an article's text is a part of it, not an article;
        # so are photos under a headline of their parent (an article's picture gallery).
        if all(_is_media(k) for k in found):
            titled = any(_inside(a, parent) and not any(_inside(a, k) for k in found) for a in anchors)
            kids = [] if titled else found
        else:
            kids = [k for k in found if not _is_media(k)]
        if len(kids) < 2:
            continue
        if headlines and len(set().union(*(texts[k] for k in kids))) < 2:
            continue
        depth = sum(1 for _ in parent.iterancestors())
        if best_depth < 0 or depth < best_depth:
            best, best_depth = kids, depth
    return best


def _is_media(node: etree._Element) -> bool:
    """Whether an element is a picture, video or sound (with its caption), by names and types."""
    vocab = vocabulary()
    for element in node.iter():
        if not isinstance(element.tag, str):
            continue
        if fold_name(local_name(element)) in vocab.media:
            return True
        for value in element.attrib.values():
            kind = value.strip().casefold()
            if kind.split("/", 1)[0] in vocab.media_types or kind in vocab.media_types:
                return True
    return False


def find_items(root: etree._Element) -> list[etree._Element]:
    """The elements that are articles, in document order (see the module docstring)."""
    anchors = _anchors(root)
    if not anchors:
        return [root] if _Tree(root).own_text(root) else []
    headlines = [a for a in anchors if (f := _field(a)) is not None and f[0] == "headline"]
    items = _list_of_items(root, headlines, True) if headlines else _list_of_items(root, anchors, False)
    # one article (or none found listed): the whole document is it, metadata beside the text
    return items or [root]


# --------------------------------------------------------------------------- fields


def _collect(node: etree._Element, scope: int, skip: set[etree._Element], found: list[Candidate]) -> None:
    """Candidates in ``node``'s subtree (attributes of ``node`` included), not under ``skip``."""

    def allowed(field: str) -> bool:
        return scope == 0 or field in ENVELOPE_FIELDS

    def visit(current: etree._Element, depth: int) -> None:
        for key in current.attrib:
            field = classify(key.rsplit("}", 1)[-1])
            if field is not None and field[0] not in ("headline", "body") and allowed(field[0]):
                # an attribute names its element's property ("version" of a document may be the
                # standard's): listed element names are trusted first
                found.append(Candidate(field[0], field[1] + ATTRIBUTE_RANK, scope, depth, len(found), current, key))
        for kid in _elements(current):
            if kid in skip:
                continue
            name = local_name(kid)
            if skipped(name):
                continue
            field = classify(name)
            if field is not None and allowed(field[0]):
                found.append(Candidate(field[0], field[1], scope, depth + 1, len(found), kid))
            visit(kid, depth + 1)

    visit(node, 0)


def envelope(root: etree._Element, items: Sequence[etree._Element]) -> list[Candidate]:
    """Candidates outside every item (a feed's language and dates), for ``ENVELOPE_FIELDS`` only;
    [] when the item is the whole document."""
    if not items or items[0] is root:
        return []
    found: list[Candidate] = []
    _collect(root, 1, set(items), found)
    return found


def candidates(item: etree._Element, around: Sequence[Candidate] = ()) -> list[Candidate]:
    """Elements and attributes naming a field: inside the item, then those of the envelope
    (``envelope``: a feed's language and dates, not its title or version)."""
    found: list[Candidate] = []
    _collect(item, 0, set(), found)
    return found + [dataclasses.replace(c, order=len(found) + n) for n, c in enumerate(around)]


def _value_text(cand: Candidate) -> list[str]:
    """The strings a candidate offers: the attribute, else the text, else its attributes' values
    (those named like a value first: ``FormalName``, ``norm``, ``id-string``, ``value``)."""
    if cand.attribute is not None:
        return [cand.node.get(cand.attribute) or ""]
    text = element_text(cand.node)
    if text:
        return [text]
    preferred = vocabulary().value_attributes

    def order(key: str) -> int:
        name = fold_name(key.rsplit("}", 1)[-1])
        return preferred.index(name) if name in preferred else len(preferred)

    return [cand.node.get(k) or "" for k in sorted(cand.node.attrib, key=order) if (cand.node.get(k) or "").strip()]


def _ordered(cands: list[Candidate], field: str) -> list[Candidate]:
    return sorted((c for c in cands if c.field == field), key=lambda c: (c.scope, c.rank, c.depth, c.order))


def _where(cand: Candidate) -> str:
    name = local_name(cand.node)
    return f"{name}@{cand.attribute.rsplit('}', 1)[-1]}" if cand.attribute else name


def body_of(node: etree._Element) -> list[Block]:
    """Blocks of a body element: markup as markup, text (escaped HTML, plain) as a string.

    Children of a vocabulary no markup reader knows (``<absatz>``, ``<para>``), with no text
    between them, are the paragraphs: one block (or more) each.
    """
    kids = list(_elements(node))
    if not kids:
        return blocks_from_string(node.text or "")
    between = (node.text or "").strip() or any((k.tail or "").strip() for k in kids)
    known = any(local_name(k).lower() in MARKUP_TAGS for k in kids)
    if between or known:
        return blocks_from_tree(node)
    return [block for kid in kids for block in body_of(kid)]


def _prose_score(node: etree._Element) -> int:
    """Characters of prose directly under ``node`` (its own text and its children's)."""
    score = 0
    kids = list(_elements(node))
    # a child's text counts when the child is a paragraph (no elements inside), not a section
    pieces = [node.text or "", *(element_text(k) for k in kids if next(_elements(k), None) is None)]
    pieces += [k.tail or "" for k in kids]
    for piece in pieces:
        piece = piece.strip()
        if len(piece) >= MIN_PROSE_CHARS and _SENTENCE_END.search(piece):
            score += len(piece)
    return score


def _densest(item: etree._Element, exclude: set[etree._Element]) -> etree._Element | None:
    """The element whose children hold the most prose, for a body no element names."""
    best, best_score = None, 0
    for node in item.iter():
        if not isinstance(node.tag, str) or node in exclude or _skipped_below(node, item):
            continue
        field = _field(node)
        if field is not None and field[0] not in ("body", "summary"):
            continue
        score = _prose_score(node)
        if score > best_score:
            best, best_score = node, score
    return best if best_score >= MIN_BODY_CHARS else None


def read_item(item: etree._Element, around: Sequence[Candidate], agency_hint: str | None) -> ParsedItem:
    """One article element as a ParsedItem (``around``: the envelope's candidates)."""
    cands = candidates(item, around)
    extra: list[tuple[str, str]] = []

    def pick(field: str, read: Callable[[str], Any]) -> Any:
        for cand in _ordered(cands, field):
            for text in _value_text(cand):
                value = read(text)
                if value:
                    extra.append((f"generic:{field}", _where(cand)))
                    return value
        return None

    headline_nodes = [c.node for c in _ordered(cands, "headline") if c.attribute is None]
    headline = pick("headline", headline_value)
    blocks = _body(cands, headline_nodes, extra)
    if not blocks:
        exclude = {c.node for c in cands if c.field not in ("body", "summary")}
        dense = _densest(item, exclude)
        if dense is not None:
            blocks = body_of(dense)
            extra.append(("generic:body", f"(prose in {local_name(dense)})"))
    guid = pick("guid", guid_value)
    credits = [t for c in _ordered(cands, "credit") + _ordered(cands, "copyright") for t in _value_text(c)]
    agency = agency_hint or agency_of([*credits, guid])
    zone = home_zone(agency)
    dates: dict[str, When | None] = {field: pick(field, lambda t: when(t, zone)) for field in DATE_FIELDS}
    byline = next((t for c in _ordered(cands, "byline") if (t := element_text(c.node, words=True))), None)
    dateline = next(
        (d for c in _ordered(cands, "dateline") if (d := parse_dateline(element_text(c.node, words=True)))), None
    )
    keywords = [k.strip() for c in _ordered(cands, "keywords") for t in _value_text(c) for k in t.split(",")]
    status = next(
        (
            found
            for node in item.iter()
            if isinstance(node.tag, str) and fold_name(local_name(node)) in _STATUS_NAMES
            for value in [element_text(node) or next(iter(node.attrib.values()), "")]
            if (found := pub_status(value))
        ),
        None,
    )
    return ParsedItem(
        format=NAME,
        guid=guid,
        version=pick("version", version_value),
        agency=agency,
        language=pick("language", language_tag),
        headline=headline,
        subheadlines=tuple(s for s in [pick("subheadline", lambda t: t.strip())] if s),
        summary=pick("summary", lambda t: t.strip()),
        body=tuple(blocks),
        byline=byline,
        dateline=dateline,
        first_created=dates["first_created"],
        version_created=dates["version_created"],
        content_created=dates["content_created"],
        embargoed_until=dates["embargoed"],
        pub_status=status or "usable",
        urgency=pick("urgency", urgency_value),
        slugline=pick("slugline", lambda t: t.strip()),
        keywords=tuple(dict.fromkeys(k for k in keywords if k)),
        copyright_notice=pick("copyright", lambda t: t.strip()),
        extra=tuple(extra),
    )


def _body(cands: list[Candidate], headline_nodes: list[etree._Element], extra: list[tuple[str, str]]) -> list[Block]:
    """The most trusted body element holding at least half the longest one's text."""
    bodies = [(c, len(element_text(c.node))) for c in _ordered(cands, "body") if c.attribute is None]
    bodies = [(c, n) for c, n in bodies if n > 0]
    # an element that wraps the headline too is the article's wrapper (<story>), not its body
    bodies = [(c, n) for c, n in bodies if not any(_inside(h, c.node) for h in headline_nodes)]
    if not bodies:
        return []
    longest = max(n for _, n in bodies)
    for cand, length in bodies:
        if length * 2 < longest:
            continue
        blocks = body_of(cand.node)
        if blocks:
            extra.append(("generic:body", _where(cand)))
            return blocks
    return []


# --------------------------------------------------------------------------- standard documents inside


def _topmost(root: etree._Element, names: frozenset[str]) -> list[etree._Element]:
    found: list[etree._Element] = []
    for node in root.iter():
        if isinstance(node.tag, str) and local_name(node) in names and not any(_inside(node, f) for f in found):
            found.append(node)
    return found


def embedded(root: etree._Element) -> tuple[str, list[ParsedItem]] | None:
    """Items of standard documents inside the tree, read by their formats' readers; None when
    there is none or they hold no text."""
    from pipeline.parsers.newsml12 import NewsML12Parser
    from pipeline.parsers.newsml_g2 import NewsMLG2Parser
    from pipeline.parsers.nitf import NitfParser

    readers: tuple[tuple[str, frozenset[str], Callable[[etree._Element], ParsedItem]], ...] = (
        ("newsml-g2", frozenset({"newsItem", "packageItem"}), NewsMLG2Parser().read_item),
        ("newsml-1.2", frozenset({"NewsItem"}), NewsML12Parser().read_item),
        ("nitf", frozenset({"nitf"}), NitfParser().read),
    )
    for fmt, names, read in readers:
        nodes = _topmost(root, names)
        if not nodes:
            continue
        try:
            items = [read(node) for node in nodes]
        except (PipelineError, ValueError, TypeError) as exc:
            log.debug("embedded %s not readable: %s", fmt, exc)
            continue
        if any(has_text(i) for i in items):
            return fmt, items
    return None


@registry.register
class GenericXMLParser(Parser):
    """XML articles of any dialect, read by element names and structure (``generic-xml``)."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("application/xml", "text/xml")
    priority: ClassVar[int] = 900  # last, with webtext (which never claims markup or JSON)
    fallback: ClassVar[bool] = True

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        name = root_name(raw)
        return name is not None and name.lower() not in ("html", "head", "body")

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        root = parse_xml(raw, format=NAME)
        agency = agency_header(headers)
        inside = embedded(root)
        if inside is not None and any(item.body for item in inside[1]):
            return self._marked(inside, agency)
        elements = find_items(root)
        around = envelope(root, elements)
        items = [read_item(e, around, agency) for e in elements]
        items = [item for item in items if has_text(item)]
        if inside is not None and not any(item.body for item in items):
            # a standard document without a body (a picture item): its own reader knows it best
            return self._marked(inside, agency)
        if not items:
            raise EmptyDispatchError(
                f"no text in the dispatch (no element of <{local_name(root)}> holds a headline or article text)",
                format=NAME,
            )
        log.debug("generic-xml: %d item(s); fields from %s", len(items), dict(items[0].extra))
        return items

    @staticmethod
    def _marked(inside: tuple[str, list[ParsedItem]], agency: str | None) -> list[ParsedItem]:
        fmt, items = inside
        return [
            dataclasses.replace(
                item, format=NAME, agency=agency or item.agency, extra=(*item.extra, ("generic:embedded", fmt))
            )
            for item in items
            if has_text(item)
        ]


__all__ = ["GenericXMLParser", "embedded", "find_items", "read_item"]
