"""IPTC 7901 parser on fixtures written for these tests (invented text, real framing bytes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers import load_all
from pipeline.parsers.iptc7901 import IPTC7901Parser
from pipeline.records import Dateline, Party, Subject, When

FIXTURES = Path(__file__).parent / "fixtures" / "teletype"
PARSER = IPTC7901Parser()
RECEIVED = (("wf_received_at", b"2021-03-05T08:00:00.000Z"),)


def _dpa() -> bytes:
    return (FIXTURES / "iptc7901_dpa_en.txt").read_bytes()


def _extra(item, key: str) -> list[str]:
    return [value for name, value in item.extra if name == key]


def test_can_parse_accepts_soh_heading_and_stx():
    """The SOH heading layout followed by an STX is IPTC 7901."""
    assert PARSER.can_parse(_dpa(), ())
    assert PARSER.can_parse((FIXTURES / "iptc7901_generic.txt").read_bytes(), ())


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"Plain text about nothing in particular.\n",
        (FIXTURES / "anpa1312_ap_story.tst").read_bytes(),
        b"\x01eca062 4 i 211 dpa 061\r\nno start of text here",
        b"<?xml version='1.0'?><nitf/>",
    ],
    ids=["empty", "plain", "anpa", "no-stx", "xml"],
)
def test_can_parse_rejects_other_bytes(raw):
    """ANPA (SOH + number + US), plain text, XML and a heading without STX are not 7901."""
    assert not PARSER.can_parse(raw, ())


def test_registry_detects_iptc7901_before_the_text_fallback():
    """Format detection picks this parser for 7901 bytes even when labelled text/plain."""
    assert load_all().detect(_dpa(), (("content-type", b"text/plain"),)).name == "iptc7901"


def test_dpa_header_block_gives_flags_headline_and_byline():
    """Flags before the headline, the headline ending " =", and the byline without ", dpa"."""
    item = PARSER.parse(_dpa(), RECEIVED)[0]
    assert item.headline == "Hamburg opens harbour tram line after six years of building"
    assert item.byline == "Jana Feldmann"
    assert _extra(item, "iptc7901:flags") == ["REFILE; 1ST LEAD"]
    assert item.agency == "dpa"
    assert item.language == "en"


def test_heading_line_gives_urgency_category_and_keywords():
    """Priority digit -> urgency, category -> subject, keyword lines -> slugline and keywords."""
    item = PARSER.parse(_dpa(), RECEIVED)[0]
    assert item.urgency == 3
    assert item.subjects == (Subject(code="i", scheme="iptc7901:category"),)
    assert item.slugline == "Germany-transport/Hamburg"
    assert item.keywords == ("Germany-transport", "Hamburg")
    assert _extra(item, "iptc7901:service") == ["ecb"]
    assert _extra(item, "iptc7901:number") == ["0217"]
    assert _extra(item, "iptc7901:word_count") == ["164"]


def test_dateline_leaves_the_first_paragraph():
    """ "Hamburg (dpa) - " becomes the dateline and is cut from the lead."""
    item = PARSER.parse(_dpa(), RECEIVED)[0]
    assert item.dateline == Dateline(raw="Hamburg (dpa) -", place="Hamburg", agency="dpa")
    assert item.body[0].text.startswith("A new tram line linking the harbour")


def test_body_is_the_story_paragraphs_only():
    """Wrapped CRLF lines are joined; the notebook and editors-only part stay out of the body."""
    item = PARSER.parse(_dpa(), RECEIVED)[0]
    assert [b.kind for b in item.body] == ["p", "p", "p"]
    assert item.body[2].text == "Construction took six years, two more than planned."
    text = item.body_text()
    for leaked in ("Notebook", "Note to editors", "Reporting by", "not intended for publication", "dpa jf"):
        assert leaked not in text


def test_latin1_byte_is_decoded():
    """The Latin-1 convention of 7901: byte 0xE9 is "é"."""
    item = PARSER.parse(_dpa(), RECEIVED)[0]
    assert "project head René Albers." in item.body[1].text


def test_notebook_becomes_ed_note_contributors_and_links():
    """Note to editors and contacts -> ed_note; credit lines -> contributors; links -> extra."""
    item = PARSER.parse(_dpa(), RECEIVED)[0]
    assert item.ed_note == (
        "adds quote in 2nd paragraph\n"
        "Reporting by: Jana Feldmann in Hamburg, Tobias Marx and Lena Voss in Kiel\n"
        "Editing by: Paul Seidel, +49 30 0000 0000"
    )
    assert item.contributors == (
        Party("Jana Feldmann", "reporter"),
        Party("Tobias Marx", "reporter"),
        Party("Lena Voss", "reporter"),
        Party("Paul Seidel", "editor"),
    )
    assert _extra(item, "iptc7901:link") == ["Transport authority <http://example.org/tram>"]
    assert _extra(item, "iptc7901:initials") == ["jf pse"]


def test_trailer_is_a_date_time_group():
    """ "041435 GMT Mar 21" is the telex date-time group DDHHMM, zone, month, year: 4 March 2021, 14:35 GMT."""
    item = PARSER.parse(_dpa(), ())[0]
    assert item.version_created == When(datetime(2021, 3, 4, 14, 35, tzinfo=UTC), "second", "", "041435 GMT Mar 21")


def test_trailer_without_a_year_gets_it_from_the_received_header():
    """ "041435 GMT Mar" has no year: the wf_received_at header supplies it."""
    raw = _dpa().replace(b"041435 GMT Mar 21", b"041435 GMT Mar")
    item = PARSER.parse(raw, RECEIVED)[0]
    assert item.version_created is not None
    assert item.version_created.value == datetime(2021, 3, 4, 14, 35, tzinfo=UTC)


def test_trailer_near_new_year_belongs_to_the_previous_year():
    """A yearless stamp of 31 Dec received just after midnight on 1 January is last year's."""
    raw = _dpa().replace(b"041435 GMT Mar 21", b"312359 GMT Dec")
    item = PARSER.parse(raw, (("wf_received_at", b"2022-01-01T00:03:00Z"),))[0]
    assert item.version_created is not None
    assert item.version_created.value == datetime(2021, 12, 31, 23, 59, tzinfo=UTC)


def test_trailer_without_a_year_or_a_received_time_stays_text():
    """Without a year and a reception time the date is unknown: none, the stamp kept in extra."""
    raw = _dpa().replace(b"041435 GMT Mar 21", b"041435 GMT Mar")
    item = PARSER.parse(raw, ())[0]
    assert item.version_created is None
    assert _extra(item, "iptc7901:transmitted") == ["041435 GMT Mar"]


def test_trailer_that_is_no_date_time_group_is_not_a_date():
    """An hour over 23 (the stamp read the other way round) gives no date."""
    raw = _dpa().replace(b"041435 GMT Mar 21", b"042935 GMT Mar 21")
    assert PARSER.parse(raw, RECEIVED)[0].version_created is None


def test_german_service_header_notes_and_local_stamp():
    """dpa German: notes in parentheses (one over several lines) are not the headline; the stamp
    without a zone is Berlin time."""
    item = PARSER.parse((FIXTURES / "iptc7901_dpa_de_notes.txt").read_bytes(), ())[0]
    assert item.language == "de"
    assert item.headline == "Neue Fähre verbindet Musterhafen mit der Insel"
    assert item.byline == "Erika Beispiel"
    assert _extra(item, "iptc7901:note") == [
        "(Eil)",
        "(Berichtigung: In einer früheren Version hieß es, die Fähre fahre ab Dienstag. Richtig ist Montag.)",
        "(Meldung)",
        "(Foto Produktion)",
    ]
    assert item.ed_note is not None and item.ed_note.startswith("(Eil)")
    assert item.dateline == Dateline(raw="Musterhafen (dpa) -", place="Musterhafen", agency="dpa")
    assert item.version_created is not None
    assert item.version_created.value.isoformat() == "2031-03-04T09:14:00+01:00"
    assert item.version_created.zone == "Europe/Berlin"


def test_generic_7901_reads_the_frame_only():
    """An agency without a profile: first text line is the headline, no dateline rules."""
    item = PARSER.parse((FIXTURES / "iptc7901_generic.txt").read_bytes(), ())[0]
    assert item.agency is None
    assert item.language is None
    assert item.headline == "Puppet theatre festival returns to the old market hall"
    assert [b.text for b in item.body] == [
        "The festival brings twelve companies to the town this weekend.",
        "Tickets go on sale on Monday.",
    ]
    assert item.urgency == 2
    assert item.slugline == "culture"


def test_wf_agency_header_chooses_the_profile():
    """The wf_agency header names the agency even when the heading does not."""
    raw = _dpa().replace(b"dpa 0512", b"xyz 0512")
    assert PARSER.parse(raw, ())[0].agency is None
    assert PARSER.parse(raw, (("wf_agency", b"dpa"),))[0].agency == "dpa"


def test_missing_stx_is_a_parse_error():
    """A heading with no STX after it cannot be read: ParseError with the reason."""
    with pytest.raises(ParseError, match="no STX"):
        PARSER.parse(b"\x01eca062 4 i 211 dpa 061\r\nGermany/\r\n", ())


def test_no_text_between_stx_and_etx_is_an_empty_dispatch():
    """STX immediately followed by ETX holds no text: EmptyDispatchError."""
    with pytest.raises(EmptyDispatchError, match="no text"):
        PARSER.parse(b"\x01eca062 4 i 0 dpa 061\r\n\x02\r\n\x03\r\n\x04", ())


def test_dpa_german_notebook_and_contacts_stay_out_of_the_body():
    """dpa's German service: "# Notizblock" links and the not-for-publication contacts are metadata, not text."""
    raw = (FIXTURES / "iptc7901_dpa_de.txt").read_bytes()
    item = PARSER.parse(raw, RECEIVED)[0]
    assert (item.language, item.headline, item.byline) == ("de", "Neue Inselfähre nimmt Betrieb auf", "Greta Beispiel")
    assert item.dateline == Dateline(raw="Nordhafen (dpa) -", place="Nordhafen", agency="dpa")
    assert [block.text[:30] for block in item.body] == [
        "Die neue Fähre zwischen Nordha",
        "«Wir sind froh, dass es endlic",
    ]
    assert not any("#" in block.text or "Veröffentlichung" in block.text for block in item.body)
    assert item.ed_note == (
        "Autorin: Greta Beispiel (Nordhafen), +49 40 0000 0000\nRedaktion: Paul Probe (Hamburg), +49 40 0000 0001"
    )
    assert item.contributors == (Party("Greta Beispiel", "writer"), Party("Paul Probe", "editor"))
    assert _extra(item, "iptc7901:link") == ["Fahrplan der Reederei <http://example.org/faehre>"]
    assert _extra(item, "iptc7901:initials") == ["gb yyhh z2 pp"]
    assert item.version_created == When(datetime(2021, 3, 6, 6, 12, tzinfo=UTC), "second", "", "060612 GMT Mar 21")


def test_dpa_regional_service_with_a_teaser_before_the_dateline():
    """A regional service ("lni") signs with its own code; a teaser paragraph before the dateline
    paragraph is the summary, and the dateline is still found."""
    raw = (FIXTURES / "iptc7901_dpa_de_notes.txt").read_bytes().replace(b"dpa 0042", b"lni 0042")
    raw = raw.replace(
        b"\n\nMusterhafen (dpa) -",
        b"\n\nAb Montag f\xc3\xa4hrt eine neue F\xc3\xa4hre zur Insel.\n\nMusterhafen (dpa/lni) -",
    )
    item = PARSER.parse(raw, ())[0]
    assert item.agency == "dpa"
    assert item.summary == "Ab Montag fährt eine neue Fähre zur Insel."
    assert item.dateline == Dateline(raw="Musterhafen (dpa/lni) -", place="Musterhafen", agency="dpa/lni")
    assert item.body[0].text.startswith("Die neue Fähre soll")
