"""Safe XML reading shared by every XML-based parser (NewsML-G2, NewsML 1.2, NITF, RSS, Atom).

Wire XML comes from outside; we read what ordinary feeds send and refuse the constructs
behind the classic attacks, instead of trusting a parser's defaults:
- internal DTD subsets are read by this module, not by libxml2 (``read_doctype``).
  Internal general entities (Keystone-SDA's and Kyodo's NewsML 1.2 declare their
  characters and names that way) are expanded here, with hard caps: at most
  ``MAX_ENTITY_DECLARATIONS`` declarations, references nested at most
  ``MAX_ENTITY_DEPTH`` deep, one entity at most ``MAX_ENTITY_LENGTH`` characters and all
  references of a document at most ``MAX_EXPANSION`` characters (billion laughs,
  quadratic blowup -> ``UnsafeXMLError``). Element, attribute-list and notation
  declarations are ignored (no DTD defaults are applied);
- nothing external is ever read or fetched: external general entities (XXE) and
  parameter entities with their own text (declarations built from parameter entities)
  are refused; an external parameter entity that pulls a public DTD in (AFP's
  ``<!ENTITY % nitf SYSTEM "...nitf-2-5.dtd"> %nitf;``) and an external DTD
  (``<!DOCTYPE nitf SYSTEM "nitf.dtd">``) are never loaded (``load_dtd=False``,
  ``no_network=True``), and a document that refers to an entity only such an external
  DTD could define (the out-of-band exfiltration payloads) is refused;
- nesting deeper than ``MAX_DEPTH`` or documents larger than ``MAX_BYTES`` are refused.

Bytes are decoded here rather than by libxml2, so that the project's decoding rules apply
to XML too (``pipeline.decoding``): a byte-order mark wins, then the declared
encoding; a document declared ISO-8859-1 whose bytes are valid UTF-8 (a common agency
mislabel) is read as UTF-8, and stray bytes in a document declared UTF-8 fall back to
cp1252 instead of failing. Bytes that are not text at all raise ``DecodeError``.

HTML named entities (``&nbsp;``, ``&eacute;``) that NITF producers write against their
DTD are turned into character references, since the DTD is never loaded. A bare ``&``
(an unescaped query string in an image URL, as dpa's NITF renderings print it) is
repaired to ``&amp;`` when the strict parse fails on it.
"""

from __future__ import annotations

import html.entities
import logging
import re
from functools import lru_cache

import lxml.html
from lxml import etree

from pipeline.decoding import decode_text, normalise_charset
from pipeline.errors import DecodeError, ParseError, UnsafeXMLError
from pipeline.parsers._dtd import escape_bare_ampersands, expand_entities, read_doctype, undefined_references

log = logging.getLogger(__name__)

#: largest XML dispatch we read (agency items are KBs; a newsMessage a few MB at most)
MAX_BYTES = 20 * 1024 * 1024
#: deepest element nesting we accept (NewsML-G2 items nest about 10 deep)
MAX_DEPTH = 100

#: most entity declarations an internal DTD subset may make (an HTML character set is ~250)
MAX_ENTITY_DECLARATIONS = 2000
#: deepest nesting of entity references inside entity values (&a; -> &b; -> &c;)
MAX_ENTITY_DEPTH = 3
#: longest full expansion of one entity, in characters
MAX_ENTITY_LENGTH = 10_000
#: characters all entity references of one document may expand to, in total
MAX_EXPANSION = 1_000_000

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_MISPLACED_DECL = re.compile(r"<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.I)
_LITERAL = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.S)
#: HTML entity names: what NITF producers use against a DTD we never load (see _numeric_entities)
_HTML_NAMES = frozenset(name.removesuffix(";") for name in html.entities.html5)
# The XML declaration, and its encoding pseudo-attribute (ASCII-compatible encodings only;
# UTF-16/32 documents are recognised by their byte-order mark instead).
_XML_DECL_BYTES = re.compile(rb"^\s*<\?xml\b[^>]*?\?>")
_ENCODING_ATTR = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml\b[^>]*?\?>")
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not safe to share across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        # collect_ids=False is deliberately not set: with it, libxml2 (2.14) tries to load the
        # external DTD subset despite load_dtd=False.
    )


def check_safe(raw: bytes, *, format: str | None = None) -> bytes:
    """The document (UTF-8, no XML declaration) with its DOCTYPE applied and removed.

    Internal entities are expanded within the caps; ``UnsafeXMLError`` for what we
    refuse (see the module docstring), before libxml2 sees a byte.
    """
    if len(raw) > MAX_BYTES:
        raise UnsafeXMLError(f"XML dispatch of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit", format=format)
    if not (_DOCTYPE.search(raw) or _ENTITY_DECL.search(raw)):
        return raw
    text = raw.decode("utf-8")
    try:
        doctype = read_doctype(text, max_declarations=MAX_ENTITY_DECLARATIONS)
        prolog, body = (text[: doctype.start], text[doctype.end :]) if doctype else ("", text)
        # The whole rest is searched: a declaration can hide behind kilobytes of padding.
        if _MISPLACED_DECL.search(_without_literal_sections(body)):
            raise UnsafeXMLError("XML declares a DTD or entities outside its prolog; refused for safety")
        if doctype is not None:
            body = expand_entities(
                body, doctype, max_depth=MAX_ENTITY_DEPTH, max_length=MAX_ENTITY_LENGTH, max_total=MAX_EXPANSION
            )
    except UnsafeXMLError as exc:
        exc.format = exc.format or format
        raise
    if doctype is not None and doctype.external:
        unknown = undefined_references(body, _HTML_NAMES)
        if unknown:
            where = doctype.system_id or ", ".join(p for p in doctype.external_parts if p) or "an external DTD"
            raise UnsafeXMLError(
                f"XML refers to entity &{unknown[0]}; that only its external DTD ({where}) could define; "
                "external DTDs are never fetched, so the text cannot be read safely",
                format=format,
            )
    return (prolog + body).encode("utf-8")


def _without_literal_sections(text: str) -> str:
    return _LITERAL.sub(" ", text)


def declared_encoding(raw: bytes) -> str | None:
    """The ``encoding`` of the XML declaration, as written ("iso-8859-1"), or None."""
    match = _XML_DECL_BYTES.match(raw[:512].lstrip(b"\xef\xbb\xbf"))
    if not match:
        return None
    enc = _ENCODING_ATTR.search(match.group(0))
    return enc.group(1).decode("ascii") if enc else None


def to_utf8(raw: bytes, *, format: str | None = None) -> bytes:
    """The document re-encoded as UTF-8 without its XML declaration.

    ``DecodeError`` when the bytes are not text in any encoding we support.
    """
    declared = declared_encoding(raw)
    codec = normalise_charset(declared)
    if declared and codec is None:
        log.info("unknown XML encoding %r; sniffing the bytes instead", declared)
    if codec and codec != "utf-8" and not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        # Valid UTF-8 with non-ASCII bytes is a near-certain sign of a mislabelled
        # single-byte declaration (seen on AFP French items declared ISO-8859-1).
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # Pure ASCII fits any single-byte declaration, but never UTF-16/32 without a BOM.
            if not raw.isascii() or codec.startswith(("utf-16", "utf-32")):
                log.info("XML declared %s but its bytes are UTF-8; read as UTF-8", declared)
                codec = "utf-8"
    try:
        decoded = decode_text(raw, codec)
    except DecodeError as exc:
        raise DecodeError(exc.reason, format=format) from None
    if decoded.repaired:
        log.info("XML bytes repaired while decoding (read as %s)", decoded.encoding)
    text = _XML_DECL_TEXT.sub("", decoded.text.lstrip("\ufeff"), count=1)
    return text.encode("utf-8")


def _numeric_entities(data: bytes) -> bytes:
    """``&nbsp;`` -> ``&#160;`` for HTML entity names (the NITF DTD that defines them is never read)."""

    def repl(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_PREDEFINED:
            return match.group(0)
        # HTML 5's names include HTML 4's and the ISO sets DTDs pull in (&hyphen;, &dash;)
        value = html.entities.html5.get(name.decode("ascii") + ";")
        return b"".join(b"&#%d;" % ord(c) for c in value) if value else match.group(0)

    return _NAMED_ENTITY.sub(repl, data)


def parse_xml(raw: bytes, *, format: str | None = None) -> etree._Element:
    """The root element of ``raw``; ``UnsafeXMLError``, ``DecodeError`` or ``ParseError`` with a reason."""
    if len(raw) > MAX_BYTES:
        raise UnsafeXMLError(f"XML dispatch of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit", format=format)
    data = check_safe(to_utf8(raw, format=format), format=format)
    if b"&" in data:
        data = _numeric_entities(data)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "depth" in message.lower():
            raise UnsafeXMLError(f"XML nesting too deep: {message}", format=format) from None
        if "EntityRef" not in message:
            raise ParseError(f"malformed XML: {message}", format=format) from None
        # a bare "&" (an unescaped URL query) is transport damage: escape it and read again
        repaired = escape_bare_ampersands(data.decode("utf-8")).encode("utf-8")
        try:
            root = etree.fromstring(repaired, parser=_parser())
        except etree.XMLSyntaxError:
            raise ParseError(f"malformed XML: {message}", format=format) from None
        log.info("XML with bare ampersands read after escaping them")
    if root is None:
        raise ParseError("empty XML document", format=format)
    depth = _depth(root)
    if depth > MAX_DEPTH:
        raise UnsafeXMLError(f"XML nesting depth {depth} exceeds the limit of {MAX_DEPTH}", format=format)
    return root


def _depth(root: etree._Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in node)
    return deepest


def parse_html_fragment(text: str) -> etree._Element:
    """HTML carried as text inside XML (CDATA or escaped markup), parsed under a ``div``.

    The HTML parser neither loads DTDs nor expands custom entities; it repairs unclosed
    tags the way browsers do, which is what agency HTML-in-XML needs.
    """
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        return lxml.html.fragment_fromstring(text, create_parent="div", parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML inside XML: {exc}") from None


def local_name(node: etree._Element) -> str:
    """Tag without namespace ("newsItem" for "{http://iptc.org/std/nar/2006-10-01/}newsItem")."""
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(node: etree._Element) -> str:
    """The namespace URI of ``node`` ("" when none)."""
    tag = node.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].split("}", 1)[0]
    return ""


def root_name(raw: bytes) -> str | None:
    """The local name of the root element, sniffed from the first bytes without parsing."""
    head = raw[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a byte-order mark: sniff the ASCII-range characters.
        head = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    pos = 0
    while True:
        start = head.find(b"<", pos)
        if start < 0 or start + 1 >= len(head):
            return None
        nxt = head[start + 1 : start + 2]
        if nxt in (b"?", b"!"):
            # Comments may hold ">" before their end; skip to "-->" for those.
            end = head.find(b"-->", start) + 2 if head.startswith(b"<!--", start) else head.find(b">", start)
            if end < 2:
                return None
            pos = end + 1
            continue
        match = re.match(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)", head[start:])
        return match.group(2).decode("ascii") if match else None


# --------------------------------------------------------------------------- tree helpers
# Agency XML varies in case ("ednote", "Header") and namespaces; these helpers match on the
# lower-cased local name so that parsers read one vocabulary.


def children(node: etree._Element | None, *names: str) -> list[etree._Element]:
    """Child elements of ``node`` whose lower-cased local name is one of ``names``."""
    if node is None:
        return []
    wanted = _folded(names)
    found = []
    for kid in node:
        tag = kid.tag
        if isinstance(tag, str) and tag[tag.rfind("}") + 1 :].lower() in wanted:
            found.append(kid)
    return found


@lru_cache(maxsize=512)
def _folded(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


def child(node: etree._Element | None, *names: str) -> etree._Element | None:
    """The first child element named one of ``names`` (case-insensitive local name), or None."""
    found = children(node, *names)
    return found[0] if found else None


def descendants(node: etree._Element | None, *names: str) -> list[etree._Element]:
    """Descendant elements (document order) whose lower-cased local name is one of ``names``."""
    if node is None:
        return []
    wanted = {n.lower() for n in names}
    return [d for d in node.iter() if d is not node and isinstance(d.tag, str) and local_name(d).lower() in wanted]


def path(node: etree._Element | None, *steps: str) -> etree._Element | None:
    """Follow child steps by local name: ``path(item, "contentMeta", "headline")``."""
    current = node
    for step in steps:
        current = child(current, step)
        if current is None:
            return None
    return current


def attr(node: etree._Element | None, name: str) -> str | None:
    """An attribute by local name (namespace ignored), stripped; None when absent or blank."""
    if node is None:
        return None
    for key, value in node.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            value = value.strip()
            return value or None
    return None


def xml_lang(node: etree._Element | None) -> str | None:
    """The ``xml:lang`` attribute of ``node`` itself, or None."""
    if node is None:
        return None
    value = node.get("{http://www.w3.org/XML/1998/namespace}lang")
    return value.strip() or None if value else None


def is_nil(node: etree._Element | None) -> bool:
    """True for ``xsi:nil="true"`` elements (Ritzau and other .NET serialisations)."""
    return attr(node, "nil") == "true"
