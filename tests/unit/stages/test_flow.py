"""The stage boundary: every raw record ends in outcomes; nothing escapes as an exception."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import orjson
import pytest

from pipeline.errors import ParseError
from pipeline.records import Block, CleanedDispatch, DeadLetter, Enrichment, ParsedItem, Provenance, RawDispatch, Result
from pipeline.schemas import validate_result
from pipeline.stages import boilerplate, flow, outcome
from pipeline.stages.outcome import original_from_dead_letter, original_ref_from_dead_letter
from pipeline.topics import TopicNames

NAMES = TopicNames.with_prefix("")


def _parse(raw: RawDispatch) -> Sequence[ParsedItem]:
    text = raw.value.decode()
    if text == "boom":
        raise ParseError("the test format says boom")
    if text == "crash":
        raise KeyError("surprise")
    return [ParsedItem(format="lines", headline=line, body=(Block(f"Body of {line}."),)) for line in text.split("|")]


def _enrich(item: ParsedItem) -> Enrichment:
    if item.headline == "enrich-crash":
        raise ZeroDivisionError("division by zero")
    return Enrichment(language="en")


STAGES = flow.Stages(parse=_parse, clean=lambda item: item, enrich=_enrich)


def _raw(value: bytes) -> RawDispatch:
    return RawDispatch(value, (("wf_source", b"unit"),), provenance=Provenance("wire.raw", 3, 17, 1_700_000_000_000))


def _check(results: list[Result]) -> None:
    for result in results:
        validate_result(result)


def test_one_article_per_item_with_parts_and_provenance() -> None:
    """A raw record with two items gives two articles, each naming its raw coordinates and part."""
    outcomes = flow.process(_raw(b"first|second"), STAGES)
    _check(outcomes)
    assert [NAMES.outcome(o).topic for o in outcomes] == ["wire.articles", "wire.articles"]
    assert [o.header("wf_part") for o in outcomes] == ["1/2", "2/2"]
    assert {(o.header("wf_raw_partition"), o.header("wf_raw_offset")) for o in outcomes} == {("3", "17")}
    assert outcomes[0].header("ce_id") != outcomes[1].header("ce_id")


def test_ids_are_deterministic() -> None:
    """Reprocessing the same raw record yields the same uri and ce_id."""
    a = flow.process(_raw(b"same"), STAGES)[0]
    b = flow.process(_raw(b"same"), STAGES)[0]
    assert (a.key, a.header("ce_id")) == (b.key, b.header("ce_id"))
    assert orjson.loads(a.value)["uri"] == a.key.decode()


@pytest.mark.parametrize(
    ("value", "stage", "error_class"),
    [
        (b"boom", "parse", "ParseError"),
        (b"crash", "parse", "KeyError"),
        (b"enrich-crash", "enrich", "ZeroDivisionError"),
    ],
    ids=["pipeline-error", "unexpected-in-parse", "unexpected-in-enrich"],
)
def test_failures_become_dead_letters_with_the_original(value: bytes, stage: str, error_class: str) -> None:
    """Expected and unexpected errors alike: one dead letter, original bytes and headers inside."""
    raw = _raw(value)
    outcomes = flow.process(raw, STAGES)
    _check(outcomes)
    assert len(outcomes) == 1 and NAMES.outcome(outcomes[0]).topic == "wire.deadletter"
    envelope = orjson.loads(outcomes[0].value)
    assert (envelope["error"]["stage"], envelope["error"]["class"]) == (stage, error_class)
    assert envelope["source"]["partition"] == 3 and envelope["source"]["offset"] == 17
    back = original_from_dead_letter(outcomes[0].value)
    assert (back.value, back.headers) == (raw.value, raw.headers)
    assert base64.b64decode(envelope["original"]["value"]) == value


def test_cleaned_record_round_trips_and_garbage_is_a_contract_error() -> None:
    """The internal topic's record decodes to what was encoded; anything else is refused clearly."""
    cleaned = flow.first_half(_raw(b"one"), STAGES)[0]
    assert isinstance(cleaned, CleanedDispatch)
    key, value = flow.encode_cleaned(cleaned)
    assert key == cleaned.story_id.encode()
    assert flow.decode_cleaned(value) == cleaned
    with pytest.raises(Exception, match="not a CleanedDispatch"):
        flow.decode_cleaned(b'{"story_id": 1}')


def test_item_without_text_after_cleaning_is_dead_lettered() -> None:
    """Cleaning that leaves nothing is reported, not published as an empty article."""
    stages = flow.Stages(parse=_parse, clean=lambda item: ParsedItem(format=item.format), enrich=_enrich)
    outcomes = flow.process(_raw(b"x"), stages)
    assert NAMES.outcome(outcomes[0]).topic == "wire.deadletter"
    assert orjson.loads(outcomes[0].value)["error"]["class"] == "EmptyDispatchError"


def test_learned_boilerplate_runs_between_the_halves_and_wire_parsed_is_keyed_by_shard() -> None:
    """One learner across dispatches: a source's repeated footer goes from the fifth story on;
    wire.parsed is keyed by the shard, by story id when the dispatch has no source."""
    footer = "Sent by the unit feed, every day, to every subscriber."

    def parse(raw: RawDispatch) -> Sequence[ParsedItem]:
        text = raw.value.decode()
        body = (Block(f"The story {text} is told here."), Block(footer))
        return [ParsedItem(format="lines", headline=text, body=body)]

    stages = flow.Stages(parse=parse, clean=lambda item: item, enrich=_enrich)
    learner = boilerplate.Learner(boilerplate.LearnerConfig(shards=1))
    removed = []
    for n in range(7):
        name = ("amber", "birch", "cedar", "delta", "ember", "fjord", "grove")[n]  # distinct stories, not versions
        (article,) = flow.process(_raw(f"the {name} story".encode()), stages, learner=learner)
        removed.append(orjson.loads(article.header("wf_removed") or "{}").get("learned-boilerplate", 0))
    assert removed == [0, 0, 0, 0, 1, 1, 1]

    cleaned = flow.first_half(_raw(b"x"), stages, learning=boilerplate.LearnerConfig(shards=4, partitions=4))[0]
    assert isinstance(cleaned, CleanedDispatch) and cleaned.source.startswith("feed:unit#")
    assert flow.encode_cleaned(cleaned, by="source")[0] == cleaned.source.encode()
    anonymous = RawDispatch(b"y", (), provenance=Provenance("wire.raw", 0, 1, 1))
    unsourced = flow.first_half(anonymous, stages)[0]
    assert isinstance(unsourced, CleanedDispatch) and unsourced.source == ""
    assert flow.encode_cleaned(unsourced, by="source")[0] == unsourced.story_id.encode()
    assert flow.learn(unsourced, learner) is unsourced  # nothing to learn from


# ------------------------------------------------------------------ the one size limit

SMALL = outcome.Limits(max_bytes=64 * 1024, inline_max=1024)


def test_a_dispatch_over_the_limit_is_a_small_dead_letter_that_says_so() -> None:
    """Not parsed at all; the dead letter names the size and the limit, and leaves the bytes in wire.raw."""
    raw = _raw(b"big|" + b"x" * (70 * 1024))
    results = flow.process(raw, STAGES, limits=SMALL)
    _check(results)
    assert len(results) == 1 and isinstance(results[0], DeadLetter)
    envelope = orjson.loads(results[0].value)
    assert (envelope["error"]["stage"], envelope["error"]["class"]) == ("size", "OversizeError")
    assert (
        "65,536-byte limit" in envelope["error"]["reason"]
        and f"{len(raw.value):,} bytes" in envelope["error"]["reason"]
    )
    assert "value" not in envelope["original"] and envelope["original"]["omitted"]["reason"]
    assert envelope["original"]["sha256"] == raw.sha256 and envelope["source"]["offset"] == 17
    assert len(results[0].value) < 4096
    ref = original_ref_from_dead_letter(results[0].value)
    assert (ref.provenance, ref.value) == (raw.provenance, None)


def test_an_article_over_the_limit_becomes_a_dead_letter_with_the_original_bytes() -> None:
    """The raw fits, its article does not: a dead letter at the normalise stage, which still holds the raw bytes."""
    stages = flow.Stages(
        parse=lambda raw: [ParsedItem(format="lines", headline="h", body=(Block("word " * 20_000),))],
        clean=lambda item: item,
        enrich=_enrich,
    )
    raw = _raw(b"a short dispatch")
    results = flow.process(raw, stages, limits=SMALL)
    _check(results)
    assert isinstance(results[0], DeadLetter)
    envelope = orjson.loads(results[0].value)
    assert (envelope["error"]["stage"], envelope["error"]["class"]) == ("normalise", "OversizeError")
    assert "the article is" in envelope["error"]["reason"]
    assert base64.b64decode(envelope["original"]["value"]) == raw.value


def test_a_dead_letter_that_would_not_fit_with_its_bytes_leaves_them_out() -> None:
    """A 50 KB raw (under the 64 KiB limit) fails to parse: base64 would push its dead letter over, so no bytes."""
    raw = _raw(b"boom" + b" " * (50 * 1024))
    stages = flow.Stages(parse=lambda r: (_ for _ in ()).throw(ParseError("nope")), clean=lambda i: i, enrich=_enrich)
    results = flow.process(raw, stages, limits=SMALL)
    _check(results)
    envelope = orjson.loads(results[0].value)
    assert "value" not in envelope["original"]
    assert "over the 65,536-byte limit" in envelope["original"]["omitted"]["reason"]
    assert outcome.record_size(results[0].key, results[0].value, results[0].headers) <= SMALL.max_bytes


def test_internal_records_carry_small_raw_bytes_only_and_refuse_oversized_items() -> None:
    """Above inline_max the internal record holds coordinates and sha256; an item too large is a dead letter."""
    small, large = _raw(b"one"), _raw(b"two|" + b"y" * 2000)
    for raw, inline in ((small, True), (large, False)):
        cleaned = flow.first_half(raw, STAGES, limits=SMALL)[0]
        assert isinstance(cleaned, CleanedDispatch)
        assert (cleaned.raw.value is not None) is inline and cleaned.raw.sha256 == raw.sha256
        record = flow.internal_record(cleaned, by="story", limits=SMALL)
        assert isinstance(record, tuple) and flow.decode_cleaned(record[1]) == cleaned
    huge = flow.first_half(
        _raw(b"h"),
        flow.Stages(
            parse=lambda raw: [ParsedItem(format="lines", headline="h", body=(Block("z " * 40_000),))],
            clean=lambda item: item,
            enrich=_enrich,
        ),
        limits=SMALL,
    )[0]
    assert isinstance(huge, CleanedDispatch)
    dead = flow.internal_record(huge, by="story", limits=SMALL)
    assert isinstance(dead, DeadLetter) and dead.stage == "clean" and dead.error_class == "OversizeError"
