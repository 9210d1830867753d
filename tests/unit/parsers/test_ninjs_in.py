"""ninjs 1.x/2.x/3.x and AP Media API JSON in, on fixtures written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers import load_all
from pipeline.parsers.ninjs_in import NinjsParser, version_of
from pipeline.records import Association, Block, Dateline, Entity, Party, Rendition, Subject, When

FIXTURES = Path(__file__).parent / "fixtures" / "ninjs"
PARSER = NinjsParser()


def _parse(name: str):
    return PARSER.parse((FIXTURES / name).read_bytes(), ())


def _extra(item, key: str) -> list[str]:
    return [value for name, value in item.extra if name == key]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("ninjs1_superdesk.json", "1"), ("ninjs2_text.json", "2"), ("ninjs3_picture.json", "3")],
)
def test_version_is_detected_from_key_spelling(name, expected):
    """headline/body_html -> 1, lower-case lists -> 2, camelCase -> 3."""
    assert _extra(_parse(name)[0], "ninjs:version") == [expected]


def test_declared_standard_version_wins():
    """A ``standard`` object naming ninjs gives the exact version."""
    assert version_of({"uri": "x", "standard": {"name": "ninjs", "version": "3.1"}, "headlines": []}) == "3.1"


def test_can_parse_wants_json_with_an_id_and_content():
    """Objects with uri/guid and headline(s)/bodies are ninjs; other JSON and text are not."""
    assert PARSER.can_parse((FIXTURES / "ninjs2_text.json").read_bytes(), ())
    assert PARSER.can_parse((FIXTURES / "ap_media_feed.json").read_bytes(), ())
    assert not PARSER.can_parse(b'{"name": "a config file", "values": [1, 2]}', ())
    assert not PARSER.can_parse(b"uri headline bodies", ())
    assert load_all().detect((FIXTURES / "ninjs3_picture.json").read_bytes(), ()).name == "ninjs"


def test_ninjs1_superdesk_item():
    """1.x names: headline, body_html (to blocks), description_text, embargoed, located, subject."""
    item = _parse("ninjs1_superdesk.json")[0]
    assert item.guid == "tag:example.org,2021:news-4711"
    assert item.version == "3"
    assert item.headline == "Library reopens with a rooftop reading garden"
    assert item.summary == "The renovated library adds a garden on its roof."
    assert item.body == (
        Block("The central library reopened on Tuesday after two years of work."),
        Block("Garden", "h"),
        Block("Its roof now holds a reading garden with 60 seats."),
    )
    assert item.first_created == When(
        datetime(2021, 9, 14, 7, 55, 12, tzinfo=UTC), "second", "", "2021-09-14T07:55:12+0000"
    )
    assert item.embargoed_until is not None
    assert item.embargoed_until.value == datetime(2021, 9, 14, 10, 0, tzinfo=UTC)
    assert item.dateline == Dateline(raw="Leeds", place="Leeds")
    assert item.subjects == (
        Subject(
            name="arts, culture and entertainment",
            code="01000000",
            scheme="http://cv.iptc.org/newscodes/subjectcode/",
            uri="http://cv.iptc.org/newscodes/subjectcode/01000000",
        ),
        Subject(
            name="arts, culture, entertainment and media",
            uri="http://cv.iptc.org/newscodes/mediatopic/01000000",
            code="01000000",
            scheme="medtop",
            creator="mapped",
        ),
    )
    assert item.genres == (Subject(name="Article (news)", code="Article"),)
    assert item.keywords == ("library", "garden")
    assert item.contributors == (Party("Mina Adler", "writer"),)
    assert item.entities == (Entity("United Kingdom", "place", "subject", literal="GB"),)
    assert _extra(item, "ninjs:place") == []


def test_ninjs1_association_map_keeps_caption_and_renditions():
    """A 1.x associations map -> Association with caption, credit and renditions."""
    item = _parse("ninjs1_superdesk.json")[0]
    assert item.associations == (
        Association(
            name="featuremedia",
            type="picture",
            uri="tag:example.org,2021:pic-88",
            headline="Roof garden",
            caption="Readers in the new roof garden.",
            credit="Example News/Tom Reid",
            renditions=(Rendition("original", "https://img.example.org/88.jpg", "image/jpeg", 1600, 1067),),
        ),
    )


def test_ninjs2_prefers_the_html_body_and_reads_lists():
    """2.x: main and sub headlines, the HTML body over the plain one, pubstatus withheld."""
    item = _parse("ninjs2_text.json")[0]
    assert item.headline == "Neue Fähre verbindet zwei Inseln"
    assert item.subheadlines == ("Erste Fahrt am Sonntag",)
    assert item.summary == "Eine neue Fähre fährt ab Sonntag."
    assert item.body == (Block("Erster Absatz."), Block("Zweiter Absatz."))
    assert item.pub_status == "withheld"
    assert item.byline == "Karl Brandt"
    assert item.version_created is not None
    assert item.version_created.value.utcoffset() == timedelta(hours=1)
    assert item.subjects == (
        Subject(name="Verkehr", uri="http://cv.iptc.org/newscodes/mediatopic/20000512", rel="about", confidence=80),
    )


def test_ninjs2_coded_people_organisations_places_and_agency() -> None:
    """2.x people/organisations/places become entities (GeoJSON point read); the copyright holder names the agency."""
    item = _parse("ninjs2_text.json")[0]
    assert item.entities == (
        Entity("Karl Brandt", "person", "subject", uri="http://example.org/people/7", literal="person-7"),
        Entity("Inselfähre GmbH", "organisation", "subject", confidence=70),
        Entity("Sylt", "place", "about", latitude=54.9, longitude=8.3),
    )
    assert item.agency == "dpa"
    assert not [key for key, _ in item.extra if key in ("ninjs:people", "ninjs:places", "ninjs:organisations")]


def test_ninjs3_picture_keeps_type_and_renditions():
    """A non-text item is not a failure: type picture, caption as summary, its renditions."""
    item = _parse("ninjs3_picture.json")[0]
    assert item.type == "picture"
    assert item.headline == "Kites over the dunes"
    assert item.summary == "Kites fly over the dunes at the spring festival."
    assert item.copyright_notice == "(c) Example Pictures"
    assert item.renditions == (
        Rendition("original", "https://img.example.org/555.jpg", "image/jpeg", 4000, 2667, 2345678),
        Rendition("thumb", "https://img.example.org/555-t.jpg", "image/jpeg", 200, 133),
    )


def test_list_of_events_gives_one_item_each():
    """A JSON array of ninjs events: one item per event, type event, named by its title."""
    items = _parse("ninjs3_events.json")
    assert [(i.type, i.guid, i.headline) for i in items] == [
        ("event", "urn:example:event:1", "Harbour festival opens"),
        ("event", "urn:example:event:2", "Harbour festival closes"),
    ]


def test_ap_media_feed_item():
    """AP Media API: item id as guid, bylines, dateline location, category letter named."""
    (item,) = _parse("ap_media_feed.json")
    assert item.guid == "0a1b2c3d"
    assert item.version == "2"
    assert item.agency == "ap"
    assert item.headline == "Town votes to rebuild its wooden bridge"
    assert item.summary == "Residents chose repair over a new concrete span."
    assert item.byline == "SAM ORTIZ"
    assert item.ed_note == "Moves on general news services."
    assert item.dateline == Dateline(raw="Burlington, Vermont, United States", place="Burlington")
    assert item.version_created == When(datetime(2020, 10, 1, 18, 0, tzinfo=UTC), "second", "", "2020-10-01T18:00:00Z")
    assert item.subjects[0] == Subject(name="Domestic news", code="a", scheme="ap:category", rel="category")
    assert item.subjects[1].uri == "http://cv.ap.org/id/c8e409f8858510048872ff2260dd383e"
    assert item.usage_terms == "Editorial use only."


def test_dates_without_an_offset_are_read_as_utc_and_say_so():
    """ninjs requires an offset; a value without one is UTC with zone "UTC" recorded."""
    raw = b'{"uri": "u:1", "headline": "H", "versioncreated": "2020-01-02T03:04:05"}'
    item = PARSER.parse(raw, ())[0]
    assert item.version_created == When(
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), "second", "UTC", "2020-01-02T03:04:05"
    )


def test_nitf_body_in_json_becomes_blocks():
    """A NITF string in bodies: body.content paragraphs and hl2, head and body.head left out."""
    nitf = (
        '<?xml version=\\"1.0\\"?><nitf><head><title>T</title></head><body><body.head><hedline><hl1>H</hl1>'
        "</hedline></body.head><body.content><p>One.</p><hl2>Sub</hl2><p>Two.</p></body.content></body></nitf>"
    )
    raw = (
        '{"uri": "u:2", "headlines": [{"value": "H"}], "bodies": [{"contentType": "text/vnd.IPTC.NITF", '
        f'"value": "{nitf}"}}]}}'
    ).encode()
    item = PARSER.parse(raw, ())[0]
    assert item.body == (Block("One."), Block("Sub", "h"), Block("Two."))


def test_timezone_offsets_are_kept():
    """ "+0530" stays the item's own offset."""
    raw = b'{"uri": "u:3", "headline": "H", "firstcreated": "2020-01-02T03:04:05+0530"}'
    item = PARSER.parse(raw, ())[0]
    assert item.first_created is not None
    assert item.first_created.value.tzinfo == timezone(timedelta(hours=5, minutes=30))


def test_malformed_json_is_a_parse_error():
    """Broken JSON: ParseError with the decoder's reason."""
    with pytest.raises(ParseError, match="malformed JSON"):
        PARSER.parse(b'{"uri": "x", "headline": ', ())


def test_item_without_any_content_is_an_empty_dispatch():
    """No headline, description, body or rendition: EmptyDispatchError."""
    with pytest.raises(EmptyDispatchError):
        PARSER.parse(b'{"uri": "x", "headlines": [], "bodies": []}', ())


def test_description_with_role_text_is_the_body():
    """NTB's shape: no bodies, the text as a description with role "text"; the summary stays a summary."""
    raw = (
        '{"uri": "urn:x:ntb-like", "type": "text", "language": "nb-NO",'
        ' "headlines": [{"role": "main", "value": "Ny ferje til øya"}],'
        ' "descriptions": [{"role": "summary", "value": "Kort om ferja."},'
        ' {"role": "text", "contentType": "text/plain", "value": "Første avsnitt om ferja.\\n\\nAndre avsnitt."}]}'
    ).encode()
    item = PARSER.parse(raw, ())[0]
    assert item.body == (Block("Første avsnitt om ferja."), Block("Andre avsnitt."))
    assert item.summary == "Kort om ferja."


def test_description_with_role_text_does_not_replace_bodies():
    """When bodies exist, a description with role "text" is only a candidate summary."""
    raw = (
        b'{"uri": "u:4", "headlines": [{"value": "H"}], "bodies": [{"contentType": "text/plain", "value": "Body."}],'
        b' "descriptions": [{"role": "text", "value": "Short text."}]}'
    )
    item = PARSER.parse(raw, ())[0]
    assert item.body == (Block("Body."),)
    assert item.summary == "Short text."
