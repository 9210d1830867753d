"""``wirefeed eval stories``: duplicates and story clusters against our labelled pairs.

The labels (``data/stories_labels.json``) are our annotations of corpus items by id,
never their text; the items are read from the corpus at run time. The stream is replayed
in time order through the story decisions, twice in one run:

    baseline   the phase-1 version as it was (``stories_phase1``, frozen): story identity,
               its version decisions, its duplicate index (facts check); clusters by facts
               and the multilingual representation
    final      the worker's story desk (``pipeline.stories.desk.StoryDesk``, the same code
               the worker runs, default settings): identity, versions, the compact
               duplicate index; clusters placed as the worker places them (the cluster
               index, default settings: a published story or version gets a cluster, a
               version its story's, a duplicate is in the cluster of what it copies), with
               the features the worker gives it: the article's people, organisations and
               places and its language (each item enriched and normalised first, with the
               profile of ``WIREFEED_PROFILE``), and the facts of the desk's fingerprint

Printed: duplicate precision / recall over the labelled pairs (a pair is predicted a
duplicate when the later item was found a duplicate of the earlier, directly or through
a chain), cluster pairwise precision / recall / F1 over the labelled pairs, split by
same-language and cross-language pairs, and the cost per item.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.evaluation import stories_phase1 as phase1
from pipeline.records import CleanedDispatch, ParsedItem, RawDispatch, RawRef
from pipeline.stories.clusters import ClusterConfig, ClusterIndex, article_entities, embed, features, lead_text
from pipeline.stories.desk import StoryDesk
from pipeline.stories.identity import story_identity
from pipeline.stories.signals import read_signals

SAME_EVENT = frozenset({"duplicate", "version", "related"})


def labels() -> dict[str, Any]:
    text = resources.files("pipeline.evaluation").joinpath("data/stories_labels.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def _load(root: Path, ids: Iterable[str]) -> dict[str, ParsedItem]:
    """The first parsed item of each labelled id, read from the corpus."""
    from pipeline.sources import from_bytes
    from pipeline.stages.clean import clean
    from pipeline.stages.flow import parse_dispatch

    wanted = sorted(set(ids))
    by_file: dict[str, set[str]] = defaultdict(set)
    for ident in wanted:
        path = ident.split("#", 1)[0]
        by_file[path].add(ident)
    out: dict[str, ParsedItem] = {}
    tar_members: dict[str, bytes] = {}
    for path, idents in by_file.items():
        if path.startswith("dpa-newsml-g2/"):
            if not tar_members:
                tar = root / "agency-formats/dpa-newsml-g2/20170629-dpa-sample.tar.xz"
                with tarfile.open(fileobj=io.BytesIO(tar.read_bytes())) as handle:
                    for member in handle.getmembers():
                        stream = handle.extractfile(member) if member.isfile() else None
                        if stream is not None:
                            tar_members[member.name.rsplit("/", 1)[-1]] = stream.read()
            chunks = [(path, tar_members[path.split("/", 1)[1]])]
        else:
            file = root / path
            chunks = [(d.input, d.value) for d in from_bytes(path, file.read_bytes())]
        for name, data in chunks:
            if name not in idents:
                continue
            items = parse_dispatch(RawDispatch(data))
            if items:
                out[name] = clean(items[0])
    return out


def _time_ms(item: ParsedItem) -> int:
    when = item.version_created or item.first_created or item.content_created
    return int(when.value.timestamp() * 1000) if when else 0


@dataclass
class Run:
    """What one configuration predicted, and what it cost."""

    duplicate_of: dict[str, str] = field(default_factory=dict)
    cluster: dict[str, str] = field(default_factory=dict)
    embedded: int = 0  # texts the multilingual model had to embed
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def replay_phase1(items: dict[str, ParsedItem], vectors: dict[str, Any] | None) -> Run:
    """The phase-1 decisions (frozen in ``stories_phase1``), as its evaluation ran them."""
    run = Run()
    order = sorted(items, key=lambda i: (_time_ms(items[i]), i))
    dedup = phase1.DuplicateIndex(config=phase1.DedupConfig(new_facts_allowed=0, window_ms=7 * 86400 * 1000))
    clusters = phase1.ClusterIndex()  # phase 1: every item embedded
    states: dict[str, phase1.StoryState] = {}
    first_of_story: dict[str, str] = {}
    for ident in order:
        item = items[ident]
        now = _time_ms(item)
        start = time.perf_counter()
        fp = phase1.fingerprint(item)
        run.seconds["fingerprint"] += time.perf_counter() - start
        start = time.perf_counter()
        identity = story_identity(item)
        uri = identity.uri
        found = None
        if uri in states:
            incoming = phase1.Incoming(uri, fp, read_signals(item), now, identity.version, now or None)
            decision = phase1.decide(states[uri], incoming)
            if decision.state is not None:
                states[uri] = decision.state
            if decision.kind in (phase1.DUPLICATE, phase1.STALE):
                found = first_of_story[uri]
        else:
            match = dedup.probe(fp, uri, now)
            if match is not None:
                found = first_of_story.get(match.uri, match.uri)
            else:
                incoming = phase1.Incoming(uri, fp, read_signals(item), now, identity.version, now or None)
                decision = phase1.decide(None, incoming)
                if decision.state is not None:
                    states[uri] = decision.state
                first_of_story.setdefault(uri, ident)
            dedup.add(fp, uri, now)
        run.seconds["decide"] += time.perf_counter() - start
        if found is not None:
            run.duplicate_of[ident] = found
        start = time.perf_counter()
        vector = vectors.get(ident) if vectors else None
        run.cluster[ident] = clusters.assign(ident, phase1.cluster_features(item, now, vector))
        run.seconds["cluster"] += time.perf_counter() - start
    run.embedded = len(items)
    return run


#: an item's article as the cluster desk reads it: the entity uris and the language
Articled = tuple[list[str], str | None]


def articles(items: dict[str, ParsedItem], settings: Any = None) -> dict[str, Articled]:
    """Each item enriched and normalised as the worker does (the profile of ``settings``, else
    the environment's): its article's entity uris and language, for the cluster features."""
    import orjson

    from pipeline.records import Article
    from pipeline.settings import Settings
    from pipeline.stages import flow

    stages = flow.default_stages(settings or Settings.from_env())
    keys = sorted(items)
    out: dict[str, Articled] = {}
    for start in range(0, len(keys), 64):
        chunk = keys[start : start + 64]
        enriched = flow.enrich_many([items[i] for i in chunk], stages)  # None: second_half enriches it alone
        for ident, enrichment in zip(chunk, enriched, strict=True):
            article = flow.second_half(_cleaned(ident, items[ident]), stages, None, None, enrichment)
            if isinstance(article, Article) and article.value is not None:
                doc = orjson.loads(article.value)
                out[ident] = (article_entities(doc), doc.get("language"))
    return out


def _cleaned(ident: str, item: ParsedItem) -> CleanedDispatch:
    ref = RawRef(sha256=hashlib.sha256(ident.encode()).hexdigest(), size=0, input=ident)
    return CleanedDispatch(story_id=story_identity(item).uri, item=item, raw=ref)


def replay(
    items: dict[str, ParsedItem],
    vectors: dict[str, Any] | None,
    desk: StoryDesk | None = None,
    embed: str | None = None,
    config: ClusterConfig | None = None,
    articled: dict[str, Articled] | None = None,
) -> Run:
    """The worker's story desk and cluster index over the items in time order (one partition:
    the whole stream), as the worker places them: a published item (new story, version)
    gets a cluster -- a version its story's --, a kill its story's, a duplicate or an older
    version the cluster of the story it copies. Embedding as ``embed`` says (None: the
    worker's default; the vectors computed once, looked up by text). ``articled``: each item's
    article entities and language (``articles``), as the worker's cluster desk reads them from
    the article; without them, the item's own text and language only."""
    run = Run()
    desk = desk or StoryDesk()
    order = sorted(items, key=lambda i: (_time_ms(items[i]), i))
    by_text = {lead_text(items[i]): v for i, v in (vectors or {}).items()}

    def lookup(texts: list[str]) -> Any:
        import numpy as np

        return np.stack([by_text[t] for t in texts])

    cfg = config or ClusterConfig()
    cfg = replace(cfg, embed=embed) if embed is not None else cfg
    clusters = ClusterIndex(cfg, embedder=lookup if vectors else None)
    latest: dict[str, str] = {}  # story uri -> the item published last under it
    clock = 0
    for ident in order:
        item = items[ident]
        # the record time as a worker sees it: items arrive one after the other (items
        # without a date of their own, or with the same one, do not tie)
        clock = now = max(_time_ms(item), clock + 1)
        cleaned = _cleaned(ident, item)
        start = time.perf_counter()
        verdict = desk.judge(cleaned, 0, now)
        run.seconds["judge"] += time.perf_counter() - start
        if verdict.published:
            latest[verdict.uri] = ident
        elif verdict.duplicate_of is not None:
            run.duplicate_of[ident] = latest.get(verdict.duplicate_of, verdict.duplicate_of)
        start = time.perf_counter()
        found: str | None
        if verdict.kind in ("new", "version"):
            if articled is not None:  # as ClusterDesk.place: the article's entities and language
                entities, language = articled.get(ident, ([], None))
                feats = features(item, now, entities=entities, language=language, facts=verdict.facts)
            else:
                feats = features(item, now)
            placed = clusters.assign(verdict.uri, feats, lead_text(item), verdict.version)
            found = placed.cluster
        else:
            found = clusters.cluster_of(verdict.duplicate_of or verdict.uri)
        run.cluster[ident] = found or f"none:{ident}"
        run.seconds["cluster"] += time.perf_counter() - start
    run.embedded = clusters.embedded
    return run


def _root(ident: str, parent: dict[str, str]) -> str:
    seen = set()
    while ident in parent and ident not in seen:
        seen.add(ident)
        ident = parent[ident]
    return ident


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def score(run: Run, pairs: list[list[str]], items: dict[str, ParsedItem], languages: dict[str, str | None]) -> dict:
    """Duplicate P/R and cluster pairwise P/R/F1 (all, same-language, cross-language) over labelled pairs."""
    dup = {"tp": 0, "fp": 0, "fn": 0}
    clus: dict[str, dict[str, int]] = {k: {"tp": 0, "fp": 0, "fn": 0} for k in ("all", "mono", "cross")}
    for a, b, label in pairs:
        if a not in items or b not in items:
            continue
        predicted = _root(a, run.duplicate_of) == _root(b, run.duplicate_of)
        gold = label == "duplicate"
        outcome = "tp" if predicted and gold else "fp" if predicted else "fn" if gold else "tn"
        dup[outcome] = dup.get(outcome, 0) + 1
        same = run.cluster[a] == run.cluster[b] or predicted
        gold_same = label in SAME_EVENT
        kind = "mono" if (languages.get(a) or "?") == (languages.get(b) or "?") else "cross"
        for bucket in ("all", kind):
            key = "tp" if same and gold_same else "fp" if same else "fn" if gold_same else "tn"
            clus[bucket][key] = clus[bucket].get(key, 0) + 1
    return {
        "duplicates": {**_prf(dup["tp"], dup["fp"], dup["fn"]), **{k: dup.get(k, 0) for k in ("tp", "fp", "fn", "tn")}},
        "clusters": {k: {**_prf(v["tp"], v["fp"], v["fn"]), "pairs": sum(v.values())} for k, v in clus.items()},
    }


def half(pair: list[str]) -> str:
    """Which half of the labelled pairs a pair is in: "tune" (the thresholds were chosen on it)
    or "check" (never looked at while choosing), by a hash of the two ids."""
    return "tune" if hashlib.sha256(f"{pair[0]}|{pair[1]}".encode()).digest()[0] % 2 == 0 else "check"


def evaluate(root: Path) -> dict[str, Any]:
    """Both configurations over the labelled corpus pairs, with costs per item."""
    data = labels()
    pairs: list[list[str]] = data["pairs"]
    items = _load(root, (x for a, b, _ in pairs for x in (a, b)))
    languages = {i: it.language for i, it in items.items()}
    start = time.perf_counter()
    texts = {i: lead_text(it) for i, it in items.items()}
    keys = sorted(texts)
    vectors = dict(zip(keys, embed([texts[k] for k in keys]), strict=True))
    embed_seconds = time.perf_counter() - start
    start = time.perf_counter()
    articled = articles(items)
    enrich_seconds = time.perf_counter() - start
    report: dict[str, Any] = {"items": len(items), "pairs": sum(1 for a, b, _ in pairs if a in items and b in items)}
    kinds = ("duplicate", "version", "related", "distinct")
    report["labels"] = {k: sum(1 for *_, lab in pairs if lab == k) for k in kinds}
    for name in ("baseline", "final"):
        run = replay_phase1(items, vectors) if name == "baseline" else replay(items, vectors, articled=articled)
        report[name] = score(run, pairs, items, languages)
        for part in ("tune", "check"):
            chosen = [p for p in pairs if half(p) == part]
            report[name][f"duplicates_{part}"] = score(run, chosen, items, languages)["duplicates"]
        costs = {k: round(v / max(1, len(items)) * 1000, 3) for k, v in run.seconds.items()}
        # the model's cost per text, measured in one batch over every item, times the texts embedded
        costs["embed"] = round(embed_seconds / max(1, len(items)) * run.embedded / max(1, len(items)) * 1000, 3)
        report[name]["ms_per_item"] = costs
        report[name]["embedded"] = run.embedded
    # the clusters as this tool placed them before it enriched the items: the item's own text only
    plain = score(replay(items, vectors), pairs, items, languages)["clusters"]
    report["final_not_enriched"] = {k: v["f1"] for k, v in plain.items()}
    report["enrich_ms_per_item"] = round(enrich_seconds / max(1, len(items)) * 1000, 3)
    report["final_embed"] = ClusterConfig().embed
    for mode in ("all", "candidates", "cross-lingual", "off"):
        other_run = replay(items, vectors, embed=mode, articled=articled)
        other = score(other_run, pairs, items, languages)["clusters"]
        report[f"final_embed_{mode}"] = {k: v["f1"] for k, v in other.items()}
        report[f"final_embed_{mode}"]["embedded"] = other_run.embedded

    dup = report["final"]["duplicates"]
    report["targets"] = {"duplicate_precision": 0.99, "duplicate_recall": 0.95}
    report["passed"] = dup["precision"] >= 0.99 and dup["recall"] >= 0.95
    return report


def default_root() -> Path:
    """The corpus beside the repository, or ``WIREFEED_CORPUS``."""
    import os

    return Path(os.environ.get("WIREFEED_CORPUS") or Path(__file__).resolve().parents[2].parent / "shared" / "corpus")


def render(report: dict[str, Any]) -> str:
    """The report as a table: baseline and final side by side."""
    lines = [
        f"stories: {report['items']} items, {report['pairs']} labelled pairs {report['labels']}",
        f"{'':28}{'baseline':>12}{'final':>12}",
    ]
    for label, path in (
        ("duplicates precision", ("duplicates", "precision")),
        ("duplicates recall", ("duplicates", "recall")),
        ("  tune half precision", ("duplicates_tune", "precision")),
        ("  tune half recall", ("duplicates_tune", "recall")),
        ("  check half precision", ("duplicates_check", "precision")),
        ("  check half recall", ("duplicates_check", "recall")),
        ("clusters F1 (all)", ("clusters", "all", "f1")),
        ("clusters F1 monolingual", ("clusters", "mono", "f1")),
        ("clusters F1 cross-lingual", ("clusters", "cross", "f1")),
    ):
        values = []
        for name in ("baseline", "final"):
            node: Any = report[name]
            for part in path:
                node = node[part]
            values.append(f"{node:>12.4f}")
        lines.append(f"{label:28}{''.join(values)}")
    lines.append(f"cross-lingual pairs: {report['final']['clusters']['cross']['pairs']}")
    lines.append(
        f"texts embedded: baseline {report['baseline']['embedded']}, final ({report['final_embed']}) "
        f"{report['final']['embedded']} of {report['items']} items; final cluster F1 and texts embedded with "
        f"every item embedded {report['final_embed_all']}, where evidence cannot decide in any language "
        f"{report['final_embed_candidates']}, only for clusters in other languages "
        f"{report['final_embed_cross-lingual']}, with no embedding {report['final_embed_off']}"
    )
    lines.append(
        f"final cluster F1 from the items' own text and language only (no articles): {report['final_not_enriched']}"
    )
    for name in ("baseline", "final"):
        lines.append(f"ms per item ({name}): {report[name]['ms_per_item']}")
    lines.append(f"enrichment and normalisation, ms per item: {report['enrich_ms_per_item']}")
    lines.append(f"targets {report['targets']}: {'met' if report['passed'] else 'NOT met'}")
    return "\n".join(lines)
