"""Web-scrape record parser on invented records (a JSONL line, a CSV row as a record)."""

from __future__ import annotations

import orjson
import pytest

from pipeline.errors import ParseError
from pipeline.parsers import load_all
from pipeline.parsers.scraped import ScrapedRecordParser

PARSER = ScrapedRecordParser()

JSONL_LINE = orjson.dumps(
    {
        "url": "https://reprints.example/story/1234",
        "lang": "fr",
        "excerpt": (
            "Lyon : le marché aux fleurs rouvre après travaux\n\n"
            "Le marché aux fleurs du quai Saint-Antoine a rouvert samedi après six mois de travaux, "
            "a annoncé la mairie.\n\n"
            "Une trentaine de stands ont retrouvé leur place le long de la Saône."
        ),
    }
)
CSV_ROW = orjson.dumps(
    {
        "Link": "https://www.aa.com.tr/tr/gundem/ornek-haber/1234567",
        "Content": (
            "Ankara Belediye, yeni parkın hafta sonu açılacağını duyurdu. "
            "Parkta 200 ağaç ve iki oyun alanı yer alıyor. "
            "Açılış törenine vatandaşların da katılması bekleniyor."
        ),
    }
)


def test_detects_records_but_not_ninjs_or_other_json() -> None:
    """A JSON object with an address and a text field is a scrape record; ninjs goes to its own parser."""
    assert PARSER.can_parse(JSONL_LINE, ())
    assert PARSER.can_parse(CSV_ROW, ())
    assert not PARSER.can_parse(b'{"url": "https://x.example/1", "count": 3}', ())
    assert not PARSER.can_parse(b'[{"url": "https://x.example/1", "text": "a b c"}]', ())
    ninjs = b'{"uri": "urn:x:1", "type": "text", "headline": "A", "body_text": "Words in a body.", "url": "u"}'
    assert load_all().detect(ninjs, ()).name == "ninjs"
    assert load_all().detect(JSONL_LINE, (("content-type", b"application/json"),)).name == "scraped-record"


def test_jsonl_line_is_read_as_web_text_with_the_record_fields() -> None:
    """The excerpt is parsed as scraped text; url, guid and language come from the record."""
    (item,) = PARSER.parse(JSONL_LINE, ())
    assert item.format == "scraped-record"
    assert (item.url, item.guid, item.language) == (
        "https://reprints.example/story/1234",
        "https://reprints.example/story/1234",
        "fr",
    )
    assert item.headline == "Lyon : le marché aux fleurs rouvre après travaux"
    assert [b.text[:30] for b in item.body] == ["Le marché aux fleurs du quai S", "Une trentaine de stands ont re"]
    assert ("scraped.url", "https://reprints.example/story/1234") in item.extra


def test_csv_row_takes_agency_and_language_from_the_address() -> None:
    """A row {Link, Content} on aa.com.tr/tr/: agency aa (agency table), language tr (site data)."""
    (item,) = PARSER.parse(CSV_ROW, ())
    assert (item.agency, item.language) == ("aa", "tr")
    assert item.body and item.body[0].text.startswith("Ankara Belediye")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"url": "https://x.example/1", "text": ', "malformed JSON"),
        (b'{"url": "https://x.example/1", "text": "   "}', "no text field"),
    ],
    ids=["malformed", "blank-text"],
)
def test_bad_records_are_parse_errors(raw: bytes, reason: str) -> None:
    """A record that is not JSON, or has no text, is a ParseError saying so."""
    with pytest.raises(ParseError, match=reason):
        PARSER.parse(raw, ())
