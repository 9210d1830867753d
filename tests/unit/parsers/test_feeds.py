"""Unit tests of the RSS / Atom parser, on invented feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.errors import EmptyDispatchError, ParseError, UnsafeXMLError
from pipeline.parsers.base import load_all, registry
from pipeline.parsers.feeds import FeedParser, parse_feed_date
from pipeline.records import Block, Party, Subject

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
PARSER = FeedParser()
CEST = timezone(timedelta(hours=2))


def rss_items() -> list:
    return list(PARSER.parse((FIXTURES / "rss2.xml").read_bytes(), ()))


def atom_items() -> list:
    return list(PARSER.parse((FIXTURES / "atom.xml").read_bytes(), ()))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', True),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', True),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', True),
        (b'<?xml version="1.0"?><nitf/>', False),
        (b"<!DOCTYPE html><html></html>", False),
        (b"", False),
    ],
    ids=["rss", "atom", "rdf", "nitf", "html", "empty"],
)
def test_can_parse_sniffs_feed_roots(raw: bytes, expected: bool) -> None:
    """can_parse accepts RSS, RDF and Atom roots only."""
    assert PARSER.can_parse(raw, ()) is expected


def test_registry_detects_feeds() -> None:
    """Both fixture feeds are routed to the feed parser by sniffing."""
    load_all()
    for name in ("rss2.xml", "atom.xml"):
        assert registry.detect((FIXTURES / name).read_bytes()).name == "feed"


def test_rss_yields_one_item_per_item_in_order() -> None:
    """A feed with three <item>s gives three items, in document order."""
    assert [i.headline for i in rss_items()] == [
        "Ferry service resumes after lighthouse repair",
        "Markets close mixed",
        "Late brief without a date zone",
    ]


def test_rss_item_fields() -> None:
    """guid, link, date with offset, dc:creators, categories, channel language, agency from host."""
    item = rss_items()[0]
    assert item.format == "feed"
    assert item.guid == "tag:example.org,2031:ferry-0001"
    assert item.url == "https://www.reuters.com/world/ferry-service-resumes-2031-05-04/"
    assert item.agency == "reuters"
    assert item.language == "en-gb"
    assert item.first_created is not None
    assert item.first_created.value == datetime(2031, 5, 4, 9, 15, tzinfo=CEST)
    assert item.first_created.zone == ""
    assert item.byline == "Alex Sample, Robin Placeholder"
    assert item.contributors == (Party("Alex Sample", "author"), Party("Robin Placeholder", "author"))
    assert item.keywords == ("World", "Transport")


def test_rss_content_encoded_is_body_and_description_summary() -> None:
    """content:encoded becomes blocks; the description is kept as the summary."""
    item = rss_items()[0]
    assert item.body == (
        Block("NORTH ISLE, May 4 (Reuters) - Ferries between the two islands run again after a three-week stop."),
        Block("The lighthouse at the harbour mouth was repaired on Friday."),
        Block("Timetable", "h"),
        Block("Four crossings a day", "li"),
        Block("Night crossing on Saturdays", "li"),
    )
    assert item.summary == "Ferries between the two islands run again after a three-week stop."


def test_rss_media_content_is_an_association() -> None:
    """media:content with description and credit becomes a picture association."""
    (photo,) = rss_items()[0].associations
    assert photo.type == "picture"
    assert photo.uri == "https://example.org/img/ferry.jpg"
    assert photo.caption == "A ferry leaves North Isle harbour, May 3, 2031."
    assert photo.credit == "Example Photographer"
    assert (photo.renditions[0].width, photo.renditions[0].height) == (1200, 800)


def test_rss_escaped_html_description_and_enclosure() -> None:
    """An escaped-HTML description is the body; <author> keeps the name; an audio enclosure is kept."""
    item = rss_items()[1]
    assert item.body == (Block("Shares ended the session mixed."), Block("Volumes were light."))
    assert item.summary is None
    assert item.byline == "Markets Desk"
    assert item.guid == "https://www.reuters.com/markets/close-2031-05-04/"
    assert item.first_created is not None and item.first_created.value == datetime(2031, 5, 4, 16, 30, tzinfo=UTC)
    (audio,) = item.associations
    assert (audio.type, audio.uri, audio.renditions[0].size_bytes) == (
        "audio",
        "https://example.org/audio/close.mp3",
        482133,
    )


def test_rss_unknown_zone_is_utc_flagged() -> None:
    """RFC 822 "-0000" (zone unknown) is read as UTC and the zone says so; plain text splits."""
    item = rss_items()[2]
    assert item.first_created is not None
    assert item.first_created.value == datetime(2031, 5, 4, 22, 0, tzinfo=UTC)
    assert item.first_created.zone == "UTC"
    assert item.guid == item.url
    assert item.body == (Block("Short item."), Block("Second paragraph of the short item."))


def test_atom_entry_fields() -> None:
    """Atom: html title as text, id, alternate link, published/updated, authors and contributors."""
    first, second = atom_items()
    assert first.headline == "Le festival des lanternes prolongé"
    assert first.guid == "tag:example.org,2031:lanternes-0002"
    assert first.url == "https://www.afp.com/fr/lanternes-prolonge"
    assert first.agency == "afp"
    assert first.language == "fr"
    assert first.first_created is not None and first.version_created is not None
    assert first.first_created.value == datetime(2031, 6, 2, 18, 30, tzinfo=CEST)
    assert first.version_created.value == datetime(2031, 6, 2, 19, 5, tzinfo=CEST)
    assert first.contributors == (Party("Camille Exemple", "author"), Party("Dominique Modèle", "contributor"))
    assert first.keywords == ("Culture", "fetes")
    assert first.copyright_notice == "© Agence Exemple 2031"
    assert second.language == "en"  # the entry's own xml:lang wins over the feed's
    assert second.agency is None


def test_atom_xhtml_content_and_summary() -> None:
    """Inline XHTML content becomes blocks; the html summary is the summary; enclosure link kept."""
    first, second = atom_items()
    assert first.body == (
        Block("Les jardins de Valombre resteront ouverts jusqu'à minuit une semaine de plus."),
        Block("La mairie invoque une affluence record."),
    )
    assert first.summary == "Les jardins resteront ouverts une semaine de plus."
    (picture,) = first.associations
    assert (picture.type, picture.uri, picture.headline) == (
        "picture",
        "https://example.org/img/lanternes.jpg",
        "Lanternes",
    )
    assert second.body == (Block("The gardens stay open until midnight for another week."),)
    assert second.summary is None


@pytest.mark.parametrize(
    ("text", "expected", "zone"),
    [
        ("Sun, 04 May 2031 09:15:00 +0200", datetime(2031, 5, 4, 9, 15, tzinfo=CEST), ""),
        ("Sun, 04 May 2031 09:15:00 EST", datetime(2031, 5, 4, 14, 15, tzinfo=UTC), ""),
        ("2031-05-04T09:15:00Z", datetime(2031, 5, 4, 9, 15, tzinfo=UTC), ""),
        ("2031-05-04T09:15:00", datetime(2031, 5, 4, 9, 15, tzinfo=UTC), "UTC"),
    ],
    ids=["rfc822-offset", "rfc822-named-zone", "rfc3339-z", "iso-naive"],
)
def test_feed_dates(text: str, expected: datetime, zone: str) -> None:
    """RFC 822 and RFC 3339 dates keep their instant; a zoneless one is UTC and says so."""
    when = parse_feed_date(text)
    assert when is not None
    assert when.value == expected
    assert when.zone == zone


def test_unreadable_date_is_none() -> None:
    """A date that is neither RFC 822 nor RFC 3339 is left out."""
    assert parse_feed_date("yesterday afternoon") is None


def test_feed_without_items_is_empty() -> None:
    """A channel with no items is an EmptyDispatchError."""
    with pytest.raises(EmptyDispatchError):
        PARSER.parse(b'<rss version="2.0"><channel><title>t</title></channel></rss>', ())


def test_rss_without_channel_is_a_parse_error() -> None:
    """<rss> without <channel> is a ParseError."""
    with pytest.raises(ParseError, match="channel"):
        PARSER.parse(b'<rss version="2.0"><item><title>t</title></item></rss>', ())


def test_malformed_feed_is_a_parse_error() -> None:
    """Broken XML raises ParseError with the parser's reason."""
    with pytest.raises(ParseError, match="malformed"):
        PARSER.parse(b'<rss version="2.0"><channel><item><title>t</channel></rss>', ())


def test_entity_feed_is_refused() -> None:
    """A feed declaring an external entity (XXE) is refused as unsafe; an internal one is read."""
    raw = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>'
    )
    with pytest.raises(UnsafeXMLError):
        PARSER.parse(raw, ())
    (item,) = PARSER.parse(raw.replace(b'SYSTEM "file:///etc/passwd"', b'"Titel"'), ())
    assert item.headline == "Titel"


ATOM_WITH_CODES = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de-AT">
  <title>Chronik</title>
  <id>tag:apa.at,2031:feed:chronik</id>
  <author><name>APA - Austria Presse Agentur</name></author>
  <entry>
    <id>tag:example.org,2031:gewitter-1</id>
    <title>Gewitter im Tal</title>
    <link rel="alternate" href="https://news.example/gewitter-1"/>
    <updated>2031-06-02T19:05:00+02:00</updated>
    <category term="Wetter" label="Wetter"/>
    <category scheme="http://cv.iptc.org/newscodes/mediatopic/" term="medtop:20000157" label="Unwetter"/>
    <category scheme="http://cv.iptc.org/newscodes/subjectcode/" term="17000000" label="Wetter"/>
    <summary>Ein Gewitter zog am Abend durch das Tal.</summary>
  </entry>
</feed>
"""


def test_atom_iptc_categories_are_subjects_and_the_feed_names_the_agency() -> None:
    """IPTC-scheme categories are subjects (with the mapped media topic); the feed's id/author name the agency."""
    (item,) = PARSER.parse(ATOM_WITH_CODES, ())
    assert item.agency == "apa"
    assert item.keywords == ("Wetter",)
    assert item.subjects == (
        Subject(
            name="Unwetter", uri="http://cv.iptc.org/newscodes/mediatopic/20000157", code="20000157", scheme="medtop"
        ),
        Subject(name="Wetter", uri="http://cv.iptc.org/newscodes/subjectcode/17000000", code="17000000", scheme="subj"),
        Subject(
            name="weather",
            uri="http://cv.iptc.org/newscodes/mediatopic/17000000",
            code="17000000",
            scheme="medtop",
            creator="mapped",
        ),
    )
