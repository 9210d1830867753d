"""The stage boundary: every raw record ends in outcomes; nothing escapes as an exception."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import orjson
import pytest

from pipeline.errors import ParseError
from pipeline.records import Block, CleanedDispatch, Enrichment, ParsedItem, Provenance, RawDispatch, Result
from pipeline.schemas import validate_result
from pipeline.stages import boilerplate, flow
from pipeline.stages.outcome import original_from_dead_letter
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
