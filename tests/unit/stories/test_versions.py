"""Version decisions: new, version, duplicate, stale, kill; withheld and embargo policy."""

from __future__ import annotations

import orjson

from pipeline.records import Block, ParsedItem
from pipeline.stories.fingerprint import fingerprint
from pipeline.stories.signals import Signals
from pipeline.stories.versions import (
    DUPLICATE,
    HOLD,
    KILL,
    NEW,
    PUBLISH,
    STALE,
    TOMBSTONE,
    VERSION,
    Incoming,
    StoryState,
    decide,
)

URI = "urn:newsml:example.org:20310304:k-1"
T0 = 1_900_000_000_000
BODY = (
    "Harbourtown - The new ferry line between Harbourtown and Saltby opened on Monday with 3 boats. "
    "The mayor, Anna Berg, said the line would carry 1,200 passengers a day."
)


def _incoming(
    body: str = BODY,
    *,
    kinds: tuple[str, ...] = (),
    source: int | None = None,
    at: int = 0,
    version_ms: int | None = None,
    embargo: int | None = None,
) -> Incoming:
    item = ParsedItem(format="newsml-g2", headline="Ferry line opens", body=(Block(body),))
    return Incoming(
        URI,
        fingerprint(item),
        Signals(kinds=kinds, reasons=kinds, embargo_ms=embargo),
        T0 + at,
        source_version=source,
        version_ms=version_ms,
    )


def _run(*items: Incoming) -> list[tuple[str, int]]:
    state: StoryState | None = None
    out = []
    for incoming in items:
        decision = decide(state, incoming)
        state = decision.state or state
        out.append((decision.kind, decision.version))
    return out


def test_versions_numbered_from_the_source_and_stale_ones_held_back() -> None:
    """v1, v3, then v2 arriving late: new 1, version 3, stale (not published as current)."""
    v2 = BODY + " A second boat was added."
    v3 = BODY + " A third boat will follow in June with 400 seats."
    assert _run(_incoming(source=1), _incoming(v3, source=3, at=2), _incoming(v2, source=2, at=3)) == [
        (NEW, 1),
        (VERSION, 3),
        (STALE, 3),
    ]


def test_without_source_numbers_versions_go_in_arrival_order() -> None:
    """No number, no time: each changed re-send is the next version; an identical one a duplicate."""
    changed = BODY.replace("3 boats", "4 boats")
    assert _run(_incoming(), _incoming(changed, at=1), _incoming(changed, at=2)) == [
        (NEW, 1),
        (VERSION, 2),
        (DUPLICATE, 2),
    ]


def test_version_created_orders_when_the_source_has_no_numbers() -> None:
    """An older versionCreated arriving later is stale."""
    changed = BODY.replace("3 boats", "4 boats")
    assert _run(_incoming(version_ms=T0 + 60_000), _incoming(changed, version_ms=T0, at=5)) == [(NEW, 1), (STALE, 1)]


def test_re_send_with_edited_words_is_a_duplicate_new_facts_a_version() -> None:
    """Same figures and names, other words: duplicate; a new figure or name: version."""
    reworded = BODY.replace("opened on Monday", "was opened on Monday")
    new_name = BODY + " The harbour master, Lars Holm, welcomed it."
    assert _run(_incoming(), _incoming(reworded, at=1)) == [(NEW, 1), (DUPLICATE, 1)]
    assert _run(_incoming(), _incoming(new_name, at=1)) == [(NEW, 1), (VERSION, 2)]


def test_correction_signal_makes_a_version_even_with_the_same_facts() -> None:
    """A correction says the story changed: it is published."""
    reworded = BODY.replace("opened on Monday", "was opened on Monday")
    assert _run(_incoming(), _incoming(reworded, kinds=("correction",), at=1)) == [(NEW, 1), (VERSION, 2)]


def test_same_source_number_again_with_an_update_signal_is_a_re_send() -> None:
    """The source's number again: other words under its update signal are a duplicate, new facts
    or a correction a version (the signal marks that version each time it is sent)."""
    reworded = BODY.replace("opened on Monday", "was opened on Monday")
    new_figure = BODY + " A fourth boat will follow in June."
    update = ("update",)
    assert _run(_incoming(source=4, kinds=update), _incoming(reworded, source=4, kinds=update, at=1)) == [
        (NEW, 4),
        (DUPLICATE, 4),
    ]
    assert _run(_incoming(source=4, kinds=update), _incoming(new_figure, source=4, kinds=update, at=1)) == [
        (NEW, 4),
        (VERSION, 5),
    ]
    assert _run(_incoming(source=4), _incoming(reworded, source=4, kinds=("correction",), at=1)) == [
        (NEW, 4),
        (VERSION, 5),
    ]


def test_kill_tombstones_and_the_story_stays_killed() -> None:
    """After a kill, later items of the story are stale; a repeated kill is a duplicate."""
    state = decide(None, _incoming(source=1)).state
    kill = decide(state, _incoming(kinds=("kill",), source=2, at=1))
    assert (kill.kind, kill.version, kill.latest) == (KILL, 2, TOMBSTONE) and kill.state and kill.state.killed
    again = decide(kill.state, _incoming(kinds=("kill",), at=2))
    late = decide(kill.state, _incoming(BODY + " More.", at=3))
    assert again.kind == DUPLICATE and late.kind == STALE


def test_withheld_is_published_but_tombstoned_on_latest_then_released() -> None:
    """Withheld: out with its status, taken down on the latest topic; a usable version brings it back."""
    first = decide(None, _incoming(source=1))
    held = decide(first.state, _incoming(kinds=("withheld",), source=2, at=1))
    back = decide(held.state, _incoming(source=3, at=2))
    assert (held.kind, held.latest) == (VERSION, TOMBSTONE)
    assert (back.kind, back.latest) == (VERSION, PUBLISH)


def test_embargo_holds_the_latest_topic_until_it_lifts() -> None:
    """An embargoed item is published with its embargo; the latest topic waits for it."""
    decision = decide(None, _incoming(embargo=T0 + 3_600_000))
    assert (decision.kind, decision.latest, decision.hold_until_ms) == (NEW, HOLD, T0 + 3_600_000)
    lifted = decide(None, _incoming(embargo=T0 - 1))
    assert lifted.latest == PUBLISH


def test_expired_state_starts_the_story_again() -> None:
    """A story unseen for longer than its time to live is new again."""
    state = decide(None, _incoming()).state
    assert state is not None
    assert decide(state, _incoming(BODY + " Later.", at=31 * 86400 * 1000)).kind == NEW


def test_an_earlier_version_again_is_stale() -> None:
    """Versions without numbers in arrival order, then the feed again: the first version's text
    after the third is stale (never published again as the story's current text); state kept
    through its JSON."""
    v2 = BODY.replace("3 boats", "4 boats")
    v3 = BODY.replace("3 boats", "5 boats")
    state: StoryState | None = None
    kinds = []
    for n, body in enumerate((BODY, v2, v3, BODY, v2, v3)):
        decision = decide(state, _incoming(body, at=n))
        state = StoryState.from_json(orjson.loads(orjson.dumps((decision.state or state).to_json())))  # type: ignore[union-attr]
        kinds.append((decision.kind, decision.version))
    assert kinds == [(NEW, 1), (VERSION, 2), (VERSION, 3), (STALE, 3), (STALE, 3), (DUPLICATE, 3)]


def test_a_state_written_before_history_still_reads() -> None:
    """A story state of the earlier layout (no history) is read with an empty history."""
    state = decide(None, _incoming()).state
    assert state is not None
    old = state.to_json()[:14]
    assert StoryState.from_json(old).history == ()
