"""The whole corpus through parse -> clean -> normalise: one outcome per dispatch, every output valid.

Every file under the corpus root is either swept here or excluded below with the reason it
is not a dispatch. Files are split into dispatches the way ``wirefeed ingest`` splits them
(``pipeline.sources``: the dpa tar read member by member in memory, ``.html.gz`` pages
inflated, JSONL one dispatch per line); the CSV exports of scraped articles are split one
record per row (``{"Link": ..., "Content": ...}``), the shape the JSONL scrape dumps have.
Each dispatch then runs through the real stages: ``flow.parse_dispatch``, ``clean.clean``
and ``normalise.to_ninjs`` with an empty ``Enrichment()`` (enrichment is tested elsewhere).

What must hold, per dispatch:
- it becomes articles, or one dead letter; a dead letter only where listed in
  ``DEAD_LETTERS`` (dispatches with no news text), with that error class and reason;
- every article validates against the published ninjs 3.1 value schema;
- every text article has a body, except the few listed in ``BODILESS`` with why;
- an article has a headline wherever its source prints one; the source is read
  independently for the formats that mark a headline (XML elements, ninjs fields, the
  HTML page's title markup, the IPTC 7901 header block).
Run with ``-s`` for the counts per format and per outcome.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline import schemas
from pipeline.errors import PipelineError
from pipeline.parsers._xml import parse_xml
from pipeline.records import Enrichment, RawDispatch
from pipeline.sources import iter_dispatches
from pipeline.stages import normalise
from pipeline.stages.clean import clean
from pipeline.stages.flow import has_content, parse_dispatch
from tests.corpus.test_xml_formats import _HEADLINE_PATHS, _source_has, _source_items
from tests.corpus_files import SKIP_REASON, corpus_available, corpus_root

pytestmark = pytest.mark.corpus

#: corpus paths (globs relative to the root) that are not dispatches, and why
EXCLUDED: dict[str, str] = {
    "*MANIFEST.md": "the corpus' own documentation",
    "*LICENSE*": "licence texts of the sources",
    "reuters21578/*": (
        "Reuters-21578: its 22 .sgm files (21,578 dispatches) are swept in test_reuters_process.py; the "
        "README, the DTD, the category lists and the CIA factbook data beside them are not dispatches"
    ),
    "iptc/ninjs-schema/*": "JSON Schemas of ninjs 2.0-3.1, not news items",
    "iptc/newsml-g2-schema/*": "the NewsML-G2 XML Schema (XSD), not news items",
    "iptc/nitf-schema/*": "the NITF XML Schema (XSD), not news items",
    "web/fundus-agency-pages/*/*.json": "fundus' expected extraction of the pages beside them (reference values)",
    "web/aritespit-aa-news-tr/links.csv": "the list of URLs the scraper visited: no text",
    "web-unseen-dev/gold.json": "the expected cleaning of the set's pages (scored by wirefeed eval quality)",
    "web-unseen-dev/check_gold.py": "the set's gold verifier, not a dispatch",
    "agency-formats/unseen-dev/gold.json": "the expected values of the structured development set",
    "agency-formats/unseen-dev/check_gold.py": "the script that checks that gold against the files",
}

#: dispatches that carry no news text, with the error class and the reason's start
DEAD_LETTERS: dict[str, tuple[str, str]] = {
    # AFP's index of the folder: references to the items, no text of its own
    "agency-formats/afp-newsml-1.2-arabic/arabic/journal/minaldounia/index.xml": (
        "EmptyDispatchError",
        "no text in the dispatch",
    ),
    # IPTC examples that show metadata structures, not articles
    "iptc/newsml-g2/LISTING_24_News_Message_conveying_a_complete_News_Package.xml": (
        "EmptyDispatchError",
        "no text in the dispatch (4 items",
    ),
    "iptc/newsml-g2/LISTING_29_Hop_History.xml": ("EmptyDispatchError", "no text in the dispatch"),
    "iptc/newsml-g2/ap_metadata_example.xml": ("EmptyDispatchError", "no text in the dispatch"),
    # an IPTC example that is a fragment of an item (<contentMeta>) with metadata only; the
    # generic XML parser reads fragments, and finds no headline or text in this one
    "iptc/newsml-g2/LISTING_28_Illustrating_Located_Subject_and_Dateline.xml": (
        "EmptyDispatchError",
        "no text in the dispatch",
    ),
}

#: text articles without a body, and why the source gives none
BODILESS: dict[str, str] = {
    "agency-formats/superdesk-core-fixtures/newsml-g2/tag_reuters.com_2016_newsml_L1N14N0FF_version_1542761538": (
        'the correction\'s XHTML body is empty (wordcount="0")'
    ),
    "agency-formats/superdesk-core-fixtures/newsml-g2/text.xml": (
        "the body holds only the byline line, which clean moves to the byline"
    ),
    "agency-formats/superdesk-core-fixtures/ninjs-and-json/ap_media_text_feed.json": (
        "AP Media API metadata; the NITF text is fetched separately"
    ),
    "agency-formats/superdesk-core-fixtures/ninjs-and-json/ap_media_text_item.json": (
        "AP Media API metadata; the NITF text is fetched separately"
    ),
    "iptc/newsml-g2/LISTING_1_A_NewsML-G2_News_Item.xml": "the example's inline NITF is empty",
    "iptc/newsml-g2/LISTING_27_Company_Financial_Information.xml": "the payload is financial data, not text",
    "agency-formats/unseen-dev/D031__apa-ots-de-rss__rss.xml": (
        "APA-OTS directory feed: each item is a title and a link to its NewsML-G2 file, the description empty"
    ),
}

#: dispatches per container, as the corpus MANIFESTs count them
CONTAINERS = {
    "agency-formats/dpa-newsml-g2/20170629-dpa-sample.tar.xz": 100,
    "web/aritespit-aa-news-tr/aa_news.csv": 30,
    "web/aritespit-aa-news-tr/aa_news.c2a19a28.csv": 30,
    "web/pages-corpus-agency-excerpts/excerpts.jsonl": 14,
}


# --------------------------------------------------------------------------- files


def _excluded(relpath: str) -> str | None:
    for pattern, reason in EXCLUDED.items():
        if Path(relpath).match(pattern):
            return reason
    return None


def _corpus_files() -> list[str]:
    if not corpus_available():
        return []
    root = corpus_root()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _swept_files() -> list[Any]:
    files = [f for f in _corpus_files() if _excluded(f) is None]
    if not files:
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=SKIP_REASON))]
    return [pytest.param(f, id=f) for f in files]


def _dispatches(relpath: str) -> Iterator[tuple[str, RawDispatch]]:
    """(name, dispatch) for every dispatch in one corpus file; names are relative to the root."""
    path = corpus_root() / relpath
    if path.suffix == ".csv":
        rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
        for number, row in enumerate(rows, start=1):
            yield f"{relpath}#{number}", RawDispatch(orjson.dumps(row), (("content-type", b"application/json"),))
        return
    prefix = str(corpus_root()) + "/"
    for dispatch in iter_dispatches([str(path)]):
        name = dispatch.input.removeprefix(prefix)
        yield name, RawDispatch(dispatch.value, dispatch.headers(), input=name)


# --------------------------------------------------------------------------- the source's headline
# Read from the source bytes, independently of the parsers: does the item print a headline?


_JSON_HEADLINE_KEYS = ("headline", "headlines", "title")


def _json_headlines(document: Any) -> list[bool]:
    objects: list[dict[str, Any]] = []
    if isinstance(document, list):
        objects = [o for o in document if isinstance(o, dict)]
    elif isinstance(document, dict):
        data = document.get("data")
        if "api_version" in document and isinstance(data, dict):
            entries = [data] if isinstance(data.get("item"), dict) else data.get("items") or []
            objects = [e["item"] for e in entries if isinstance(e, dict) and isinstance(e.get("item"), dict)]
        else:
            objects = [document]

    def has(obj: dict[str, Any]) -> bool:
        for key in _JSON_HEADLINE_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return True
            if isinstance(value, list) and any(isinstance(h, dict) and str(h.get("value", "")).strip() for h in value):
                return True
        return False

    return [has(o) for o in objects]


_HTML_TITLE = re.compile(rb'<h1\b|property="og:title"\s+content="[^"]+"|"headline"\s*:\s*"[^"]+"', re.I)
_IPTC7901_HEADER = re.compile(rb"\x02[\r\n]*(?P<head>[^\x03]*?)\s=\s*\r?\n", re.S)


def source_headlines(raw: bytes, fmt: str) -> list[bool] | None:
    """Per source item, whether it prints a headline; None where the format marks none."""
    if fmt in ("newsml-g2", "newsml-1.2", "nitf", "ritzau-rbnews"):
        root = parse_xml(raw)
        return [_source_has(item, _HEADLINE_PATHS) for item in _source_items(root)]
    if fmt == "ninjs":
        return _json_headlines(orjson.loads(raw))
    if fmt == "html":
        return [bool(_HTML_TITLE.search(_inflate(raw)))]
    if fmt == "iptc7901":
        found = _IPTC7901_HEADER.search(raw)
        return [bool(found and found["head"].strip())]
    return None  # ANPA, feeds, Reuters SGML, web text: swept without the independent headline probe


def _inflate(raw: bytes) -> bytes:
    import gzip

    return gzip.decompress(raw) if raw.startswith(b"\x1f\x8b") else raw


# --------------------------------------------------------------------------- the sweep


@dataclass
class Outcome:
    """What one dispatch became."""

    format: str | None = None
    dead: tuple[str, str] | None = None  # (error class, reason)
    #: per article: (type, has headline, has body, schema errors)
    articles: list[tuple[str, bool, bool, list[str]]] = field(default_factory=list)
    empty_parts: int = 0  # items dead-lettered after cleaning (no content left)
    source_headlines: list[bool] | None = None


def run(raw: RawDispatch) -> Outcome:
    """The dispatch through parse -> clean -> normalise, as ``wirefeed process`` runs them."""
    try:
        items = list(parse_dispatch(raw))
    except PipelineError as exc:
        return Outcome(format=exc.format, dead=(type(exc).__name__, exc.reason))
    outcome = Outcome(format=items[0].format if items else None)
    for item in items:
        cleaned = clean(item)
        if not has_content(cleaned):
            outcome.empty_parts += 1
            continue
        doc = normalise.to_ninjs(cleaned, Enrichment(), normalise.story_uri(cleaned))
        errors = schemas.errors("wire.articles", "value", doc)
        outcome.articles.append((cleaned.type, bool(cleaned.headline), bool(cleaned.body), errors))
    if outcome.format:
        outcome.source_headlines = source_headlines(raw.value, outcome.format)
    return outcome


@dataclass
class Sweep:
    by_file: dict[str, dict[str, Outcome]] = field(default_factory=lambda: defaultdict(dict))


@pytest.fixture(scope="module")
def sweep() -> Sweep:
    """Every swept file's dispatches, processed once for all the tests of this module."""
    result = Sweep()
    for relpath in _corpus_files():
        if _excluded(relpath) is None:
            for name, raw in _dispatches(relpath):
                result.by_file[relpath][name] = run(raw)
    return result


@pytest.mark.parametrize("relpath", _swept_files())
def test_every_dispatch_is_an_article_or_an_expected_dead_letter(sweep: Sweep, relpath: str) -> None:
    """Articles validate, have a body (unless listed) and a headline wherever the source prints one."""
    outcomes = sweep.by_file[relpath]
    assert outcomes, f"{relpath}: no dispatch read from the file"
    for name, outcome in outcomes.items():
        if outcome.dead is not None:
            assert name in DEAD_LETTERS, f"{name}: unexpected dead letter {outcome.dead}"
            error_class, reason = DEAD_LETTERS[name]
            assert outcome.dead[0] == error_class and outcome.dead[1].startswith(reason), (name, outcome.dead)
            continue
        assert name not in DEAD_LETTERS, f"{name}: expected a dead letter, got {len(outcome.articles)} articles"
        assert outcome.articles and outcome.empty_parts == 0, (name, outcome)
        for kind, _, has_body, errors in outcome.articles:
            assert errors == [], (name, errors[:3])
            if kind == "text" and name not in BODILESS:
                assert has_body, f"{name}: text article without a body"
        if name in BODILESS:
            assert any(kind == "text" and not has_body for kind, _, has_body, _ in outcome.articles), name
        if outcome.source_headlines is not None:
            printed = outcome.source_headlines
            assert len(printed) == len(outcome.articles), (name, printed)
            for (kind, has_headline, _, _), prints in zip(outcome.articles, printed, strict=True):
                if prints:
                    assert has_headline, f"{name}: the source prints a headline, the {kind} article has none"


def test_every_corpus_file_is_swept_or_excluded_with_a_reason() -> None:
    """Nothing is left out silently: each exclusion names files, each file is swept or excluded."""
    files = _corpus_files()
    if not files:
        pytest.skip(SKIP_REASON)
    for pattern in EXCLUDED:
        assert any(_excluded(f) == EXCLUDED[pattern] for f in files), f"exclusion {pattern!r} matches no file"
    swept = [f for f in files if _excluded(f) is None]
    assert len(swept) + sum(1 for f in files if _excluded(f)) == len(files)
    assert set(DEAD_LETTERS) | set(BODILESS) <= {p.split(":", 1)[0].split("#", 1)[0] for p in swept}


def test_containers_split_into_their_dispatches(sweep: Sweep) -> None:
    """The dpa tar, the CSV exports and the JSONL dump give one dispatch per item/row/line."""
    if not sweep.by_file:
        pytest.skip(SKIP_REASON)
    assert {path: len(sweep.by_file[path]) for path in CONTAINERS} == CONTAINERS


def test_counts_per_format_and_outcome(sweep: Sweep) -> None:
    """Print dispatches, articles by type and dead letters by class, per format (-s shows the table)."""
    if not sweep.by_file:
        pytest.skip(SKIP_REASON)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for outcomes in sweep.by_file.values():
        for outcome in outcomes.values():
            row = table[outcome.format or "(unrecognised)"]
            row["dispatches"] += 1
            if outcome.dead:
                row[f"dead letter {outcome.dead[0]}"] += 1
            for kind, _, _, _ in outcome.articles:
                row[f"article {kind}"] += 1
    width = max(len(k) for k in table)
    print()
    for fmt in sorted(table):
        print(f"{fmt:<{width}}  " + ", ".join(f"{k}: {v}" for k, v in sorted(table[fmt].items())))
    total = sum(row["dispatches"] for row in table.values())
    dead = sum(v for row in table.values() for k, v in row.items() if k.startswith("dead letter"))
    print(f"{total} dispatches, {dead} dead letters, {total - dead} with articles")
    assert dead == len(DEAD_LETTERS)
