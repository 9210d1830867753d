"""The extraction quality report: what parse + clean make of the real agency corpus.

Newsrooms need the article exactly: its headline as printed, every sentence of its text
and none of the page's furniture. This module measures that on the text corpora of
``../shared/corpus`` by running each dispatch through the real stages
(``pipeline.stages.flow.parse_dispatch``, then ``pipeline.stages.clean.clean``) and
comparing the result with an expected extraction:

    fundus pages   web/fundus-agency-pages/*/*.html.gz, expected = <Publisher>.json
                   (fundus' reference parse; keys are parser versions, paired with the
                   pages by crawl date, as tests/corpus/test_html_pages.py explains)
    AA items       seed, aritespit CSV rows, extra H019/H028-H033, AA excerpts: no
                   reference body, checked for leaked furniture only (a caller may
                   pass a full expected extraction, as the seed's test does)
    Reuters-21578  every dispatch with a <DATELINE>: is a dateline place found?

Measures (per group of items and over all):

    headline exact   cleaned headline == expected title, up to whitespace and the
                     glyph of double quotes (clean prints typographic quotes)
    body recall      share of expected body sentences found in the cleaned body
    body precision   share of cleaned body sentences that are in the expected body
    leaked lines     body lines that are furniture: a boilerplate/trailer pattern of
                     the item's profile matches them, they hold one of the sites' fixed UI
                     labels (``UI_LABELS``), or, when the expected body is known, no
                     sentence of theirs belongs to it
    removed          what clean (and the parser) took out, counted by reason
    dateline place   Reuters-21578 dispatches with a non-empty <DATELINE> whose cleaned
                     item has a place that the <DATELINE> prints

``build_report`` returns a plain dict (JSON-ready); ``render`` prints it as a table. The
thresholds the issue sets are in ``THRESHOLDS``; ``report["passed"]`` says which hold.

Gold sets: development sets that ship their own gold (``web-unseen-dev/gold.json``, ...)
are scored by their own modules, each a section of the report (``report["sets"][name]``)
with its own items, totals, bars and ``passed``. A set is one ``GoldSet`` entry in
``gold_sets()``: a name, an ``evaluate(root, only=...)`` that returns the section as a
JSON-ready dict (with a ``passed`` dict of bar -> bool | None), and a ``render`` that
prints it. ``quality_report`` runs the sections asked for ("corpus" = the groups above).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from pipeline.enrich.config import EnrichConfig
from pipeline.errors import PipelineError
from pipeline.parsers.html import page_text
from pipeline.profiles import get_profile
from pipeline.records import ParsedItem, RawDispatch
from pipeline.sources import SourceDispatch, iter_dispatches
from pipeline.stages.clean import clean
from pipeline.stages.flow import parse_dispatch

log = logging.getLogger(__name__)

#: the issue's bars: headline exact, body recall, leaked lines on AA items, Reuters places
THRESHOLDS: dict[str, float] = {
    "headline_exact": 0.95,
    "body_recall": 0.98,
    "aa_leaked_lines": 0,
    "reuters_dateline_place": 0.95,
}

#: fixed UI labels of the agencies' web pages (share, subscribe, related, tags, chrome);
#: a body line holding one is page furniture whatever the profiles say. Labels only: no
#: article text. AA prints its Turkish share label on every language edition.
UI_LABELS: tuple[str, ...] = (
    # Anadolu Agency (every edition)
    "Bu haberi paylaşın",
    "AA Haber Akış Sistemi",
    "(HAS)",
    "Abonelik için",
    "İlgili konular",
    "A Lire Aussi",
    "Seulement une partie des dépêches",
    "Anadolu Agency website contains only a portion",
    "pic.twitter.com",
    "❮",
    "❯",
    # other agency sites of the corpus
    "Teilen:",
    "Kontaktieren Sie uns",
    "Copyright ©",
    "Scroll to continue",
    "Our Standards",
    "opens new tab",
    "Purchase Licensing Rights",
    "RELATED COVERAGE",
    "Sign up",
)

_FURNITURE_KINDS = ("boilerplate", "trailer")
_WS = re.compile(r"\s+")
# what a comparison ignores: whitespace, quote glyphs (straight vs typographic), soft
# hyphens and zero-width marks
_IGNORED = re.compile("[\\s\"'“”„‟«»‹›‘’‚‛`´\u00ad\u200b\u2060\ufeff]+")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "…": "..."})
_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»"})
# French « x » carries (no-break) spaces inside its marks; a straight-quoted title has none
_SPACE_AT_QUOTE = re.compile(r'(?<=")\s+|\s+(?=")')
# a sentence ends at . ! ? … (and closing quotes/brackets), before a space
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+")
#: a fragment shorter than this (folded) is joined to the next ("Dr.", "No. 5")
MIN_SENTENCE_KEY = 12


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Expected:
    """What a dispatch should give. Empty fields are not checked."""

    headline: str | None = None
    body: tuple[str, ...] = ()  # the article's paragraphs (and subheadings), in order
    known: tuple[str, ...] = ()  # other printed text a body may hold without loss of precision
    #: printed furniture that must not reach the body: a short label (under
    #: ``MIN_SENTENCE_KEY`` characters) must not be a whole body line, longer text must
    #: not appear anywhere in the body
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One dispatch of the report: the raw record and what it should give."""

    group: str  # report row ("seed", "fundus", "aritespit-csv", ...)
    name: str
    raw: RawDispatch
    expected: Expected = field(default_factory=Expected)
    agency: str | None = None  # the agency the source is known to be (leaks are counted per agency)


def fold(text: str) -> str:
    """The comparison key: NFC, case-folded, dashes unified, spaces and quote glyphs out."""
    text = unicodedata.normalize("NFC", text).translate(_DASHES).casefold()
    return _IGNORED.sub("", text)


def same_headline(ours: str | None, expected: str) -> bool:
    """Equal up to whitespace and the glyph of double quotes (and the spaces typography puts inside them)."""
    if ours is None:
        return False

    def norm(s: str) -> str:
        text = _WS.sub(" ", unicodedata.normalize("NFC", s).translate(_QUOTES))
        return _SPACE_AT_QUOTE.sub("", text).strip()

    return norm(ours) == norm(expected)


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (short fragments such as "Dr." stay with what follows)."""
    out: list[str] = []
    pending = ""
    for part in _SENTENCE_END.split(_WS.sub(" ", text).strip()):
        pending = f"{pending} {part}".strip() if pending else part
        if len(fold(pending)) >= MIN_SENTENCE_KEY:
            out.append(pending)
            pending = ""
    if pending:
        if out and len(fold(pending)) < MIN_SENTENCE_KEY:
            out[-1] = f"{out[-1]} {pending}"
        else:
            out.append(pending)
    return out


# ------------------------------------------------------------------ corpus loaders


def default_corpus_root() -> Path:
    """``WIREFEED_CORPUS``, else ``../shared/corpus`` beside the repository."""
    env = os.environ.get("WIREFEED_CORPUS")
    if env:
        return Path(env).resolve()
    return (Path(__file__).resolve().parents[3] / "shared" / "corpus").resolve()


def _dispatch(value: bytes, name: str, content_type: str | None, agency: str | None = None) -> RawDispatch:
    return SourceDispatch(value, name, content_type).raw(agency=agency)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def _crawl_date(path: Path) -> str:
    m = re.search(r"_(\d{4})_(\d{2})_(\d{2})\.html\.gz$", path.name)
    return "-".join(m.groups()) if m else path.name


#: fundus publisher name (file-name prefix) -> agency id
AGENCY_OF_PUBLISHER = {"AnadoluAjansi": "aa", "APNews": "ap", "Reuters": "reuters", "AFPFaktencheck": "afp"}


def fundus_cases(root: Path) -> list[Case]:
    """The fundus pages with fundus' expected extraction (one parser version per page)."""
    base = root / "web" / "fundus-agency-pages"
    cases: list[Case] = []
    for reference in sorted(base.glob("*/*.json")):
        publisher = reference.stem
        versions = json.loads(reference.read_text(encoding="utf-8"))
        pages = sorted(reference.parent.glob(f"{publisher}_*.html.gz"), key=_crawl_date)
        ordered = sorted(versions, key=_version_key)
        if len(pages) != len(ordered):
            log.warning("%s: %d pages for %d reference versions; skipped", publisher, len(pages), len(ordered))
            continue
        for page, version in zip(pages, ordered, strict=True):
            ref = versions[version]
            body = ref["body"]
            paragraphs: list[str] = []
            for section in body["sections"]:
                paragraphs.extend(section["headline"])
                paragraphs.extend(section["paragraphs"])
            expected = Expected(
                headline=ref["title"],
                body=tuple(p for p in paragraphs if p.strip()),
                known=(ref["title"], *body["summary"]),
            )
            for source in iter_dispatches([str(page)]):
                agency = AGENCY_OF_PUBLISHER.get(publisher)
                cases.append(Case("fundus", f"{page.name} ({version})", source.raw(), expected, agency))
    return cases


def aa_cases(root: Path, seed: Expected | None = None) -> list[Case]:
    """Every Anadolu Agency text item of the corpus (``seed`` = the seed's expected extraction)."""
    cases: list[Case] = []
    seed_path = root / "seed" / "000_562c3f23ca94c5ff.txt"
    if seed_path.is_file():
        raw = _dispatch(seed_path.read_bytes(), seed_path.name, "text/plain")
        cases.append(Case("seed", seed_path.name, raw, seed or Expected(), "aa"))
    # scraped CSV rows: one article per row; the feed is known to be AA (ingest's header)
    for path in sorted((root / "web" / "aritespit-aa-news-tr").glob("aa_news*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh)):
                name = f"{path.name}#{n}"
                raw = _dispatch(row["Content"].encode("utf-8"), name, "text/plain", "aa")
                cases.append(Case("aritespit-csv", name, raw, agency="aa"))
    extra = root / "agency-formats" / "extra"
    for path in sorted(extra.glob("H0*__aa-*")):
        for source in iter_dispatches([str(path)]):
            # a web page carries no reference extraction, but its <h1> is the headline it prints
            h1 = _page_heading(source.value) if "webpage" in path.name else None
            expected = Expected(headline=h1)
            cases.append(Case("extra-aa", path.name[:40], source.raw(agency="aa"), expected, "aa"))
    excerpts = root / "web" / "pages-corpus-agency-excerpts" / "excerpts.jsonl"
    if excerpts.is_file():
        for n, line in enumerate(excerpts.read_text(encoding="utf-8").splitlines()):
            record = json.loads(line)
            if record["agency_or_origin"].startswith("Anadolu"):
                name = f"excerpts.jsonl#{n}"
                raw = _dispatch(record["excerpt"].encode("utf-8"), name, "text/plain", "aa")
                cases.append(Case("excerpts-aa", name, raw, agency="aa"))
    return cases


def _page_heading(page: bytes) -> str | None:
    """The text of a page's first <h1>, as the page shows it."""
    h1 = LexborHTMLParser(page_text(page)).css_first("h1")
    return _WS.sub(" ", h1.text()).strip() if h1 is not None else None


def reuters_dispatches(root: Path, every: int = 1) -> Iterator[SourceDispatch]:
    """Reuters-21578 dispatches (each ``every``-th one, in file order)."""
    files = sorted((root / "reuters21578").glob("reut2-*.sgm"))
    for n, source in enumerate(iter_dispatches([str(p) for p in files])):
        if n % every == 0:
            yield source


# ------------------------------------------------------------------ scoring


@dataclass
class ItemScore:
    """What one dispatch gave, against its expected extraction."""

    group: str
    name: str
    agency: str | None
    error: str | None = None
    headline_checked: bool = False
    headline_exact: bool = False
    headline: str | None = None
    expected_sentences: int = 0
    found_sentences: int = 0
    missing: list[str] = field(default_factory=list)
    body_sentences: int = 0  # ours, when the expected body is known
    in_expected: int = 0
    leaked: list[str] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)


def furniture(line: str, agency: str | None) -> str | None:
    """Why ``line`` is page or agency furniture (a pattern name or a UI label), or None."""
    profile = get_profile(agency)
    for kind in _FURNITURE_KINDS:
        for pattern in profile.patterns(kind):
            hit = pattern.regex.fullmatch(line) if pattern.mode == "line" else pattern.regex.search(line)
            if hit:
                return f"{pattern.profile}:{pattern.name or pattern.reason}"
    folded = line.casefold()
    for label in UI_LABELS:
        if label.casefold() in folded:
            return f"ui-label:{label}"
    return None


def score_item(case: Case, item: ParsedItem) -> ItemScore:
    """Headline, sentence recall and precision, leaked lines and removals of one cleaned item."""
    expected = case.expected
    score = ItemScore(case.group, case.name, case.agency or item.agency)
    score.removed.update(r.reason for r in item.removed)
    score.headline = item.headline
    if expected.headline is not None:
        score.headline_checked = True
        score.headline_exact = same_headline(item.headline, expected.headline)
    lines = [block.text for block in item.body]
    body_key = "|".join(fold(line) for line in lines)
    # a dateline printed apart from the text (AA's "Ankara") is extracted, not lost
    extracted = {fold(x) for x in (item.dateline.raw, item.dateline.place) if x} if item.dateline else set()
    if expected.body:
        printed = _WS.sub(" ", item.dateline.raw).strip() if item.dateline else ""
        wanted = [s for para in expected.body for s in sentences(_without_dateline(para, printed))]
        score.expected_sentences = len(wanted)
        for sentence in wanted:
            key = fold(sentence)
            if key in extracted or key in body_key:
                score.found_sentences += 1
            else:
                score.missing.append(sentence)
        reference = "|".join(fold(x) for x in (*expected.body, *expected.known))
        for line in lines:
            own = sentences(line)
            inside = [s for s in own if fold(s) in reference]
            score.body_sentences += len(own)
            score.in_expected += len(inside)
            if not inside:
                score.leaked.append(f"not in the expected body: {line[:80]}")
    absent = [
        text
        for text in expected.absent
        if any(text in line if len(text) >= MIN_SENTENCE_KEY else text == line.strip() for line in lines)
    ]
    score.leaked.extend(f"printed furniture: {text}" for text in absent)
    for line in lines:
        why = furniture(line, score.agency)
        if why:
            score.leaked.append(f"{why}: {line[:80]}")
    return score


def _without_dateline(paragraph: str, printed: str) -> str:
    """The paragraph without the dateline the item extracted from its start ("MOSCOW (AP) — ...")."""
    text = _WS.sub(" ", paragraph).strip()
    if printed and len(text) > len(printed) and text.startswith(printed):
        return text[len(printed) :].strip()
    return text


def run_case(case: Case) -> ItemScore:
    """Parse and clean the case's dispatch with the production stages, and score it."""
    try:
        items = list(parse_dispatch(case.raw))
        if not items:
            raise PipelineError("the dispatch holds no news item")
        item = clean(items[0])
    except PipelineError as exc:
        return ItemScore(case.group, case.name, case.agency, error=f"{type(exc).__name__}: {exc}")
    return score_item(case, item)


_DATELINE = re.compile(rb"<DATELINE>(.*?)</DATELINE>", re.S)


@dataclass
class DatelineScore:
    dispatches: int = 0
    with_dateline: int = 0
    place_found: int = 0
    misses: list[str] = field(default_factory=list)


def reuters_datelines(dispatches: Iterable[SourceDispatch]) -> DatelineScore:
    """How many dispatches with a printed <DATELINE> get a dateline place that it prints."""
    score = DatelineScore()
    for source in dispatches:
        score.dispatches += 1
        m = _DATELINE.search(source.value)
        printed = m.group(1).decode("latin-1").strip() if m else ""
        if not printed:
            continue
        score.with_dateline += 1
        place = None
        try:
            items = parse_dispatch(source.raw())
            item = clean(items[0]) if items else None
            place = item.dateline.place if item and item.dateline else None
        except PipelineError as exc:
            log.debug("%s: %s", source.input, exc)
        if place and fold(place) in fold(printed):
            score.place_found += 1
        else:
            score.misses.append(f"{source.input}: {printed!r} -> {place!r}")
    return score


# ------------------------------------------------------------------ the report

_COUNTS = (
    "items",
    "errors",
    "headlines_checked",
    "headlines_exact",
    "sentences_expected",
    "sentences_found",
    "body_sentences",
    "body_sentences_expected",
    "leaked_lines",
)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _group_row(scores: Sequence[ItemScore]) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_COUNTS, 0)
    for s in scores:
        row["items"] += 1
        row["errors"] += s.error is not None
        row["headlines_checked"] += s.headline_checked
        row["headlines_exact"] += s.headline_exact
        row["sentences_expected"] += s.expected_sentences
        row["sentences_found"] += s.found_sentences
        row["body_sentences"] += s.body_sentences
        row["body_sentences_expected"] += s.in_expected
        row["leaked_lines"] += len(s.leaked)
    row["headline_exact"] = _ratio(row["headlines_exact"], row["headlines_checked"])
    row["body_recall"] = _ratio(row["sentences_found"], row["sentences_expected"])
    row["body_precision"] = _ratio(row["body_sentences_expected"], row["body_sentences"])
    return row


def build_report(
    cases: Sequence[Case], reuters: Iterable[SourceDispatch] = (), *, max_problems: int = 40
) -> dict[str, Any]:
    """Run every case and the Reuters dispatches through parse + clean; the report as a dict."""
    started = time.perf_counter()
    scores = [run_case(case) for case in cases]
    items_seconds = time.perf_counter() - started
    started = time.perf_counter()
    datelines = reuters_datelines(reuters)
    reuters_seconds = time.perf_counter() - started

    groups: dict[str, list[ItemScore]] = {}
    for s in scores:
        groups.setdefault(s.group, []).append(s)
    total = _group_row(scores)
    aa = [s for s in scores if s.agency == "aa"]
    removed: Counter[str] = Counter()
    for s in scores:
        removed.update(s.removed)
    measures: dict[str, float | int | None] = {
        "headline_exact": total["headline_exact"],
        "body_recall": total["body_recall"],
        "body_precision": total["body_precision"],
        "aa_leaked_lines": sum(len(s.leaked) for s in aa),
        "reuters_dateline_place": _ratio(datelines.place_found, datelines.with_dateline),
    }
    passed: dict[str, bool | None] = {}
    for name, bar in THRESHOLDS.items():
        value = measures[name]
        if value is None:
            passed[name] = None
        elif name == "aa_leaked_lines":
            passed[name] = value <= bar
        else:
            passed[name] = value >= bar
    problems: list[dict[str, str]] = []
    for s in scores:
        details = [("error", s.error)] if s.error else []
        if s.headline_checked and not s.headline_exact:
            details.append(("headline", repr(s.headline)))
        details += [("missing", m[:100]) for m in s.missing]
        details += [("leaked", x) for x in s.leaked]
        problems += [{"item": f"{s.group}/{s.name}", "kind": k, "detail": d or ""} for k, d in details]
    problems += [{"item": "reuters21578", "kind": "dateline", "detail": m} for m in datelines.misses]
    return {
        "groups": {name: _group_row(rows) for name, rows in groups.items()},
        "total": total,
        "aa_items": len(aa),
        "reuters": {
            "dispatches": datelines.dispatches,
            "with_dateline": datelines.with_dateline,
            "place_found": datelines.place_found,
            "share": measures["reuters_dateline_place"],
        },
        "removed": dict(removed.most_common()),
        "measures": measures,
        "thresholds": dict(THRESHOLDS),
        "passed": passed,
        "problems": problems[:max_problems],
        "problem_count": len(problems),
        "seconds": {"items": round(items_seconds, 2), "reuters": round(reuters_seconds, 2)},
    }


def corpus_report(root: Path | None = None, *, seed: Expected | None = None, reuters_every: int = 1) -> dict[str, Any]:
    """The report over the whole text corpus (``reuters_every`` > 1 samples Reuters-21578)."""
    root = root or default_corpus_root()
    cases = [*aa_cases(root, seed), *fundus_cases(root)]
    report = build_report(cases, reuters_dispatches(root, reuters_every))
    report["corpus"] = str(root)
    report["reuters"]["every"] = reuters_every
    return report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def render(report: dict[str, Any]) -> str:
    """The report as a text table."""
    out = io.StringIO()
    header = f"{'group':<16} {'items':>5} {'err':>4} {'headline':>10} {'recall':>16} {'precision':>16} {'leaked':>6}"
    out.write(header + "\n" + "-" * len(header) + "\n")
    rows = [*report["groups"].items(), ("total", report["total"])]
    for name, row in rows:
        headline = f"{row['headlines_exact']}/{row['headlines_checked']}" if row["headlines_checked"] else "-"
        recall = (
            f"{row['sentences_found']}/{row['sentences_expected']} {_pct(row['body_recall'])}"
            if row["sentences_expected"]
            else "-"
        )
        precision = (
            f"{row['body_sentences_expected']}/{row['body_sentences']} {_pct(row['body_precision'])}"
            if row["body_sentences"]
            else "-"
        )
        if name == "total":
            out.write("-" * len(header) + "\n")
        out.write(
            f"{name:<16} {row['items']:>5} {row['errors']:>4} {headline:>10} {recall:>16} {precision:>16} "
            f"{row['leaked_lines']:>6}\n"
        )
    r = report["reuters"]
    sample = f" (one dispatch in {r['every']})" if r.get("every", 1) > 1 else ""
    out.write(
        f"\nReuters-21578{sample}: {r['dispatches']} dispatches, {r['with_dateline']} with a <DATELINE>, "
        f"place found on {r['place_found']} ({_pct(r['share'])})\n"
    )
    out.write("\nremoved by reason: " + ", ".join(f"{k} {v}" for k, v in report["removed"].items()) + "\n")
    out.write("\nmeasure                    value    bar      ok\n")
    for name, bar in report["thresholds"].items():
        value = report["measures"][name]
        shown = str(value) if name == "aa_leaked_lines" else _pct(value)
        wanted = f"<= {bar}" if name == "aa_leaked_lines" else f">= {_pct(bar)}"
        ok = {True: "yes", False: "NO", None: "-"}[report["passed"][name]]
        out.write(f"{name:<26} {shown:>8} {wanted:>8} {ok:>5}\n")
    out.write(f"{'body_precision':<26} {_pct(report['measures']['body_precision']):>8}\n")
    secs = report["seconds"]
    out.write(f"\n{report['aa_items']} AA items; {secs['items']} s for the items, {secs['reuters']} s for Reuters\n")
    if report["problems"]:
        out.write(f"\nproblems ({report['problem_count']}, first {len(report['problems'])}):\n")
        for p in report["problems"]:
            out.write(f"  {p['item']} [{p['kind']}] {p['detail']}\n")
    return out.getvalue()


# ------------------------------------------------------------------ gold sets

#: chooses the items of a gold set to score, by file name (None: all)
ItemFilter = Callable[[str], bool] | None


@dataclass(frozen=True)
class GoldSet:
    """A development set that ships its own gold, scored as one section of the report.

    ``evaluate(root, only=...)`` returns the section (JSON-ready; ``passed`` maps each of
    the set's bars to True/False, or None when nothing was measured; ``absent`` is true
    when the set is not in the corpus); ``render(section)`` prints it.
    """

    name: str
    evaluate: Callable[..., dict[str, Any]]
    render: Callable[[dict[str, Any]], str]


def _structured_evaluate(root: Path, only: ItemFilter = None, config: EnrichConfig | None = None) -> dict[str, Any]:
    """The structured-feed section (``pipeline.evaluation.structured``; it scores all its files)."""
    from pipeline.evaluation import structured

    if not structured.available(root):
        return {"absent": True, "passed": {}}
    return structured.evaluate(root, config=config)


def _structured_render(section: dict[str, Any]) -> str:
    from pipeline.evaluation import structured

    if section.get("absent"):
        return "\n== structured: agency-formats/unseen-dev not found\n"
    return structured.render(section)


def gold_sets() -> dict[str, GoldSet]:
    """Every gold set of the report, by name (the modules load on first use: they import this one)."""
    from pipeline.evaluation import web_gold

    sets = [
        GoldSet(web_gold.NAME, web_gold.evaluate, web_gold.render),
        GoldSet("structured", _structured_evaluate, _structured_render),
    ]
    return {s.name: s for s in sets}


#: the report's section of the older corpus groups (fundus, AA items, Reuters datelines)
CORPUS_SECTION = "corpus"


def section_names() -> list[str]:
    return [CORPUS_SECTION, *gold_sets()]


def quality_report(
    root: Path | None = None,
    *,
    sections: Sequence[str] | None = None,
    seed: Expected | None = None,
    reuters_every: int = 1,
    only: ItemFilter = None,
    config: EnrichConfig | None = None,
) -> dict[str, Any]:
    """The report over the sections asked for (all when None): the corpus groups and the gold
    sets; ``config``: the enrichment config the gold sets' languages are detected with."""
    root = root or default_corpus_root()
    wanted = list(sections) if sections else section_names()
    unknown = [name for name in wanted if name not in section_names()]
    if unknown:
        raise ValueError(f"unknown report section(s) {unknown}; known: {section_names()}")
    report: dict[str, Any] = (
        corpus_report(root, seed=seed, reuters_every=reuters_every) if CORPUS_SECTION in wanted else {}
    )
    sets = gold_sets()
    report["sets"] = {name: sets[name].evaluate(root, only=only, config=config) for name in wanted if name in sets}
    return report


def report_passed(report: dict[str, Any]) -> bool:
    """No bar of any section fails (a bar with nothing measured does not fail)."""
    bars = [*report.get("passed", {}).values()]
    for section in report.get("sets", {}).values():
        bars.extend(section.get("passed", {}).values())
    return all(ok is not False for ok in bars)


def render_report(report: dict[str, Any]) -> str:
    """Every section of ``quality_report``'s result as text."""
    parts = [render(report)] if "groups" in report else []
    sets = gold_sets()
    parts += [sets[name].render(section) for name, section in report.get("sets", {}).items() if name in sets]
    return "\n".join(parts)


__all__ = [
    "CORPUS_SECTION",
    "THRESHOLDS",
    "UI_LABELS",
    "Case",
    "Expected",
    "GoldSet",
    "ItemScore",
    "aa_cases",
    "build_report",
    "corpus_report",
    "fold",
    "fundus_cases",
    "gold_sets",
    "quality_report",
    "render",
    "render_report",
    "report_passed",
    "reuters_datelines",
    "reuters_dispatches",
    "same_headline",
    "score_item",
    "section_names",
    "sentences",
]
