"""Format detection: explicit header, then content-type, then sniffing, by priority."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pipeline.errors import EmptyDispatchError, UnknownFormatError, UnsafeXMLError
from pipeline.parsers.base import Parser, ParserRegistry, declared_charset, media_type
from pipeline.records import Block, Headers, ParsedItem


class Angle(Parser):
    name = "angle"
    content_types = ("application/xml",)
    priority = 10

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return raw.startswith(b"<")

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        return [ParsedItem(format=self.name)]


class Anything(Parser):
    name = "anything"
    content_types = ("text/plain", "application/xml")
    priority = 900

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return bool(raw)

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        return [ParsedItem(format=self.name)]


@pytest.fixture
def registry() -> ParserRegistry:
    reg = ParserRegistry()
    reg.register(Anything)
    reg.register(Angle)
    return reg


def test_priority_decides_among_sniffers(registry: ParserRegistry) -> None:
    """The specific parser wins over the fallback; the fallback takes the rest."""
    assert registry.detect(b"<x/>").name == "angle"
    assert registry.detect(b"plain").name == "anything"
    assert registry.names() == ["angle", "anything"]


def test_content_type_and_explicit_format_header(registry: ParserRegistry) -> None:
    """content-type narrows the candidates; wf_format names the parser outright."""
    assert registry.detect(b"<x/>", (("content-type", b"text/plain; charset=utf-8"),)).name == "anything"
    assert registry.detect(b"<x/>", (("wf_format", b"anything"),)).name == "anything"
    with pytest.raises(UnknownFormatError, match="no parser named 'nope'"):
        registry.detect(b"x", (("wf_format", b"nope"),))


def test_unknown_format_says_what_was_tried(registry: ParserRegistry) -> None:
    """Nothing recognises empty bytes: the error names the size, content-type and parsers tried."""
    with pytest.raises(UnknownFormatError) as info:
        registry.detect(b"", (("content-type", b"application/pdf"),))
    assert (
        "0 bytes" in info.value.reason
        and "application/pdf" in info.value.reason
        and "angle, anything" in info.value.reason
    )


def test_registering_twice_is_refused(registry: ParserRegistry) -> None:
    """Two parsers may not share a name."""
    with pytest.raises(ValueError, match="twice"):
        registry.register(Angle)


def test_content_type_helpers() -> None:
    """Media type and charset are read from the content-type header."""
    headers = (("content-type", b'Text/Plain; charset="ISO-8859-1"'),)
    assert media_type(headers) == "text/plain"
    assert declared_charset(headers) == "iso-8859-1"
    assert media_type(()) is None and declared_charset(()) is None


def test_every_real_parser_registers_under_a_unique_name() -> None:
    """The production registry loads every parser module; all names are distinct."""
    from pipeline.parsers import load_all

    names = load_all().names()
    assert len(names) == len(set(names)) and "webtext" in names


class Picky(Parser):
    """Claims "<" documents; finds nothing in "<empty", refuses "<unsafe", reads "<bare" without a body."""

    name = "picky"
    priority = 10

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return raw.startswith(b"<")

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        if raw.startswith(b"<empty"):
            raise EmptyDispatchError("no text found", format=self.name)
        if raw.startswith(b"<unsafe"):
            raise UnsafeXMLError("refused", format=self.name)
        return [ParsedItem(format=self.name, headline="Headline", guid="picky-1")]


class Generic(Parser):
    """A generic reader: last, and a second chance."""

    name = "generic"
    priority = 900
    fallback = True

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return raw.startswith(b"<")

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        found = "(prose)" if b"prose" in raw else "text"
        return [
            ParsedItem(format=self.name, headline="H", body=(Block("Generic body."),), extra=(("generic:body", found),))
        ]


@pytest.fixture
def with_generic() -> ParserRegistry:
    reg = ParserRegistry()
    reg.register(Picky)
    reg.register(Generic)
    return reg


def test_generic_reader_gets_a_second_chance(with_generic: ParserRegistry) -> None:
    """The specific parser finds no item: the generic reader reads the dispatch."""
    parser, items = with_generic.parse(b"<empty/>")
    assert parser.name == "generic" and items[0].format == "generic"


def test_no_second_chance_for_unsafe_or_named_formats(with_generic: ParserRegistry) -> None:
    """Unsafe XML stays refused; a dispatch that names its format gets only that parser."""
    with pytest.raises(UnsafeXMLError):
        with_generic.parse(b"<unsafe/>")
    with pytest.raises(EmptyDispatchError, match="no text found"):
        with_generic.parse(b"<empty/>", (("wf_format", b"picky"),))


def test_bodiless_text_items_get_the_generic_body(with_generic: ParserRegistry) -> None:
    """The specific parser's item keeps its fields and gets the body a body-named element gave."""
    parser, (item,) = with_generic.parse(b"<bare/>")
    assert parser.name == "picky"
    assert (item.format, item.guid, item.body) == ("picky", "picky-1", (Block("Generic body."),))
    assert ("body.read_by", "generic:text") in item.extra


def test_a_guessed_body_does_not_fill_an_item(with_generic: ParserRegistry) -> None:
    """A body the generic reader only guessed from prose density is not added to a parsed item."""
    _, (item,) = with_generic.parse(b"<bare prose/>")
    assert item.body == ()
