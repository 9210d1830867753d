"""ParsedItem + Enrichment -> a ninjs 3.1 document that validates against the official schema."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pipeline.records import (
    Association,
    Block,
    Dateline,
    Enrichment,
    Entity,
    ParsedItem,
    Party,
    Rendition,
    Subject,
    When,
)
from pipeline.schemas import errors
from pipeline.stages.normalise import dates_header, html_body, story_uri, to_ninjs

ISTANBUL = timezone(timedelta(hours=3))


def _item(**changes: object) -> ParsedItem:
    base = dict(
        format="webtext",
        agency="aa",
        language="fr",
        headline="Le tramway T9 prolongé jusqu'à Vaulx-en-Velin",
        summary="Huit nouvelles stations",
        body=(Block("Le prolongement a été inauguré lundi."), Block("Travaux", kind="h"), Block("a < b & c > d")),
        byline="Camille Durand",
        dateline=Dateline("AA / Lyon", place="Lyon", agency="AA"),
        content_created=When(datetime(2026, 3, 2, tzinfo=ISTANBUL), "day", "Europe/Istanbul", "02.03.2026"),
        version_created=When(datetime(2026, 3, 2, 14, 5, tzinfo=ISTANBUL), original="02.03.2026 14:05"),
        subjects=(
            Subject(name="transport", uri="http://cv.iptc.org/newscodes/mediatopic/20000380", code="medtop:20000380"),
        ),
        keywords=("tramway",),
        associations=(
            Association(
                "photo", caption="Une rame du T9", renditions=(Rendition("thumb", href="https://x.invalid/t.jpg"),)
            ),
        ),
        info_sources=(Party("Anadolu Agency", "source", "https://www.aa.com.tr"),),
        contributors=(Party("Jeanne Martin", "translator"),),
        urgency=4,
    )
    base.update(changes)
    return ParsedItem(**base)  # type: ignore[arg-type]


ENRICHED = Enrichment(
    language="fr",
    people=(Entity("Camille Martin", "person"),),
    organisations=(
        Entity("Organisation des Nations unies", "organisation", uri="http://www.wikidata.org/entity/Q1065"),
    ),
    places=(
        Entity(
            "Lyon",
            "place",
            rel="dateline",
            uri="https://sws.geonames.org/2996944/",
            country="FR",
            latitude=45.75,
            longitude=4.85,
        ),
        Entity("France", "place", rel="dateline", uri="https://sws.geonames.org/3017382/", country="FR"),
    ),
)


def test_document_validates_against_the_official_ninjs_schema() -> None:
    """Every field we fill is valid ninjs 3.1, with our own promises on top."""
    item = _item()
    doc = to_ninjs(item, ENRICHED, story_uri(item))
    assert errors("wire.articles", "value", doc) == []
    assert errors("ninjs", "3.1", doc) == []


def test_fields_map_to_their_ninjs_names() -> None:
    """Headline, summary, byline, dateline place, dates with offset, bodies in two forms."""
    item = _item()
    doc = to_ninjs(item, ENRICHED, "urn:x:1")
    assert doc["headlines"] == [{"role": "main", "value": item.headline}]
    assert doc["descriptions"] == [{"role": "summary", "value": "Huit nouvelles stations"}]
    assert (doc["by"], doc["located"], doc["language"], doc["urgency"]) == ("Camille Durand", "Lyon", "fr", 4)
    assert doc["contentCreated"] == "2026-03-02T00:00:00+03:00"
    plain, html = doc["bodies"]
    assert (
        plain["contentType"] == "text/plain"
        and plain["value"].split("\n\n")[0] == "Le prolongement a été inauguré lundi."
    )
    assert html["value"] == "<p>Le prolongement a été inauguré lundi.</p><h2>Travaux</h2><p>a &lt; b &amp; c &gt; d</p>"
    assert plain["wordCount"] == 11 and plain["charCount"] == len(plain["value"])
    assert doc["places"][0]["geoJSON"] == {"type": "Point", "coordinates": [4.85, 45.75]}
    assert {"name": "tramway", "rel": "keyword"} in doc["subjects"]
    assert doc["associations"][0]["descriptions"] == [{"role": "caption", "value": "Une rame du T9"}]
    assert [s["name"] for s in doc["infoSources"]] == ["Anadolu Agency", "Jeanne Martin"]


def test_story_uri_is_deterministic_and_prefers_the_source_id() -> None:
    """The source guid when it is a URI; a stable content address otherwise."""
    assert story_uri(_item(guid="urn:newsml:dpa.com:20090101:x-1")) == "urn:newsml:dpa.com:20090101:x-1"
    assert story_uri(_item(guid="AB 12/3")) == "urn:wirefeed:aa:AB%2012%2F3"
    first, again = story_uri(_item()), story_uri(_item())
    assert first == again and first.startswith("urn:wirefeed:aa:")
    assert story_uri(_item(headline="Autre titre")) != first


def test_dates_header_marks_precision_and_utc() -> None:
    """A date without a time is marked as such, with its UTC instant and zone."""
    header = dates_header(_item())
    assert header["contentCreated"] == {
        "utc": "2026-03-01T21:00:00Z",
        "local": "2026-03-02T00:00:00+03:00",
        "zone": "Europe/Istanbul",
        "precision": "day",
        "original": "02.03.2026",
    }
    assert header["versionCreated"]["precision"] == "second"


def test_html_body_groups_list_items() -> None:
    """Consecutive list blocks become one list; text is always escaped."""
    blocks = (Block("<b>x</b>", "li"), Block("y", "li"), Block("end"))
    assert html_body(blocks) == "<ul><li>&lt;b&gt;x&lt;/b&gt;</li><li>y</li></ul><p>end</p>"


def test_source_coded_and_found_entities_are_merged() -> None:
    """A place the source codes and enrichment also finds is listed once, with its GeoNames id."""
    from pipeline.stages.normalise import merge_entities

    coded = (Entity("Chile", "place", rel="subject", literal="CHL", country="CL", feature="country"),)
    found = (
        Entity("Chile", "place", rel="about", uri="https://sws.geonames.org/3895114/", country="CL", feature="country"),
        Entity("Santiago", "place", rel="dateline", uri="https://sws.geonames.org/3871336/", country="CL"),
    )
    merged = merge_entities(coded, found)
    assert [(e.name, e.uri) for e in merged] == [
        ("Chile", "https://sws.geonames.org/3895114/"),
        ("Santiago", "https://sws.geonames.org/3871336/"),
    ]
    assert merge_entities((Entity("Ankara", "place", rel="located"),), ()) == [Entity("Ankara", "place", rel="located")]
