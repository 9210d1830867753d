"""ANPA-1312 parser on fixtures written for these tests (invented text, real framing bytes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers import load_all
from pipeline.parsers.anpa1312 import ANPA1312Parser
from pipeline.records import Block, Dateline, Subject, When

FIXTURES = Path(__file__).parent / "fixtures" / "teletype"
PARSER = ANPA1312Parser()


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _extra(item, key: str) -> list[str]:
    return [value for name, value in item.extra if name == key]


def test_can_parse_wants_syn_soh_and_the_message_number():
    """SYN SYN SOH, a message number and US: ANPA; 7901, text and JSON are not."""
    assert PARSER.can_parse(_load("anpa1312_ap_story.tst"), ())
    assert not PARSER.can_parse(_load("iptc7901_dpa_en.txt"), ())
    assert not PARSER.can_parse(b"Some text.", ())
    assert not PARSER.can_parse(b'{"uri": "x"}', ())


def test_registry_detects_anpa():
    """Detection picks this parser for ANPA bytes without any header."""
    assert load_all().detect(_load("anpa1312_ap_story.tst"), ()).name == "anpa1312"


def test_header_lines_give_headline_notes_and_byline():
    """Flush-left lines: keyword, headline, photo, Eds, editor's note, byline and its title."""
    item = PARSER.parse(_load("anpa1312_ap_story.tst"), ())[0]
    assert item.headline == "Old lighthouse shines again after village raises funds"
    assert item.ed_note == (
        "Updates with mayor's comment. With AP Photos.\nThis story is part of an occasional series on coastal villages."
    )
    assert item.byline == "MARTA OLSEN and KEVIN DRUMM"
    assert _extra(item, "anpa1312:byline_title") == ["Associated Press"]
    assert _extra(item, "anpa1312:photo") == ["AP Photo XYZ101, XYZ102"]
    assert item.slugline == "Lighthouse-Restored"
    assert _extra(item, "anpa1312:take") == ["2nd Ld-Writethru"]
    assert item.agency == "ap"
    assert item.language == "en"


def test_second_header_line_gives_urgency_category_and_keyword():
    """ "u i" -> urgency 3 (urgent), category International; the 24-character keyword."""
    item = PARSER.parse(_load("anpa1312_ap_story.tst"), ())[0]
    assert item.urgency == 3
    assert item.subjects == (Subject(name="International", code="i", scheme="anpa1312:category"),)
    assert _extra(item, "anpa1312:keyword") == ["BC-EU--Lighthouse-Restor"]
    assert _extra(item, "anpa1312:version") == ["2ndLd-Writethru"]
    assert _extra(item, "anpa1312:word_count") == ["412"]
    assert _extra(item, "anpa1312:number") == ["W1234"]
    assert _extra(item, "anpa1312:selector") == ["asian"]


def test_body_paragraphs_with_typewriter_conventions_undone():
    """One paragraph per indented line; `` '' -> curly quotes, " _ " -> dash; "___" dropped."""
    item = PARSER.parse(_load("anpa1312_ap_story.tst"), ())[0]
    assert item.dateline == Dateline(raw="SKAGEN, Denmark (AP) _", place="SKAGEN, Denmark", agency="AP")
    assert item.body == (
        Block("A lighthouse dark for 40 years shone again on Saturday after villagers raised the money to repair it."),
        Block("“We did it ourselves,” said the mayor, Hanne Lund. “Every family gave something.”"),
        Block("The light can be seen 20 kilometers — about 12 miles — out to sea."),
        Block("Olsen reported from Copenhagen."),
    )


def test_time_stamp_after_etx():
    """ "AP-WF-06-14-21 1732GMT" is 2021-06-14 17:32 UTC, an offset the source printed."""
    item = PARSER.parse(_load("anpa1312_ap_story.tst"), ())[0]
    assert item.version_created == When(
        datetime(2021, 6, 14, 17, 32, tzinfo=UTC), "second", "", "AP-WF-06-14-21 1732GMT"
    )


def test_agate_rows_become_pre_blocks():
    """BS rows and RS/US-padded rows -> tab-separated "pre" blocks; "{" is one half; DLE a space."""
    item = PARSER.parse(_load("anpa1312_ap_agate.tst"), ())[0]
    assert item.body == (
        Block("NORTH DIVISION", "h"),
        Block("\tW\tL\tPct\tGB\nMillbrook\t40\t20\t.667\t_\nStony Creek\t37\t24\t.607\t3½", "pre"),
        Block("SOUTH DIVISION", "h"),
        Block("\tW\tL\tPct\nPort Ellis\t35\t25\t.583", "pre"),
        Block("Saturday's Games", "h"),
        Block("Millbrook 5, Stony Creek 4"),
        Block("Port Ellis 2, Alder Bay 1"),
    )
    assert _extra(item, "anpa1312:format") == ["tabular"]


def test_agate_header_and_desk_subject():
    """Headline, note line and byline of a glance; desk BBO is the IPTC subject baseball."""
    item = PARSER.parse(_load("anpa1312_ap_agate.tst"), ())[0]
    assert item.headline == "River League Glance"
    assert item.summary == "All Times EDT"
    assert item.byline == "The Associated Press"
    assert item.urgency == 4
    assert item.subjects == (
        Subject(name="Sports", code="s", scheme="anpa1312:category"),
        Subject(code="15007000", scheme="iptc:subjectcode", uri="http://cv.iptc.org/newscodes/subjectcode/15007000"),
        # baseball's subject code is an exact match of the media topic baseball
        Subject(
            uri="http://cv.iptc.org/newscodes/mediatopic/20000849", code="20000849", scheme="medtop", creator="mapped"
        ),
    )


def test_alert_without_headline_uses_its_sentence():
    """An alert carries no headline line: the alert sentence (after the dateline) is the headline."""
    item = PARSER.parse(_load("anpa1312_ap_alert.tst"), ())[0]
    assert item.headline == "City council votes to keep the old ferry terminal open through the winter."
    assert item.dateline == Dateline(raw="PORTLAND, Maine (AP) _", place="PORTLAND, Maine", agency="AP")
    assert item.urgency == 2  # "b": bulletin
    assert item.slugline == "APNewsAlert"


def test_unknown_agency_keeps_the_frame():
    """Without an AP signature, no agency or language is claimed and no AP dateline is cut."""
    raw = _load("anpa1312_ap_story.tst").replace(b"(AP) _", b"(XX) _").replace(b"AP-WF-", b"XX-WF-")
    item = PARSER.parse(raw, ())[0]
    assert item.agency is None
    assert item.language is None
    assert item.dateline is None
    assert item.body[0].text.startswith("SKAGEN, Denmark (XX)")


def test_missing_header_is_a_parse_error():
    """SYN SOH without a message number and US: ParseError naming the header."""
    with pytest.raises(ParseError, match="header line"):
        PARSER.parse(b"\x16\x16\x01garbage\n\x02text\x03", ())


def test_missing_stx_is_a_parse_error():
    """The header lines without an STX: ParseError naming STX."""
    with pytest.raises(ParseError, match="STX"):
        PARSER.parse(b"\x16\x16\x01W1234\x1fasian\nr a\x13\x11 BC-X--Y   01-01 0001\n", ())


def test_empty_text_is_an_empty_dispatch():
    """STX straight into ETX: EmptyDispatchError."""
    with pytest.raises(EmptyDispatchError):
        PARSER.parse(b"\x16\x16\x01W1234\x1fasian\nr a\x13\x11 BC-X--Y   01-01 0001\n\x02\x03\n\x04", ())
