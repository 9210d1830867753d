#!/usr/bin/env python3
"""What story clusters add per published article, per profile, and what the index holds.

The articles: the labelled evaluation items (``wirefeed eval stories``: agency items in
several languages, Reuters-21578) and the first ``--reuters`` Reuters-21578 stories,
through the stages in-process (the fast profile's stages: the same entity ids the
gazetteers give), then the story desk, in time order, as one worker sees them. For every
published article (new story or version) the worker's cluster step is timed:

    place     ClusterDesk.place: features (facts, entity ids), the decision, the
              multilingual representation where the profile computes one
    label     the article's ninjs with its ``events`` entry and header; the placement's bytes

Printed per profile (fast: evidence only; full: its default, and with ``--modes`` other
``WIREFEED_CLUSTER_EMBED`` values, e.g. ``cross-lingual candidates``; the model loaded
before timing): median, mean, p90, p99 ms per article, the share of articles that needed the
representation and texts embedded, beside the stages' own median per article (enrich +
normalise, this profile's stages) for the ratio. Then ``--fill`` clusters'
worth of placements (the articles' evidence under other uris) to measure a placement and
the memory at that size (tracemalloc, bytes per cluster).

    .venv/bin/python bench/clusters.py [--reuters 1000] [--fill 50000] [--profiles fast full]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.records import CleanedDispatch, ParsedItem, RawRef  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import iter_dispatches  # noqa: E402
from pipeline.stages import flow  # noqa: E402
from pipeline.stories.cluster_desk import ClusterDesk, labelled  # noqa: E402
from pipeline.stories.clusters import ClusterConfig, Membership, cluster_id  # noqa: E402
from pipeline.stories.desk import StoryDesk, Verdict  # noqa: E402
from pipeline.stories.identity import story_identity  # noqa: E402
from pipeline.topics import TopicNames  # noqa: E402


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def items(corpus: Path, reuters: int) -> list[tuple[str, ParsedItem]]:
    """The labelled items and Reuters-21578 stories, parsed and cleaned, in time order."""
    from pipeline.evaluation import stories as evaluation
    from pipeline.stages.clean import clean

    pairs = evaluation.labels()["pairs"]
    found = list(evaluation._load(corpus, (x for a, b, _ in pairs for x in (a, b))).items())
    files = sorted((corpus / "reuters21578").glob("reut2-*.sgm"))
    for n, dispatch in enumerate(iter_dispatches([str(f) for f in files])):
        if n >= reuters:
            break
        parsed = flow.parse_dispatch(dispatch.raw())
        if parsed:
            found.append((dispatch.input, clean(parsed[0])))
    return sorted(found, key=lambda p: (evaluation._time_ms(p[1]), p[0]))


def published(
    found: list[tuple[str, ParsedItem]], stages: flow.Stages
) -> tuple[list[tuple[Verdict, ParsedItem, Any, int]], list[float]]:
    """(verdict, item, article outcome, time) of every published new story and version, and each
    article's enrich + normalise ms."""
    names = TopicNames.with_prefix("")
    desk = StoryDesk()
    out, costs, clock = [], [], 0
    for ident, item in found:
        from pipeline.evaluation.stories import _time_ms

        clock = now = max(_time_ms(item), clock + 1)
        ref = RawRef(sha256=str(abs(hash(ident))).rjust(64, "0"), size=0, input=ident)
        cleaned = CleanedDispatch(story_id=story_identity(item).uri, item=item, raw=ref)
        verdict = desk.judge(cleaned, 0, now)
        if verdict.kind not in ("new", "version"):
            continue
        start = time.perf_counter()
        result = flow.second_half(cleaned, stages, story=verdict)
        costs.append((time.perf_counter() - start) * 1000)
        if isinstance(result, flow.Article):
            out.append((verdict, item, names.outcome(result), now))
    return out, costs


def timed(profile: str, articles: list[tuple[Verdict, ParsedItem, Any, int]], mode: str = "") -> dict[str, Any]:
    """The cluster step over every article, as the worker runs it (one index: one worker)."""
    settings = Settings(profile=profile, **({"cluster_embed": mode} if mode else {}))
    desk = ClusterDesk(ClusterConfig.from_settings(settings))
    if desk.index.cfg.embed != "off":
        from pipeline.stories.clusters import embed

        embed(["warm-up"])  # the model loads once per worker process, before the first batch
    costs: list[float] = []
    embedded_articles = 0
    for verdict, item, article, when in articles:
        before = desk.index.embedded
        start = time.perf_counter()
        doc = orjson.loads(article.value)
        placed = desk.place(verdict, item, doc, when)
        if placed is not None:
            labelled(article, placed.cluster, doc)
            if placed.member is not None:
                placed.member.encode()
        costs.append((time.perf_counter() - start) * 1000)
        embedded_articles += desk.index.embedded > before
    return {
        "articles": len(costs),
        "median_ms": statistics.median(costs),
        "mean_ms": statistics.fmean(costs),
        "p90_ms": pct(costs, 0.90),
        "p99_ms": pct(costs, 0.99),
        "embedded_articles": embedded_articles,
        "texts_embedded": desk.index.embedded,
        "embed": desk.index.cfg.embed,
        "clusters": len(desk.index),
    }


def filled(articles: list[tuple[Verdict, ParsedItem, Any, int]], fill: int) -> dict[str, Any]:
    """Placements at ``fill`` open clusters (evidence only): cost of a placement, bytes per cluster."""
    from pipeline.stories.cluster_desk import ClusterDesk as Desk

    probe = Desk(ClusterConfig(embed="off", max_open=fill + 10))
    members = []
    for verdict, item, article, when in articles:
        placed = probe.place(verdict, item, orjson.loads(article.value), when)
        if placed is not None and placed.member is not None:
            members.append(placed.member)
    last = max(m.ms for m in members)
    gc.collect()
    tracemalloc.start()
    desk = Desk(ClusterConfig(embed="off", max_open=fill + 10))
    base = tracemalloc.get_traced_memory()[0]
    n = 0
    while len(desk.index) < fill:
        m = members[n % len(members)]
        uri = f"{m.uri}#{n}"  # another article with the same evidence, in its own cluster
        at = last - fill + n
        desk.index.apply(Membership(uri, cluster_id(uri), 1, at, at, m.facts, m.entities, m.language))
        n += 1
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    costs = []
    for verdict, item, article, _when in articles[:500]:
        start = time.perf_counter()
        desk.place(Verdict("new", f"{verdict.uri}#probe", 1), item, orjson.loads(article.value), last + 1)
        costs.append((time.perf_counter() - start) * 1000)
    return {
        "clusters": len(desk.index),
        "bytes_per_cluster": round(held / max(1, len(desk.index))),
        "place_median_ms": statistics.median(costs),
        "place_p99_ms": pct(costs, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuters", type=int, default=1000, help="Reuters-21578 stories besides the labelled items")
    parser.add_argument("--fill", type=int, default=20_000, help="open clusters for the size measurement (0: skip)")
    parser.add_argument("--profiles", nargs="+", default=["fast", "full"], choices=["fast", "full"])
    parser.add_argument("--modes", nargs="*", default=[], help="full profile: other WIREFEED_CLUSTER_EMBED values")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    found = items(corpus_dir(), args.reuters)
    stages = flow.default_stages(Settings(profile="fast"))
    articles, stage_costs = published(found, stages)
    print(f"{len(found)} items, {len(articles)} published (new stories and versions)")
    print(f"stages (fast profile): enrich + normalise median {statistics.median(stage_costs):.2f} ms per article")
    for profile in args.profiles:
        if profile == "full":
            full = flow.default_stages(Settings(profile="full"))
            _, costs = published(found[:300], full)
            median = statistics.median(costs)
            print(f"stages (full profile, first 300 items): enrich + normalise median {median:.2f} ms per article")
        for mode in [""] + (args.modes if profile == "full" else []):
            report = timed(profile, articles, mode)
            print(
                f"{profile:5} ({report['embed']}) cluster step: median {report['median_ms']:.3f} ms, "
                f"mean {report['mean_ms']:.3f}, p90 {report['p90_ms']:.3f}, p99 {report['p99_ms']:.3f} per article; "
                f"{report['embedded_articles']}/{report['articles']} articles needed the representation "
                f"({report['texts_embedded']} texts embedded)"
            )
    if args.fill:
        report = filled(articles, args.fill)
        print(
            f"index at {report['clusters']:,} open clusters: {report['bytes_per_cluster']:,} bytes per cluster "
            f"(~{report['bytes_per_cluster'] * report['clusters'] / 1e6:.0f} MB); a placement (evidence only) "
            f"median {report['place_median_ms']:.3f} ms, p99 {report['place_p99_ms']:.3f} ms"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
