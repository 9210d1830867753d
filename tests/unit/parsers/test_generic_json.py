"""The generic JSON parser on dialects no specific parser reads (fixtures written for these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers import load_all
from pipeline.parsers.generic_json import GenericJSONParser
from pipeline.records import Block, RawDispatch
from pipeline.stages.flow import parse_dispatch

FIXTURES = Path(__file__).parent / "fixtures" / "generic"
PARSER = GenericJSONParser()
JSON = (("content-type", b"application/json"),)


def _items(name: str):
    return parse_dispatch(RawDispatch((FIXTURES / name).read_bytes(), JSON))


def _from(item, field: str) -> str | None:
    return dict(item.extra).get(f"generic:{field}")


def test_dpa_wireq_entries_are_two_articles() -> None:
    """A wireQ response: each entry an article; fields by their names, notes and link boxes left out."""
    first, second = _items("dpa_wireq_entries.json")
    assert first.format == second.format == "generic-json"
    assert first.headline == "Neue Fähre verbindet Musterhafen mit der Insel"
    assert first.subheadlines == ("Erste Fahrt am Montag",)
    assert first.summary == "Eine neue Fähre fährt von Montag an stündlich zwischen Musterhafen und der Insel."
    assert first.body == (
        Block("Die neue Fähre soll die Fahrzeit zur Insel halbieren, teilte die Reederei am Dienstag mit."),
        Block("Mehr Fahrten im Sommer", "h"),
        Block("Im Sommer sind zusätzliche Abfahrten am Abend geplant, wie ein Sprecher sagte."),
    )
    assert (first.guid, first.version, first.language, first.urgency) == (
        "urn:newsml:example-dpa.invalid:20090101:310304-99-000001",
        "3",
        "de",
        3,
    )
    assert first.byline == "Von Erika Beispiel, dpa"
    assert first.dateline is not None and first.dateline.place == "Musterhafen"
    assert first.version_created is not None and first.version_created.original == "2031-03-04T09:14:00+01:00"
    assert first.embargoed_until is not None and first.embargoed_until.value.hour == 10
    assert first.keywords == ("Fähre", "Schifffahrt")
    assert "Notizblock" not in first.body_text() and "Fahrplan der Reederei" not in first.body_text()
    assert (_from(first, "body"), _from(first, "guid")) == ("article_html", "urn")
    assert second.headline == "Stadtbibliothek öffnet länger" and len(second.body) == 1


def test_graphql_item_response() -> None:
    """A GraphQL news API item: camelCase names; the unversioned uri is the guid, not versionedGuid."""
    (item,) = _items("reuters_graphql_item.json")
    assert item.headline == "Harbour town opens new ferry line"
    assert item.guid == "tag:example-news.invalid,2031:newsml_X1Y2Z3"
    assert item.version == "4"
    assert item.summary == "A harbour town opened a new ferry line on Tuesday."
    assert [b.text[:20] for b in item.body] == ["HARBOURTOWN, May 6 (", "The operator said mo"]
    assert item.first_created is not None and item.first_created.value.hour == 6
    assert item.version_created is not None and item.version_created.value.minute == 8
    assert (item.byline, item.slugline, item.language) == ("By Alex Example", "FERRY-HARBOUR/", "en")


def test_graphql_search_response_lists_its_items() -> None:
    """Search results (headlines only) under data.search.items: one article each; pageInfo is not one."""
    items = _items("reuters_graphql_search.json")
    assert [i.headline for i in items] == [
        "Harbour town opens new ferry line",
        "City library extends its opening hours",
    ]
    assert all(not i.body for i in items)


def test_names_in_other_languages() -> None:
    """French key names (titre, chapo, texte, auteur, langue, date_publication, identifiant)."""
    (item,) = _items("cms_fr.json")
    assert item.headline == "La médiathèque de Villeexemple ouvre le dimanche"
    assert item.summary and item.summary.startswith("Dès avril")
    assert len(item.body) == 2 and item.body[1].text.startswith("La mairie souhaite")
    assert (item.byline, item.language, item.guid) == ("Camille Exemple", "fr", "art-2031-0042")
    assert item.first_created is not None and item.first_created.original == "2031-03-04T10:15:00+01:00"


def test_body_found_by_its_prose_when_no_key_names_it() -> None:
    """No body-like key: the longest string of several sentences is the body, a short one is not."""
    (item,) = _items("prose_only.json")
    assert item.body[0].text.startswith("The ferry company will change its timetable")
    assert _from(item, "body") == "(prose)"


def test_placeholder_dates_and_flags_are_not_values() -> None:
    """ "0001-01-01" is no date, "1" no language, "true" no headline."""
    raw = (
        b'{"title": "true", "headline": "Real headline", "language": "1", "created": "0001-01-01T00:00:00",'
        b' "text": "Some text of the article. It has two sentences and is long enough to be a body."}'
    )
    (item,) = PARSER.parse(raw, ())
    assert item.headline == "Real headline"
    assert item.language is None and item.first_created is None


def test_json_without_any_text_is_an_empty_dispatch() -> None:
    """Only ids and numbers: EmptyDispatchError saying so."""
    with pytest.raises(EmptyDispatchError, match="no object in the JSON"):
        PARSER.parse(b'{"data": {"id": 5, "count": 3, "items": []}}', ())


def test_malformed_json_is_a_parse_error() -> None:
    """Broken JSON: ParseError with the decoder's reason."""
    with pytest.raises(ParseError, match="malformed JSON"):
        PARSER.parse(b'{"headline": ', ())


def test_ninjs_stays_with_the_ninjs_parser() -> None:
    """Detection: ninjs is read by its own parser, other JSON by the generic one."""
    registry = load_all()
    ninjs = b'{"uri": "u:1", "headlines": [{"value": "H"}], "bodies": [{"value": "B"}]}'
    assert registry.detect(ninjs, JSON).name == "ninjs"
    assert registry.detect((FIXTURES / "cms_fr.json").read_bytes(), JSON).name == "generic-json"


def test_json_the_ninjs_parser_claims_but_cannot_read_goes_to_the_generic_parser() -> None:
    """An API response with "uri" and "title" keys is sniffed as ninjs, which finds no item in it."""
    raw = (
        b'{"response": {"uri": "https://example.invalid/api", "result": {"id": "a-1", "title": "Ferry line opens",'
        b' "content": "A harbour town opened a new ferry line on Tuesday. More boats will sail in summer."}}}'
    )
    assert load_all().detect(raw, JSON).name == "ninjs"
    (item,) = parse_dispatch(RawDispatch(raw, JSON))
    assert (item.format, item.headline, item.guid) == ("generic-json", "Ferry line opens", "a-1")
