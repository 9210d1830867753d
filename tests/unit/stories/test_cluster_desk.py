"""The worker's cluster step, in-process with the real stages: the story desk's verdicts, the
enrich stage's articles, then ``cluster_batch`` -- every published article with its cluster
(header and ninjs ``events``, schema-valid), its copies labelled alike, its placement for
wire.clusters; duplicates without one; another worker's placements joined."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import pytest

from pipeline.records import CleanedDispatch, Outcome, Provenance, RawDispatch
from pipeline.schemas import validate_outcome
from pipeline.settings import Settings
from pipeline.stages import flow
from pipeline.stories import clusters as clustering
from pipeline.stories.cluster_desk import ClusterDesk, labelled
from pipeline.stories.clusters import HEADER, REL, ClusterConfig, Membership
from pipeline.stories.desk import StoryDesk
from pipeline.topics import TopicNames
from pipeline.work import Context, EnrichEmit, cluster_batch, judge_batch, run_batch

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "clusters"
T0 = 1_931_000_000_000  # 2031-03-10, before the fixtures' dates
XML = (("content-type", b"application/xml"),)


@pytest.fixture(scope="module")
def ctx() -> Context:
    # the lean stages (no statistical NER), schema validation on, as the integration workers run
    return Context(Settings(spacy_models=(), validate=True))


@pytest.fixture(scope="module")
def enrich(ctx: Context) -> Iterator[EnrichEmit]:
    work = EnrichEmit(ctx)
    yield work


def _cleaned(ctx: Context, name: str, agency: str, offset: int, partition: int = 0) -> RawDispatch:
    """The wire.cleaned record of a fixture, as learn-boilerplate would publish it."""
    raw = RawDispatch(
        (FIXTURES / name).read_bytes(),
        (*XML, ("wf_agency", agency.encode())),
        provenance=Provenance("wire.raw", partition, offset, T0 + offset * 60_000),
    )
    results = flow.first_half(raw, ctx.stages(), learning=ctx.learning, limits=ctx.limits)
    item = results[0]
    assert isinstance(item, CleanedDispatch), item
    key, value = flow.encode_cleaned(item)
    return RawDispatch(value, key=key, provenance=Provenance("wire.cleaned", partition, offset, T0))


def _step(
    ctx: Context, enrich: EnrichEmit, stories: StoryDesk, desk: ClusterDesk, records: Sequence[RawDispatch]
) -> list[list[Outcome]]:
    plan = judge_batch(stories, ctx, records)
    todo = [p.record for p in plan if p.record is not None]
    enriched = iter(run_batch(enrich, todo))
    results = [(next(enriched) if p.record is not None else []) + p.outcomes for p in plan]
    return cluster_batch(desk, ctx, plan, results)


def _article(names: TopicNames, outcomes: list[Outcome]) -> Outcome:
    return next(o for o in outcomes if o.topic == names.articles)


def _members(names: TopicNames, outcomes: list[Outcome]) -> list[Membership]:
    return [Membership.decode(o.value or b"") for o in outcomes if o.topic == names.clusters]


def test_articles_of_one_event_share_a_cluster_across_agencies_and_languages(ctx: Context, enrich: EnrichEmit) -> None:
    """An English G2 report and a French NITF report of the same landslide share a cluster id, in
    the header and the ninjs events; version 2 of the English story keeps it; an unrelated story
    gets another; a copy of a published story is a duplicate, with no cluster. The fast profile's
    evidence decides: the model is never loaded."""
    clustering._model.cache_clear()  # another test of this process may have loaded it: not this one
    names = ctx.names
    stories, desk = StoryDesk(), ClusterDesk(ClusterConfig(embed="off"))
    batch = [
        _cleaned(ctx, "landslide-en-g2.xml", "fjordnews", 1),
        _cleaned(ctx, "landslide-fr-nitf.xml", "nordpresse", 2, partition=1),
        _cleaned(ctx, "budget-en-nitf.xml", "nordpresse", 3),
        _cleaned(ctx, "landslide-en-g2-v2.xml", "fjordnews", 4),
        _cleaned(ctx, "landslide-en-g2.xml", "fjordnews", 5),  # the same item again, later
    ]
    en, fr, budget, v2, again = _step(ctx, enrich, stories, desk, batch)
    clusters = {}
    for name, outcomes in (("en", en), ("fr", fr), ("budget", budget), ("v2", v2)):
        article = _article(names, outcomes)
        cluster = article.header(HEADER)
        assert cluster is not None, name
        doc = orjson.loads(article.value or b"")
        assert {"uri": cluster, "rel": REL} in doc["events"]
        validate_outcome(article, names.logical(article.topic))
        (member,) = _members(names, outcomes)
        assert member.cluster == cluster and member.uri == doc["uri"]
        clusters[name] = cluster
        # the copy on wire.articles.latest is the same record, labelled alike
        latest = [o for o in outcomes if o.topic == names.latest]
        assert [(o.value, o.headers) for o in latest] == [(article.value, article.headers)]
    assert clusters["en"] == clusters["fr"] == clusters["v2"] != clusters["budget"]
    assert clusters["en"] == clustering.cluster_id(orjson.loads(_article(names, en).value or b"")["uri"])
    assert {o.topic for o in again} == {names.duplicates}  # not published: no cluster
    assert not clustering.model_loaded()


def test_an_article_joins_the_cluster_another_worker_opened(ctx: Context, enrich: EnrichEmit) -> None:
    """Worker B, which holds the French story's partition, places it in the cluster worker A opened
    for the English one -- once A's placement (its wire.clusters record) reached B."""
    names = ctx.names
    worker_a = (StoryDesk(), ClusterDesk(ClusterConfig(embed="off")))
    worker_b = (StoryDesk(), ClusterDesk(ClusterConfig(embed="off")))
    (en,) = _step(ctx, enrich, *worker_a, [_cleaned(ctx, "landslide-en-g2.xml", "fjordnews", 1)])
    (record,) = [o for o in en if o.topic == names.clusters]
    worker_b[1].receive(record.value or b"", lag_ms=5)
    (fr,) = _step(ctx, enrich, *worker_b, [_cleaned(ctx, "landslide-fr-nitf.xml", "nordpresse", 2, 1)])
    assert _article(names, fr).header(HEADER) == _article(names, en).header(HEADER)
    assert worker_b[1].stats()["lag_ms_p50"] == 5


def test_a_label_replaces_an_earlier_one() -> None:
    """Labelling an article twice (a batch done again) leaves one cluster entry and one header."""
    doc = {"uri": "u", "events": [{"uri": "urn:x:source-event", "rel": "subject"}]}
    outcome = Outcome("wire.articles", b"u", orjson.dumps(doc), (("ce_id", b"1"),))
    once = labelled(outcome, clustering.cluster_id("a"))
    twice = labelled(once, clustering.cluster_id("b"))
    events = orjson.loads(twice.value or b"")["events"]
    assert events == [{"uri": "urn:x:source-event", "rel": "subject"}, {"uri": clustering.cluster_id("b"), "rel": REL}]
    assert [k for k, _ in twice.headers].count(HEADER) == 1
    assert labelled(Outcome("wire.articles.latest", b"u", None), "x").value is None
