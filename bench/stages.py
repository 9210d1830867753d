#!/usr/bin/env python3
"""Per-stage cost of the profiles, side by side: the pure stages as a worker runs them.

For each profile (``WIREFEED_PROFILE`` fast and full) and each set of dispatches
(Reuters-21578 stories; web pages: web-unseen-dev and the corpus's web folder), every
dispatch goes through the stages the way the worker composes them, without Kafka:

    parse, clean            flow.first_half
    hops                    the internal records' JSON: encode for wire.parsed, decode,
                            encode for wire.cleaned, decode (orjson)
    learn                   learned boilerplate (one learner across the set)
    enrich                  in batches of ``--batch`` (the NER model streams them), each
                            item's share; its components from ``Enrichment.timings``
    normalise               flow.second_half with the batch's enrichment (ninjs, headers)

Printed: median and p99 ms per dispatch of each stage and enrichment component, and
dispatches per second, both per wall-clock second and per CPU second of this process
(``time.process_time``: on a shared machine the wall clock counts the other processes'
time too; a CPU second is what one core gives). With ``--ner``, the full profile's
statistical NER alone (``nlp.pipe`` over the same texts' segments, as ``ner.entities_many``
feeds it) against the full profile over the same items, in rounds side by side, with the CPU
the full profile spends inside ``ner.entities_many`` and outside it (the enrichment
components' ms are wall-clock: on a loaded machine they count other processes' turns).
With ``--quality``, each profile's Reuters-21578 places micro-F1 (one story in ``--every``)
and language accuracy (the corpus's known-language dispatches, and web-unseen-dev), side by
side.

    .venv/bin/python bench/stages.py [--reuters 1000] [--profiles fast full] [--ner [--ner-rounds 3]] [--quality]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.enrich import ner  # noqa: E402
from pipeline.enrich.config import EnrichConfig  # noqa: E402
from pipeline.records import CleanedDispatch, DeadLetter, RawDispatch  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import iter_dispatches  # noqa: E402
from pipeline.stages import boilerplate, flow  # noqa: E402

T = TypeVar("T")
STAGES = ("parse", "clean", "hops", "learn", "enrich", "normalise", "total")
COMPONENTS = ("text", "language", "ner", "places", "organisations", "people", "subjects", "dates", "quotes")


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def datasets(corpus: Path, reuters: int) -> dict[str, list[RawDispatch]]:
    """Reuters-21578 stories (the first ``reuters`` of reut2-000.sgm on) and web pages."""
    files = sorted((corpus / "reuters21578").glob("reut2-*.sgm"))
    stories: list[RawDispatch] = []
    for dispatch in iter_dispatches([str(f) for f in files]):
        stories.append(dispatch.raw())
        if len(stories) >= reuters:
            break
    web = [
        d.raw()
        for d in iter_dispatches(
            [str(corpus / "web-unseen-dev"), str(corpus / "web")], exclude=["MANIFEST.md", "gold.json", "*.md"]
        )
    ]
    return {"reuters": stories, "web": web}


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


class Timer:
    """Milliseconds per dispatch and stage, summed over the dispatch's items."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.current: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.current[stage] += (time.perf_counter() - started) * 1000

    def wrap(self, stage: str, fn: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any) -> T:
            with self(stage):
                return fn(*args)

        return timed

    def close(self) -> None:
        """The current dispatch is done."""
        for stage in STAGES[:-1]:
            self.ms[stage].append(self.current.get(stage, 0.0))
        self.ms["total"].append(sum(self.current.values()))
        self.current = defaultdict(float)


def run(raws: list[RawDispatch], stages: flow.Stages, batch: int) -> dict[str, Any]:
    """Every dispatch through the stages as a worker runs them; per-stage and per-component ms.

    The NER model's remembered segments are forgotten first: each run reads every segment
    a worker that had not seen them would read (repeats within the run are remembered)."""
    ner.forget()
    timer = Timer()
    timed = flow.Stages(
        parse=timer.wrap("parse", stages.parse), clean=timer.wrap("clean", stages.clean), enrich=stages.enrich
    )
    learner = boilerplate.Learner()
    components: dict[str, list[float]] = defaultdict(list)
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(raws), batch):
        chunk = raws[start : start + batch]
        # per dispatch of the chunk: its stage times so far and its cleaned items
        pending: list[tuple[dict[str, float], list[CleanedDispatch]]] = []
        for raw in chunk:
            items: list[CleanedDispatch] = []
            for result in flow.first_half(raw, timed, learning=learner.cfg):
                if isinstance(result, DeadLetter):
                    continue
                with timer("hops"):
                    cleaned = flow.decode_cleaned(flow.encode_cleaned(result, by="source")[1])
                with timer("learn"):
                    learned = flow.learn(cleaned, learner)
                    learner.flush()
                if isinstance(learned, DeadLetter):
                    continue
                with timer("hops"):
                    items.append(flow.decode_cleaned(flow.encode_cleaned(learned)[1]))
            pending.append((dict(timer.current), items))
            timer.current = defaultdict(float)
        everything = [c.item for _, items in pending for c in items]
        started = time.perf_counter()
        enrichments = stages.enrich_batch(everything) if stages.enrich_batch and everything else []
        batch_ms = (time.perf_counter() - started) * 1000
        now = datetime.now(tz=UTC)
        found = iter(enrichments)
        whole = sum(dict(e.timings).get("total", 0.0) for e in enrichments)
        for so_far, items in pending:
            timer.current = defaultdict(float, so_far)
            for cleaned in items:
                enrichment = next(found)
                # each item's share of the batch: its own timings (NER shared evenly)
                own = dict(enrichment.timings).get("total", 0.0)
                timer.current["enrich"] += batch_ms * (own / whole if whole else 1 / len(enrichments))
                for name, seconds in enrichment.timings:
                    components[name].append(seconds * 1000)
                with timer("normalise"):
                    flow.second_half(cleaned, stages, None, now, enrichment)
            timer.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "dispatches": len(raws),
        "items": len(components.get("total", [])),
        "wall_rate": len(raws) / wall,
        "cpu_rate": len(raws) / cpu,
        "stages": {k: (statistics.median(v), p99(v)) for k, v in timer.ms.items()},
        "components": {k: (statistics.median(v), p99(v)) for k, v in components.items()},
    }


def ner_alone(raws: list[RawDispatch], settings: Settings, batch: int, rounds: int) -> dict[str, float]:
    """The full profile's NER model alone on the items' segments vs the full profile on the same items.

    ``rounds`` times, side by side: ``nlp.pipe`` alone, then the full profile, whose calls to
    ``ner.entities_many`` are timed in CPU seconds too (the model's share of the full profile;
    ``Enrichment.timings`` are wall-clock seconds, which on a loaded machine count the other
    processes' turns). Medians over the rounds; the ratio is the median of each round's ratio.
    """
    from pipeline.enrich.text import item_text

    stages = flow.default_stages(settings)
    config = EnrichConfig.from_settings(settings)
    cleaned = [r.item for raw in raws for r in flow.first_half(raw, stages) if isinstance(r, CleanedDispatch)]
    texts = [item_text(item) for item in cleaned]
    assert stages.enrich_batch is not None
    languages = [e.language for e in stages.enrich_batch(cleaned[:batch])]
    language = max(set(languages), key=languages.count)  # the set's language (Reuters: English)
    nlp = ner.model(language, config)
    if nlp is None:
        return {}
    segments = [t.value[s.start : s.end] for t in texts for s in t.segments if not s.upper]
    rates: dict[str, list[float]] = defaultdict(list)
    entities_many = ner.entities_many
    in_stage = [0.0]

    def timed_entities_many(*args: Any, **kwargs: Any) -> list[list[ner.Span]]:
        cpu = time.process_time()
        try:
            return entities_many(*args, **kwargs)
        finally:
            in_stage[0] += time.process_time() - cpu

    for _ in range(rounds):
        cpu = time.process_time()
        for _doc in nlp.pipe(segments, batch_size=64):
            pass
        rates["ner"].append(len(cleaned) / (time.process_time() - cpu))
        in_stage[0] = 0.0
        ner.entities_many = timed_entities_many  # the stage looks it up per batch
        try:
            outcome = run(raws, stages, batch)
        finally:
            ner.entities_many = entities_many
        rates["full"].append(outcome["cpu_rate"] * len(cleaned) / len(raws))
        rates["ratio"].append(rates["full"][-1] / rates["ner"][-1])
        rates["ner_ms"].append(1000 / rates["ner"][-1])
        rates["stage_ner_ms"].append(in_stage[0] * 1000 / len(cleaned))
        rates["rest_ms"].append(1000 / rates["full"][-1] - rates["stage_ner_ms"][-1])
        print(
            f"  round {len(rates['ratio'])}: NER alone {rates['ner_ms'][-1]:.2f}, full {1000 / rates['full'][-1]:.2f} "
            f"(its NER {rates['stage_ner_ms'][-1]:.2f}) CPU ms per item, full/NER {rates['ratio'][-1]:.2f}",
            flush=True,
        )
    return {
        "items": len(cleaned),
        "segments": len(segments),
        "rounds": rounds,
        **{k: statistics.median(v) for k, v in rates.items()},
        "ratio_low": min(rates["ratio"]),
        "ratio_high": max(rates["ratio"]),
    }


def quality(profile: str, every: int) -> dict[str, float]:
    """Places micro-F1 on Reuters-21578 gold (one story in ``every``), language accuracy."""
    from pipeline.evaluation import language, places, web_gold

    config = EnrichConfig.from_settings(Settings(profile=profile))
    corpus = corpus_dir()
    placed = places.evaluate_reuters_places(corpus / "reuters21578", config=config, every=every)
    langs = language.evaluate_languages(corpus, config=replace(config, spacy_models=()))  # NER plays no part
    web = web_gold.evaluate(corpus, config=config)
    return {
        "places_f1": placed.micro.f1,
        "places_stories": len(placed.stories),
        "language_accuracy": langs.total.accuracy,
        "language_wrong": langs.total.wrong,
        "language_items": langs.total.items,
        "web_language": web["total"]["shares"]["language"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuters", type=int, default=1000, help="Reuters-21578 stories (default 1000)")
    parser.add_argument("--profiles", nargs="+", default=["fast", "full"], choices=["fast", "full"])
    parser.add_argument("--batch", type=int, default=64, help="enrichment batch, as WIREFEED_BATCH_MAX (default 64)")
    parser.add_argument("--ner", action="store_true", help="also the NER model alone vs the full profile")
    parser.add_argument("--ner-rounds", type=int, default=3, help="--ner: rounds of NER alone vs full (default 3)")
    parser.add_argument("--quality", action="store_true", help="also places F1 and language accuracy per profile")
    parser.add_argument("--every", type=int, default=10, help="--quality: one Reuters story in this many (10)")
    args = parser.parse_args()
    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (set WIREFEED_CORPUS)", file=sys.stderr)
        return 2
    sets = datasets(corpus, args.reuters)
    load = os.getloadavg()
    print(
        f"sets: {', '.join(f'{k} {len(v)} dispatches' for k, v in sets.items())}; {os.cpu_count()} cores, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    columns: list[tuple[str, dict[str, Any]]] = []
    for profile in args.profiles:
        settings = Settings.from_env(profile=profile)
        stages = flow.default_stages(settings)
        assert stages.warm_up is not None
        stages.warm_up()
        for name, raws in sets.items():
            run(raws[: args.batch], stages, args.batch)  # warm: lazily built caches, first calls
            columns.append((f"{profile}/{name}", run(raws, stages, args.batch)))

    width = max(24, *(len(c[0]) + 4 for c in columns))
    print("\nms per dispatch (wall clock), median / p99")
    print(f"{'':<14}" + "".join(f"{name:>{width}}" for name, _ in columns))
    for key, rows in (("stages", STAGES), ("components", COMPONENTS)):
        if key == "components":
            print("enrichment components, ms per item:")
        for row in rows:
            cells = []
            for _, figures in columns:
                median, high = figures[key].get(row, (0.0, 0.0))
                cells.append(f"{median:>{width // 2 - 1}.2f} /{high:>{width - width // 2}.2f}")
            print(f"{row:<14}" + "".join(cells))
    print(f"{'disp/s wall':<14}" + "".join(f"{f['wall_rate']:>{width}.1f}" for _, f in columns))
    print(f"{'disp/CPU s':<14}" + "".join(f"{f['cpu_rate']:>{width}.1f}" for _, f in columns))
    by_name = dict(columns)
    for name in sets:
        if f"fast/{name}" in by_name and f"full/{name}" in by_name:
            ratio = by_name[f"fast/{name}"]["cpu_rate"] / by_name[f"full/{name}"]["cpu_rate"]
            print(f"{name}: fast/full = {ratio:.2f} (per CPU second)")

    if args.ner:
        figures = ner_alone(sets["reuters"], Settings.from_env(profile="full"), args.batch, args.ner_rounds)
        if figures:
            load = os.getloadavg()
            print(
                f"\nNER alone (nlp.pipe, {figures['segments']} segments of {figures['items']} Reuters items): "
                f"{figures['ner']:.1f} items/CPU s; full profile {figures['full']:.1f} items/CPU s; "
                f"full/NER = {figures['ratio']:.2f} (median of {figures['rounds']} rounds, "
                f"{figures['ratio_low']:.2f}-{figures['ratio_high']:.2f}; load average {load[0]:.1f})\n"
                f"CPU ms per item: NER alone {figures['ner_ms']:.2f}; in the full profile, its NER "
                f"(ner.entities_many) {figures['stage_ner_ms']:.2f} and the rest {figures['rest_ms']:.2f}"
            )
    if args.quality:
        print(f"\nquality (Reuters places: one story in {args.every}; language: corpus known-language, web-unseen-dev)")
        for profile in args.profiles:
            q = quality(profile, args.every)
            print(
                f"{profile:<5} places micro-F1 {q['places_f1']:.4f} ({q['places_stories']} stories); "
                f"language {q['language_accuracy']:.4f} ({q['language_wrong']} wrong of {q['language_items']}); "
                f"web-unseen-dev language {q['web_language']:.1%}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
