"""The chaos harness without a broker: its generated dispatches become what they promise when the
stages run in-process, and its verifier finds losses, strangers, non-twin duplicates and
versions out of order in outcome records built here."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import orjson
import pytest
from aiokafka import ConsumerRecord

from pipeline.chaos.feeds import ARTICLE, DEADLETTER, Mix, generate
from pipeline.chaos.verify import Sent, verify
from pipeline.records import Article, DeadLetter
from pipeline.settings import Settings
from pipeline.stages import boilerplate, flow
from pipeline.topics import TopicNames

NAMES = TopicNames.with_prefix("t.")


@pytest.fixture(scope="module")
def mix() -> list:
    return generate(Mix(dispatches=400, poison=24, oversized=1, oversize_bytes=60_000, seed=5))


def test_generated_dispatches_have_unique_ids_and_per_feed_sequences(mix: list) -> None:
    """Ids are feed#seq; each feed counts 1, 2, 3 ... in the order the dispatches are sent."""
    assert len(mix) == 400 and len({d.id for d in mix}) == 400
    by_feed: dict[str, list[int]] = {}
    for d in mix:
        by_feed.setdefault(d.feed, []).append(d.seq)
        assert d.id == f"{d.feed}#{d.seq:05d}"
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_feed.values())
    headers = dict(mix[0].headers())
    assert headers["wf_chaos_id"] == mix[0].id.encode() and headers["wf_source"] == mix[0].feed.encode()
    # every story's versions are sent in increasing order
    versions: dict[str, list[int]] = {}
    for d in mix:
        if d.story:
            versions.setdefault(d.story, []).append(d.version)
    assert any(len(v) > 1 for v in versions.values())
    assert all(v == sorted(v) and v[0] == 1 for v in versions.values())
    formats = Counter(d.fmt for d in mix if d.kind == "article")
    expected = {"newsml-g2", "newsml-g2-message", "nitf", "ninjs", "rss", "iptc7901", "anpa1312", "webtext"}
    assert set(formats) == expected
    # text is unique apart from the empty poison records
    assert len({d.sha256 for d in mix if d.value}) == sum(1 for d in mix if d.value)


def test_generated_dispatches_become_what_they_promise(mix: list) -> None:
    """In-process (no NER model): stories become their articles (two for a newsMessage), poison
    becomes dead letters; the oversized story is a valid story (only its size is wrong)."""
    stages = flow.default_stages(Settings(spacy_models=()))
    learner = boilerplate.Learner()  # one state across the run, as in the worker
    wrong = []
    for d in mix:
        results = flow.process(d.raw(), stages, learner=learner)
        kinds = {ARTICLE if isinstance(r, Article) else DEADLETTER for r in results}
        expect = ARTICLE if d.kind == "oversized" else d.expect
        if kinds != {expect} or (d.parts is not None and len(results) != d.parts):
            reasons = [orjson.loads(r.value)["error"] for r in results if isinstance(r, DeadLetter)]
            wrong.append((d.id, d.fmt, kinds, reasons))
    assert wrong == []


def _record(topic: str, partition: int, offset: int, headers: dict[str, str], value: bytes = b"{}") -> ConsumerRecord:
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )


def _outcome(sent: Sent, topic: str, offset: int, *, part: str = "1/1", ce_id: str = "", version: int | None = None):
    assert sent.coord is not None
    headers = {
        "wf_raw_topic": NAMES.raw,
        "wf_raw_partition": str(sent.coord[0]),
        "wf_raw_offset": str(sent.coord[1]),
        "wf_part": part,
        "wf_dispatch_id": sent.dispatch.sha256[:24],
        "ce_id": ce_id or f"{topic}-{sent.dispatch.id}-{part}",
    }
    value = orjson.dumps({"version": str(version)}) if version is not None else b"{}"
    return _record(topic, 0, offset, headers, value)


def test_the_verifier_passes_a_clean_run_and_counts_twins(mix: list) -> None:
    """One outcome per item (a twin duplicate allowed): nothing lost, nothing unexpected, in order."""
    sent = [Sent(d, (0, n)) for n, d in enumerate(mix) if d.kind != "oversized"]
    records = []
    for s in sent:
        topic = NAMES.articles if s.dispatch.expect in (ARTICLE, "any") else NAMES.deadletter
        for part in range(1, (s.dispatch.parts or 1) + 1):
            records.append(
                _outcome(s, topic, len(records), part=f"{part}/{s.dispatch.parts or 1}", version=s.dispatch.version)
            )
    records.append(records[3])  # a redelivery: same topic, same ce_id
    verdict = verify(sent, records, NAMES)
    assert verdict.ok, verdict.violations
    assert (verdict.figures["lost"], verdict.figures["duplicates"], verdict.figures["duplicates_not_twins"]) == (
        0,
        1,
        0,
    )


def test_the_verifier_finds_each_kind_of_violation(mix: list) -> None:
    """A lost input, a dead letter for a good story, a stranger, a non-twin duplicate, v2 before v1."""
    stories = [d for d in mix if d.story and d.version == 1]
    story = stories[0].story
    v1 = next(d for d in mix if d.story == story and d.version == 1)
    v2 = replace(v1, input=v1.input + "-v2", version=2, value=v1.value + b" ")
    good = [d for d in mix if d.kind == "article" and not d.story and d.parts == 1][:3]
    sent = [Sent(v1, (0, 0)), Sent(v2, (0, 1)), Sent(good[0], (1, 0)), Sent(good[1], (1, 1)), Sent(good[2], (1, 2))]
    records = [
        _outcome(sent[1], NAMES.articles, 0, version=2),
        _outcome(sent[0], NAMES.articles, 1, version=1),  # the older version after the newer one
        _outcome(sent[2], NAMES.deadletter, 2),  # a good story dead-lettered
        _outcome(sent[3], NAMES.articles, 3),
        _outcome(sent[3], NAMES.articles, 4, ce_id="another-id"),  # a duplicate with another event id
        _record(NAMES.articles, 0, 5, {"wf_raw_topic": NAMES.raw, "wf_raw_partition": "7", "wf_raw_offset": "7"}),
    ]  # good[2] at (1, 2) has no outcome: lost
    figures = verify(sent, records, NAMES).figures
    assert figures["lost"] == 1 and figures["lost_examples"][0].startswith(good[2].id)
    assert figures["unexpected"] == 2  # the dead-lettered story and the stranger
    assert figures["duplicates_not_twins"] == 1
    assert figures["order_violations"] == 1


def test_an_item_the_story_desk_judged_a_copy_is_an_outcome_not_a_loss(mix: list) -> None:
    """A good story whose item is on wire.duplicates (the story desk's judgement) has its outcome:
    not lost, not unexpected, counted as story-duplicate; a dead letter for it is still unexpected."""
    good = [d for d in mix if d.kind == "article" and not d.story and d.parts == 1][:2]
    sent = [Sent(good[0], (0, 0)), Sent(good[1], (0, 1))]
    records = [_outcome(sent[0], NAMES.duplicates, 0), _outcome(sent[1], NAMES.deadletter, 0)]
    verdict = verify(sent, records, NAMES)
    assert verdict.figures["lost"] == 0
    assert verdict.figures["outcomes_by_kind"] == {"article:story-duplicate": 1, "article:deadletter": 1}
    assert verdict.figures["unexpected"] == 1 and "expected article" in str(verdict.violations)
