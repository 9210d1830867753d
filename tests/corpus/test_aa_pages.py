"""Anadolu Agency text from the real corpus through ``parse`` (webtext) and ``clean``.

Sources, read in place from the corpus (never copied):
- ``seed/000_562c3f23ca94c5ff.txt``: the reference page (French), every field asserted;
- ``web/aritespit-aa-news-tr/*.csv``: one scraped Turkish article per row, the dateline
  city glued to the lead, tweets and photo credits flattened in;
- ``agency-formats/extra/H028-H033``: more Turkish scrapes of the same kind;
- ``web/pages-corpus-agency-excerpts/excerpts.jsonl``: the AA excerpts (a French section
  page, Arabic reprints with "City / الأناضول" datelines, "ANKARA (A.A) -" reprints).

The CSV rows and JSONL lines are multi-dispatch containers: each row's text is fed to
the parser as the bytes of one dispatch, with the ``wf_agency`` header that the ingest
step sets for a feed of known origin (detection from the text alone is reported too).
Run with ``-s`` to see the per-source table.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.parsers.base import load_all
from pipeline.parsers.webtext import WebTextParser, segment
from pipeline.profiles import detect_agency, get_profile
from pipeline.records import Association, Dateline, ParsedItem, Party, Translation, When
from pipeline.stages.clean import clean
from tests.corpus_files import SKIP_REASON, corpus_root, require_corpus

pytestmark = pytest.mark.corpus

SEED = ("seed", "000_562c3f23ca94c5ff.txt")
AA_HEADERS = (("wf_agency", b"aa"),)
# AA datelines in the first words of a reprint: "ANKARA (A.A) -", "أنقرة / الأناضول"
_DATELINE_MARK = re.compile(r"\((?:A\.A|AA)\)|/\s*الأناضول")
_FURNITURE_KINDS = ("boilerplate", "trailer")


@dataclass(frozen=True)
class Case:
    source: str  # which corpus folder the item comes from
    raw: bytes
    expect_headline: str | None  # the title the source prints, None when it prints none
    expect_dateline: bool


def _excerpt_case(text: str) -> Case:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    profile = get_profile("aa")
    # a page that starts with one of the agency's section labels prints its title next
    is_label = any(p.regex.fullmatch(lines[0]) for p in profile.patterns("section"))
    headline = lines[1] if is_label and len(lines) > 1 else None
    return Case("excerpts", text.encode("utf-8"), headline, bool(_DATELINE_MARK.search(lines[0][:80])))


def _cases() -> list:
    root = corpus_root()
    if not root.is_dir():
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=SKIP_REASON))]
    params = []
    # The scrapes keep the article body only (no title column): no headline; every AA
    # article has a dateline city, glued to the lead by the scraper.
    for path in sorted((root / "web" / "aritespit-aa-news-tr").glob("aa_news*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh)):
                case = Case("aritespit-csv", row["Content"].encode("utf-8"), None, True)
                params.append(pytest.param(case, id=f"{path.name}#{n}"))
    for path in sorted((root / "agency-formats" / "extra").glob("H0*__aa-tr-scraped-text__*.txt")):
        params.append(pytest.param(Case("extra-H028-H033", path.read_bytes(), None, True), id=path.name))
    excerpts = root / "web" / "pages-corpus-agency-excerpts" / "excerpts.jsonl"
    if excerpts.is_file():
        for n, line in enumerate(excerpts.read_text(encoding="utf-8").splitlines()):
            record = json.loads(line)
            if record["agency_or_origin"].startswith("Anadolu"):
                params.append(pytest.param(_excerpt_case(record["excerpt"]), id=f"excerpts.jsonl#{n}"))
    return params


CASES = _cases()


def _parse_clean(raw: bytes, headers: tuple[tuple[str, bytes], ...] = AA_HEADERS) -> ParsedItem:
    items = WebTextParser().parse(raw, headers)
    assert len(items) == 1
    return clean(items[0])


def leaked_lines(texts: list[str]) -> list[str]:
    """Lines of ``texts`` that the AA profile's boilerplate and trailer patterns recognise."""
    profile = get_profile("aa")
    leaks = []
    for text in texts:
        for kind in _FURNITURE_KINDS:
            for pattern in profile.patterns(kind):
                hit = pattern.regex.fullmatch(text) if pattern.mode == "line" else pattern.regex.search(text)
                if hit:
                    leaks.append(f"{pattern.name or pattern.reason}: {hit.group()[:60]}")
    return leaks


# ------------------------------------------------------------------ the seed


def test_seed_is_read_by_the_webtext_parser() -> None:
    """Among all registered parsers, the seed's bytes go to "webtext"."""
    raw = require_corpus(*SEED).read_bytes()
    assert load_all().detect(raw, ()).name == "webtext"


def test_seed_exact_result() -> None:
    """The seed gives every field of the reference extraction, exactly."""
    raw = require_corpus(*SEED).read_bytes()
    item = _parse_clean(raw, ())  # no header: the agency is recognised from the text
    assert item.agency == "aa"
    assert (
        item.headline == "Vladimir Poutine discute de la situation au Kazakhstan avec ses homologues kazakh et ouzbek"
    )
    assert item.summary == "Les dirigeants ont abordé le retrait progressif des casques bleus collectifs du Kazakhstan"
    assert item.byline == "Elena Teslova"
    assert item.content_created == When(
        datetime(2022, 1, 13, tzinfo=ZoneInfo("Europe/Istanbul")), "day", "Europe/Istanbul", "13.01.2022"
    )
    assert item.content_created.value.utcoffset() is not None
    assert item.dateline == Dateline("AA / Moscou", "Moscou", "AA", None)
    assert item.section == "Monde"
    assert item.associations == (Association(name="picture-1", type="picture", caption="Moscow City"),)
    assert item.translation == Translation(
        "* Traduit de l'anglais par Alex Sinhan Bogmis", source_language="en", translator="Alex Sinhan Bogmis"
    )
    assert Party("Anadolu Agency", "source", "https://www.aa.com.tr") in item.info_sources
    assert len(item.body) == 9
    assert all(block.kind == "p" for block in item.body)
    assert item.body[0].text.startswith("Le président russe, Vladimir Poutine, a discuté jeudi")
    assert item.body[-1].text.endswith("dans le rétablissement de l'ordre.")


def test_seed_furniture_is_out_of_the_body_and_accounted_for() -> None:
    """Label, repeated title, caption, dateline, credit, notice and widgets: removed, each with a reason."""
    raw = require_corpus(*SEED).read_bytes()
    item = _parse_clean(raw, ())
    body = item.body_text()
    for printed in ("Monde", "Moscow City", "AA / Moscou", "Traduit de", "A Lire Aussi", "Bu haberi paylaşın"):
        assert printed not in body
    assert body.count(item.headline or "?") == 0
    assert [r.reason for r in item.removed] == [
        "section-label",
        "byline",
        "repeated-headline",
        "caption",
        "dateline",
        "translation-credit",
        "subscription-notice",
        "read-also",
        "share-widget",
    ]
    # every removed text was printed in the source (nothing invented)
    source = " ".join(segment(raw.decode("utf-8")))
    assert all(r.text in source for r in item.removed)
    assert leaked_lines([b.text for b in item.body]) == []


def test_leak_check_finds_the_seed_furniture_before_cleaning() -> None:
    """The leak check used below is not vacuous: on the raw seed lines it finds the furniture."""
    raw = require_corpus(*SEED).read_bytes()
    leaks = leaked_lines(segment(raw.decode("utf-8")))
    assert [leak.split(":")[0] for leak in leaks] == [
        "subscription-notice-has",
        "subscription-notice-fr",
        "read-also",
        "share-label-tr",
    ]


def test_seed_cleaning_is_idempotent() -> None:
    """Cleaning the cleaned seed changes nothing."""
    item = _parse_clean(require_corpus(*SEED).read_bytes(), ())
    assert clean(item) == item


# ------------------------------------------------------------------ every AA item


@pytest.mark.parametrize("case", CASES)
def test_aa_item(case: Case) -> None:
    """Headline as printed (or none), a body, no furniture left, the dateline place found."""
    item = _parse_clean(case.raw)
    assert item.agency == "aa"
    assert item.headline == case.expect_headline
    assert item.body and all(block.text.strip() for block in item.body)
    assert leaked_lines([b.text for b in item.body]) == []
    if case.expect_dateline:
        assert item.dateline is not None and item.dateline.place
        # the dateline is text the source printed at its start
        assert case.raw.decode("utf-8").lstrip().startswith(item.dateline.raw)
    else:
        assert item.dateline is None
    assert Party("Anadolu Agency", "source", "https://www.aa.com.tr") in item.info_sources
    assert clean(item) == item


def test_aa_corpus_report() -> None:
    """Per-source counts and timings over every AA item (printed; run with -s)."""
    if not CASES or CASES[0].values[0] is None:
        pytest.skip(SKIP_REASON)
    seed = require_corpus(*SEED).read_bytes()
    cases = [Case("seed", seed, "", True)] + [p.values[0] for p in CASES]
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    timings: list[float] = []
    for case in cases:
        start = time.perf_counter()
        item = _parse_clean(case.raw)
        timings.append(time.perf_counter() - start)
        row = rows[case.source]
        row["items"] += 1
        row["headline"] += item.headline is not None
        row["dateline expected"] += case.expect_dateline
        row["dateline found"] += item.dateline is not None
        row["body"] += bool(item.body)
        row["leaked"] += len(leaked_lines([b.text for b in item.body]))
        row["agency from text"] += detect_agency(case.raw.decode("utf-8")) == "aa"
    columns = ["items", "headline", "dateline expected", "dateline found", "body", "leaked", "agency from text"]
    print("\n" + " | ".join(["source", *columns]))
    for source, row in rows.items():
        print(" | ".join([source, *(str(row[c]) for c in columns)]))
    print(f"median parse+clean per item: {statistics.median(timings) * 1000:.2f} ms over {len(timings)} items")
    assert sum(row["leaked"] for row in rows.values()) == 0
    assert all(row["body"] == row["items"] for row in rows.values())
    assert all(row["dateline found"] == row["dateline expected"] for row in rows.values())
