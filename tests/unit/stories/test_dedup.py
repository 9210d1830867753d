"""Duplicate index: exact and near copies across stories, new facts are news, bounded and expiring."""

from __future__ import annotations

import orjson

from pipeline.records import Block, ParsedItem
from pipeline.stories.dedup import DedupConfig, DuplicateIndex
from pipeline.stories.fingerprint import fingerprint

T0 = 1_900_000_000_000
DAY = 86400 * 1000
BODY = (
    "Harbourtown - The new ferry line between Harbourtown and Saltby opened on Monday with three boats, "
    "the port authority said. The mayor, Anna Berg, said the line would carry 1,200 passengers a day and "
    "cut the journey to the islands from two hours to forty minutes. Tickets go on sale at the harbour "
    "office and on board, and children under twelve travel free during the first month of the service."
)


def _fp(text: str, headline: str = "Ferry line opens"):  # type: ignore[no-untyped-def]
    return fingerprint(ParsedItem(format="webtext", headline=headline, body=(Block(text),)))


def test_exact_copy_under_another_uri_is_a_duplicate_of_the_first() -> None:
    """Other bytes, same words (spacing, case, punctuation): exact duplicate."""
    index = DuplicateIndex()
    index.add(_fp(BODY), "urn:a", T0)
    match = index.probe(_fp(BODY.upper().replace(" ", "  ").replace(".", " .")), "urn:b", T0 + 1000)
    assert match is not None and (match.uri, match.exact) == ("urn:a", True)


def test_near_copy_with_trailing_changes_is_a_duplicate() -> None:
    """A re-post that drops the last sentence and edits a word is found through LSH."""
    index = DuplicateIndex()
    index.add(_fp(BODY), "urn:a", T0)
    edited = BODY.replace(" during the first month of the service", "").replace("port authority", "port's authority")
    match = index.probe(_fp(edited), "urn:b", T0 + 1000)
    assert match is not None and match.uri == "urn:a" and not match.exact and match.similarity >= 0.8


def test_near_copy_with_a_new_figure_is_news() -> None:
    """The same words with a new figure (a toll, a price) is not a duplicate."""
    index = DuplicateIndex()
    index.add(_fp(BODY), "urn:a", T0)
    assert index.probe(_fp(BODY.replace("1,200 passengers", "1,500 passengers")), "urn:b", T0 + 1000) is None
    assert index.similar(_fp(BODY.replace("1,200", "1,500")), "urn:b", T0 + 1000)[0][0] == "urn:a"


def test_unrelated_story_of_the_same_feed_is_no_duplicate() -> None:
    """Another story on the same topic shares few shingles."""
    index = DuplicateIndex()
    index.add(_fp(BODY), "urn:a", T0)
    other = (
        "Saltby - The ferry company said on Tuesday it would order two more boats for the island route "
        "after strong demand in the first week, and hire thirty crew members before the summer season."
    )
    assert index.probe(_fp(other, "Ferry company orders boats"), "urn:b", T0 + 1000) is None


def test_copies_older_than_the_window_are_not_matched_and_expire() -> None:
    """The window bounds both lookups and the store."""
    index = DuplicateIndex(config=DedupConfig(window_ms=7 * DAY))
    index.add(_fp(BODY), "urn:a", T0)
    assert index.probe(_fp(BODY), "urn:b", T0 + 8 * DAY) is None
    assert index.expire(T0 + 8 * DAY) == 1
    assert index.store == {}


def test_budget_drops_the_oldest_hours_first() -> None:
    """Beyond max_fingerprints the oldest are forgotten, whatever the window."""
    index = DuplicateIndex(config=DedupConfig(max_fingerprints=2))
    for n in range(4):
        index.add(_fp(f"{BODY} Story number {n} of the series."), f"urn:{n}", T0 + n * 3_600_000)
    assert index.expire(T0 + 4 * 3_600_000) == 2
    assert index.probe(_fp(f"{BODY} Story number 0 of the series."), "urn:x", T0 + 5 * 3_600_000) is None
    found = index.probe(_fp(f"{BODY} Story number 3 of the series."), "urn:x", T0 + 5 * 3_600_000)
    assert found is not None and found.uri == "urn:3"


def test_bytes_per_fingerprint_stay_within_the_documented_budget() -> None:
    """The module docstring promises ~1.4 KB a story as JSON: measured on 50 stories."""
    import random

    rng = random.Random(7)
    words = [f"w{n}" for n in range(3000)]
    index = DuplicateIndex()
    for n in range(50):
        text = " ".join(rng.choice(words) for _ in range(300)) + f" Figure {n * 7}, said Person{n} Name{n}."
        index.add(_fp(text), f"urn:wirefeed:example:story:{n:04d}", T0 + n)
    size = sum(len(k) + len(orjson.dumps(v)) for k, v in index.store.items())
    assert size / 50 < 1500
