"""NewsML-G2 parser on invented fixtures in the shapes dpa, STT and Reuters send."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers import load_all
from pipeline.parsers.newsml_g2 import NewsMLG2Parser, item_type
from pipeline.records import Association, Block, Dateline, Entity, Party, Rendition, Subject

FIXTURES = Path(__file__).parent / "fixtures" / "xml"
PARSER = NewsMLG2Parser()
CET = timezone(timedelta(hours=1))


def _parse(name: str) -> list:
    return list(PARSER.parse((FIXTURES / name).read_bytes(), ()))


def test_message_yields_one_item_per_news_item_in_order() -> None:
    """A newsMessage with a text and a picture item gives two items, in document order."""
    items = _parse("g2_message_text_picture.xml")
    assert [(i.type, i.guid, i.version) for i in items] == [
        ("text", "urn:newsml:dpa.com:20240301:240301-99-000001", "3"),
        ("picture", "urn:newsml:dpa.com:20240301:240301-90-000002", "1"),
    ]
    assert {i.format for i in items} == {"newsml-g2"}


def test_xhtml_body_blocks_in_order_without_header_and_teaser() -> None:
    """XHTML body: paragraphs, subheading, list items, quote and table; header and teaser are not body."""
    text = _parse("g2_message_text_picture.xml")[0]
    assert text.body == (
        Block(
            "Nordhafen (dpa) - The ferry to the island left the old harbour at seven on Friday, "
            "its first crossing since the storm."
        ),
        Block("Repairs took six days", "h"),
        Block("Workers replaced the ramp and two bollards, the port office said."),
        Block("Departures every two hours", "li"),
        Block("Last boat at 19:00", "li"),
        Block("We are glad to be back, said the captain."),
        Block("The captain's crew thanked the town."),
        Block("Day\tCrossings\nFriday\t4", "pre"),
    )


def test_news_lines_and_rights() -> None:
    """Headline, subheadline, teaser, byline, slugline, dateline and rights in the item's language."""
    text = _parse("g2_message_text_picture.xml")[0]
    assert text.headline == "Harbour ferry returns after winter storm"
    assert text.subheadlines == ("Crossings resume on the old timetable",)
    assert text.summary == "The island ferry is sailing again after a week in port."
    assert text.byline == "By Jane Example, dpa"
    assert text.slugline == "Transport/Weather/Ferry"
    assert text.dateline == Dateline(raw="Nordhafen (dpa) -", place="Nordhafen", agency="dpa")
    assert text.language == "en"
    assert text.agency == "dpa"
    assert text.copyright_holder == "Deutsche Presse-Agentur GmbH"
    assert text.copyright_notice == "(c) 2024 dpa Deutsche Presse-Agentur GmbH"
    assert text.usage_terms == "Use only with the written agreement with dpa"
    assert text.keywords == ("ferry", "storm")
    assert text.contributors == (Party("Jane Example", "creator"),)
    assert text.info_sources == (Party("dpa", "source"),)


def test_dates_keep_the_printed_offset() -> None:
    """firstCreated/versionCreated/contentCreated/embargoed keep +01:00 and the text as printed."""
    text = _parse("g2_message_text_picture.xml")[0]
    assert text.first_created is not None and text.version_created is not None
    assert text.first_created.value == datetime(2024, 3, 1, 8, 0, tzinfo=CET)
    assert text.first_created.zone == ""
    assert text.version_created.original == "2024-03-01T09:15:00+01:00"
    assert text.content_created is not None and text.content_created.value == datetime(2024, 3, 1, 7, 45, tzinfo=CET)
    assert text.embargoed_until is not None and text.embargoed_until.value == datetime(2024, 3, 1, 12, 0, tzinfo=CET)


def test_status_urgency_and_editor_notes() -> None:
    """pubStatus, urgency and the plain edNotes (not the XHTML notepad) are read."""
    text = _parse("g2_message_text_picture.xml")[0]
    assert text.pub_status == "usable"
    assert text.urgency == 3
    assert text.ed_note == "Pictures of the ferry are in the photo service.\ndpa xy zz"


def test_subjects_keep_codes_and_iptc_uris_and_add_mapped_media_topics() -> None:
    """Subjects as coded (medtop + IPTC sameAs, agency scheme), plus the media topic the subject code maps to."""
    text = _parse("g2_message_text_picture.xml")[0]
    assert text.subjects == (
        Subject(name="sport", uri="http://cv.iptc.org/newscodes/mediatopic/20000822", code="20000822", scheme="medtop"),
        Subject(name="sport", uri="http://cv.iptc.org/newscodes/subjectcode/15000000", code="15000000", scheme="subj"),
        Subject(name="Vermischtes", code="vm", scheme="dpacat"),
        Subject(
            name="sport",
            uri="http://cv.iptc.org/newscodes/mediatopic/15000000",
            code="15000000",
            scheme="medtop",
            creator="mapped",
        ),
    )
    assert text.genres == (
        Subject(name="current", uri="http://cv.iptc.org/newscodes/genre/Current", code="Current", scheme="genre"),
    )


def test_typed_subjects_and_located_become_entities() -> None:
    """People, organisations, places, POIs (position from the assert) and events are entities, not extras."""
    text = _parse("g2_message_text_picture.xml")[0]
    assert text.entities == (
        Entity("Nordhafen", "place", "located", literal="geo:0000001", country="DE"),
        Entity("Erika Sample", "person", "subject", literal="dpaperson:42"),
        Entity(
            "Germany",
            "place",
            "subject",
            uri="http://www.wikidata.org/entity/Q183",
            literal="dpacountry:1",
            country="DE",
            feature="country",
        ),
        Entity("Nordland", "place", "subject", literal="dpaarea:99", country="DE", feature="region"),
        Entity("Harbour Ferry Company", "organisation", "subject", literal="dpaorg:7", confidence=80),
        Entity("Old Harbour Pier 3, Nordhafen", "place", "subject", literal="POI1", latitude=54.1234, longitude=8.5678),
        Entity("dpaevent:2024-storm", "event", "subject", literal="dpaevent:2024-storm"),
    )
    assert not [key for key, _ in text.extra if key.startswith("subject.") or key == "located"]


def test_picture_item_has_caption_and_renditions() -> None:
    """A picture item is type picture with its caption as summary and remoteContent as renditions."""
    picture = _parse("g2_message_text_picture.xml")[1]
    assert picture.type == "picture"
    assert picture.headline == "Ferry at the pier"
    assert picture.summary == "The island ferry at the pier of Nordhafen on Friday morning. Photo: Max Lens/dpa"
    assert picture.body == ()
    assert picture.byline == "Max Lens"
    assert picture.renditions == (
        Rendition("highRes", "https://example.org/ferry-high.jpg", "image/jpeg", 3000, 2000, 1234567),
        Rendition("thumbnail", "https://example.org/ferry-thumb.jpg", "image/jpeg", 300, 200),
    )


def test_nitf_body_supplies_headline_byline_and_summary_when_g2_has_none() -> None:
    """An STT-shaped item with empty G2 lines takes headline, byline, abstract and media from its NITF body."""
    (item,) = _parse("g2_item_nitf_stt.xml")
    assert item.headline == "Järvikylän silta avataan keväällä"
    assert item.subheadlines == ("Työt etenevät aikataulussa",)
    assert item.byline == "By Matti Esimerkki"
    assert item.summary == "Uusi silta yhdistää kylän kaksi rantaa."
    assert item.body == (
        Block("Rakennustyöt alkoivat viime syksynä, kertoo kunta."),
        Block("Liikenne ohjataan kiertotielle", "h"),
        Block("Kiertotie on käytössä toukokuun loppuun."),
    )
    assert item.associations == (
        Association(
            name="media1",
            caption="Silta rakenteilla.",
            credit="Kuvaaja Esimerkki",
            renditions=(Rendition("rendition1", "bridge.jpg", "image/jpeg", 800, 600),),
        ),
    )


def test_timestamps_without_offset_use_the_agency_home_zone() -> None:
    """STT prints local time without an offset: read as Europe/Helsinki, the zone named in When.zone."""
    (item,) = _parse("g2_item_nitf_stt.xml")
    helsinki = ZoneInfo("Europe/Helsinki")
    assert item.agency == "stt"
    assert item.version_created is not None
    assert item.version_created.value == datetime(2024, 3, 2, 14, 30, tzinfo=helsinki)
    assert item.version_created.zone == "Europe/Helsinki"
    assert item.content_created is not None
    assert (item.content_created.precision, item.content_created.original) == ("day", "2024-03-02")


def test_withheld_status_and_iptc_alias_scheme() -> None:
    """stat:withheld maps to withheld; an ``iptc:`` subject keeps its scheme and gets the subject-code URI."""
    (item,) = _parse("g2_item_nitf_stt.xml")
    assert item.pub_status == "withheld"
    assert item.urgency == 2
    assert item.subjects == (
        Subject(name="Kotimaa", code="3", scheme="sttdepartment"),
        Subject(uri="http://cv.iptc.org/newscodes/subjectcode/06000000", code="06000000", scheme="iptc"),
        Subject(
            name="environment",
            uri="http://cv.iptc.org/newscodes/mediatopic/06000000",
            code="06000000",
            scheme="medtop",
            creator="mapped",
        ),
    )


def test_package_references_are_associations_filled_from_the_message() -> None:
    """A packageItem is composite; its itemRefs become associations, headlines filled from items in the message."""
    package, text, _ = _parse("g2_package_inline_data.xml")
    assert package.type == "composite"
    assert package.agency == "reuters"
    assert package.associations == (
        Association(
            name="main-1",
            type="text",
            uri="tag:reuters.com,2024:newsml_TXT0001",
            headline="Town opens new footbridge over the river",
        ),
        Association(
            name="main-2",
            type="picture",
            uri="tag:reuters.com,2024:newsml_PIC0001",
            headline="People cross the new footbridge",
        ),
    )
    assert text.pub_status == "canceled"


def test_media_item_without_headline_takes_its_package_headline() -> None:
    """A picture component with no headline of its own is named by the package that carries it."""
    _, _, picture = _parse("g2_package_inline_data.xml")
    assert (picture.type, picture.guid, picture.headline) == (
        "picture",
        "tag:reuters.com,2024:newsml_PIC0001",
        "Town opens new footbridge",
    )
    assert picture.renditions == (Rendition("baseImage", "https://example.org/bridge.jpg", "image/jpeg"),)


def test_plain_inline_data_splits_typewriter_paragraphs() -> None:
    """A text/plain body with indented first lines splits into paragraphs, continuation lines joined."""
    _, text, _ = _parse("g2_package_inline_data.xml")
    assert text.body == (
        Block("By Sam Writer"),
        Block(
            "RIVERTOWN, March 3 (Reuters) - The town opened a new footbridge on Sunday, "
            "ending a two-year wait for walkers."
        ),
        Block("The bridge cost less than planned, the mayor said, and will be lit at night."),
        Block("(Reporting by Sam Writer; Editing by Alex Desk)"),
    )
    assert text.dateline == Dateline(raw="2024-03-03 09:58:00 GMT+00:00", date_text="2024-03-03 09:58:00 GMT+00:00")


def test_item_without_any_text_is_an_empty_dispatch() -> None:
    """A newsItem with no headline, description or body text raises EmptyDispatchError."""
    raw = (
        b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:1" version="1">'
        b'<itemMeta><itemClass qcode="ninat:text"/></itemMeta>'
        b'<contentSet><inlineXML contenttype="application/xhtml+xml"><html><body><p/></body></html>'
        b"</inlineXML></contentSet></newsItem>"
    )
    with pytest.raises(EmptyDispatchError, match="no text in the dispatch"):
        PARSER.parse(raw, ())


def test_other_root_is_a_parse_error() -> None:
    """A G2 fragment that is not an item or message is refused with the root named."""
    with pytest.raises(ParseError, match="<contentMeta> is not a NewsML-G2 item"):
        PARSER.parse(b'<contentMeta xmlns="http://iptc.org/std/nar/2006-10-01/"/>', ())


@pytest.mark.parametrize(
    ("item_class", "expected"),
    [
        ("ninat:picture", "picture"),
        ("icls:video", "video"),
        ("ninat:text", "text"),
        ("x:unknown", "text"),
        (None, "text"),
    ],
)
def test_item_class_maps_to_ninjs_type(item_class: str | None, expected: str) -> None:
    """itemClass qcodes of any scheme alias map to the ninjs type by their code."""
    assert item_type(item_class) == expected


def test_detection_sniffs_g2_roots_and_content_type() -> None:
    """The registry picks newsml-g2 for G2 roots, with or without a content-type header."""
    registry = load_all()
    raw = (FIXTURES / "g2_item_nitf_stt.xml").read_bytes()
    assert registry.detect(raw, ()).name == "newsml-g2"
    assert registry.detect(raw, (("content-type", b"application/vnd.iptc.g2.newsitem+xml"),)).name == "newsml-g2"
    assert PARSER.can_parse(b"<?xml version='1.0'?><!-- a > b --><newsMessage/>", ()) is True
    assert PARSER.can_parse(b"<nitf/>", ()) is False
    assert PARSER.can_parse(b"\x00\x01garbage", ()) is False
