"""The parser contract and the registry that picks a parser for a dispatch.

A parser reads one wire format. It is stateless: ``can_parse`` is a cheap sniff that
never raises, ``parse`` returns one ``ParsedItem`` per news item in the dispatch (a
NewsML-G2 newsMessage may carry several) or raises a ``PipelineError``.

Detection order (``ParserRegistry.detect``):
1. the ``wf_format`` header names a parser explicitly;
2. parsers that declare the ``content-type`` header's media type, by priority, if their
   ``can_parse`` agrees;
3. every parser, by priority, sniffing the bytes.
Lower ``priority`` is tried first: specific formats (NewsML-G2) before generic ones
(XML, HTML, plain text).

Generic readers (``fallback = True``: the generic XML and JSON parsers) read any dialect
by element/key names and structure. They come last in detection, and they get a second
chance at a dispatch a specific parser claimed by sniffing but could not read an item
from (``EmptyDispatchError``, or a ``ParseError`` that is not about safety): JSON that
has a ninjs-like key but is some other API's response, XML whose root a parser claims
but whose items it cannot find. When the specific parser reads text items but finds a
body in none (a NewsML 1.x whose text sits in a NewsLine), the body the generic reader
finds in a body-named element fills them in (``ParserRegistry.parse``). A dispatch that
names its format in ``wf_format`` gets no second reader, and unsafe XML never does.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from pipeline.errors import EmptyDispatchError, ParseError, PipelineError, UnknownFormatError, UnsafeXMLError
from pipeline.records import Headers, ParsedItem, header_value

log = logging.getLogger(__name__)


class Parser:
    """Base class of every wire-format parser. Subclasses set ``name`` and override both methods."""

    #: registry name; also the ``format`` of the items it returns and the wf_format header
    name: ClassVar[str] = ""
    #: media types (without parameters) this parser reads, e.g. ("application/xml",)
    content_types: ClassVar[tuple[str, ...]] = ()
    #: detection order, lower first
    priority: ClassVar[int] = 100
    #: a generic reader: last in detection, and the second chance when a specific one finds nothing
    fallback: ClassVar[bool] = False

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        """True when the bytes look like this format. Cheap; never raises."""
        raise NotImplementedError

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        """Every news item in the dispatch; raises a ``PipelineError`` on bad input."""
        raise NotImplementedError


def media_type(headers: Headers) -> str | None:
    """The ``content-type`` header without parameters, lower-cased ("text/plain")."""
    value = header_value(headers, "content-type")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def declared_charset(headers: Headers) -> str | None:
    """The ``charset`` parameter of the ``content-type`` header, if any."""
    value = header_value(headers, "content-type") or ""
    for param in value.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            return val.strip().strip('"').lower()
    return None


class ParserRegistry:
    """Parsers by name, and format detection over them."""

    def __init__(self) -> None:
        self._parsers: dict[str, Parser] = {}

    def register(self, cls: type[Parser]) -> type[Parser]:
        """Class decorator: ``@registry.register``. Names must be unique."""
        if not cls.name:
            raise ValueError(f"{cls.__name__} has no name")
        if cls.name in self._parsers:
            raise ValueError(f"parser {cls.name!r} registered twice")
        self._parsers[cls.name] = cls()
        return cls

    def get(self, name: str) -> Parser:
        try:
            return self._parsers[name]
        except KeyError:
            raise UnknownFormatError(f"no parser named {name!r}; known: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return [p.name for p in self._ordered()]

    def _ordered(self) -> list[Parser]:
        return sorted(self._parsers.values(), key=lambda p: (p.priority, p.name))

    def detect(self, raw: bytes, headers: Headers = ()) -> Parser:
        """The parser for this dispatch, or ``UnknownFormatError`` saying what was tried."""
        explicit = header_value(headers, "wf_format")
        if explicit:
            return self.get(explicit.strip())
        ordered = self._ordered()
        mtype = media_type(headers)
        if mtype:
            for parser in ordered:
                if mtype in parser.content_types and parser.can_parse(raw, headers):
                    return parser
        for parser in ordered:
            if parser.can_parse(raw, headers):
                return parser
        head = raw[:40]
        raise UnknownFormatError(
            f"no parser recognises this dispatch ({len(raw)} bytes, content-type "
            f"{mtype or 'unset'}, starts {head!r}); tried {', '.join(p.name for p in ordered)}"
        )

    def parse(
        self, raw: bytes, headers: Headers = (), parser: Parser | None = None
    ) -> tuple[Parser, Sequence[ParsedItem]]:
        """Parse with ``parser`` (detected when None): (the parser that read the items, the items).

        When the detected parser finds no item, a generic reader that recognises the
        bytes gets its chance (see the module docstring); if it fails too, the first
        parser's error is raised, since it says most about the dispatch. When it finds
        text items but no body in any, the generic reader's bodies fill them in.
        """
        parser = parser or self.detect(raw, headers)
        second_chance = not parser.fallback and not header_value(headers, "wf_format")
        try:
            items = parser.parse(raw, headers)
        except (EmptyDispatchError, ParseError) as exc:
            if not second_chance or isinstance(exc, UnsafeXMLError):
                raise
            if exc.format is None:
                exc.format = parser.name
            found = self._generic(raw, headers)
            if found is None:
                raise
            log.info("%s found no item (%s); read by %s instead", parser.name, exc.reason, found[0].name)
            return found
        if (
            second_chance
            and items
            and all(not i.body for i in items if i.type == "text")
            and any(i.type == "text" for i in items)
        ):
            items = self._fill_bodies(parser, items, raw, headers)
        return parser, items

    def _generic(self, raw: bytes, headers: Headers) -> tuple[Parser, Sequence[ParsedItem]] | None:
        """The first generic reader that recognises and reads the bytes, with its items."""
        for generic in self._ordered():
            if not generic.fallback or not generic.can_parse(raw, headers):
                continue
            try:
                return generic, generic.parse(raw, headers)
            except PipelineError as exc:
                log.debug("%s could not read the dispatch either: %s", generic.name, exc)
        return None

    def _fill_bodies(
        self, parser: Parser, items: Sequence[ParsedItem], raw: bytes, headers: Headers
    ) -> Sequence[ParsedItem]:
        """Text items without a body get the body a generic reader finds in a body-named element
        (a NewsML whose text sits in a NewsLine), item by item, when both read as many items."""
        found = self._generic(raw, headers)
        if found is None or len(found[1]) != len(items):
            return items
        generic, others = found
        filled = []
        for item, other in zip(items, others, strict=True):
            source = dict(other.extra).get("generic:body", "")
            if item.type == "text" and not item.body and other.body and not source.startswith("("):
                log.info("%s item without body: body read by %s from <%s>", parser.name, generic.name, source)
                item = replace(item, body=other.body, extra=(*item.extra, ("body.read_by", f"{generic.name}:{source}")))
            filled.append(item)
        return filled


#: the one registry; parser modules register themselves on import
registry = ParserRegistry()


_loaded: list[bool] = []


def load_all() -> ParserRegistry:
    """Import every module of ``pipeline.parsers`` (once) so that each registers its parsers."""
    if _loaded:
        return registry  # scanning the package costs ~1 ms: not once per dispatch
    import pipeline.parsers as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"pipeline.parsers.{info.name}")
    _loaded.append(True)
    return registry
