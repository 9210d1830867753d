"""The generic XML parser on dialects no specific parser reads (fixtures written for these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import EmptyDispatchError, UnsafeXMLError
from pipeline.parsers import load_all
from pipeline.parsers.generic_xml import GenericXMLParser
from pipeline.records import Block, RawDispatch
from pipeline.stages.flow import parse_dispatch

FIXTURES = Path(__file__).parent / "fixtures" / "generic"
PARSER = GenericXMLParser()
XML = (("content-type", b"application/xml"),)


def _items(name: str):
    return parse_dispatch(RawDispatch((FIXTURES / name).read_bytes(), XML))


def _from(item, field: str) -> str | None:
    return dict(item.extra).get(f"generic:{field}")


def test_publish_delivery_with_escaped_html_text() -> None:
    """Canadian Press's shape: one ContentItem; escaped-HTML ContentText is the body, its paragraphs kept."""
    (item,) = _items("cp_publish.xml")
    assert item.format == "generic-xml"
    assert item.headline == "Harbour town opens new ferry line to the island"
    assert [b.text for b in item.body] == [
        "A harbour town on the coast opened a new ferry line to the island on Tuesday, halving the trip for commuters.",
        "The operator said two more boats would be added in the summer, when tourists arrive.",
        "The mayor called the line “a lifeline” for the island’s 3,000 residents.",
    ]
    assert (item.byline, item.slugline, item.guid) == ("Alex Example", "Ferry-Harbour-Island", "88990011")
    assert item.keywords == ("Transport", "Ferries", "Islands")
    assert item.version_created is not None and item.version_created.original == "2031-05-06T11:52:47.78-04:00"
    assert item.first_created is not None and item.first_created.original == "2031-05-06T15:52:47.753"
    # placeholders are not values: "0001-01-01" is no embargo, "1" no language
    assert item.embargoed_until is None and item.language is None
    assert (_from(item, "body"), _from(item, "first_created")) == ("ContentText", "CreatedDateTime")


def test_feed_of_a_dialect_in_german() -> None:
    """A list of <meldung>: one article each; the feed's own title is not an article; its language applies."""
    first, second = _items("feed_de.xml")
    assert [first.headline, second.headline] == [
        "Neue Fähre verbindet Musterhafen mit der Insel",
        "Stadtbibliothek öffnet sonntags",
    ]
    assert first.body == (
        Block("Die neue Fähre soll die Fahrzeit zur Insel halbieren, teilte die Reederei am Dienstag mit."),
        Block("Im Sommer sind zusätzliche Abfahrten am Abend geplant, wie ein Sprecher sagte."),
    )
    assert (first.guid, first.version, first.byline, first.language) == ("bsp-0001", "2", "Erika Beispiel", "de")
    assert (second.guid, second.version, second.byline) == ("bsp-0002", "1", None)
    assert first.first_created is not None and first.first_created.value.minute == 14


def test_nitf_inside_an_unknown_envelope_is_read_as_nitf() -> None:
    """A standard document inside: read by its own reader, marked generic-xml."""
    (item,) = _items("nitf_in_envelope.xml")
    assert item.format == "generic-xml"
    assert ("generic:embedded", "nitf") in item.extra
    assert item.headline == "Harbour Rovers win the island cup"
    assert item.guid == "EX-2031-0506-001"
    assert [b.text for b in item.body][1] == "The winning goal came in the 112th minute."


def test_nitf_fragment_in_a_bare_content_set() -> None:
    """The IPTC guidelines' shape: <contentSet><inlineXML><nitf> with no item around it."""
    raw = (
        b'<contentSet><inlineXML contenttype="application/nitf+xml"><nitf xmlns="http://iptc.org/std/NITF/2006-10-18/">'
        b"<body><body.head><hedline><hl1>Cup final tonight</hl1></hedline></body.head><body.content>"
        b"<p>The two best teams of the season meet in the cup final tonight.</p></body.content></body></nitf>"
        b"</inlineXML></contentSet>"
    )
    (item,) = parse_dispatch(RawDispatch(raw, XML))
    assert (item.format, item.headline) == ("generic-xml", "Cup final tonight")
    assert item.body == (Block("The two best teams of the season meet in the cup final tonight."),)


def test_newsml_text_in_a_news_line_fills_the_empty_body() -> None:
    """The NewsML 1.2 parser reads the item but finds no body; the body-named NewsLineText fills it."""
    (item,) = _items("newsml12_newsline_text.xml")
    assert item.format == "newsml-1.2"
    assert item.headline == "Harbour town opens new ferry line"
    assert item.body[0].text.startswith("A harbour town opened a new ferry line")
    assert ("body.read_by", "generic-xml:NewsLineText") in item.extra


def test_body_found_by_its_prose_when_no_element_names_it() -> None:
    """No body-like name: the element whose children hold the most prose is the body."""
    raw = (
        b"<story><headline>Ferry timetable changes</headline><meta><code>X1</code></meta><zone>"
        b"<para>The ferry company will change its timetable on Monday, a spokesman said.</para>"
        b"<para>Boats will leave every hour instead of every two hours from then on.</para></zone></story>"
    )
    (item,) = PARSER.parse(raw, ())
    assert [b.text[:14] for b in item.body] == ["The ferry comp", "Boats will lea"]
    assert _from(item, "body") == "(prose in zone)"


def test_photos_beside_the_text_are_parts_not_articles() -> None:
    """Components with their own headline that are pictures stay parts of the one article."""
    raw = (
        b"<doc><title>Ferry line opens</title><part><text>A harbour town opened a new ferry line on Tuesday, "
        b"halving the trip to the island for commuters.</text></part>"
        b'<part><title>The new ferry in the harbour</title><image href="ferry.jpg"/></part>'
        b'<part><title>The mayor at the opening</title><image href="mayor.jpg"/></part></doc>'
    )
    (item,) = PARSER.parse(raw, ())
    assert item.headline == "Ferry line opens"
    assert item.body[0].text.startswith("A harbour town opened")


def test_xml_without_text_is_an_empty_dispatch() -> None:
    """Metadata only: EmptyDispatchError that names the root."""
    with pytest.raises(EmptyDispatchError, match="no element of <contentMeta>"):
        PARSER.parse(b'<contentMeta><language tag="en"/><located qcode="city:1"/></contentMeta>', ())


def test_unsafe_xml_stays_refused() -> None:
    """The generic parser reads through the same safe XML reader: XXE is refused."""
    with pytest.raises(UnsafeXMLError):
        PARSER.parse(b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a><title>&x;</title></a>', ())


def test_detection_leaves_known_roots_to_their_parsers() -> None:
    """NewsML-G2, NITF and RSS keep their parsers; an unknown root goes to the generic one."""
    registry = load_all()
    assert registry.detect(b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"/>', XML).name == "newsml-g2"
    assert registry.detect(b"<nitf><head/></nitf>", XML).name == "nitf"
    assert registry.detect(b'<rss version="2.0"><channel/></rss>', XML).name == "feed"
    assert registry.detect(b"<Publish><ContentItem/></Publish>", XML).name == "generic-xml"
    assert registry.detect(b"<html><body><p>x</p></body></html>", ()).name == "html"
