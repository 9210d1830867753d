"""The structured-feed report: what wirefeed makes of agency files in dialects it never saw.

Users feed wirefeed from agencies no profile or parser was written for. This module
measures, file by file, what the production stages give for a folder of real structured
files (NewsML-G2, NewsML 1.x, NITF, IPTC 7901, agency JSON, RSS...) described by a
``gold.json`` beside them: ``../shared/corpus/agency-formats/unseen-dev/`` (read its
MANIFEST.md and check_gold.py). Each file is read as ``wirefeed ingest`` reads it (one or
more dispatches, content-type from the extension, no agency header: a new user's setup),
then parse + clean run as the worker runs them (``pipeline.stages.flow.first_half``);
the language is the one the article would be published in (detected over the item's
text, the source's declaration, the agency's only service language as a fallback), as
``flow.article`` decides it, without the rest of enrichment.

Per file, against its gold entry:

    article       the file gives at least one article (not only dead letters)
    items         articles, not counting packages (ninjs "composite") when the file also
                  has other items: the gold counts G2 newsItems (packageItems only when
                  there is none), NewsML 1.x NewsItems, RSS items, wireQ entries
    first item    the article whose guid is the gold guid, else the first article that
                  is not a package, else the first article

and for that first item, one check per field (a file with no article fails every one):

    headline      equal to the gold headline up to whitespace and the glyph of double
                  quotes (``quality.same_headline``); not checked when the gold has none
    body          each ``body_must_contain`` fragment, compared folded (case, whitespace,
                  quote glyphs and dash forms ignored: ``quality.fold``), is in the
                  article's text: dateline as printed, body, summary/caption, and the
                  headline only when the item has no body (title-only RSS entries)
    date          the gold date (YYYY-MM-DD) is the calendar date of the item's first
                  created, version created or content created time, either as the
                  source printed it (its own offset) or in UTC (the gold does not say
                  which of the three times it took)
    guid          exactly the gold guid; not checked when the gold has none
    version       exactly the gold version (as a string); not checked when it has none
    language      the primary subtag of the published language is the gold language
    dateline      the dateline place equals the gold place, folded; a place the gold
                  writes with a region in brackets ("Fráncfort (Alemania)") also
                  matches without it, and ours may add its region the same way. When
                  the gold has no place, right only if we found none. Reported apart
                  from the other fields (it depends on the dateline grammar).

``evaluate`` returns a JSON-ready dict; ``render`` prints it as a table.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from pipeline.enrich import language as language_detection
from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.text import item_text
from pipeline.evaluation.quality import default_corpus_root, fold, same_headline
from pipeline.records import CleanedDispatch, DeadLetter, Enrichment, ParsedItem, When
from pipeline.sources import iter_dispatches
from pipeline.stages import normalise
from pipeline.stages.clean import clean
from pipeline.stages.flow import Stages, first_half, parse_dispatch

log = logging.getLogger(__name__)

#: where the development set lives under the corpus root
UNSEEN_DEV = ("agency-formats", "unseen-dev")
GOLD_NAME = "gold.json"
#: files of the folder that are not dispatches
NOT_DATA = frozenset({"MANIFEST.md", GOLD_NAME, "check_gold.py"})

#: the issue's bars: every structured file with text gives an article; fields right
THRESHOLDS: dict[str, float] = {"articles": 1.0, "fields": 0.95}

#: fields checked on the first item, in print order (dateline apart, see the docstring)
FIELDS = ("headline", "body", "date", "guid", "version", "language")


@dataclass(frozen=True)
class GoldItem:
    headline: str | None
    body: tuple[str, ...]
    date: str | None
    guid: str | None
    version: str | None
    dateline_place: str | None


@dataclass(frozen=True)
class GoldFile:
    name: str
    format: str
    agency: str
    language: str
    items: int
    first: GoldItem


def load_gold(folder: Path) -> list[GoldFile]:
    """The gold entries of ``folder``, in file-name order."""
    data = json.loads((folder / GOLD_NAME).read_text(encoding="utf-8"))
    out = []
    for name, entry in sorted(data.items()):
        fi = entry["first_item"]
        version = fi.get("version")
        out.append(
            GoldFile(
                name=name,
                format=entry["format"],
                agency=entry["agency"],
                language=entry["language"],
                items=int(entry["items"]),
                first=GoldItem(
                    headline=fi.get("headline"),
                    body=tuple(fi.get("body_must_contain") or ()),
                    date=fi.get("date"),
                    guid=fi.get("guid"),
                    version=None if version is None else str(version),
                    dateline_place=fi.get("dateline_place"),
                ),
            )
        )
    return out


# ------------------------------------------------------------------ scoring


@dataclass
class FileScore:
    """What one file gave, against its gold entry."""

    name: str
    format: str
    dispatches: int = 0
    articles: int = 0
    items: int = 0  # articles as the gold counts them (see the module docstring)
    items_expected: int = 0
    dead_letters: list[str] = field(default_factory=list)
    wf_format: str | None = None
    #: field -> right (True/False) or not checked (None)
    fields: dict[str, bool | None] = field(default_factory=dict)
    body_expected: int = 0
    body_found: int = 0
    dateline: bool | None = None
    #: field -> what we gave, for the fields that are wrong
    wrong: dict[str, str] = field(default_factory=dict)

    @property
    def has_article(self) -> bool:
        return self.articles > 0


def _first(items: Sequence[ParsedItem], guid: str | None) -> ParsedItem | None:
    if guid is not None:
        for item in items:
            if item.guid == guid:
                return item
    plain = [i for i in items if i.type != "composite"]
    candidates = plain or list(items)
    return candidates[0] if candidates else None


def published_language(item: ParsedItem, config: EnrichConfig | None = None) -> str | None:
    """The language the article would be published in (as ``flow.article`` decides it)."""
    found = language_detection.detect(item_text(item).value, item.language, config)
    return found.language or item.language or normalise.service_language(item.agency)


def _dates(when: When | None) -> set[str]:
    if when is None:
        return set()
    return {when.value.date().isoformat(), when.value.astimezone(UTC).date().isoformat()}


_BRACKETED_TAIL = re.compile(r"\s*\([^()]*\)\s*$")


def same_place(ours: str | None, region: str | None, gold: str) -> bool:
    """Dateline place equality, folded; a bracketed region on either side is optional."""
    if not ours:
        return False
    wanted = {fold(gold), fold(_BRACKETED_TAIL.sub("", gold))}
    mine = {fold(ours)}
    if region:
        mine |= {fold(f"{ours} ({region})"), fold(f"{ours}, {region}")}
    return bool(wanted & mine)


def article_text(item: ParsedItem) -> str:
    """What a body fragment is looked for in: dateline, body, summary (and a lone headline)."""
    parts = [item.dateline.raw if item.dateline else "", item.body_text(), item.summary or ""]
    if not item.body and item.headline:
        parts.append(item.headline)
    return fold(" ".join(parts))


def score_item(gold: GoldFile, item: ParsedItem, score: FileScore, config: EnrichConfig | None = None) -> None:
    """Fill ``score``'s field checks from the cleaned first item."""
    g = gold.first
    if g.headline is not None:
        score.fields["headline"] = same_headline(item.headline, g.headline)
        if not score.fields["headline"]:
            score.wrong["headline"] = repr(item.headline)
    text = article_text(item)
    missing = [s for s in g.body if fold(s) not in text]
    score.body_expected = len(g.body)
    score.body_found = len(g.body) - len(missing)
    score.fields["body"] = not missing
    if missing:
        score.wrong["body"] = "missing " + " | ".join(repr(s[:60]) for s in missing)
    if g.date is not None:
        dates = _dates(item.first_created) | _dates(item.version_created) | _dates(item.content_created)
        score.fields["date"] = g.date in dates
        if not score.fields["date"]:
            score.wrong["date"] = ", ".join(sorted(dates)) or "none"
    if g.guid is not None:
        score.fields["guid"] = item.guid == g.guid
        if not score.fields["guid"]:
            score.wrong["guid"] = repr(item.guid)
    if g.version is not None:
        score.fields["version"] = item.version == g.version
        if not score.fields["version"]:
            score.wrong["version"] = repr(item.version)
    lang = published_language(item, config)
    score.fields["language"] = lang is not None and lang.split("-")[0].lower() == gold.language
    if not score.fields["language"]:
        score.wrong["language"] = repr(lang)
    place = item.dateline.place if item.dateline else None
    region = item.dateline.region if item.dateline else None
    if g.dateline_place is None:
        score.dateline = place is None
    else:
        score.dateline = same_place(place, region, g.dateline_place)
    if not score.dateline:
        score.wrong["dateline"] = repr(place)


def _no_enrichment(item: ParsedItem) -> Enrichment:
    raise RuntimeError("the structured report does not enrich")  # first_half never calls it


_STAGES = Stages(parse=parse_dispatch, clean=clean, enrich=_no_enrichment)


def score_file(path: Path, gold: GoldFile, config: EnrichConfig | None = None) -> FileScore:
    """Ingest ``path`` as ``wirefeed ingest`` would, run parse + clean, score against ``gold``."""
    score = FileScore(gold.name, gold.format, items_expected=gold.items)
    items: list[ParsedItem] = []
    for source in iter_dispatches([str(path)]):
        score.dispatches += 1
        for result in first_half(source.raw(), _STAGES):
            if isinstance(result, CleanedDispatch):
                items.append(result.item)
            elif isinstance(result, DeadLetter):
                score.dead_letters.append(_reason(result))
    score.articles = len(items)
    plain = [i for i in items if i.type != "composite"]
    score.items = len(plain) if plain else len(items)
    first = _first(items, gold.first.guid)
    if first is None:
        # no article: every field that would be checked is wrong
        g = gold.first
        for name, wanted in (
            ("headline", g.headline),
            ("body", g.body or None),
            ("date", g.date),
            ("guid", g.guid),
            ("version", g.version),
            ("language", gold.language),
        ):
            score.fields[name] = None if wanted is None else False
        score.body_expected = len(g.body)
        score.dateline = False
        score.wrong["article"] = score.dead_letters[0] if score.dead_letters else "no dispatch"
        return score
    score.wf_format = first.format
    score_item(gold, first, score, config)
    return score


def _reason(outcome: DeadLetter) -> str:
    try:
        error = json.loads(outcome.value)["error"]
        return f"{error.get('class')}: {error.get('reason')}"[:160]
    except (ValueError, KeyError, TypeError):
        return "dead letter"


# ------------------------------------------------------------------ the report


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def build_report(scores: Sequence[FileScore]) -> dict[str, Any]:
    """Totals over ``scores`` and the per-file rows, JSON-ready."""
    per_field: dict[str, dict[str, int]] = {name: {"right": 0, "checked": 0} for name in FIELDS}
    body = {"found": 0, "expected": 0}
    dateline = {"right": 0, "checked": 0}
    for s in scores:
        for name in FIELDS:
            value = s.fields.get(name)
            if value is not None:
                per_field[name]["checked"] += 1
                per_field[name]["right"] += int(value)
        body["found"] += s.body_found
        body["expected"] += s.body_expected
        if s.dateline is not None:
            dateline["checked"] += 1
            dateline["right"] += int(s.dateline)
    right = sum(f["right"] for f in per_field.values())
    checked = sum(f["checked"] for f in per_field.values())
    articles = sum(s.has_article for s in scores)
    measures = {
        "articles": _ratio(articles, len(scores)),
        "fields": _ratio(right, checked),
        "fields_with_dateline": _ratio(right + dateline["right"], checked + dateline["checked"]),
        "items_right": _ratio(sum(s.items == s.items_expected for s in scores), len(scores)),
        "body_fragments": _ratio(body["found"], body["expected"]),
        "dateline": _ratio(dateline["right"], dateline["checked"]),
    }
    passed: dict[str, bool | None] = {}
    for name, bar in THRESHOLDS.items():
        measured = measures[name]
        passed[name] = None if measured is None else measured >= bar
    return {
        "files": len(scores),
        "with_article": articles,
        "fields": {name: {**f, "share": _ratio(f["right"], f["checked"])} for name, f in per_field.items()},
        "fields_right": right,
        "fields_checked": checked,
        "body": body,
        "dateline": dateline,
        "measures": measures,
        "thresholds": dict(THRESHOLDS),
        "passed": passed,
        "rows": [
            {
                "file": s.name,
                "format": s.format,
                "wf_format": s.wf_format,
                "dispatches": s.dispatches,
                "articles": s.articles,
                "items": s.items,
                "items_expected": s.items_expected,
                "dead_letters": len(s.dead_letters),
                "fields": dict(s.fields),
                "body_found": s.body_found,
                "body_expected": s.body_expected,
                "dateline": s.dateline,
                "wrong": dict(s.wrong),
            }
            for s in scores
        ],
    }


def available(root: Path | None = None, folder: Sequence[str] = UNSEEN_DEV) -> bool:
    """Whether the corpus holds the folder and its gold."""
    return (root or default_corpus_root()).joinpath(*folder, GOLD_NAME).is_file()


def evaluate(
    root: Path | None = None, folder: Sequence[str] = UNSEEN_DEV, config: EnrichConfig | None = None
) -> dict[str, Any]:
    """The report over a folder of structured files with a gold.json (the unseen-dev set by
    default); ``config``: the enrichment config the language is detected with (the default's)."""
    base = (root or default_corpus_root()).joinpath(*folder)
    started = time.perf_counter()
    scores = [score_file(base / gold.name, gold, config) for gold in load_gold(base)]
    report = build_report(scores)
    report["folder"] = str(base)
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


_MARK = {True: "+", False: "X", None: "."}


def render(report: dict[str, Any], *, title: str = "structured feeds") -> str:
    """The report as a text table: one line per file, then totals."""
    out = io.StringIO()
    out.write(f"{title}: {report.get('folder', '')}\n")
    cols = "".join(f"{name[:4]:>5}" for name in FIELDS)
    header = f"{'file':<44} {'parser':<14} {'art':>3} {'items':>7}{cols} {'dtln':>5}"
    out.write(header + "\n" + "-" * len(header) + "\n")
    for row in report["rows"]:
        marks = "".join(f"{_MARK[row['fields'].get(name)]:>5}" for name in FIELDS)
        body = f"{row['body_found']}/{row['body_expected']}"
        marks = marks[:5] + f"{body:>5}" + marks[10:]  # the body column shows fragments found
        items = f"{row['items']}/{row['items_expected']}"
        out.write(
            f"{row['file'][:44]:<44} {(row['wf_format'] or '-')[:14]:<14} {row['articles']:>3} {items:>7}"
            f"{marks} {_MARK[row['dateline']]:>5}\n"
        )
    out.write("-" * len(header) + "\n")
    m = report["measures"]
    out.write(
        f"files giving an article: {report['with_article']}/{report['files']} ({_pct(m['articles'])}); "
        f"item count right: {_pct(m['items_right'])}\n"
    )
    for name, f in report["fields"].items():
        out.write(f"  {name:<10} {f['right']:>3}/{f['checked']:<3} {_pct(f['share']):>7}\n")
    b, d = report["body"], report["dateline"]
    out.write(f"  body fragments found {b['found']}/{b['expected']} ({_pct(m['body_fragments'])})\n")
    out.write(
        f"fields: {report['fields_right']}/{report['fields_checked']} ({_pct(m['fields'])}); "
        f"dateline place {d['right']}/{d['checked']} ({_pct(m['dateline'])}); "
        f"fields with dateline {_pct(m['fields_with_dateline'])}\n"
    )
    for name, bar in report["thresholds"].items():
        ok = {True: "yes", False: "NO", None: "-"}[report["passed"][name]]
        out.write(f"  {name:<10} {_pct(m[name]):>7} >= {_pct(bar)} {ok}\n")
    wrong = [(row["file"], k, v) for row in report["rows"] for k, v in row["wrong"].items()]
    if wrong:
        out.write(f"\nwrong ({len(wrong)}):\n")
        for name, kind, detail in wrong:
            out.write(f"  {name[:44]} [{kind}] {detail[:140]}\n")
    if "seconds" in report:
        out.write(f"\n{report['seconds']} s\n")
    return out.getvalue()


__all__ = [
    "FIELDS",
    "THRESHOLDS",
    "FileScore",
    "GoldFile",
    "GoldItem",
    "available",
    "build_report",
    "evaluate",
    "load_gold",
    "published_language",
    "render",
    "same_place",
    "score_file",
    "score_item",
]
