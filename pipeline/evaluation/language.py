"""Language detection scored on every corpus dispatch whose language is known (issue 5).

What is known, and how (``KNOWN``, in this order; the first rule that matches a file wins):

- a corpus MANIFEST says it: a folder's language (AFP Arabic, dpa German, the AA Turkish
  scrapes), a file-name convention (``agency-formats/extra``: ``H<nnn>__<agency>-<lang>-
  <form>__...``), or a file listed with its language (the superdesk-core fixtures);
- the source record says it: each line of ``excerpts.jsonl`` carries its ``lang``;
- Reuters-21578 is the 1987 English newswire.

Left out, with the reason in ``UNKNOWN``: files whose MANIFEST gives no language or two
(ANA-MPA "el/en", the two-language Ritzau feed), and what is not a dispatch (the IPTC
format examples, the expected-extraction JSON of the web pages, a list of links).

Two items are labelled against their folder: the STT fixtures ``stt_newsml_test.xml``
and ``stt_newsml_test_no_hl.xml`` declare fi-FI and sit with the Finnish STT items, but
their text is the English translation of an STT story (its headline ends "*** TRANSLATED
***"): their language is English.

Each dispatch goes through the real parsers (``load_all().detect(raw, headers).parse``)
and the clean stage; the text enrichment reads (``item_text``) is given to the detector
without the declared language (``detected``), and with it (``published``: what the
article is published as). A detection is right when its primary subtag is the known
language; "undetermined" is a text with nothing to detect (no letters, or too short).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.language import decide, identify, normalise_tag
from pipeline.enrich.text import item_text
from pipeline.errors import PipelineError
from pipeline.parsers import load_all
from pipeline.sources import SourceDispatch, iter_dispatches
from pipeline.stages.clean import clean


@dataclass(frozen=True, slots=True)
class Known:
    """Files matching ``pattern`` (relative to the corpus root) are in ``language``."""

    pattern: str
    language: str
    source: str  # where the knowledge comes from


_SD = "agency-formats/superdesk-core-fixtures"
_SD_WHY = "agency-formats/MANIFEST.md, superdesk-core-fixtures"

#: what is known, first match wins ("" language: read from the file name or the record)
KNOWN: tuple[Known, ...] = (
    Known("seed/*.txt", "fr", "seed/MANIFEST.md: an AA dispatch in French"),
    Known("reuters21578/reut2-*.sgm", "en", "Reuters-21578: the 1987 Reuters English newswire"),
    Known("web/aritespit-aa-news-tr/aa_news*.csv", "tr", "web/aritespit-aa-news-tr/MANIFEST.md: Turkish"),
    Known("web/pages-corpus-agency-excerpts/excerpts.jsonl", "", "each record's lang field"),
    Known("web/fundus-agency-pages/de/*.html", "de", "web/fundus-agency-pages: de/ folder"),
    Known("web/fundus-agency-pages/tr/*.html", "tr", "web/fundus-agency-pages: tr/ folder"),
    Known("web/fundus-agency-pages/us/*.html", "en", "web/fundus-agency-pages: us/ folder (AP, Reuters)"),
    Known("agency-formats/afp-newsml-1.2-arabic/*/*.xml", "ar", "agency-formats/MANIFEST.md: AFP Arabic"),
    Known("agency-formats/afp-newsml-1.2-arabic/*/*/*/*.xml", "ar", "agency-formats/MANIFEST.md: AFP Arabic"),
    Known("agency-formats/dpa-newsml-g2/*.tar*", "de", "agency-formats/MANIFEST.md: dpa German, xml:lang de"),
    Known("agency-formats/dpa-newsml-g2/images/*.xml", "de", "agency-formats/MANIFEST.md: dpa picture captions"),
    Known("agency-formats/extra/H*", "", "agency-formats/extra/MANIFEST.md: H<nnn>__<agency>-<lang>-<form>__"),
    Known(f"{_SD}/newsml-g2/stt_newsml_test*.xml", "en", "English translation of an STT story (see docstring)"),
    Known(f"{_SD}/newsml-g2/stt*.xml", "fi", f"{_SD_WHY}: STT Finnish"),
    Known(f"{_SD}/newsml-g2/dpa.xml", "de", f"{_SD_WHY}: dpa German"),
    Known(f"{_SD}/newsml-g2/*", "en", f"{_SD_WHY}: Reuters, ANSA English, AP"),
    Known(f"{_SD}/newsml-1.2/afp.xml", "en", f"{_SD_WHY}: AFP English"),
    Known(f"{_SD}/newsml-1.2/afp20.xml", "fr", f"{_SD_WHY}: AFP French"),
    Known(f"{_SD}/nitf/nitf-ntb.xml", "nb", f"{_SD_WHY}: NTB, Norwegian"),
    Known(f"{_SD}/nitf/*.xml", "en", f"{_SD_WHY}: AP, AAP, PA"),
    Known(f"{_SD}/anpa1312/*", "en", f"{_SD_WHY}: AP ANPA-1312"),
    Known(f"{_SD}/iptc7901/*", "en", f"{_SD_WHY}: dpa English service"),
    Known(f"{_SD}/ninjs-and-json/ninjs4.json", "de", f"{_SD_WHY}: German, futurezone"),
    Known(f"{_SD}/ninjs-and-json/*.json", "en", f"{_SD_WHY}: AAP, AP, The Conversation"),
    Known(f"{_SD}/ritzau-xml/ritzau_news.xml", "da", f"{_SD_WHY}: Danish, RBNews XML"),
)

#: files left out, and why (checked before KNOWN)
UNKNOWN: tuple[tuple[str, str], ...] = (
    ("*MANIFEST.md", "a manifest"),
    ("*/LICENSE*", "a licence"),
    ("agency-formats/afp-newsml-1.2-arabic/*index.xml", "an index of the items, not a dispatch"),
    (f"{_SD}/newsml-1.2/ana1.xml", "the MANIFEST gives two languages (el/en)"),
    (f"{_SD}/ritzau-xml/ritzau_feed.xml", "two items in two languages; the MANIFEST gives none"),
    ("web/fundus-agency-pages/*/*.json", "the expected extraction of a page, not a dispatch"),
    ("web/aritespit-aa-news-tr/links.csv", "a list of links"),
)

_EXTRA_NAME = re.compile(r"^H\d+__(?P<middle>[^_]+)__")


def known_language(relative: str) -> tuple[str, str] | None:
    """(language, source) for a corpus file (path relative to the root), or None."""
    for pattern, _ in UNKNOWN:
        if fnmatch.fnmatch(relative, pattern):
            return None
    for known in KNOWN:
        if not fnmatch.fnmatch(relative, known.pattern):
            continue
        if known.language or not known.pattern.startswith("agency-formats/extra/"):
            return known.language, known.source
        match = _EXTRA_NAME.match(Path(relative).name)
        if match is None:
            return None
        # "businessdesk-nz-en-newsmlg2": the language is the code the detector knows.
        codes = [t for t in match["middle"].split("-") if t in _LANGUAGE_CODES]
        return (codes[-1], known.source) if codes else None
    return None


# Language codes a file name may carry (ISO 639-1 codes lingua knows, lower case).
_LANGUAGE_CODES = frozenset(
    (  # noqa: SIM905 -- one string reads better than 77 quoted codes
        "af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gu he hi hr hu hy id is it ja ka kk "
        "ko la lg lt lv mi mk mn mr ms nb nl nn pa pl pt ro ru sk sl sn so sq sr st sv sw ta te th tl tn tr ts "
        "uk ur vi xh yo zh zu"
    ).split()
)


@dataclass(frozen=True, slots=True)
class Work:
    """One dispatch to score: its bytes, where it came from, its known language."""

    value: bytes
    input: str
    content_type: str | None
    known: str


@dataclass(frozen=True, slots=True)
class ItemLanguage:
    """One item's outcome."""

    input: str
    known: str
    declared: str | None
    detected: str | None
    confidence: float | None
    published: str | None
    letters: int

    @property
    def right(self) -> bool:
        return _primary(self.detected) == self.known

    @property
    def published_right(self) -> bool:
        return _primary(self.published) == self.known


def _primary(tag: str | None) -> str | None:
    return tag.split("-")[0].lower() if tag else None


def corpus_work(root: Path) -> Iterator[Work]:
    """Every dispatch of the corpus whose language is known, as work for the scorer."""
    for dispatch in iter_dispatches([str(root)]):
        relative = Path(dispatch.input.split(":", 1)[0].split("#", 1)[0]).resolve().relative_to(root.resolve())
        found = known_language(relative.as_posix())
        if found is None:
            continue
        language = found[0]
        if relative.suffix == ".jsonl":
            record = json.loads(dispatch.value)
            yield Work(dispatch.value, dispatch.input, dispatch.content_type, str(record["lang"]).lower())
        else:
            yield Work(dispatch.value, dispatch.input, dispatch.content_type, language)


def _score(batch: Sequence[Work], config: EnrichConfig) -> list[ItemLanguage]:
    parsers = load_all()
    out = []
    for work in batch:
        raw = SourceDispatch(work.value, work.input, work.content_type).raw()
        try:
            items = parsers.detect(raw.value, raw.headers).parse(raw.value, raw.headers)
        except PipelineError:
            continue  # an empty Reuters story, say: nothing to detect, no article either
        for item in items:
            text = item_text(clean(item)).value
            # as the enrich stage asks (language.detect): the declared language is known to the detector
            found = identify(text, config, declared=normalise_tag(item.language))
            published = decide(found, item.language)
            letters = sum(1 for c in text if c.isalpha())
            out.append(
                ItemLanguage(
                    work.input, work.known, item.language, found.language, found.confidence, published.language, letters
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class LanguageFigures:
    items: int = 0
    right: int = 0
    wrong: int = 0
    undetermined: int = 0
    published_right: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.items if self.items else 0.0


@dataclass(frozen=True)
class LanguageEvaluation:
    items: tuple[ItemLanguage, ...]
    seconds: float = 0.0
    per_language: dict[str, LanguageFigures] = field(init=False)

    def __post_init__(self) -> None:
        counts: dict[str, Counter[str]] = {}
        for item in self.items:
            c = counts.setdefault(item.known, Counter())
            c["items"] += 1
            c["right" if item.right else "undetermined" if item.detected is None else "wrong"] += 1
            c["published_right"] += item.published_right
        figures = {lang: LanguageFigures(**c) for lang, c in counts.items()}
        object.__setattr__(self, "per_language", dict(sorted(figures.items(), key=lambda kv: -kv[1].items)))

    @property
    def total(self) -> LanguageFigures:
        f = self.per_language.values()
        return LanguageFigures(
            sum(x.items for x in f),
            sum(x.right for x in f),
            sum(x.wrong for x in f),
            sum(x.undetermined for x in f),
            sum(x.published_right for x in f),
        )

    def table(self) -> str:
        rows = [f"{'language':<10}{'items':>8}{'correct':>9}{'wrong':>7}{'undet.':>8}{'accuracy':>10}{'published':>11}"]
        for lang, f in [*self.per_language.items(), ("all", self.total)]:
            rows.append(
                f"{lang:<10}{f.items:>8}{f.right:>9}{f.wrong:>7}{f.undetermined:>8}{f.accuracy:>10.4f}"
                f"{f.published_right:>11}"
            )
        return "\n".join(rows)

    def mistakes(self) -> list[ItemLanguage]:
        return [i for i in self.items if not i.right or not i.published_right]


def evaluate_languages(
    root: Path, *, config: EnrichConfig | None = None, workers: int | None = None
) -> LanguageEvaluation:
    """Detect the language of every known-language dispatch under the corpus ``root``."""
    config = config or EnrichConfig(spacy_models=())
    started = time.perf_counter()
    work = list(corpus_work(root))
    workers = max(1, workers or os.cpu_count() or 1)
    size = 500
    batches = [work[i : i + size] for i in range(0, len(work), size)]
    items: list[ItemLanguage] = []
    if workers == 1:
        for batch in batches:
            items += _score(batch, config)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(_score, batches, [config] * len(batches)):
                items += result
    return LanguageEvaluation(tuple(items), seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------- wirefeed eval


def evaluate(root: Path | None = None, *, config: EnrichConfig | None = None) -> dict[str, Any]:
    """``wirefeed eval language``: the table as a JSON-ready report. ``passed``: no wrong
    detection, and no article published in a wrong language."""
    from pipeline.evaluation.places import default_corpus_root

    root = root or default_corpus_root()
    result = evaluate_languages(root, config=config)
    wrong = [i.input for i in result.items if i.detected is not None and not i.right]
    published_wrong = [i.input for i in result.items if i.published is not None and not i.published_right]
    silent = [i.input for i in result.items if i.published is None]
    return {
        "corpus": str(root),
        "seconds": round(result.seconds, 1),
        "languages": {lang: _figures(f) for lang, f in result.per_language.items()},
        "all": _figures(result.total),
        "wrong": wrong,
        "published_wrong": published_wrong,
        "no_language": silent,
        "passed": not wrong and not published_wrong,
    }


def _figures(f: LanguageFigures) -> dict[str, Any]:
    return {
        "items": f.items,
        "correct": f.right,
        "wrong": f.wrong,
        "undetermined": f.undetermined,
        "accuracy": round(f.accuracy, 4),
        "published_right": f.published_right,
    }


def render(report: dict[str, Any]) -> str:
    """The report of ``evaluate`` as a table per language."""
    rows = [f"{'language':<10}{'items':>8}{'correct':>9}{'wrong':>7}{'undet.':>8}{'accuracy':>10}{'published':>11}"]
    for lang, f in [*report["languages"].items(), ("all", report["all"])]:
        rows.append(
            f"{lang:<10}{f['items']:>8}{f['correct']:>9}{f['wrong']:>7}{f['undetermined']:>8}"
            f"{f['accuracy']:>10.4f}{f['published_right']:>11}"
        )
    rows.append(
        "undet. = no language evidence in the text (tables, lists of names, slugs); "
        "published = the language the article is published in (detected, else declared)"
    )
    if report["no_language"]:
        rows.append(f"published without a language (no evidence, none declared): {len(report['no_language'])}")
    rows.append("passed" if report["passed"] else f"FAILED: wrong {report['wrong']} {report['published_wrong']}")
    return "\n".join(rows)
