"""The helpers shared by the XML parsers: dates, datelines, agencies, IPTC codes, body text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dateline import is_date_text, parse_dateline
from pipeline.parsers._dates import parse_when
from pipeline.parsers._iptc import pub_status, qcode_uri, subject_from_qcode, top_mediatopic
from pipeline.parsers._text import blocks_from_plain, blocks_from_string, repair, split_preformatted
from pipeline.records import Block, Dateline, Subject, When


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        (
            "2018-10-21T16:25:32-05:00",
            None,
            When(
                datetime(2018, 10, 21, 16, 25, 32, tzinfo=timezone(timedelta(hours=-5))),
                "second",
                "",
                "2018-10-21T16:25:32-05:00",
            ),
        ),
        (
            "20140829T135002Z",
            None,
            When(datetime(2014, 8, 29, 13, 50, 2, tzinfo=UTC), "second", "", "20140829T135002Z"),
        ),
        (
            "20151014T043001+0100",
            None,
            When(
                datetime(2015, 10, 14, 4, 30, 1, tzinfo=timezone(timedelta(hours=1))),
                "second",
                "",
                "20151014T043001+0100",
            ),
        ),
        (
            " 2014-07-17T00:24:11.250Z\n",
            None,
            When(datetime(2014, 7, 17, 0, 24, 11, 250000, tzinfo=UTC), "second", "", "2014-07-17T00:24:11.250Z"),
        ),
        (
            "2016-01-12 12:35:40",
            "Pacific/Auckland",
            When(
                datetime(2016, 1, 12, 12, 35, 40, tzinfo=ZoneInfo("Pacific/Auckland")),
                "second",
                "Pacific/Auckland",
                "2016-01-12 12:35:40",
            ),
        ),
        (
            "2017-11-16",
            "Europe/Berlin",
            When(datetime(2017, 11, 16, tzinfo=ZoneInfo("Europe/Berlin")), "day", "Europe/Berlin", "2017-11-16"),
        ),
        ("20240710", None, When(datetime(2024, 7, 10, tzinfo=ZoneInfo("UTC")), "day", "UTC", "20240710")),
    ],
)
def test_parse_when_reads_every_iso_variant(text: str, zone: str | None, expected: When) -> None:
    """Extended, basic, fractional, spaced and date-only forms; the printed offset wins over the zone."""
    assert parse_when(text, zone) == expected


@pytest.mark.parametrize("text", ["YYYYMMDD000000-HHMM", "", "   ", "2024-13-45T00:00:00Z", "yesterday"])
def test_parse_when_returns_none_for_unusable_values(text: str) -> None:
    """Templates, blanks and impossible dates give None rather than an error."""
    assert parse_when(text, "Europe/Paris") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "STOCKHOLM, Aug 29, 2014 (AFP) -",
            Dateline("STOCKHOLM, Aug 29, 2014 (AFP) -", "STOCKHOLM", "AFP", "Aug 29, 2014"),
        ),
        (
            "Strasbourg, 10 juil 2024 (AFP)",
            Dateline("Strasbourg, 10 juil 2024 (AFP)", "Strasbourg", "AFP", "10 juil 2024"),
        ),
        ("London (dpa) - ", Dateline("London (dpa) -", "London", "dpa")),
        ("نيويورك (أ ف ب)", Dateline("نيويورك (أ ف ب)", "نيويورك", "أ ف ب")),
        ("FORT WASHINGTON, Pa.", Dateline("FORT WASHINGTON, Pa.", "FORT WASHINGTON, Pa.")),
        ("MARCH 04, 2013", Dateline("MARCH 04, 2013", date_text="MARCH 04, 2013")),
        (
            "2014-07-16 15:53:10 GMT+00:00",
            Dateline("2014-07-16 15:53:10 GMT+00:00", date_text="2014-07-16 15:53:10 GMT+00:00"),
        ),
        (
            "Madrid, 2 de enero de 2017 (EFE).-",
            Dateline("Madrid, 2 de enero de 2017 (EFE).-", "Madrid", "EFE", "2 de enero de 2017"),
        ),
        ("Haag /ritzau/", Dateline("Haag /ritzau/", "Haag", "ritzau")),
    ],
)
def test_parse_dateline_splits_place_date_and_agency(raw: str, expected: Dateline) -> None:
    """Datelines of every XML agency split by shape, not by agency."""
    assert parse_dateline(raw) == expected


def test_date_words_come_from_several_languages() -> None:
    """Month and weekday names in the agencies' languages mark dates; place names do not."""
    assert is_date_text("Montag, 3. März")
    assert is_date_text("12 Ekim 2023")
    assert not is_date_text("Pa.")
    assert not is_date_text("de")
    assert parse_dateline("   ") is None


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (["nprov:dpa"], "dpa"),
        (["approviderid:z01122"], "ap"),
        ([None, "Automated Insights", "tag:ap.org,2011:abc-text"], "ap"),
        (["tag_reuters.com_2014_newsml_KBN0FL0NN"], "reuters"),
        (["AAP.115314987.5417374"], "aap"),
        (["The Canadian Press. All rights reserved."], "cp"),
        (["tag:wrap.org,2020:x", "Example Enews LLP"], None),
    ],
)
def test_agency_of_reads_the_agency_table(candidates: list[str | None], expected: str | None) -> None:
    """Schemes, qcode codes, name prefixes and bounded domains identify agencies; the first match wins."""
    assert agency_of(candidates) == expected


def test_home_zone_defaults_to_utc() -> None:
    """Known agencies have their zone; unknown ones fall back to UTC."""
    assert (home_zone("stt"), home_zone("ritzau"), home_zone(None)) == ("Europe/Helsinki", "Europe/Copenhagen", "UTC")


def test_iptc_codes_get_their_uris() -> None:
    """IPTC scheme aliases resolve to cv.iptc.org URIs; agency schemes have none."""
    assert qcode_uri("medtop:20001065") == "http://cv.iptc.org/newscodes/mediatopic/20001065"
    assert qcode_uri("N2:SOCC") is None
    assert subject_from_qcode("subj:15054000", "soccer") == Subject(
        name="soccer", uri="http://cv.iptc.org/newscodes/subjectcode/15054000", code="15054000", scheme="subj"
    )
    assert top_mediatopic("15054000") == "medtop:15000000"
    assert top_mediatopic("99000000") is None
    assert (pub_status("stat:canceled"), pub_status("Usable"), pub_status("embargoed"), pub_status("x")) == (
        "canceled",
        "usable",
        "usable",
        None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The captain&amp;#39;s crew", "The captain's crew"),
        ("Spire&amp;apos;s", "Spire's"),
        ("800<endash>-</endash>1000", "800-1000"),
        ("more than Â£4 million", "more than £4 million"),
        ("AT&T and 3 < 4", "AT&T and 3 < 4"),
    ],
)
def test_repair_undoes_transport_damage_only(text: str, expected: str) -> None:
    """Double escaping, escaped markup and mojibake are repaired; clean text is untouched."""
    assert repair(text) == expected


def test_pretty_printed_paragraph_is_one_block() -> None:
    """XML indentation of continuation lines is not mistaken for paragraph starts."""
    raw = "\n        First line of text\n        continues here\n          and ends.\n    "
    assert split_preformatted(raw) == [Block("First line of text continues here and ends.")]


def test_typewriter_paragraphs_and_blank_lines_split() -> None:
    """Indented first lines (flush continuation lines) and blank lines start paragraphs."""
    raw = "    One starts\nand goes on.\n    Two starts\nand ends.\n\nThree."
    assert blocks_from_plain(raw) == [Block("One starts and goes on."), Block("Two starts and ends."), Block("Three.")]


def test_column_aligned_text_stays_preformatted() -> None:
    """A results table laid out in columns is one pre block with its lines."""
    raw = "".join(f"Team {a}       {n}  Team {b}   1\n" for a, b, n in ("AB0", "CD1", "EF2", "GH3"))
    (block,) = split_preformatted(raw)
    assert block.kind == "pre"
    assert block.text.splitlines()[1] == "Team C       1  Team D   1"


def test_html_string_with_unclosed_tags() -> None:
    """HTML carried as text is parsed leniently, upper-case tags included."""
    assert blocks_from_string("<P>One<P>Two<BR>lines</P>") == [Block("One"), Block("Two lines")]
