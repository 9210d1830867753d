"""Ritzau RBNews XML parser on an invented feed response."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.parsers import load_all
from pipeline.parsers.ritzau import RitzauParser
from pipeline.records import Block, Dateline, Subject

FIXTURES = Path(__file__).parent / "fixtures" / "xml"
PARSER = RitzauParser()


def _items() -> list:
    return list(PARSER.parse((FIXTURES / "ritzau_rbnews_feed.xml").read_bytes(), ()))


def test_feed_response_yields_each_record() -> None:
    """An XMLNewsQueuedResponse with two RBNews records yields two items."""
    assert [i.guid for i in _items()] == [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
    ]


def test_fields_and_escaped_html_body() -> None:
    """Escaped (and doubly escaped) HTML content becomes clean paragraphs; the fields map one to one."""
    item = _items()[0]
    assert item.agency == "ritzau"
    assert item.headline == "Ny cykelsti åbner i Havby"
    assert item.subheadlines == ("Kommunen's plan er færdig",)
    assert item.body == (Block("Den nye cykelsti langs fjorden 'åbner' i dag."), Block("Stien er fire kilometer lang."))
    assert item.dateline == Dateline(raw="Havby /ritzau/", place="Havby", agency="ritzau")
    assert (item.slugline, item.section, item.byline, item.version, item.urgency) == (
        "NU/TEST-I",
        "Indland",
        "Test Skribent",
        "2",
        3,
    )
    assert item.ed_note == "Billeder følger."
    assert item.subjects == (
        Subject(uri="http://cv.iptc.org/newscodes/subjectcode/06000000", code="06000000", scheme="subj"),
        Subject(
            name="environment",
            uri="http://cv.iptc.org/newscodes/mediatopic/06000000",
            code="06000000",
            scheme="medtop",
            creator="mapped",
        ),
    )
    assert ("signal", "ritzau:Korrektion") in item.extra


def test_naive_publish_date_is_copenhagen_time() -> None:
    """PublishDate has no offset: it is read in Europe/Copenhagen, milliseconds kept."""
    when = _items()[0].version_created
    assert when is not None
    assert when.value == datetime(2024, 3, 7, 10, 20, 30, 123000, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert when.zone == "Europe/Copenhagen"


def test_cancelled_record_and_nil_fields() -> None:
    """Annuleret=true is canceled; xsi:nil fields are absent, not empty strings."""
    item = _items()[1]
    assert item.pub_status == "canceled"
    assert item.headline is None
    assert item.dateline == Dateline(raw="/ritzau/", agency="ritzau")


def test_detection_by_root() -> None:
    """The registry picks the Ritzau parser for RBNews roots."""
    raw = (FIXTURES / "ritzau_rbnews_feed.xml").read_bytes()
    assert load_all().detect(raw, ()).name == "ritzau-rbnews"
    assert PARSER.can_parse(b'<?xml version="1.0"?>\n<RBNews xmlns=""/>', ()) is True
