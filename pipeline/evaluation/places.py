"""Places enrichment scored against the gold ``<PLACES>`` labels of Reuters-21578.

What is measured (issue 5): for every story whose gold label list is not empty (18,798 of
21,578), the set of countries of the places enrichment gives ``rel`` "dateline" or "about",
against the set of countries of its gold labels. Micro precision, recall and F1 are
computed over all (story, country) pairs; per-country figures over the stories where the
country is gold or predicted.

The gold labels are 1987 names ("west-germany", "ussr", "hong-kong"); ``REUTERS_PLACES``
maps each of the 175 to today's ISO 3166-1 code (the GeoNames country code enrichment
gives). Germany's two states are both DE; the USSR is RU; Czechoslovakia is CZ and
Yugoslavia RS (their successor states' seats); the two Yemens are YE.

The gold labels reach this module only: the Reuters-21578 parser keeps them in
``item.extra`` as ("reuters21578:places", "usa;uk"), and enrichment never reads ``extra``.

What runs is parse -> clean -> the places part of enrichment (``Enricher.places``) with
the given config; the default is the production config without spaCy models, so the
score is that of the gazetteer-and-rules method (the models add little to places and cost
30 ms a story). Files are spread over a process pool of ``os.cpu_count()`` workers.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.enrich.config import EnrichConfig
from pipeline.parsers.reuters_sgml import ReutersSGMLParser
from pipeline.records import ParsedItem
from pipeline.stages.clean import clean
from pipeline.stages.enrich import build_enricher

log = logging.getLogger(__name__)

GOLD_KEY = "reuters21578:places"
CENTRAL_RELS = frozenset({"dateline", "about"})

#: Reuters-21578 place label -> ISO 3166-1 alpha-2 code of today's country
REUTERS_PLACES: dict[str, str] = {
    "afghanistan": "AF", "albania": "AL", "algeria": "DZ", "american-samoa": "AS", "andorra": "AD",
    "angola": "AO", "anguilla": "AI", "antigua": "AG", "argentina": "AR", "aruba": "AW",
    "australia": "AU", "austria": "AT", "bahamas": "BS", "bahrain": "BH", "bangladesh": "BD",
    "barbados": "BB", "belgium": "BE", "belize": "BZ", "benin": "BJ", "bermuda": "BM",
    "bhutan": "BT", "bolivia": "BO", "botswana": "BW", "brazil": "BR", "british-virgin-islands": "VG",
    "brunei": "BN", "bulgaria": "BG", "burkina-faso": "BF", "burma": "MM", "burundi": "BI",
    "cameroon": "CM", "canada": "CA", "cape-verde": "CV", "cayman-islands": "KY",
    "central-african-republic": "CF", "chad": "TD", "chile": "CL", "china": "CN", "colombia": "CO",
    "congo": "CG", "costa-rica": "CR", "cuba": "CU", "cyprus": "CY", "czechoslovakia": "CZ",
    "denmark": "DK", "djibouti": "DJ", "dominica": "DM", "dominican-republic": "DO",
    "east-germany": "DE", "ecuador": "EC", "egypt": "EG", "el-salvador": "SV",
    "equatorial-guinea": "GQ", "ethiopia": "ET", "fiji": "FJ", "finland": "FI", "france": "FR",
    "french-guiana": "GF", "gabon": "GA", "gambia": "GM", "ghana": "GH", "gibraltar": "GI",
    "greece": "GR", "grenada": "GD", "guadeloupe": "GP", "guam": "GU", "guatemala": "GT",
    "guinea": "GN", "guinea-bissau": "GW", "guyana": "GY", "haiti": "HT", "honduras": "HN",
    "hong-kong": "HK", "hungary": "HU", "iceland": "IS", "india": "IN", "indonesia": "ID",
    "iran": "IR", "iraq": "IQ", "ireland": "IE", "israel": "IL", "italy": "IT",
    "ivory-coast": "CI", "jamaica": "JM", "japan": "JP", "jordan": "JO", "kampuchea": "KH",
    "kenya": "KE", "kuwait": "KW", "laos": "LA", "lebanon": "LB", "lesotho": "LS",
    "liberia": "LR", "libya": "LY", "liechtenstein": "LI", "luxembourg": "LU", "macao": "MO",
    "madagascar": "MG", "malawi": "MW", "malaysia": "MY", "mali": "ML", "malta": "MT",
    "martinique": "MQ", "mauritania": "MR", "mauritius": "MU", "mexico": "MX", "monaco": "MC",
    "morocco": "MA", "mozambique": "MZ", "namibia": "NA", "nepal": "NP", "netherlands": "NL",
    "netherlands-antilles": "CW", "new-caledonia": "NC", "new-zealand": "NZ", "nicaragua": "NI",
    "niger": "NE", "nigeria": "NG", "north-korea": "KP", "norway": "NO", "oman": "OM",
    "pakistan": "PK", "panama": "PA", "papua-new-guinea": "PG", "paraguay": "PY", "peru": "PE",
    "philippines": "PH", "poland": "PL", "portugal": "PT", "qatar": "QA", "romania": "RO",
    "rwanda": "RW", "saudi-arabia": "SA", "senegal": "SN", "seychelles": "SC",
    "sierra-leone": "SL", "singapore": "SG", "somalia": "SO", "south-africa": "ZA",
    "south-korea": "KR", "spain": "ES", "sri-lanka": "LK", "sudan": "SD", "suriname": "SR",
    "swaziland": "SZ", "sweden": "SE", "switzerland": "CH", "syria": "SY", "taiwan": "TW",
    "tanzania": "TZ", "thailand": "TH", "togo": "TG", "tonga": "TO", "trinidad-tobago": "TT",
    "tunisia": "TN", "turkey": "TR", "uae": "AE", "uganda": "UG", "uk": "GB", "uruguay": "UY",
    "us-virgin-islands": "VI", "usa": "US", "ussr": "RU", "vanuatu": "VU", "vatican": "VA",
    "venezuela": "VE", "vietnam": "VN", "west-germany": "DE", "western-samoa": "WS",
    "yemen-arab-republic": "YE", "yemen-demo-republic": "YE", "yugoslavia": "RS", "zaire": "CD",
    "zambia": "ZM", "zimbabwe": "ZW",
}  # fmt: skip


def gold_countries(item: ParsedItem) -> frozenset[str]:
    """The countries of an item's gold labels (empty when it has none)."""
    labels = dict(item.extra).get(GOLD_KEY, "")
    out = set()
    for label in filter(None, labels.split(";")):
        if label not in REUTERS_PLACES:
            raise ValueError(f"Reuters-21578 place label {label!r} has no country in REUTERS_PLACES")
        out.add(REUTERS_PLACES[label])
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class StoryResult:
    story: str  # NEWID
    gold: frozenset[str]
    predicted: frozenset[str]


@dataclass(frozen=True, slots=True)
class Figures:
    """True positives, false positives and false negatives, and what follows from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        """How many times the country is gold."""
        return self.tp + self.fn


@dataclass(frozen=True)
class PlacesEvaluation:
    """The outcome of one run: micro figures, per-country figures, every story's sets."""

    stories: tuple[StoryResult, ...]
    seconds: float = 0.0
    workers: int = 1
    micro: Figures = field(init=False)
    per_country: dict[str, Figures] = field(init=False)

    def __post_init__(self) -> None:
        counts: dict[str, Counter[str]] = {}
        total: Counter[str] = Counter()
        for story in self.stories:
            for code, kind in (
                *((c, "tp") for c in story.gold & story.predicted),
                *((c, "fp") for c in story.predicted - story.gold),
                *((c, "fn") for c in story.gold - story.predicted),
            ):
                counts.setdefault(code, Counter())[kind] += 1
                total[kind] += 1
        object.__setattr__(self, "micro", Figures(total["tp"], total["fp"], total["fn"]))
        per_country = {code: Figures(c["tp"], c["fp"], c["fn"]) for code, c in counts.items()}
        ordered = sorted(per_country.items(), key=lambda kv: (-kv[1].support, -kv[1].fp, kv[0]))
        object.__setattr__(self, "per_country", dict(ordered))

    def table(self, top: int = 20) -> str:
        """Micro P/R/F1 and the ``top`` most frequent gold countries, as aligned text."""
        m = self.micro
        lines = [
            f"Reuters-21578 places: {len(self.stories)} stories, {self.seconds:.1f} s on {self.workers} workers",
            f"micro  P {m.precision:.4f}  R {m.recall:.4f}  F1 {m.f1:.4f}  (tp {m.tp}, fp {m.fp}, fn {m.fn})",
            f"{'country':<8}{'gold':>7}{'tp':>7}{'fp':>7}{'fn':>7}{'P':>8}{'R':>8}{'F1':>8}",
        ]
        for code, f in list(self.per_country.items())[:top]:
            lines.append(
                f"{code:<8}{f.support:>7}{f.tp:>7}{f.fp:>7}{f.fn:>7}{f.precision:>8.3f}{f.recall:>8.3f}{f.f1:>8.3f}"
            )
        return "\n".join(lines)


def _score_file(path: Path, config: EnrichConfig, every: int = 1) -> list[StoryResult]:
    """Parse, clean and place every story of one .sgm file that has gold labels (or every
    ``every``-th one, by NEWID)."""
    enricher = build_enricher(config)
    out = []
    for item in ReutersSGMLParser().parse(path.read_bytes(), ()):
        gold = gold_countries(item)
        newid = (item.guid or "").rsplit(":", 1)[-1]
        if not gold or (every > 1 and newid.isdigit() and int(newid) % every):
            continue
        cleaned = clean(item)
        predicted = frozenset(
            p.country for p in enricher.places(cleaned) if p.rel in CENTRAL_RELS and p.country is not None
        )
        out.append(StoryResult(newid, gold, predicted))
    return out


def _warm(config: EnrichConfig) -> None:
    build_enricher(config).warm_up()


def evaluation_config(base: EnrichConfig | None = None) -> EnrichConfig:
    """The config the evaluation runs with by default: ``base`` without spaCy models."""
    return replace(base or EnrichConfig(), spacy_models=())


def evaluate_reuters_places(
    folder: Path,
    *,
    config: EnrichConfig | None = None,
    workers: int | None = None,
    files: Sequence[str] | None = None,
    every: int = 1,
) -> PlacesEvaluation:
    """Score the places of every story with gold labels in ``folder``'s ``reut2-*.sgm``.

    ``config``: the enrichment config (``evaluation_config()`` when None); ``workers``:
    processes (``os.cpu_count()`` when None); ``files``: only these file names; ``every``:
    one story in ``every`` (by NEWID), for a quick look.
    """
    config = config or evaluation_config()
    paths = sorted(folder.glob("reut2-*.sgm"))
    if files is not None:
        paths = [p for p in paths if p.name in set(files)]
    if not paths:
        raise FileNotFoundError(f"no reut2-*.sgm file in {folder}")
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    started = time.perf_counter()
    # Build (or read) the gazetteer here first: with a cache directory the workers then
    # read it from disk instead of each building it.
    _warm(config)
    stories: list[StoryResult] = []
    if workers == 1:
        for path in paths:
            stories += _score_file(path, config, every)
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_warm, initargs=(config,)) as pool:
            # Biggest files first, so the pool does not end waiting on one.
            ordered = sorted(paths, key=lambda p: -p.stat().st_size)
            for result in pool.map(_score_file, ordered, [config] * len(ordered), [every] * len(ordered)):
                stories += result
    stories.sort(key=lambda s: int(s.story) if s.story.isdigit() else 0)
    return PlacesEvaluation(tuple(stories), seconds=time.perf_counter() - started, workers=workers)


# --------------------------------------------------------------------------- wirefeed eval

#: the bar issue 5 sets
MIN_MICRO_F1 = 0.90


def default_corpus_root() -> Path:
    """``WIREFEED_CORPUS``, else ``../shared/corpus`` beside the repository."""
    configured = os.environ.get("WIREFEED_CORPUS")
    if configured:
        return Path(configured).resolve()
    return (Path(__file__).resolve().parents[3] / "shared" / "corpus").resolve()


def evaluate(root: Path | None = None, *, every: int = 1, config: EnrichConfig | None = None) -> dict[str, Any]:
    """``wirefeed eval places``: the evaluation as a JSON-ready report; ``passed`` is the bar."""
    root = root or default_corpus_root()
    result = evaluate_reuters_places(root / "reuters21578", config=config, every=every)
    m = result.micro
    return {
        "corpus": str(root),
        "every": every,
        "stories": len(result.stories),
        "seconds": round(result.seconds, 1),
        "workers": result.workers,
        "micro": _figures(m),
        "countries": {code: _figures(f) for code, f in result.per_country.items()},
        "threshold": {"micro_f1": MIN_MICRO_F1},
        "passed": m.f1 >= MIN_MICRO_F1,
    }


def _figures(f: Figures) -> dict[str, Any]:
    return {
        "gold": f.support,
        "tp": f.tp,
        "fp": f.fp,
        "fn": f.fn,
        "precision": round(f.precision, 4),
        "recall": round(f.recall, 4),
        "f1": round(f.f1, 4),
    }


def render(report: dict[str, Any], top: int = 20) -> str:
    """The report of ``evaluate`` as text: micro figures and the ``top`` most frequent countries."""
    m = report["micro"]
    sample = f", one story in {report['every']}" if report.get("every", 1) > 1 else ""
    lines = [
        f"Reuters-21578 places: {report['stories']} stories with gold labels{sample}, "
        f"{report['seconds']} s on {report['workers']} workers",
        f"micro  P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}  "
        f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']}; bar {report['threshold']['micro_f1']:.2f}: "
        f"{'passed' if report['passed'] else 'FAILED'})",
        f"{'country':<8}{'gold':>7}{'tp':>7}{'fp':>7}{'fn':>7}{'P':>8}{'R':>8}{'F1':>8}",
    ]
    for code, f in list(report["countries"].items())[:top]:
        lines.append(
            f"{code:<8}{f['gold']:>7}{f['tp']:>7}{f['fp']:>7}{f['fn']:>7}"
            f"{f['precision']:>8.3f}{f['recall']:>8.3f}{f['f1']:>8.3f}"
        )
    return "\n".join(lines)
