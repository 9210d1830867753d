"""NITF parser and the shared NITF body reader, on invented fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import EmptyDispatchError
from pipeline.parsers import load_all
from pipeline.parsers._xml import parse_xml
from pipeline.parsers.nitf import NitfParser, read_nitf_body
from pipeline.records import Association, Block, Dateline, Entity, Rendition, Subject

FIXTURES = Path(__file__).parent / "fixtures" / "xml"
PARSER = NitfParser()
SYDNEY = ZoneInfo("Australia/Sydney")


def _item():  # type: ignore[no-untyped-def]
    (item,) = PARSER.parse((FIXTURES / "nitf_aap_full.xml").read_bytes(), ())
    return item


def test_head_metadata() -> None:
    """doc-id, du-key version, urgency, copyright, ed-msg, keywords, slug meta and tobject codes."""
    item = _item()
    assert item.format == "nitf"
    assert (item.guid, item.version) == ("AAP.000000001.0000001", "2")
    assert item.agency == "aap"
    assert item.language == "en-AU"
    assert item.urgency == 4
    assert item.copyright_holder == "Australian Associated Press"
    assert item.ed_note == "Embargoed until noon"
    assert item.keywords == ("pool", "council")
    assert item.slugline == "Harbour Pool"
    assert item.subjects == (
        Subject(
            name="Lifestyle and leisure",
            uri="http://cv.iptc.org/newscodes/subjectcode/10000000",
            code="10000000",
            scheme="subj",
        ),
        Subject(name="Local", code="LOC12", scheme="aap"),
        Subject(
            name="lifestyle and leisure",
            uri="http://cv.iptc.org/newscodes/mediatopic/10000000",
            code="10000000",
            scheme="medtop",
            creator="mapped",
        ),
    )
    assert item.genres == (Subject(name="Current", scheme="nitf:tobject.property"),)


def test_coded_people_organisations_and_places_are_entities() -> None:
    """evloc is the event's place, identified-content what the item is about, body markup what it mentions."""
    item = _item()
    assert item.entities == (
        Entity("Seaside", "place", "about", country="AU", feature="city"),
        Entity("Seaside Council", "organisation", "subject", literal="seaside-council"),
        Entity("Robin Mayor", "person", "subject"),
        Entity("council", "organisation", "mentioned"),
        Entity("Robin Mayor", "person", "mentioned"),
        Entity("Seaside", "place", "mentioned"),
        Entity("Northbay, AUS", "place", "mentioned", country="AU"),
    )
    assert not [key for key, _ in item.extra if key == "located"]


def test_initials_in_the_byline_are_not_an_author() -> None:
    """A byline that is only the desk's initials goes to extra, not to the byline."""
    raw = (
        (FIXTURES / "nitf_aap_full.xml")
        .read_bytes()
        .replace(b"<byline>By <person>Pat Sample</person>, <byttl>AAP</byttl></byline>", b"<byline>pq/rs/tu</byline>")
    )
    (item,) = PARSER.parse(raw, ())
    assert item.byline is None
    assert ("nitf.initials", "pq/rs/tu") in item.extra


def test_dates_status_and_embargo() -> None:
    """Naive AAP dates read in Sydney time; a release after the issue is the embargo; embargoed is usable."""
    item = _item()
    assert item.version_created is not None
    assert item.version_created.value == datetime(2024, 3, 6, 9, 15, tzinfo=SYDNEY)
    assert item.version_created.zone == "Australia/Sydney"
    assert item.embargoed_until is not None
    assert item.embargoed_until.value == datetime(2024, 3, 6, 12, 0, tzinfo=SYDNEY)
    assert item.pub_status == "usable"
    assert item.content_created is not None
    assert item.content_created.value == datetime(2024, 3, 6, 9, 0, tzinfo=timezone(timedelta(hours=11)))


def test_body_head_lines() -> None:
    """hl1/hl2, byline without its title, structured dateline and abstract."""
    item = _item()
    assert item.headline == "Council approves harbour pool"
    assert item.subheadlines == ("Swimming enclosure to open in summer",)
    assert item.byline == "By Pat Sample"
    assert item.dateline == Dateline(raw="Seaside, NSW 6 March", place="Seaside, NSW", date_text="6 March")
    assert item.summary == "The council voted for a netted pool."


def test_body_blocks_entities_tables_pre_lists_and_quotes() -> None:
    """HTML entities under an unloaded DTD decode; table and pre are pre blocks; media is not body."""
    item = _item()
    assert item.body == (
        Block("The council voted\u00a07-2 in favour of the pool, café owners welcomed it."),
        Block("Costs", "h"),
        Block("Item\tCost\nNets\t$40,000", "pre"),
        Block("Vote:  Yes  7\n       No   2", "pre"),
        Block("Opening in December", "li"),
        Block("Free entry", "li"),
        Block("It is a good day for swimmers, Robin Mayor said."),
        Block("Swimmers from Seaside and Northbay, AUS will use it."),
    )
    assert item.associations == (
        Association(
            name="media1",
            headline="The harbour",
            caption="The harbour where the pool will be built.",
            renditions=(Rendition("rendition1", "pool.jpg", "image/jpeg"),),
        ),
    )


def test_canceled_status_and_plain_dateline() -> None:
    """management-status canceled maps to canceled; a text dateline is split into place and agency."""
    raw = (
        b'<nitf><head><docdata management-status="canceled"><doc-id id-string="x-1"/>'
        b'<date.issue norm="20240101T120000Z"/></docdata></head>'
        b"<body><body.head><hedline><hl1>Killed story</hl1></hedline>"
        b"<dateline>Oslo (NTB) -</dateline></body.head>"
        b"<body.content><p>Withdrawn.</p></body.content></body></nitf>"
    )
    (item,) = PARSER.parse(raw, ())
    assert item.pub_status == "canceled"
    assert item.dateline == Dateline(raw="Oslo (NTB) -", place="Oslo", agency="NTB")
    assert item.agency is None
    assert item.version_created is not None and item.version_created.zone == ""


def test_title_stands_in_for_a_missing_hedline() -> None:
    """Producers that send only head/title still get a headline."""
    raw = b"<nitf><head><title>Only a title</title></head><body><body.content><p>Text.</p></body.content></body></nitf>"
    (item,) = PARSER.parse(raw, ())
    assert item.headline == "Only a title"


def test_empty_document_is_an_empty_dispatch() -> None:
    """An NITF with empty paragraphs and no headline has no text."""
    with pytest.raises(EmptyDispatchError):
        PARSER.parse(b"<nitf><body><body.content><p/><p> </p></body.content></body></nitf>", ())


def test_read_nitf_body_is_shared_with_the_newsml_parsers() -> None:
    """read_nitf_body works on a namespaced nitf element as NewsML-G2 carries it."""
    root = parse_xml(
        b'<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.head><hedline><hl1>H</hl1></hedline>'
        b"<byline>By <person>A. Writer</person>, <byttl>Staff</byttl></byline></body.head>"
        b"<body.content><p>One <em>two</em></p></body.content></body></nitf>"
    )
    body = read_nitf_body(root)
    assert (body.headline, body.byline, body.byline_title) == ("H", "By A. Writer", "Staff")
    assert body.blocks == (Block("One two"),)


def test_detection_by_root_behind_a_doctype() -> None:
    """A DOCTYPE before the root does not hide it from detection."""
    raw = (FIXTURES / "nitf_aap_full.xml").read_bytes()
    assert load_all().detect(raw, ()).name == "nitf"
