"""Learned boilerplate: repeated lines of one source go, real text and first carriers stay."""

from __future__ import annotations

import json

from pipeline.records import Block, ParsedItem
from pipeline.stages.boilerplate import (
    REASON,
    LearnerConfig,
    fingerprint,
    new_state,
    observe,
    source_key,
    strip_learned,
    summary,
)

FOOTER = "Follow the Harbour Courier on social media for live updates. © 2026 Harbour Courier"
PROMO = "Subscribe to our evening newsletter."


def _word(n: int) -> str:
    """A unique word per number (digits are normalised away by the fingerprint)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    word = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        word = letters[rem] + word
    return "q" + word


def _story(n: int, *, footer: bool = True, extra: tuple[str, ...] = ()) -> ParsedItem:
    body = [
        Block(f"HARBOURTOWN - Story {_word(n)} starts with its own lead sentence about the {_word(n)} event."),
        Block(f"Second paragraph {_word(n)}, also unique."),
    ]
    body += [Block(t) for t in extra]
    if footer:
        body.append(Block(FOOTER.replace("2026", str(2000 + n % 30))))
    return ParsedItem(format="webtext", agency=None, headline=f"Story {n}", body=tuple(body))


def _feed(items: list[ParsedItem], cfg: LearnerConfig | None = None) -> tuple[list[ParsedItem], dict]:
    cfg = cfg or LearnerConfig()
    state = new_state()
    out = []
    for n, item in enumerate(items):
        cleaned = strip_learned(item, state, cfg)
        observe(cleaned, f"urn:story:{n}", state, cfg)
        out.append(cleaned)
    return out, state


def test_repeated_footer_is_removed_after_enough_earlier_stories() -> None:
    """The footer stays in the first five carriers and goes from the sixth on (numbers ignored)."""
    out, state = _feed([_story(n) for n in range(20)])
    kept = [any(b.text.startswith("Follow the Harbour Courier") for b in item.body) for item in out]
    assert kept == [True] * 5 + [False] * 15
    assert [r.reason for r in out[10].removed] == [REASON]
    assert summary(state)["learned"] == 1


def test_the_first_dispatch_with_a_line_never_loses_it() -> None:
    """A line that is new to the source is kept even when it looks like a known footer."""
    items = [_story(n) for n in range(10)] + [_story(10, extra=("A brand-new closing line nobody has seen.",))]
    out, _ = _feed(items)
    assert any(b.text == "A brand-new closing line nobody has seen." for b in out[-1].body)


def test_background_paragraph_of_a_story_series_is_kept() -> None:
    """A paragraph repeated in a few stories among many fails the share test and stays."""
    background = "The strike began on 2 January over fuel prices and spread to three cities within days."
    items = [_story(n, footer=False, extra=(background,) if n % 4 == 0 else ()) for n in range(60)]
    out, _ = _feed(items)
    assert all(background in [b.text for b in item.body] for n, item in enumerate(out) if n % 4 == 0)


def test_versions_of_one_story_count_once() -> None:
    """Re-sends of the same story do not make its paragraphs boilerplate."""
    state = new_state()
    item = _story(1, footer=False)
    for _ in range(10):
        observe(item, "urn:story:same", state)
    assert strip_learned(_story(1, footer=False), state) == _story(1, footer=False)
    assert state["seq"] == 1


def test_long_interior_paragraphs_are_not_removed_but_short_promos_are() -> None:
    """Inside the body only short lines go; long learned paragraphs are removed only at the ends."""
    closing = "Closing paragraph {} with its own words."
    items = [_story(n, footer=False, extra=(PROMO, closing.format(_word(n)))) for n in range(12)]
    out, _ = _feed(items)
    assert PROMO not in [b.text for b in out[-1].body]
    assert closing.format(_word(11)) in [b.text for b in out[-1].body]


def test_a_body_is_never_emptied() -> None:
    """If every line is learned boilerplate the item is left alone."""
    items = [ParsedItem(format="x", headline="h", body=(Block(FOOTER), Block(PROMO * 2))) for _ in range(10)]
    state = new_state()
    for n, item in enumerate(items):
        out = strip_learned(item, state)
        observe(out, f"u{n}", state)
    assert out.body == items[-1].body


def test_memory_is_bounded_and_state_is_json() -> None:
    """Thousands of unique lines never grow the state past max_lines; it survives a JSON round trip."""
    cfg = LearnerConfig(max_lines=200)
    out, state = _feed([_story(n) for n in range(600)], cfg)
    assert len(state["lines"]) <= 200
    assert fingerprint(FOOTER) in state["lines"] or any(r.reason == REASON for r in out[-1].removed)
    assert any(r.reason == REASON for r in out[-1].removed)
    assert json.loads(json.dumps(state)) == state


def test_source_key_prefers_an_explicit_feed_name() -> None:
    """--source names the feed; otherwise agency and format do."""
    item = ParsedItem(format="webtext", agency="aa")
    assert source_key(item, (("wf_source", b"aa-fr"), ("wf_input", b"f.txt"))) == "feed:aa-fr"
    assert source_key(item, (("wf_source", b"f.txt"), ("wf_input", b"f.txt"))) == "aa:webtext"
    assert source_key(ParsedItem(format="nitf"), ()) == "unknown:nitf"
