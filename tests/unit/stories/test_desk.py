"""The story desk: one verdict per item, the same one for a record read again, none lost to order."""

from __future__ import annotations

import hashlib

from pipeline.records import Block, CleanedDispatch, ParsedItem, Provenance, RawRef
from pipeline.stories.desk import REPEAT, StoryDesk
from pipeline.stories.versions import DUPLICATE, NEW, STALE, VERSION

T0 = 1_900_000_000_000
URI = "urn:newsml:harbour.example:20310304:ferry-line"
BODY = (
    "Harbourtown - The new ferry line between Harbourtown and Saltby opened on Monday with 3 boats. "
    "The mayor, Anna Berg, said the line would carry 1,200 passengers a day."
)


def _cleaned(body: str, raw_offset: int, source: str = "feed-a") -> CleanedDispatch:
    item = ParsedItem(format="newsml-g2", headline="Ferry line opens", body=(Block(body),), guid=URI)
    raw = RawRef(
        sha256=hashlib.sha256(f"{source}{raw_offset}{body}".encode()).hexdigest(),
        size=len(body),
        provenance=Provenance("wire.raw", 0, raw_offset, T0 + raw_offset),
        input=source,
    )
    return CleanedDispatch(story_id=URI, item=item, raw=raw)


def test_raw_records_of_a_story_arriving_out_of_raw_order_each_get_their_verdict() -> None:
    """Two sources' copies of a story go through different learning shards: the later raw record may
    reach wire.cleaned first. The earlier one is judged (a duplicate), never taken for a record read again."""
    desk = StoryDesk()
    later = desk.judge(_cleaned(BODY, raw_offset=20, source="feed-b"), 1, T0 + 20, offset=0)
    earlier = desk.judge(_cleaned(BODY + " ", raw_offset=10), 1, T0 + 21, offset=1)
    assert (later.kind, earlier.kind) == (NEW, DUPLICATE)


def test_a_record_read_again_gets_its_verdict_or_nothing() -> None:
    """Read again after a crash: the remembered decision; once forgotten (many items later), nothing
    more is published for it -- never a second, different outcome."""
    desk = StoryDesk()
    first = _cleaned(BODY, raw_offset=1)
    assert desk.judge(first, 0, T0, offset=5).kind == NEW
    assert desk.judge(first, 0, T0 + 1, offset=5).kind == NEW, "the same outcome again (a twin)"
    for n in range(10):  # more versions than the story remembers decisions of
        body = BODY.replace("3 boats", f"{n + 4} boats")
        assert desk.judge(_cleaned(body, raw_offset=2 + n), 0, T0 + 2 + n, offset=6 + n).kind == VERSION
    assert desk.judge(first, 0, T0 + 50, offset=5).kind == REPEAT


def test_a_record_never_decided_is_judged_even_behind_a_later_one() -> None:
    """A story whose state says a later record of the partition was decided, but which never forgot a
    decision, has not decided an item it does not remember: that item gets a verdict and an outcome
    (taken for a repeat, it would get none: a lost dispatch, chaos-findings F12)."""
    desk = StoryDesk()
    later = _cleaned(BODY, raw_offset=9)
    assert desk.judge(later, 0, T0, offset=8).kind == NEW
    changed = BODY.replace("3 boats", "5 boats")
    skipped = desk.judge(_cleaned(changed, raw_offset=4), 0, T0 + 1, offset=5)
    assert skipped.kind != REPEAT
    assert skipped.kind == VERSION


def test_without_offsets_every_item_is_judged() -> None:
    """Items not read from a topic (the evaluation) are never taken for records read again."""
    desk = StoryDesk()
    assert desk.judge(_cleaned(BODY, raw_offset=1), 0, T0).kind == NEW
    changed = BODY.replace("3 boats", "4 boats")
    assert desk.judge(_cleaned(changed, raw_offset=2), 0, T0 + 1).kind == VERSION
    assert desk.judge(_cleaned(BODY, raw_offset=3), 0, T0 + 2).kind == STALE


def test_a_rebalance_drops_what_was_judged_but_not_written_on_partitions_moved_away() -> None:
    """A batch judged on a partition that then moved to another worker is not written later over
    the new owner's state; the partitions kept are written as before."""
    desk = StoryDesk()
    desk.judge(_cleaned(BODY, raw_offset=1), 0, T0, offset=1)
    other = BODY.replace("Harbourtown", "Rivertown")
    item = _cleaned(other, raw_offset=2)
    moved = CleanedDispatch(story_id=URI + "-2", item=item.item, raw=item.raw)
    desk.judge(moved, 1, T0 + 1, offset=1)
    assert desk.hold({0}) == 1
    desk.flush()
    assert [key.split(b":")[0] for key in desk.store] == [b"0"]
