"""The story fingerprint: datasketch's MinHash values without datasketch, and the fingerprint
carried on the internal record (computed in the parse-clean stage process)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from pipeline.records import Block, CleanedDispatch, ParsedItem, RawDispatch
from pipeline.stages import flow
from pipeline.stories.desk import StoryDesk
from pipeline.stories.fingerprint import PERM, Fingerprint, fingerprint, minhash_of, normalise, signature_of

datasketch = pytest.importorskip("datasketch")

VOCABULARY = [
    "the",
    "port",
    "of",
    "rotterdam",
    "said",
    "on",
    "monday",
    "that",
    "12",
    "ships",
    "were",
    "held",
    "by",
    "fog",
    "élan",
    "1,250",
]


def _datasketch(words: list[str]) -> tuple[int, ...]:
    if len(words) < 4:
        return ()
    found = datasketch.MinHash(num_perm=PERM, seed=1)
    found.update_batch(list({" ".join(words[i : i + 4]).encode("utf-8") for i in range(len(words) - 3)}))
    return tuple(int(v) for v in found.hashvalues)


@pytest.mark.parametrize("seed", range(200))
def test_minhash_values_are_datasketchs(seed: int) -> None:
    # signatures stored before (wire.fingerprints, story state) must still compare
    rng = random.Random(seed)
    words = [rng.choice(VOCABULARY) for _ in range(rng.randrange(0, 80))]
    assert minhash_of(words) == _datasketch(words)
    assert signature_of(words) == bytes(v & 0xFF for v in _datasketch(words))


def _item(body: str) -> ParsedItem:
    return ParsedItem(format="test", headline="Fog holds ships at Rotterdam", body=(Block(body),))


def _cleaned(item: ParsedItem) -> CleanedDispatch:
    raw = RawDispatch(b"x", (("content-type", b"text/plain"),))
    return CleanedDispatch(story_id="urn:test:1", item=item, raw=raw.ref())


def test_the_fingerprint_survives_the_internal_record() -> None:
    item = _item("ROTTERDAM, March 3 - Twelve ships were held by fog on Monday, the port of Rotterdam said.")
    fp = fingerprint(item)
    cleaned = replace(_cleaned(item), fingerprint=fp.to_print())
    _, value = flow.encode_cleaned(cleaned)
    back = flow.decode_cleaned(value)
    assert back == cleaned
    assert back.fingerprint is not None
    assert Fingerprint.of_print(back.fingerprint) == fp
    assert len(fp.signature) == PERM and fp.facts


def test_the_desk_judges_by_the_carried_fingerprint() -> None:
    # the desk uses what the stage process computed; a copy whose carried fingerprint says so is one
    first = _item("ROTTERDAM, March 3 - Twelve ships were held by fog on Monday, the port said.")
    other = _item("An unrelated text about the harvest in the south, with 40 tonnes of grain.")
    desk = StoryDesk()
    assert desk.judge(replace(_cleaned(first), fingerprint=fingerprint(first).to_print()), 0, 1_000).kind == "new"
    lying = replace(_cleaned(other), story_id="urn:test:2", fingerprint=fingerprint(first).to_print())
    assert desk.judge(lying, 0, 2_000).kind == "duplicate"
    # without one, the desk computes it: the unrelated text is a story of its own
    plain = replace(_cleaned(other), story_id="urn:test:3")
    assert desk.judge(plain, 0, 3_000).kind == "new"


def test_learning_that_changes_the_item_drops_the_fingerprint() -> None:
    item = _item("Body line one.\n\nSubscribe to our newsletter.")
    cleaned = replace(_cleaned(item), fingerprint=fingerprint(item).to_print(), source="s")

    class Learner:
        def learn(self, item: ParsedItem, *args: object) -> ParsedItem:
            return replace(item, body=item.body[:1])

    class Keeper:
        def learn(self, item: ParsedItem, *args: object) -> ParsedItem:
            return item

    changed = flow.learn(cleaned, Learner(), 0, now_ms=1)  # type: ignore[arg-type]
    assert isinstance(changed, CleanedDispatch) and changed.fingerprint is None
    kept = flow.learn(cleaned, Keeper(), 0, now_ms=1)  # type: ignore[arg-type]
    assert isinstance(kept, CleanedDispatch) and kept.fingerprint == cleaned.fingerprint


def test_normalise_is_what_the_signature_is_taken_over() -> None:
    words = normalise("Twelve ships, held by FOG.").split()
    assert words == ["twelve", "ships", "held", "by", "fog"]
    assert signature_of(words) == bytes(v & 0xFF for v in minhash_of(words))


def test_an_item_the_fingerprint_would_take_over_the_limit_goes_without_it() -> None:
    from pipeline.settings import Settings
    from pipeline.work import Context, ParseClean

    names = " ".join(f"Name{i} Place{i} said {i}." for i in range(400))  # many facts: a long fingerprint
    item = _item(names)
    cleaned = _cleaned(item)
    plain = len(flow.encode_cleaned(cleaned)[1])
    printed = len(flow.encode_cleaned(replace(cleaned, fingerprint=fingerprint(item).to_print()))[1])
    assert printed > plain + 1000
    for limit, carried in ((printed + 4096, True), (plain + 2048, False)):
        work = ParseClean(Context(Settings.from_env({"WIREFEED_MAX_MESSAGE_BYTES": str(limit)})))
        found = work.internal(cleaned)
        assert found.topic == work.ctx.names.parsed, limit
        assert (flow.decode_cleaned(found.value or b"").fingerprint is not None) is carried
