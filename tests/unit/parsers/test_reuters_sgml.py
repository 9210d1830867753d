"""Reuters-21578 SGML parser on elements written for these tests (invented text, corpus shape)."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers import load_all
from pipeline.parsers.reuters_sgml import ReutersSGMLParser, _elements, _field, parse_dateline
from pipeline.records import Block, Dateline, Subject

FIXTURES = Path(__file__).parent / "fixtures" / "teletype"
PARSER = ReutersSGMLParser()
EASTERN = ZoneInfo("America/New_York")


def _story() -> bytes:
    return (FIXTURES / "reuters21578_story.sgm").read_bytes()


def _element(
    text: str, *, newid: str = "90002", date_text: str = "26-FEB-1987 15:01:01.79", unknown: str = ""
) -> bytes:
    """A minimal <REUTERS> element around ``text`` (the inside of <TEXT ...>...</TEXT>)."""
    return (
        f'<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="{newid}">\n'
        f"<DATE>{date_text}</DATE>\n<TOPICS></TOPICS>\n<PLACES></PLACES>\n<PEOPLE></PEOPLE>\n<ORGS></ORGS>\n"
        f"<EXCHANGES></EXCHANGES>\n<COMPANIES></COMPANIES>\n{unknown}{text}\n</REUTERS>\n"
    ).encode("latin-1")


def _extra(item, key: str) -> list[str]:
    return [value for name, value in item.extra if name == key]


def test_can_parse_with_or_without_the_doctype_line():
    """A <REUTERS> element is recognised alone or after the file's DOCTYPE line."""
    story = _story()
    assert story.startswith(b"<!DOCTYPE lewis")
    assert PARSER.can_parse(story, ())
    assert PARSER.can_parse(story.split(b"\n", 1)[1], ())
    assert not PARSER.can_parse(b"<?xml version='1.0'?><REUTERS/>", ())
    assert load_all().detect(story, (("content-type", b"application/sgml"),)).name == "reuters21578"


def test_doctype_line_changes_nothing():
    """The same element parses to the same item with and without the DOCTYPE line."""
    story = _story()
    assert PARSER.parse(story, ()) == PARSER.parse(story.split(b"\n", 1)[1], ())


def test_identity_and_stamp():
    """guid from NEWID, OLDID in extra, DATE in US Eastern time (EST in March 1987)."""
    item = PARSER.parse(_story(), ())[0]
    assert item.guid == "urn:wirefeed:reuters21578:90001"
    assert _extra(item, "reuters21578:oldid") == ["90017"]
    assert item.agency == "reuters"
    assert item.language == "en"
    assert item.first_created == item.version_created
    stamp = item.first_created
    assert stamp is not None
    assert stamp.value == datetime(1987, 3, 17, 10, 42, 7, 330000, tzinfo=EASTERN)
    assert stamp.value.utcoffset() == timedelta(hours=-5)
    assert (stamp.zone, stamp.precision, stamp.original) == ("America/New_York", "second", "17-MAR-1987 10:42:07.33")


def test_stamp_after_the_dst_change_is_edt():
    """From 5 April 1987 the corpus clock is EDT (UTC-4)."""
    item = PARSER.parse(_element("<TEXT>&#2;\n<TITLE>X</TITLE>\n&#3;</TEXT>", date_text="7-APR-1987 09:00:00.00"), ())[
        0
    ]
    assert item.first_created is not None
    assert item.first_created.value.utcoffset() == timedelta(hours=-4)


def test_title_author_dateline_and_body():
    """TITLE with &lt; decoded, AUTHOR without "by" and ", Reuters", DATELINE split, body blocks."""
    item = PARSER.parse(_story(), ())[0]
    assert item.headline == "PRAIRIE GRAIN CO-OP <PGC> RAISES STORAGE CAPACITY"
    assert item.byline == "Alex Morrow"
    assert item.dateline == Dateline(raw="WINNIPEG, March 17 -", place="WINNIPEG", date_text="March 17")
    assert _extra(item, "reuters21578:dateline_date") == ["1987-03-17"]
    assert item.body == (
        Block("Prairie Grain Co-operative said it added 40,000 tonnes of storage at three elevators in Manitoba."),
        Block("The co-operative said the new bins would be ready before the harvest."),
        Block("Capacity by site, in tonnes -"),
        Block(
            "         Site          Old        New\n"
            " Brandon            20,000     35,000\n"
            " Dauphin            15,000     30,000",
            "pre",
        ),
        Block("The company gave no cost for the work."),
    )


def test_signoff_and_control_references_leave_the_body():
    """ " Reuter" and the &#3; that close every body are not text."""
    text = PARSER.parse(_story(), ())[0].body_text()
    assert "Reuter" not in text
    assert "\x03" not in text


def test_topics_are_subjects_and_gold_labels_stay_in_extra():
    """TOPICS -> subjects; PLACES/PEOPLE/EXCHANGES are evaluation labels: extra only."""
    item = PARSER.parse(_story(), ())[0]
    assert item.subjects == (
        Subject(code="grain", scheme="reuters21578:topics"),
        Subject(code="wheat", scheme="reuters21578:topics"),
    )
    assert _extra(item, "reuters21578:places") == ["canada;usa"]
    assert _extra(item, "reuters21578:people") == ["doe-j"]
    assert _extra(item, "reuters21578:exchanges") == ["cbt"]
    assert _extra(item, "reuters21578:orgs") == []
    assert all(s.scheme == "reuters21578:topics" for s in item.subjects)


def test_unknown_element_gives_urgency_and_slugline():
    """The ANPA header kept in <UNKNOWN>: priority "u" -> urgency 3, keyword -> slugline."""
    item = PARSER.parse(_story(), ())[0]
    assert item.urgency == 3
    assert item.slugline == "PRAIRIE-GRAIN-CO-OP"
    assert _extra(item, "reuters21578:routing") == ["C G"]
    assert _extra(item, "reuters21578:anpa:number") == ["f0123"]


def test_brief_is_a_headline_only_article():
    """TYPE="BRIEF": the title, and the "Blah blah blah." placeholder is no body."""
    text = (
        '<TEXT TYPE="BRIEF">&#2;\n******<TITLE>CITY COUNCIL APPROVES BUDGET\n</TITLE>Blah blah blah.\n&#3;\n\n</TEXT>'
    )
    item = PARSER.parse(_element(text), ())[0]
    assert item.headline == "CITY COUNCIL APPROVES BUDGET"
    assert item.body == ()
    assert _extra(item, "reuters21578:text_type") == ["BRIEF"]


def test_unproc_text_is_the_body():
    """TYPE="UNPROC": no TITLE/BODY tags; the raw text is the body, tables kept as "pre"."""
    text = (
        '<TEXT TYPE="UNPROC">&#2;\nHARBOUR TRAFFIC REPORT - MARCH 2\n'
        " Ships in port..............12 vs.....10\n Ships waiting................3 vs......5\n Reuter\n&#3;\n\n</TEXT>"
    )
    item = PARSER.parse(_element(text), ())[0]
    assert item.headline is None
    assert item.body == (
        Block("HARBOUR TRAFFIC REPORT - MARCH 2"),
        Block(" Ships in port..............12 vs.....10\n Ships waiting................3 vs......5", "pre"),
    )


def test_story_without_any_text_is_an_empty_dispatch():
    """An empty <TEXT>: EmptyDispatchError whose reason says there is no text."""
    with pytest.raises(EmptyDispatchError, match="no text at all") as caught:
        PARSER.parse(_element('<TEXT TYPE="UNPROC">&#2;\n&#3;\n\n</TEXT>', newid="12"), ())
    assert "NEWID=12" in caught.value.reason


def test_raw_non_utf8_byte_is_decoded_not_fatal():
    """A stray 0xFC byte (as in reut2-017.sgm) decodes as cp1252 "ü" and is recorded."""
    text = "<TEXT>&#2;\n<TITLE>T</TITLE>\n<BODY>Growth.\xfc&#5;&#30;side measures.\n Reuter\n&#3;</BODY></TEXT>"
    item = PARSER.parse(_element(text), ())[0]
    assert item.body == (Block("Growth.üside measures."),)
    assert _extra(item, "reuters21578:decoded") == ["cp1252, repaired"]


def test_garbled_time_keeps_the_day():
    """ "31-MAR-1987 605:12:19.12": the day is kept with day precision."""
    item = PARSER.parse(
        _element("<TEXT>&#2;\n<TITLE>X</TITLE>\n&#3;</TEXT>", date_text="31-MAR-1987 605:12:19.12"), ()
    )[0]
    assert item.first_created is not None
    assert item.first_created.precision == "day"
    assert item.first_created.value == datetime(1987, 3, 31, tzinfo=EASTERN)


def test_swallowed_body_start_goes_back_to_the_body():
    """A DATELINE holding the start of the body ("... - Dutch imports of fat-") gives it back."""
    text = (
        "<TEXT>&#2;\n<TITLE>T</TITLE>\n<DATELINE>    THE HAGUE, March 2 - Dutch sales of cheese-</DATELINE>"
        "<BODY>making machines rose in February.\n Reuter\n&#3;</BODY></TEXT>"
    )
    item = PARSER.parse(_element(text, date_text="2-MAR-1987 10:00:00.00"), ())[0]
    assert item.dateline == Dateline(
        raw="THE HAGUE, March 2 - Dutch sales of cheese-", place="THE HAGUE", date_text="March 2"
    )
    assert item.body == (Block("Dutch sales of cheese-making machines rose in February."),)


def test_several_elements_give_several_items():
    """A whole file's bytes (several elements) give one item per story, in order."""
    two = _element("<TEXT>&#2;\n<TITLE>ONE</TITLE>\n&#3;</TEXT>", newid="1") + _element(
        "<TEXT>&#2;\n<TITLE>TWO</TITLE>\n&#3;</TEXT>", newid="2"
    )
    assert [i.headline for i in PARSER.parse(two, ())] == ["ONE", "TWO"]


def test_unclosed_element_is_a_parse_error():
    """A truncated element: ParseError saying it is not closed."""
    with pytest.raises(ParseError, match="not closed"):
        PARSER.parse(b'<REUTERS NEWID="1"><DATE>1-MAR-1987', ())


@pytest.mark.parametrize(
    ("printed", "place", "date_text", "resolved"),
    [
        ("    SALVADOR, Feb 26 - ", "SALVADOR", "Feb 26", date(1987, 2, 26)),
        ("    LAKE SUCCESS, N.Y. March 3 - ", "LAKE SUCCESS, N.Y.", "March 3", date(1987, 3, 3)),
        ("    CHEVY CHASE, Md., - March 4 - ", "CHEVY CHASE, Md.", "March 4", date(1987, 3, 4)),
        ("    AMSTERDAM, 2 March - ", "AMSTERDAM", "2 March", date(1987, 3, 2)),
        ("    NEW YORK, Narch 2 - ", "NEW YORK", "Narch 2", date(1987, 3, 2)),
        ("    ROSEMONT, Ill., Macrh 2 - ", "ROSEMONT, Ill.", "Macrh 2", date(1987, 3, 2)),
        ("    TAFT, Calif., Apri l2 - ", "TAFT, Calif.", "Apri l2", date(1987, 4, 2)),
        ("    BELGRADE, March 2O - ", "BELGRADE", "March 2O", date(1987, 3, 20)),
        ("    BUENOS AIRES, ABR 2 - ", "BUENOS AIRES", "ABR 2", date(1987, 4, 2)),
        ("    EVANDALE, Ohio, April, 1 - ", "EVANDALE, Ohio", "April, 1", date(1987, 4, 1)),
        ("    NEW YORK, March 119 - ", "NEW YORK", "March 119", date(1987, 3, 19)),
        ("    TOKYO - ", "TOKYO", None, None),
        ("    WOODBRIDGE, N.J. - ", "WOODBRIDGE, N.J.", None, None),
        ("    CHICAGO, April - ", "CHICAGO", "April", None),
        (" APRIL 2  - ", None, "APRIL 2", date(1987, 4, 2)),
        (" WHEAT - ", None, None, None),
        (" MAR8  --     --", None, None, None),
        (" us        7.8015 - ", None, None, None),
    ],
)
def test_dateline_shapes(printed, place, date_text, resolved):
    """Place and date out of the printed dateline, typos repaired only where the month is sure."""
    parsed = parse_dateline(printed, date(1987, 4, 2) if resolved and resolved.month == 4 else date(1987, 3, 20))
    assert parsed.dateline.place == place
    assert parsed.dateline.date_text == date_text
    assert parsed.resolved == resolved


def test_dateline_agency_suffix():
    """ ", Reuter" after the date is the agency, not part of the date."""
    parsed = parse_dateline("    ROME, March 13, Reuter - ", date(1987, 3, 13))
    assert parsed.dateline == Dateline(
        raw="ROME, March 13, Reuter -", place="ROME", agency="Reuter", date_text="March 13"
    )


def test_elements_are_what_the_lazy_pattern_finds():
    """An opening tag, then the first closing tag after it: the lazy regex's elements, on 20,000 seeded strings."""
    lazy = re.compile(r"<BODY\b(?P<attrs>[^>]*)>(?P<inner>.*?)</BODY\s*>", re.S | re.I)
    pieces = ["<BODY", "<body", "<BODYX>", ' A="1"', ">", "</BODY>", "</body >", "</BODY\n>", "</BODYX>", "x", "\n"]
    rnd = random.Random(21578)
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        expected = [(m["attrs"], m["inner"]) for m in lazy.finditer(text)]
        assert list(_elements(text, "BODY")) == expected, text
        assert _field(text, "BODY") == (expected[0][1] if expected else None), text
