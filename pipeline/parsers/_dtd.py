"""The document type declaration of wire XML, read by us instead of by libxml2.

NewsML 1.x and NITF producers put a DOCTYPE in front of their items, sometimes with an
internal subset: character and name entities (Keystone-SDA, Kyodo), a parameter entity
that pulls the NITF DTD in (AFP), attribute defaults. libxml2 would resolve all of that
itself, fetching external parts when asked; we never let it. This module reads the
subset, keeps what is safe to apply and refuses the rest with a reason:

    <!ENTITY name "text">              kept: expanded by ``expand_entities`` within caps
    <!ENTITY name SYSTEM "uri">        refused: an external entity (XXE, file or network read)
    <!ENTITY name SYSTEM "uri" NDATA n> ignored: an unparsed entity is never read either
    <!ENTITY % name SYSTEM "uri"> %name;  ignored: an external DTD part, never fetched
    <!ENTITY % name "text">            refused: declarations built from parameter entities
    <!ELEMENT>, <!ATTLIST>, <!NOTATION>, comments, processing instructions: ignored

The caps (declarations, nesting depth, one entity's length, the document's total
expansion) are arguments, so that ``_xml`` owns their values in one place. Everything
here works on the decoded text; nothing raises but ``UnsafeXMLError``.

Shape of the data: ``read_doctype(text)`` -> ``Doctype`` (the span of the declaration in
``text``, its entities as literal replacement texts, and whether an external DTD is
declared); ``expand_entities(body, doctype, ...)`` -> the body with every reference to
a declared entity replaced by its expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.errors import UnsafeXMLError

_NAME = r"[A-Za-z_:][\w.\-:]*"
_NAME_RE = re.compile(_NAME)
_SPACE = re.compile(r"\s*")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_CHAR_REF = re.compile(r"&#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}));")
_PE_REF = re.compile(rf"%({_NAME});")
_ENTITY_REF = re.compile(rf"&({_NAME});")
# what entity references never reach inside: CDATA sections, comments, processing instructions
_LITERAL_SECTIONS = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.S)
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})


@dataclass
class Doctype:
    """What a DOCTYPE declares. ``start``/``end``: its span in the text it was read from."""

    start: int
    end: int
    name: str
    #: the external DTD's system id, if the declaration names one (never read)
    system_id: str | None = None
    #: internal general entities: name -> replacement text (character references resolved)
    entities: dict[str, str] = field(default_factory=dict)
    #: system ids of external parameter entities (DTD parts that are never fetched)
    external_parts: list[str] = field(default_factory=list)

    @property
    def external(self) -> bool:
        """Whether definitions may live outside the document (an external DTD or part)."""
        return bool(self.system_id or self.external_parts)


def _skip_prolog(text: str, pos: int) -> int:
    """Past whitespace, comments and processing instructions from ``pos``."""
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end < 0:
                return pos
            pos = end + 3
        elif text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            if end < 0:
                return pos
            pos = end + 2
        else:
            return pos


class _Reader:
    """A cursor over a DOCTYPE declaration."""

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def name(self) -> str:
        match = _NAME_RE.match(self.text, self.pos)
        if not match:
            raise _malformed(self.text, self.pos)
        self.pos = match.end()
        return match.group(0)

    def quoted(self) -> str:
        match = _QUOTED.match(self.text, self.pos)
        if not match:
            raise _malformed(self.text, self.pos)
        self.pos = match.end()
        return match.group(0)[1:-1]

    def keyword(self, *words: str) -> str | None:
        for word in words:
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return word
        return None

    def external_id(self) -> tuple[str | None, str | None]:
        """``SYSTEM "sys"`` or ``PUBLIC "pub" "sys"`` -> (public id, system id); (None, None) if neither."""
        word = self.keyword("SYSTEM", "PUBLIC")
        if word is None:
            return None, None
        self.space()
        public = self.quoted() if word == "PUBLIC" else None
        self.space()
        system = self.quoted() if self.text[self.pos : self.pos + 1] in ('"', "'") else None
        return public, system

    def skip_declaration(self) -> None:
        """Past the ``>`` closing a markup declaration, honouring quoted strings."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in "\"'":
                self.quoted()
            elif ch == ">":
                self.pos += 1
                return
            else:
                self.pos += 1
        raise _malformed(self.text, self.pos)


def _malformed(text: str, pos: int) -> UnsafeXMLError:
    return UnsafeXMLError(f"unreadable DTD near {text[pos : pos + 40]!r}; an internal subset we cannot read is refused")


def _resolve_char_refs(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        point = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        try:
            return chr(point)
        except (ValueError, OverflowError):
            raise UnsafeXMLError(f"character reference {match.group(0)} is not a character") from None

    return _CHAR_REF.sub(repl, value)


def read_doctype(text: str, *, max_declarations: int) -> Doctype | None:
    """The DOCTYPE in the prolog of ``text``, or None; ``UnsafeXMLError`` for what we refuse."""
    start = _skip_prolog(text, 0)
    if not text.startswith("<!DOCTYPE", start):
        return None
    reader = _Reader(text, start + len("<!DOCTYPE"))
    reader.space()
    doctype = Doctype(start=start, end=start, name=reader.name())
    reader.space()
    _, doctype.system_id = reader.external_id()
    reader.space()
    if reader.keyword("["):
        _read_subset(reader, doctype, max_declarations)
        reader.space()
    if not reader.keyword(">"):
        raise _malformed(text, reader.pos)
    doctype.end = reader.pos
    return doctype


def _read_subset(reader: _Reader, doctype: Doctype, max_declarations: int) -> None:
    """The internal subset, up to its closing ``]``."""
    declarations = 0
    text = reader.text
    while True:
        reader.space()
        pos = reader.pos
        if pos >= len(text):
            raise _malformed(text, pos)
        if text.startswith("]", pos):
            reader.pos += 1
            return
        if text.startswith("<!--", pos) or text.startswith("<?", pos):
            reader.pos = _skip_prolog(text, pos)
            if reader.pos == pos:
                raise _malformed(text, pos)
            continue
        reference = _PE_REF.match(text, pos)
        if reference:
            # an external DTD part (or an undeclared name): nothing is fetched or inserted
            reader.pos = reference.end()
            continue
        if text.startswith("<!ENTITY", pos):
            declarations += 1
            if declarations > max_declarations:
                raise UnsafeXMLError(f"the internal DTD subset declares more than {max_declarations} entities; refused")
            reader.pos += len("<!ENTITY")
            _read_entity(reader, doctype)
            continue
        if text.startswith(("<!ELEMENT", "<!ATTLIST", "<!NOTATION"), pos):
            # validation and attribute defaults are not applied: the DTD is never loaded
            reader.skip_declaration()
            continue
        raise _malformed(text, pos)


def _read_entity(reader: _Reader, doctype: Doctype) -> None:
    reader.space()
    parameter = reader.keyword("%") is not None
    reader.space()
    name = reader.name()
    reader.space()
    if reader.text[reader.pos : reader.pos + 1] in ('"', "'"):
        value = reader.quoted()
        reader.space()
        if not reader.keyword(">"):
            raise _malformed(reader.text, reader.pos)
        if parameter:
            raise UnsafeXMLError(
                f"parameter entity %{name}; with its own text (declarations built from parameter entities); refused"
            )
        if _PE_REF.search(value):
            raise UnsafeXMLError(f"entity &{name}; refers to a parameter entity in its text; refused")
        # the first declaration of a name binds (XML 1.0, 4.2)
        doctype.entities.setdefault(name, _resolve_char_refs(value))
        return
    if not reader.text.startswith(("SYSTEM", "PUBLIC"), reader.pos):
        raise _malformed(reader.text, reader.pos)
    _, system = reader.external_id()
    reader.space()
    unparsed = reader.keyword("NDATA") is not None
    if unparsed:
        reader.space()
        reader.name()
        reader.space()
    if not reader.keyword(">"):
        raise _malformed(reader.text, reader.pos)
    if parameter:
        doctype.external_parts.append(system or "")
    elif not unparsed:
        raise UnsafeXMLError(
            f"external entity &{name}; ({system or 'no system id'}): external entities are never read (XXE); refused"
        )


def expand_entities(body: str, doctype: Doctype, *, max_depth: int, max_length: int, max_total: int) -> str:
    """``body`` with every reference to an entity the DOCTYPE declares replaced by its expansion.

    References inside CDATA sections, comments and processing instructions are text, not
    references, and stay. ``UnsafeXMLError`` when a cap is passed.
    """
    if not doctype.entities:
        return body
    expanded: dict[str, str] = {}

    def expansion(name: str, depth: int) -> str:
        if name in expanded:
            return expanded[name]
        if depth > max_depth:
            raise UnsafeXMLError(
                f"entity &{name}; nests references deeper than {max_depth} levels (entity expansion attack); refused"
            )

        def inner(match: re.Match[str]) -> str:
            ref = match.group(1)
            return expansion(ref, depth + 1) if ref in doctype.entities else match.group(0)

        value = _ENTITY_REF.sub(inner, doctype.entities[name])
        if len(value) > max_length:
            raise UnsafeXMLError(
                f"entity &{name}; expands to more than {max_length} characters (entity expansion attack); refused"
            )
        expanded[name] = value
        return value

    total = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal total
        name = match.group(1)
        if name not in doctype.entities:
            return match.group(0)
        value = expansion(name, 1)
        total += len(value)
        if total > max_total:
            raise UnsafeXMLError(
                f"entity references expand to more than {max_total} characters (quadratic blowup); refused"
            )
        return value

    out: list[str] = []
    pos = 0
    for section in _LITERAL_SECTIONS.finditer(body):
        out.append(_ENTITY_REF.sub(replace, body[pos : section.start()]))
        out.append(section.group(0))
        pos = section.end()
    out.append(_ENTITY_REF.sub(replace, body[pos:]))
    return "".join(out)


def undefined_references(body: str, known: frozenset[str] | set[str]) -> list[str]:
    """Names of entity references in ``body`` (outside CDATA/comments) that are neither
    predefined nor in ``known``."""
    found: list[str] = []
    for piece in _LITERAL_SECTIONS.split(body):
        for match in _ENTITY_REF.finditer(piece):
            name = match.group(1)
            if name not in _PREDEFINED and name not in known and name not in found:
                found.append(name)
    return found


def escape_bare_ampersands(body: str) -> str:
    """``&`` that starts no reference -> ``&amp;`` (outside CDATA, comments and PIs)."""
    bare = re.compile(rf"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|{_NAME};)")
    out: list[str] = []
    pos = 0
    for section in _LITERAL_SECTIONS.finditer(body):
        out.append(bare.sub("&amp;", body[pos : section.start()]))
        out.append(section.group(0))
        pos = section.end()
    out.append(bare.sub("&amp;", body[pos:]))
    return "".join(out)


__all__ = ["Doctype", "escape_bare_ampersands", "expand_entities", "read_doctype", "undefined_references"]
