"""The web gold set: pages and scrapes from sites the rules were never written for.

``../shared/corpus/web-unseen-dev/`` holds real web pages and scraped agency text from
agencies and sites outside the older corpus folders, with a ``gold.json`` that says,
per file (see its MANIFEST.md), what the cleaning stages should make of it:

    headline                verbatim, or null (a listing page has none)
    body_must_contain       1-3 verbatim fragments of the article's text
    body_must_not_contain   verbatim chrome present in the file (headline, section labels,
                            bylines, datelines, captions, widgets, tickers, tags, other
                            stories' titles) that must not reach the body
    dateline_place          verbatim, or null
    language                ISO 639-1
    kind                    article | truncated-article | listing | advisory

Each file goes through the production stages (``parse_dispatch``, ``clean``) as one
dispatch; its first item is scored. The language is what the article would be published
in: the enrich stage's detector (``pipeline.enrich.language.detect`` on the enrichment
text) with the agency-language fallback of ``pipeline.stages.flow.article``.

Measures (per item, in total, and for the odd- and even-numbered W items apart, so that
a change developed on one half can be checked on the other):

    headline     exact, of the items whose gold headline is not null, up to whitespace
                 and quote glyphs (clean prints typographic quotes)
    kept         must-contain fragments found in the body: whitespace, quote glyphs,
                 dashes and case folded (clean re-joins words and re-spaces quotes)
    leaked       must-not-contain fragments present in the body: whitespace collapsed,
                 quote glyphs and dashes unified, case kept; a fragment that begins (ends)
                 with a letter or digit must begin (end) at a word boundary ("Top" is not
                 found in "Topkapı")
    language     published language == gold (primary subtag)
    dateline     the item's dateline place == gold, up to case and the Turkish dotted
                 and dotless i, of the items whose gold place is not null; a gold place
                 written with its region ("SEOUL, South Korea", as the dateline prints it)
                 is right when we give the place and that region apart (place "SEOUL",
                 region "South Korea"): the region is the dateline's, split off by the
                 convention of ``pipeline.stages.clean`` (the structured scorer does the same)
    no article   the dispatch became a dead letter, or its cleaned body holds no text

The gold of a raw HTML file is matched against the HTML source (an apostrophe may be
printed ``&#x27;``): its strings are compared with their character references decoded.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.enrich.config import EnrichConfig
from pipeline.errors import PipelineError
from pipeline.records import ParsedItem
from pipeline.sources import iter_dispatches

log = logging.getLogger(__name__)

NAME = "web-unseen-dev"
FOLDER = "web-unseen-dev"

#: the issue's bars for this set (shares of the checked items / fragments)
THRESHOLDS: dict[str, float] = {
    "headline": 0.95,
    "kept": 0.98,
    "leaked": 0.01,  # at most
    "dateline": 0.90,
    "language": 1.0,
    "no_article": 0,  # at most, items
}
#: measures that are "at most" bars
AT_MOST = frozenset({"leaked", "no_article"})

_WS = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_QUOTE_GLYPHS = '"“”„‟«»‹›'
_SINGLE_GLYPHS = "'‘’‚‛`´"
_UNIFY = str.maketrans(
    {
        **dict.fromkeys(_QUOTE_GLYPHS, '"'),
        **dict.fromkeys(_SINGLE_GLYPHS, "'"),
        **dict.fromkeys("–—‐‑‒−", "-"),
        "…": "...",
    }
)
# spaces a typographer puts inside quotation marks (French « x ») are not the text's
_SPACE_AT_QUOTE = re.compile(r'(?<=")\s+|\s+(?=")')
_FOLD_OUT = re.compile("[\\s\"']+")


def unified(text: str) -> str:
    """NFC, invisible marks out, quote glyphs and dashes unified, whitespace collapsed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).translate(_UNIFY)
    return _SPACE_AT_QUOTE.sub("", _WS.sub(" ", text)).strip()


def folded(text: str) -> str:
    """``unified`` text case-folded, with whitespace and quote glyphs out: what survives re-spacing."""
    return _FOLD_OUT.sub("", unified(text).casefold())


def place_key(text: str) -> str:
    """A dateline place for comparison: case-folded (Turkish İ/ı as i), letters and digits only."""
    text = unicodedata.normalize("NFC", text).replace("İ", "i").replace("I", "i").casefold().replace("ı", "i")
    text = unicodedata.normalize("NFC", text.replace("i\u0307", "i"))
    return "".join(ch for ch in text if ch.isalnum())


def same_dateline(place: str | None, region: str | None, gold: str) -> bool:
    """The dateline place is the gold's; "PLACE, Region" in the gold is our place with its region."""
    if not place:
        return False
    wanted = place_key(gold)
    return wanted == place_key(place) or (region is not None and wanted == place_key(f"{place}, {region}"))


def same_headline(ours: str | None, gold: str) -> bool:
    """Equal up to whitespace, quote glyphs and dashes."""
    return ours is not None and unified(ours) == unified(gold)


def contains(body: str, fragment: str) -> bool:
    """Is the must-contain ``fragment`` in ``body`` (whitespace, quotes, dashes and case folded)?"""
    key = folded(fragment)
    return bool(key) and key in folded(body)


def leaks(body: str, fragment: str) -> bool:
    """Is the must-not-contain ``fragment`` present in ``body`` (case kept, word boundaries at its ends)?"""
    needle = unified(fragment)
    if not needle:
        return False
    head = r"(?<![^\W_])" if needle[0].isalnum() else ""
    tail = r"(?![^\W_])" if needle[-1].isalnum() else ""
    return re.search(head + re.escape(needle) + tail, unified(body)) is not None


# ------------------------------------------------------------------ gold


@dataclass(frozen=True)
class Gold:
    """One file's expected cleaning output (a gold.json entry)."""

    file: str
    language: str
    headline: str | None
    must_contain: tuple[str, ...]
    must_not_contain: tuple[str, ...]
    dateline_place: str | None
    kind: str
    agency: str = ""

    @property
    def id(self) -> str:
        return self.file.split("__", 1)[0]

    @property
    def number(self) -> int:
        digits = re.sub(r"\D", "", self.id)
        return int(digits) if digits else 0


_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def _decoded(gold: Gold) -> Gold:
    """The gold of an HTML file with its strings' character references decoded."""

    def text(value: str | None) -> str | None:
        return html.unescape(value) if value is not None else None

    return replace(
        gold,
        headline=text(gold.headline),
        must_contain=tuple(html.unescape(s) for s in gold.must_contain),
        must_not_contain=tuple(html.unescape(s) for s in gold.must_not_contain),
        dateline_place=text(gold.dateline_place),
    )


def load_gold(folder: Path) -> list[Gold]:
    """The entries of ``folder/gold.json``, in file-name order."""
    data = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    golds = [
        Gold(
            file=name,
            language=str(entry["language"]),
            headline=entry.get("headline"),
            must_contain=tuple(entry.get("body_must_contain") or ()),
            must_not_contain=tuple(entry.get("body_must_not_contain") or ()),
            dateline_place=entry.get("dateline_place"),
            kind=str(entry.get("kind", "article")),
            agency=str(entry.get("agency", "")),
        )
        for name, entry in sorted(data.items())
    ]
    return [_decoded(g) if g.file.lower().endswith(_HTML_SUFFIXES) else g for g in golds]


# ------------------------------------------------------------------ scoring


@dataclass
class WebItemScore:
    """What one file gave, against its gold."""

    id: str
    file: str
    kind: str
    error: str | None = None
    no_article: bool = False
    headline_checked: bool = False
    headline_ok: bool = False
    headline: str | None = None
    gold_headline: str | None = None
    kept: int = 0
    must_contain: int = 0
    missing: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)
    must_not_contain: int = 0
    language: str | None = None
    gold_language: str = ""
    language_ok: bool = False
    dateline_checked: bool = False
    dateline_ok: bool = False
    dateline: str | None = None
    gold_dateline: str | None = None
    body_chars: int = 0


LanguageOf = Callable[[ParsedItem], str | None]


def published_language(config: EnrichConfig | None = None) -> LanguageOf:
    """The language an article is published in: the enrich stage's detection, the flow's fallback."""
    from pipeline.enrich.language import detect
    from pipeline.enrich.text import item_text
    from pipeline.stages.normalise import service_language

    def language_of(item: ParsedItem) -> str | None:
        found = detect(item_text(item).value, item.language, config)
        tag = found.language or service_language(item.agency)
        return tag.split("-")[0].lower() if tag else None

    return language_of


def score_file(path: Path, gold: Gold, language_of: LanguageOf) -> WebItemScore:
    """Parse and clean ``path`` with the production stages, and score it against ``gold``."""
    from pipeline.stages.clean import clean
    from pipeline.stages.flow import parse_dispatch

    score = WebItemScore(
        gold.id,
        gold.file,
        gold.kind,
        gold_headline=gold.headline,
        must_contain=len(gold.must_contain),
        must_not_contain=len(gold.must_not_contain),
        gold_language=gold.language,
        gold_dateline=gold.dateline_place,
        headline_checked=gold.headline is not None,
        dateline_checked=gold.dateline_place is not None,
    )
    item: ParsedItem | None = None
    try:
        for source in iter_dispatches([str(path)]):
            items = list(parse_dispatch(source.raw()))
            if items:
                item = clean(items[0])
            break
    except PipelineError as exc:
        score.error = f"{type(exc).__name__}: {exc}"
    body = "\n".join(block.text for block in item.body) if item else ""
    score.body_chars = len(body.strip())
    score.no_article = item is None or not body.strip()
    if item is None:
        score.missing = list(gold.must_contain)
        return score
    score.headline = item.headline
    if gold.headline is not None:
        score.headline_ok = same_headline(item.headline, gold.headline)
    for fragment in gold.must_contain:
        if contains(body, fragment):
            score.kept += 1
        else:
            score.missing.append(fragment)
    score.leaked = [fragment for fragment in gold.must_not_contain if leaks(body, fragment)]
    score.language = language_of(item)
    score.language_ok = score.language == gold.language
    score.dateline = item.dateline.place if item.dateline else None
    if gold.dateline_place is not None:
        region = item.dateline.region if item.dateline else None
        score.dateline_ok = same_dateline(score.dateline, region, gold.dateline_place)
    return score


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def totals(scores: Sequence[WebItemScore]) -> dict[str, Any]:
    """Counts and shares over ``scores``."""
    row: dict[str, Any] = {
        "items": len(scores),
        "errors": sum(s.error is not None for s in scores),
        "no_article": sum(s.no_article for s in scores),
        "headlines_checked": sum(s.headline_checked for s in scores),
        "headlines_ok": sum(s.headline_ok for s in scores),
        "must_contain": sum(s.must_contain for s in scores),
        "kept": sum(s.kept for s in scores),
        "must_not_contain": sum(s.must_not_contain for s in scores),
        "leaked": sum(len(s.leaked) for s in scores),
        "languages_ok": sum(s.language_ok for s in scores),
        "datelines_checked": sum(s.dateline_checked for s in scores),
        "datelines_ok": sum(s.dateline_ok for s in scores),
    }
    row["shares"] = {
        "headline": _ratio(row["headlines_ok"], row["headlines_checked"]),
        "kept": _ratio(row["kept"], row["must_contain"]),
        "leaked": _ratio(row["leaked"], row["must_not_contain"]),
        "language": _ratio(row["languages_ok"], row["items"]),
        "dateline": _ratio(row["datelines_ok"], row["datelines_checked"]),
    }
    return row


def passed(row: dict[str, Any]) -> dict[str, bool | None]:
    """Which of the issue's bars ``row`` (a ``totals`` result) meets."""
    out: dict[str, bool | None] = {}
    for name, bar in THRESHOLDS.items():
        value = row["no_article"] if name == "no_article" else row["shares"][name]
        if value is None:
            out[name] = None
        else:
            out[name] = value <= bar if name in AT_MOST else value >= bar
    return out


def evaluate(
    root: Path, *, only: Callable[[str], bool] | None = None, config: EnrichConfig | None = None
) -> dict[str, Any]:
    """The set's section of the quality report (a JSON-ready dict); ``only(file name)`` filters the items."""
    folder = root / FOLDER
    if not (folder / "gold.json").is_file():
        return {"name": NAME, "folder": str(folder), "absent": True}
    started = time.perf_counter()
    language_of = published_language(config)
    golds = [g for g in load_gold(folder) if only is None or only(g.file)]
    scores = [score_file(folder / g.file, g, language_of) for g in golds]
    total = totals(scores)
    return {
        "name": NAME,
        "folder": str(folder),
        "items": [asdict(s) for s in scores],
        "total": total,
        "halves": {
            "odd": totals([s for s, g in zip(scores, golds, strict=True) if g.number % 2 == 1]),
            "even": totals([s for s, g in zip(scores, golds, strict=True) if g.number % 2 == 0]),
        },
        "thresholds": dict(THRESHOLDS),
        "passed": passed(total),
        "seconds": round(time.perf_counter() - started, 2),
    }


# ------------------------------------------------------------------ rendering


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _summary_line(name: str, row: dict[str, Any]) -> str:
    s = row["shares"]
    return (
        f"{name:<6} {row['items']:>4} items  headline {row['headlines_ok']}/{row['headlines_checked']} "
        f"{_pct(s['headline'])}  kept {row['kept']}/{row['must_contain']} {_pct(s['kept'])}  "
        f"leaked {row['leaked']}/{row['must_not_contain']} {_pct(s['leaked'])}  "
        f"language {row['languages_ok']}/{row['items']} {_pct(s['language'])}  "
        f"dateline {row['datelines_ok']}/{row['datelines_checked']} {_pct(s['dateline'])}  "
        f"no article {row['no_article']}"
    )


def _short(text: str | None, width: int = 60) -> str:
    if text is None:
        return "None"
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def render(section: dict[str, Any], *, details: bool = True) -> str:
    """The set's section as text: one line per item, the totals, the halves, the bars."""
    out = io.StringIO()
    out.write(f"\n== {section['name']} ({section['folder']})\n")
    if section.get("absent"):
        out.write("   not found: no gold.json there\n")
        return out.getvalue()
    header = f"{'item':<6} {'kind':<8} {'head':>4} {'kept':>5} {'leaked':>7} {'lang':>9} {'dateline':>8}  note"
    out.write(header + "\n" + "-" * len(header) + "\n")
    for s in section["items"]:
        head = "-" if not s["headline_checked"] else ("ok" if s["headline_ok"] else "NO")
        lang = f"{s['language'] or '?'}" + ("" if s["language_ok"] else f"≠{s['gold_language']}")
        dateline = "-" if not s["dateline_checked"] else ("ok" if s["dateline_ok"] else "NO")
        note = "NO ARTICLE" + (f" ({s['error']})" if s["error"] else "") if s["no_article"] else ""
        out.write(
            f"{s['id']:<6} {s['kind'][:8]:<8} {head:>4} {s['kept']:>2}/{s['must_contain']:<2} "
            f"{len(s['leaked']):>3}/{s['must_not_contain']:<3} {lang:>9} {dateline:>8}  {note}\n"
        )
    out.write("-" * len(header) + "\n")
    out.write(_summary_line("total", section["total"]) + "\n")
    for half, row in section["halves"].items():
        out.write(_summary_line(half, row) + "\n")
    out.write("\nbar          value     wanted   ok\n")
    for name, bar in section["thresholds"].items():
        total = section["total"]
        value = str(total["no_article"]) if name == "no_article" else _pct(total["shares"][name])
        wanted = f"<= {bar}" if name == "no_article" else (f"<= {_pct(bar)}" if name in AT_MOST else f">= {_pct(bar)}")
        ok = {True: "yes", False: "NO", None: "-"}[section["passed"][name]]
        out.write(f"{name:<12} {value:>8} {wanted:>10} {ok:>4}\n")
    out.write(f"({section['seconds']} s)\n")
    if details:
        out.write("\nper item, what went wrong:\n")
        for s in section["items"]:
            lines = []
            if s["headline_checked"] and not s["headline_ok"]:
                lines.append(f"headline {_short(s['headline'])!s} | gold {_short(s['gold_headline'])}")
            lines += [f"missing  {_short(m)}" for m in s["missing"]]
            lines += [f"leaked   {_short(x)}" for x in s["leaked"]]
            if s["dateline_checked"] and not s["dateline_ok"]:
                lines.append(f"dateline {s['dateline']!r} | gold {s['gold_dateline']!r}")
            if not s["language_ok"]:
                lines.append(f"language {s['language']} | gold {s['gold_language']}")
            if lines:
                out.write(f"  {s['id']}\n" + "".join(f"    {line}\n" for line in lines))
    return out.getvalue()


__all__ = [
    "FOLDER",
    "NAME",
    "THRESHOLDS",
    "Gold",
    "WebItemScore",
    "contains",
    "evaluate",
    "folded",
    "leaks",
    "load_gold",
    "place_key",
    "published_language",
    "render",
    "same_dateline",
    "same_headline",
    "score_file",
    "totals",
    "unified",
]
