"""IPTC 7901, ANPA-1312, ninjs and Reuters-21578 parsers over the real corpus (read in place).

Golden tests pin exact metadata on several real files per parser (headline, dateline,
dates with their zone, uri/version, subjects, urgency). Sweeps run every file of each
format: no exception, an item with text for every dispatch that has text, and every item
valid ninjs 3.1 once normalised. The Reuters-21578 sweep reads all 22 .sgm files (21,578
stories, split into elements here as ``wirefeed ingest`` does) and prints its figures.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipeline import schemas
from pipeline.errors import EmptyDispatchError
from pipeline.parsers.anpa1312 import ANPA1312Parser
from pipeline.parsers.iptc7901 import IPTC7901Parser
from pipeline.parsers.ninjs_in import NinjsParser
from pipeline.parsers.reuters_sgml import ReutersSGMLParser
from pipeline.records import Dateline, Enrichment, ParsedItem, Party, Subject
from pipeline.stages import normalise
from tests.corpus_files import corpus_params, require_corpus

pytestmark = pytest.mark.corpus

SD = "agency-formats/superdesk-core-fixtures"
EXTRA = "agency-formats/extra"
IPTC7901 = IPTC7901Parser()
ANPA = ANPA1312Parser()
NINJS = NinjsParser()
REUTERS = ReutersSGMLParser()
_ELEMENT = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)


def _extra(item: ParsedItem, key: str) -> list[str]:
    return [value for name, value in item.extra if name == key]


def _assert_valid_ninjs(item: ParsedItem) -> None:
    doc = normalise.to_ninjs(item, Enrichment(), normalise.story_uri(item))
    assert schemas.errors("ninjs", "3.1", doc) == []


def _received(when: str) -> tuple[tuple[str, bytes], ...]:
    return (("wf_received_at", when.encode()),)


# ----------------------------------------------------------------------------- IPTC 7901

#: the post-text stamps are telex date-time groups, DDHHMM [GMT] Mon YY ("071341 GMT Okt 15" is
#: 7 October 2015, 13:41 GMT: the day that story broke); "received" is used only by a stamp
#: that prints no year
IPTC7901_GOLDEN = {
    "IPTC7901.txt": dict(
        received="2013-11-13T12:00:00Z",
        headline="Germany Social Democrats: Coalition talks with Merkel could fail",
        byline=None,
        dateline=Dateline(raw="Berlin (dpa) -", place="Berlin", agency="dpa"),
        version_created=datetime(2013, 11, 13, 11, 37, tzinfo=UTC),
        zone="",
        urgency=4,
        category="i",
        slugline="Germany-politics",
        flags=[],
        contributors=(Party("Wolfgang Schmidt", "reporter"), Party("Joseph Nasr", "editor")),
        paragraphs=5,
    ),
    "IPTC7901_odd_charset.txt": dict(
        received="2015-10-15T12:00:00Z",
        headline="German football saddened by illness to striker legend Mueller",
        byline="Manuel Schwarz",
        dateline=Dateline(raw="Munich (dpa) -", place="Munich", agency="dpa"),
        version_created=datetime(2015, 10, 7, 13, 41, tzinfo=UTC),
        zone="",
        urgency=3,
        category="s",
        slugline="Germany-football/Munich/Mueller",
        flags=["1ST LEAD"],
        contributors=(Party("Barry Whelan", "reporter"), Party("John Bagratuni", "editor")),
        paragraphs=21,
    ),
    "dpa_four_line.txt": dict(
        received="2018-11-19T06:00:00Z",
        headline="Switzerland joins list of countries resisting UN migration pact",
        byline="dpa correspondents",
        dateline=Dateline(raw="Geneva (dpa) -", place="Geneva", agency="dpa"),
        version_created=datetime(2018, 11, 21, 23, 22, tzinfo=UTC),
        zone="",
        urgency=3,
        category="i",
        slugline="Switzerland/migration/UN",
        flags=["REFILE; 1ST LEAD"],
        contributors=(
            Party("Albert Otti", "reporter"),
            Party("Christiane Oelrich", "reporter"),
            Party("Helen Corbett", "reporter"),
            Party("Rachel More", "editor"),
        ),
        paragraphs=15,
    ),
    "dpa_two_line.txt": dict(
        received="2018-11-19T06:00:00Z",
        headline="Peace talks on Yemen to take place in Sweden next month, Mattis says",
        byline=None,
        dateline=Dateline(raw="Washington (dpa) -", place="Washington", agency="dpa"),
        version_created=datetime(2018, 11, 21, 21, 1, tzinfo=UTC),
        zone="",
        urgency=3,
        category="i",
        slugline="Yemen/conflict",
        flags=["EXTRA"],
        contributors=(),
        paragraphs=4,
    ),
    "H015__dpa-en-iptc7901__dpa_two_by_line.txt": dict(
        received="2018-11-19T06:00:00Z",
        headline="Chiefs-Rams 2.0? Would be a fun Super Bowl, but don't count on it",
        byline="Tom Krasovic, The San Diego Union-Tribune",
        dateline=Dateline(raw="San Diego (tca/dpa) -", place="San Diego", agency="tca/dpa"),
        version_created=datetime(2018, 11, 21, 12, 59, tzinfo=UTC),
        zone="UTC",  # "211259 Nov 18" prints no zone: the dpa profile's
        urgency=4,
        category="s",
        slugline="American Football/NFL",
        flags=[],
        contributors=(Party("Tom Krasovic", "reporter"), Party("John Bagratuni", "editor")),
        paragraphs=35,
    ),
}


def _iptc7901_path(name: str) -> Path:
    return require_corpus(EXTRA if name.startswith("H0") else f"{SD}/iptc7901", name)


@pytest.mark.parametrize("name", sorted(IPTC7901_GOLDEN), ids=sorted(IPTC7901_GOLDEN))
def test_iptc7901_golden(name):
    """Exact metadata of real dpa IPTC 7901 dispatches; nothing of the notebook in the body."""
    expected = IPTC7901_GOLDEN[name]
    raw = _iptc7901_path(name).read_bytes()
    assert IPTC7901.can_parse(raw, ())
    (item,) = IPTC7901.parse(raw, _received(expected["received"]))
    assert item.agency == "dpa"
    assert item.language == "en"
    assert item.headline == expected["headline"]
    assert item.byline == expected["byline"]
    assert item.dateline == expected["dateline"]
    assert item.version_created is not None
    assert item.version_created.value == expected["version_created"]
    assert item.version_created.zone == expected["zone"]
    assert item.urgency == expected["urgency"]
    assert item.subjects == (Subject(code=expected["category"], scheme="iptc7901:category"),)
    assert item.slugline == expected["slugline"]
    assert _extra(item, "iptc7901:flags") == expected["flags"]
    assert item.contributors == expected["contributors"]
    assert len(item.body) == expected["paragraphs"]
    for marker in ("# Notebook", "NOTEBOOK", "Reporting by", "not intended for publication", "not for publication"):
        assert marker not in item.body_text()
    _assert_valid_ninjs(item)


def test_iptc7901_odd_charset_is_decoded():
    """The Latin-1 byte in IPTC7901_odd_charset.txt reads "ü", the NBSP a plain space."""
    raw = _iptc7901_path("IPTC7901_odd_charset.txt").read_bytes()
    assert b"M\xfcller" in raw
    (item,) = IPTC7901.parse(raw, ())
    assert "Thomas Müller," in item.body_text()
    assert any(
        p.name == "Helen Corbett"
        for p in IPTC7901.parse(_iptc7901_path("dpa_four_line.txt").read_bytes(), ())[0].contributors
    )


# ----------------------------------------------------------------------------- ANPA-1312

ANPA_GOLDEN = {
    "anpa-1.tst": dict(
        headline="For Argentine chemo patients, mirrors can hurt",
        byline="PAUL BYRNE and ALMUDENA CALATRAVA",
        dateline=Dateline(raw="BUENOS AIRES, Argentina (AP) _", place="BUENOS AIRES, Argentina", agency="AP"),
        version_created=datetime(2013, 11, 13, 15, 9, tzinfo=UTC),
        urgency=1,
        subjects=(Subject(name="Lifestyle", code="l", scheme="anpa1312:category"),),
        slugline="Argentina-Cancer Beauty",
        ed_note="With AP Photos.",
        pre_blocks=0,
    ),
    "ap_anpa-1.tst": dict(
        headline="Deng has 30 points, short-handed Heat beat Hawks 115-111",
        byline="CHARLES ODUM",
        dateline=Dateline(raw="ATLANTA (AP) _", place="ATLANTA", agency="AP"),
        version_created=datetime(2016, 2, 20, 3, 37, tzinfo=UTC),
        urgency=4,
        subjects=(
            Subject(code="z", scheme="anpa1312:category"),
            Subject(
                code="15008000", scheme="iptc:subjectcode", uri="http://cv.iptc.org/newscodes/subjectcode/15008000"
            ),
        ),
        mapped=("20000851",),
        slugline="Heat-Hawks",
        ed_note="Heat 115, Hawks 111. Updates. With AP Photos.",
        pre_blocks=0,
    ),
    "ap_anpa-2.tst": dict(
        headline="Baseball Expanded Standings",
        byline="The Associated Press",
        dateline=None,
        version_created=datetime(2016, 5, 17, 6, 20, tzinfo=UTC),
        urgency=4,
        subjects=(
            Subject(code="z", scheme="anpa1312:category"),
            Subject(
                code="15007000", scheme="iptc:subjectcode", uri="http://cv.iptc.org/newscodes/subjectcode/15007000"
            ),
        ),
        mapped=("20000849",),
        slugline="Baseball Expanded Glance",
        ed_note=None,
        pre_blocks=6,
    ),
    "ap_anpa-5.tst": dict(
        headline=(
            "Hawaii files court challenge to Trump administration's definition of close U.S. relationship "
            "needed to avoid travel ban."
        ),
        byline=None,
        dateline=Dateline(raw="HONOLULU (AP) _", place="HONOLULU", agency="AP"),
        version_created=datetime(2017, 6, 29, 23, 50, tzinfo=UTC),
        urgency=2,
        subjects=(Subject(name="Domestic news", code="a", scheme="anpa1312:category"),),
        slugline="APNewsAlert",
        ed_note=None,
        pre_blocks=0,
    ),
    "H016__ap-en-anpa1312__anpa-2.tst": dict(
        headline="Prairies vanish in the US push for green energy",
        byline="CHET BROKAW and JACK GILLUM",
        dateline=Dateline(raw="ROSCOE, South Dakota (AP) _", place="ROSCOE, South Dakota", agency="AP"),
        version_created=datetime(2013, 11, 13, 7, 45, tzinfo=UTC),
        urgency=4,
        subjects=(Subject(name="Domestic news", code="a", scheme="anpa1312:category"),),
        slugline="Ethanol-Losing Grassland",
        ed_note=(
            "Restores reference in 3rd paragraph to years when fuel became No. 1 use for corn. Adds video link. "
            "With AP Photos. AP Video. For global distribution\n"
            "This is part of an Associated Press investigation into the hidden costs of green energy."
        ),
        pre_blocks=0,
    ),
    "H017__ap-en-anpa1312__anpa-4.tst": dict(
        headline="AP Top Entertainment News at 11:23 p.m. EST",
        byline=None,
        dateline=None,
        version_created=datetime(2016, 2, 10, 4, 23, tzinfo=UTC),
        urgency=4,
        subjects=(Subject(name="Entertainment", code="e", scheme="anpa1312:category"),),
        slugline="Top-Entertainment-Headlines",
        ed_note=None,
        pre_blocks=0,
    ),
    "H018__ap-en-anpa1312__ap_anpa-4.tst": dict(
        headline="AP Exclusive: China lawyer's family says US helped them flee",
        byline="GERRY SHIH",
        dateline=Dateline(raw="BEIJING (AP) _", place="BEIJING", agency="AP"),
        version_created=datetime(2017, 5, 9, 0, 56, tzinfo=UTC),
        urgency=4,
        subjects=(Subject(name="International", code="i", scheme="anpa1312:category"),),
        slugline="China-Daring Escape-ABRIDGED",
        ed_note=(
            "Minor edits. A longer version of this story is available. With AP Photos. With BC-AS--China-Lawyer Trial."
        ),
        pre_blocks=0,
    ),
}


def _anpa_path(name: str) -> Path:
    return require_corpus(EXTRA if name.startswith("H0") else f"{SD}/anpa1312", name)


@pytest.mark.parametrize("name", sorted(ANPA_GOLDEN), ids=sorted(ANPA_GOLDEN))
def test_anpa1312_golden(name):
    """Exact metadata of real AP ANPA-1312 dispatches, from the frame and the header lines."""
    expected = ANPA_GOLDEN[name]
    raw = _anpa_path(name).read_bytes()
    assert ANPA.can_parse(raw, ())
    (item,) = ANPA.parse(raw, ())
    assert item.agency == "ap"
    assert item.headline == expected["headline"]
    assert item.byline == expected["byline"]
    assert item.dateline == expected["dateline"]
    assert item.version_created is not None
    assert item.version_created.value == expected["version_created"]
    assert item.version_created.zone == ""
    assert item.urgency == expected["urgency"]
    assert tuple(s for s in item.subjects if s.creator != "mapped") == expected["subjects"]
    assert tuple(s.code for s in item.subjects if s.creator == "mapped") == expected.get("mapped", ())
    assert item.slugline == expected["slugline"]
    assert item.ed_note == expected["ed_note"]
    assert sum(1 for b in item.body if b.kind == "pre") == expected["pre_blocks"]
    text = item.body_text()
    assert "\x03" not in text and "AP-WF-" not in text and "``" not in text
    _assert_valid_ninjs(item)


# ----------------------------------------------------------------------------- ninjs

NINJS_GOLDEN = {
    "iptc/ninjs/2.1/dpa_text.json": dict(
        version_key="2",
        type="text",
        uri="urn:newsml:dpa.com:20090101:190510-99-167362",
        version="2",
        headline="Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?",
        version_created="2019-05-10T16:02:28+02:00",
        language="de",
        urgency=4,
        subjects=0,
        renditions=0,
    ),
    "iptc/ninjs/3.0/dpa_text.json": dict(
        version_key="3",
        type="text",
        uri="urn:newsml:dpa.com:20090101:190510-99-167362",
        version="2",
        headline="Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?",
        version_created="2019-05-10T16:02:28+02:00",
        language="de",
        urgency=4,
        subjects=0,
        renditions=0,
    ),
    "iptc/ninjs/3.0/ap_video.json": dict(
        version_key="3",
        type="video",
        uri="http://api.ap.org/media/v/content/0cc82c1e6d284848bf862fdfae3c43c4?qt=H1Kdh42orF&et=0a3aza9c0",
        version="0",
        headline="House leaders double down on impeachment positions",
        version_created="2019-11-14T18:50:57+00:00",
        language="en",
        urgency=None,
        subjects=10,
        renditions=10,
    ),
    "iptc/ninjs/3.0/tt_text_image_3.json": dict(
        version_key="3",
        type="text",
        uri="http://tt.se/media/text/210526-militarovning-a0f2d045",
        version="1",
        headline="Militärövning i jätteformat hålls 2023",
        version_created="2021-05-26T13:40:18+02:00",
        language="sv",
        urgency=3,
        subjects=1,
        renditions=0,
    ),
    f"{SD}/ninjs-and-json/ninjs_embargoed.json": dict(
        version_key="1",
        type="text",
        uri="fd8e441b-a698-4411-9246-7d5de21cced9",
        version="11",
        headline="Trouble is brewing for the future of beer",
        version_created="2022-06-26T23:54:25+00:00",
        language="en",
        urgency=None,
        subjects=2,
        renditions=0,
    ),
    f"{SD}/ninjs-and-json/ninjs6.json": dict(
        version_key="1",
        type="picture",
        uri="20170825001315282180",
        version="3",
        headline="German Air Force Museum",
        version_created="2017-08-25T04:41:35+00:00",
        language="en",
        urgency=3,
        subjects=1,
        renditions=2,
    ),
    f"{SD}/ninjs-and-json/ap_media_text_item.json": dict(
        version_key="ap-media-api",
        type="text",
        uri="5ee9b4b40ea5fe9c9ca60f890fb2e1d9",
        version="0",
        headline="BC-BBN--Top Ten",
        version_created="2019-07-03T04:05:12+00:00",
        language="en",
        urgency=4,
        subjects=6,
        renditions=2,
    ),
}


@pytest.mark.parametrize("path", sorted(NINJS_GOLDEN), ids=[Path(p).name for p in sorted(NINJS_GOLDEN)])
def test_ninjs_golden(path):
    """Exact identity, type, headline, date with offset, language and counts of real ninjs files."""
    expected = NINJS_GOLDEN[path]
    raw = require_corpus(path).read_bytes()
    assert NINJS.can_parse(raw, ())
    (item,) = NINJS.parse(raw, ())
    assert _extra(item, "ninjs:version") == [expected["version_key"]]
    assert item.type == expected["type"]
    assert item.guid == expected["uri"]
    assert item.version == expected["version"]
    assert item.headline == expected["headline"]
    assert item.version_created is not None
    assert item.version_created.value.isoformat() == expected["version_created"]
    assert item.language == expected["language"]
    assert item.urgency == expected["urgency"]
    assert sum(1 for s in item.subjects if s.creator != "mapped") == expected["subjects"]
    assert len(item.renditions) == expected["renditions"]
    _assert_valid_ninjs(item)


def test_ninjs_embargo_and_subject_codes():
    """The superdesk embargo time and IPTC subject codes as the source codes them."""
    raw = require_corpus(SD, "ninjs-and-json", "ninjs_embargoed.json").read_bytes()
    (item,) = NINJS.parse(raw, ())
    assert item.embargoed_until is not None
    assert item.embargoed_until.value == datetime(2022, 6, 29, 2, 30, tzinfo=UTC)
    assert [(s.code, s.name, s.creator) for s in item.subjects] == [
        ("06011000", "global warming", None),
        ("04001000", "agriculture", None),
        # superdesk's scheme-less 1.x codes are IPTC subject codes, so they map to media topics
        ("20000419", None, "mapped"),
        ("20000210", None, "mapped"),
    ]
    assert item.associations[0].type == "picture"


def test_ninjs_html_bodies_match_their_plain_text():
    """Where a ninjs 3.0 item carries the same body as HTML and as text, the blocks hold the same words."""
    raw = require_corpus("iptc/ninjs/3.0/ninjsExSimpleText_3.json").read_bytes()
    (item,) = NINJS.parse(raw, ())
    import orjson

    plain = next(b["value"] for b in orjson.loads(raw)["bodies"] if b["contentType"] == "text/plain")
    assert " ".join(item.body_text().split()) == " ".join(plain.split())


# ----------------------------------------------------------------------------- sweeps


@dataclass
class _Sweep:
    items: int = 0
    with_body: int = 0
    with_headline: int = 0
    types: Counter[str] = field(default_factory=Counter)


def _sweep(parser, paths: list[Path]) -> _Sweep:
    sweep = _Sweep()
    for path in paths:
        raw = path.read_bytes()
        assert parser.can_parse(raw, ()), path.name
        for item in parser.parse(raw, ()):
            sweep.items += 1
            sweep.with_body += bool(item.body)
            sweep.with_headline += bool(item.headline)
            sweep.types[item.type] += 1
            assert item.headline or item.body or item.summary or item.renditions, path.name
            _assert_valid_ninjs(item)
    return sweep


def _files(*dirs: str, pattern: str = "*") -> list[Path]:
    out: list[Path] = []
    for param in [p for d in dirs for p in corpus_params(pattern, under=d)]:
        if param.values[0] is None:
            pytest.skip("corpus absent")
        out.append(param.values[0])
    return out


def test_iptc7901_and_anpa_sweep():
    """Every 7901 and ANPA file parses to one text item with a headline and a body."""
    sevens = _files(f"{SD}/iptc7901") + _files(EXTRA, pattern="*iptc7901*")
    anpas = _files(f"{SD}/anpa1312") + _files(EXTRA, pattern="*anpa1312*")
    seven, anpa = _sweep(IPTC7901, sevens), _sweep(ANPA, anpas)
    for label, files, sweep in (("IPTC 7901", sevens, seven), ("ANPA-1312", anpas, anpa)):
        print(
            f"\n{label}: {len(files)} files, {sweep.items} items, {sweep.with_body} with body, "
            f"{sweep.with_headline} with headline"
        )
    assert (len(sevens), seven.items, seven.with_body, seven.with_headline) == (5, 5, 5, 5)
    assert (len(anpas), anpa.items, anpa.with_body, anpa.with_headline) == (11, 11, 11, 11)


def test_ninjs_sweep():
    """Every ninjs/JSON file of the corpus parses; text items with a body keep it; types as sent."""
    files = _files("iptc/ninjs/2.1", "iptc/ninjs/3.0", "iptc/ninjs/3.0/collection", f"{SD}/ninjs-and-json")
    sweep = _sweep(NINJS, files)
    print(
        f"\nninjs: {len(files)} files, {sweep.items} items, types {dict(sorted(sweep.types.items()))}, "
        f"{sweep.with_body} with body, {sweep.with_headline} with headline"
    )
    assert len(files) == 31
    assert sweep.items == 44  # 30 single items + the 14 events of the collection file
    assert sweep.with_headline == 44
    assert sweep.with_body == 19  # with NTB's two text items, whose text is a description with role "text"
    assert sweep.types == Counter({"event": 19, "text": 15, "picture": 6, "composite": 2, "audio": 1, "video": 1})


# ----------------------------------------------------------------------------- Reuters-21578


@dataclass
class _ReutersSweep:
    counts: Counter[str] = field(default_factory=Counter)
    items: dict[int, ParsedItem] = field(default_factory=dict)
    datelines: dict[int, str] = field(default_factory=dict)  # NEWID -> DATELINE text as printed
    empty: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    elapsed: float = 0.0


@pytest.fixture(scope="module")
def reuters() -> _ReutersSweep:
    """All 22 files split into <REUTERS> elements, each parsed alone (as ingest sends them)."""
    folder = require_corpus("reuters21578")
    sweep = _ReutersSweep()
    started = time.perf_counter()
    for path in sorted(folder.glob("reut2-*.sgm")):
        for found in _ELEMENT.finditer(path.read_bytes()):
            element = found.group(0)
            newid = int(re.search(rb'NEWID="(\d+)"', element).group(1))  # type: ignore[union-attr]
            sweep.counts["dispatches"] += 1
            dateline = re.search(rb"<DATELINE>(.*?)</DATELINE>", element, re.S)
            if dateline:
                sweep.datelines[newid] = dateline.group(1).decode("latin-1")
            tick = time.perf_counter()
            try:
                (item,) = REUTERS.parse(element, ())
            except EmptyDispatchError as exc:
                sweep.empty.append(exc.reason)
                continue
            finally:
                sweep.seconds.append(time.perf_counter() - tick)
            sweep.items[newid] = item
    sweep.elapsed = time.perf_counter() - started
    return sweep


def test_reuters_sweep_counts(reuters):
    """21,578 dispatches: an article for all but the one story with no text; types as tagged."""
    kinds = Counter(_extra(item, "reuters21578:text_type")[0] for item in reuters.items.values())
    brief_bodies = sum(1 for i in reuters.items.values() if _extra(i, "reuters21578:text_type") == ["BRIEF"] and i.body)
    median_ms = statistics.median(reuters.seconds) * 1000
    print(
        f"\nReuters-21578: {reuters.counts['dispatches']} dispatches, {len(reuters.items)} articles, "
        f"{kinds['NORM']} NORM, {kinds['BRIEF']} BRIEF, {kinds['UNPROC']} UNPROC, {len(reuters.empty)} empty; "
        f"{reuters.elapsed:.1f} s, median {median_ms:.2f} ms per dispatch"
    )
    assert reuters.counts["dispatches"] == 21578
    assert len(reuters.items) == 21577
    assert kinds == Counter({"NORM": 19043, "BRIEF": 1798, "UNPROC": 736})
    assert brief_bodies == 0
    assert reuters.empty == [
        'Reuters-21578 story NEWID=12793 has no text at all: its <TEXT TYPE="UNPROC"> holds no title and no body'
    ]
    assert all(i.body for i in reuters.items.values() if _extra(i, "reuters21578:text_type") != ["BRIEF"])
    assert all(i.headline for i in reuters.items.values() if _extra(i, "reuters21578:text_type") != ["UNPROC"])


def test_reuters_sweep_bodies_are_clean(reuters):
    """No sign-off, control character or SGML reference is left in any body."""
    signoff = re.compile(r"(?:^|\s)REUTER\s*$", re.I)
    for newid, item in reuters.items.items():
        text = item.body_text()
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]|&#\d+;|&lt;", text), newid
        for block in item.body:
            assert not signoff.search(block.text), newid


# The canonical dateline of the corpus: "    PLACE, Month day - " with a real month name.
_CANONICAL = re.compile(
    r"^\s*[A-Za-z][A-Za-z .'&/-]*(?:,\s*[A-Za-z][A-Za-z .'&/-]*)*,\s*"
    r"(?:Jan|Feb|March|Mar|April|Apr|May|June|Jun|July|Jul|Aug|Sept|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\s*-\s*$",
    re.I,
)


def test_reuters_sweep_datelines(reuters):
    """Every <DATELINE> is kept; place and date parsed for every one that prints them."""
    present = reuters.datelines
    items = {n: i for n, i in reuters.items.items() if n in present}
    assert len(present) == 19043
    assert all(item.dateline is not None for item in items.values())
    both = [n for n, i in items.items() if i.dateline.place and _extra(i, "reuters21578:dateline_date")]
    place_only = [n for n, i in items.items() if i.dateline.place and not i.dateline.date_text]
    date_only = [n for n, i in items.items() if i.dateline.date_text and not i.dateline.place]
    unresolved = [n for n, i in items.items() if i.dateline.date_text and not _extra(i, "reuters21578:dateline_date")]
    neither = [n for n, i in items.items() if not i.dateline.place and not i.dateline.date_text]
    canonical = [n for n, text in present.items() if _CANONICAL.match(text)]
    print(
        f"\nReuters-21578 datelines: {len(present)} present, {len(both)} place+date parsed, "
        f"{len(place_only)} place only (no date printed), {len(date_only)} date only (no place printed), "
        f"{len(unresolved)} month without a day, {len(neither)} neither (table rows tagged as DATELINE): "
        f"{sorted({items[n].dateline.raw for n in neither})}"
    )
    # Every dateline in the canonical shape has both, and they are what it prints.
    assert len(canonical) == 18829
    for newid in canonical:
        dateline = items[newid].dateline
        assert dateline.place and dateline.date_text, newid
        squeezed = re.sub(r"\s", "", present[newid])  # blanks around commas vary in the source
        assert re.sub(r"\s", "", f"{dateline.place},{dateline.date_text}-") in squeezed, newid
    assert (len(both), len(place_only), len(date_only), len(unresolved), len(neither)) == (18936, 27, 16, 3, 61)


def test_reuters_dateline_dates_agree_with_the_stamp(reuters):
    """The resolved dateline date is the stamp's day or the day before in nearly every story."""
    offsets = Counter()
    for item in reuters.items.values():
        found = _extra(item, "reuters21578:dateline_date")
        if found and item.first_created:
            offsets[(item.first_created.value.date() - date.fromisoformat(found[0])).days] += 1
    total = sum(offsets.values())
    near = offsets[0] + offsets[1] + offsets[-1]
    print(f"\nstamp day - dateline day: {sorted(offsets.items())[:12]} ...")
    assert near / total > 0.99


REUTERS_GOLDEN = {
    1: dict(
        headline="BAHIA COCOA REVIEW",
        dateline=("SALVADOR", "Feb 26", "1987-02-26"),
        stamp="1987-02-26T15:01:01.790000-05:00",
        topics=["cocoa"],
        urgency=3,
        slugline="BAHIA-COCOA-REVIEW",
        places="el-salvador;usa;uruguay",
        kind="NORM",
    ),
    4: dict(
        headline="TALKING POINT/BANKAMERICA <BAC> EQUITY OFFER",
        dateline=("LOS ANGELES", "Feb 26", "1987-02-26"),
        stamp="1987-02-26T15:07:13.720000-05:00",
        topics=[],
        urgency=3,
        slugline="TALKING-POINT/BANKAME",
        places="usa;brazil",
        kind="NORM",
        byline="Janie Gabbett",
    ),
    30: dict(
        headline="ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN DLRS IN LATEST WEEK",
        dateline=None,
        stamp="1987-02-26T15:41:56.540000-05:00",
        topics=["money-supply"],
        urgency=1,
        slugline="ASSETS-OF-MONEY",
        places=None,
        kind="BRIEF",
    ),
    99: dict(
        headline=None,
        dateline=None,
        stamp="1987-02-26T16:34:34.400000-05:00",
        topics=["money-supply"],
        urgency=2,
        slugline="FEDERAL-RESERVE-WEEK",
        places="usa",
        kind="UNPROC",
    ),
    296: dict(
        headline="NEW DUTCH ADVANCES TOTAL 4.8 BILLION GUILDERS",
        dateline=("AMSTERDAM", "2 March", "1987-03-02"),
        stamp="1987-03-02T04:25:39.880000-05:00",
        topics=["money-fx", "interest"],
        urgency=2,
        slugline="NEW-DUTCH-ADVANCES-TO",
        places="netherlands",
        kind="NORM",
    ),
    619: dict(
        headline="JOHN WILEY AND SONS INC <WILLB> 3RD QTR NET",
        dateline=("NEW YORK", "Narch 2", "1987-03-02"),
        stamp="1987-03-02T13:26:12.370000-05:00",
        topics=[],
        urgency=4,
        slugline="JOHN-WILEY-AND-SONS-I",
        places=None,
        kind="NORM",
    ),
    7210: dict(
        headline="MERRILL LYNCH <MER> DEBT DOWNGRADED BY MOODY'S",
        dateline=("NEW YORK", "March 119", "1987-03-19"),
        stamp="1987-03-19T11:49:47.380000-05:00",
        topics=[],
        urgency=2,
        slugline="MERRILL-LYNCH-<MER>-D",
        places="usa",
        kind="NORM",
    ),
    17192: dict(
        headline="KUMAGAI GUMI'S UNIT SEEKS LISTING IN HONG KONG",
        dateline=("HONG KONG", "March 31", "1987-03-31"),
        stamp="1987-03-31T00:00:00-05:00",
        topics=[],
        urgency=3,
        slugline="KUMAGAI-GUMI'S-UNIT-S",
        places="hong-kong",
        kind="NORM",
    ),
    17980: dict(
        headline="LAWSON SAYS LOUVRE CURRENCY ACCORD SATISFACTORY",
        dateline=("LONDON", "June 2", "1987-06-02"),
        stamp="1987-06-02T09:14:36.570000-04:00",
        topics=["money-fx"],
        urgency=3,
        slugline="LAWSON-SAYS-LOUVRE-CU",
        places="uk;west-germany;japan;usa",
        kind="NORM",
    ),
}


@pytest.mark.parametrize("newid", sorted(REUTERS_GOLDEN), ids=[f"NEWID-{n}" for n in sorted(REUTERS_GOLDEN)])
def test_reuters_golden(reuters, newid):
    """Exact metadata of chosen stories: plain, bylined, BRIEF, UNPROC, typo datelines, bad bytes, bad time."""
    expected = REUTERS_GOLDEN[newid]
    item = reuters.items[newid]
    assert item.guid == f"urn:wirefeed:reuters21578:{newid}"
    assert item.headline == expected["headline"]
    if expected["dateline"]:
        place, date_text, resolved = expected["dateline"]
        assert (item.dateline.place, item.dateline.date_text) == (place, date_text)
        assert _extra(item, "reuters21578:dateline_date") == [resolved]
    else:
        assert item.dateline is None
    assert item.first_created is not None
    assert item.first_created.value.isoformat() == expected["stamp"]
    assert item.first_created.zone == "America/New_York"
    assert [s.code for s in item.subjects] == expected["topics"]
    assert all(s.scheme == "reuters21578:topics" for s in item.subjects)
    assert item.urgency == expected["urgency"]
    assert item.slugline == expected["slugline"]
    assert _extra(item, "reuters21578:places") == ([expected["places"]] if expected["places"] else [])
    assert _extra(item, "reuters21578:text_type") == [expected["kind"]]
    assert item.byline == expected.get("byline")
    _assert_valid_ninjs(item)


def test_reuters_raw_byte_and_garbled_time(reuters):
    """NEWID 17980 holds the raw 0xFC byte (decoded, recorded); 17192 a 605-hour time (day kept)."""
    assert _extra(reuters.items[17980], "reuters21578:decoded") == ["cp1252, repaired"]
    assert "growth.üside measures" in reuters.items[17980].body_text()
    assert reuters.items[17192].first_created.precision == "day"


def test_reuters_stamps_are_us_eastern_time(reuters):
    """The zone of <DATE>, measured: stories quoting "at HHMM GMT" are filed just after it.

    For each candidate fixed offset, count stories stamped within the hour after the GMT
    time they quote, minus those stamped within the hour before it. The best offset must be
    the one the parser applied: UTC-5 (EST) until 5 April 1987, UTC-4 (EDT) after.
    """
    quoted = re.compile(
        r"\b(?:at|by|since|until|before|after|as of)\s+([01]\d|2[0-3])([0-5]\d)\s*(?:hrs\s+)?GMT\b", re.I
    )
    periods: dict[timedelta, list[tuple[int, int]]] = {}
    for item in reuters.items.values():
        stamp = item.first_created
        if stamp is None or stamp.precision != "second":
            continue
        clock = stamp.value.hour * 60 + stamp.value.minute
        offset = stamp.value.utcoffset()
        assert offset is not None
        for hour, minute in quoted.findall(item.body_text()):
            periods.setdefault(offset, []).append((clock, int(hour) * 60 + int(minute)))
    assert set(periods) == {timedelta(hours=-5), timedelta(hours=-4)}
    for offset, pairs in periods.items():

        def score(hours: int, pairs: list[tuple[int, int]] = pairs) -> int:
            lags = [((clock - hours * 60) - gmt) % 1440 for clock, gmt in pairs]
            return sum(1 for lag in lags if lag < 60) - sum(1 for lag in lags if lag >= 1380)

        best = max(range(-12, 13), key=score)
        print(
            f"\n{len(pairs)} quotes under UTC{offset.total_seconds() / 3600:+.0f}: best offset {best:+d} "
            f"(score {score(best)}, next {sorted((score(h) for h in range(-12, 13)), reverse=True)[1]})"
        )
        assert timedelta(hours=best) == offset


def test_reuters_sample_is_valid_ninjs(reuters):
    """Every 40th story, normalised, validates against the ninjs 3.1 schema."""
    for newid in sorted(reuters.items)[::40]:
        _assert_valid_ninjs(reuters.items[newid])
