"""Duplicate index: exact and near copies across stories, new facts are news, bounded and expiring."""

from __future__ import annotations

from pipeline.records import Block, ParsedItem
from pipeline.stories.dedup import DedupConfig, Entry, FingerprintIndex
from pipeline.stories.fingerprint import fingerprint

T0 = 1_900_000_000_000
DAY = 86400 * 1000
BODY = (
    "Harbourtown - The new ferry line between Harbourtown and Saltby opened on Monday with three boats, "
    "the port authority said. The mayor, Anna Berg, said the line would carry 1,200 passengers a day and "
    "cut the journey to the islands from two hours to forty minutes. Tickets go on sale at the harbour "
    "office and on board, and children under twelve travel free during the first month of the service."
)


def _entry(text: str, uri: str, ms: int, headline: str = "Ferry line opens") -> Entry:
    return Entry.of(fingerprint(ParsedItem(format="webtext", headline=headline, body=(Block(text),))), uri, ms)


def _index(**config: int | float) -> FingerprintIndex:
    return FingerprintIndex(DedupConfig(max_fingerprints=config.pop("max_fingerprints", 1000), **config))  # type: ignore[arg-type]


def test_exact_copy_under_another_uri_is_a_duplicate_of_the_first() -> None:
    """Other bytes, same words (spacing, case, punctuation): exact duplicate."""
    index = _index()
    index.add(_entry(BODY, "urn:a", T0))
    match = index.probe(_entry(BODY.upper().replace(" ", "  ").replace(".", " ."), "urn:b", T0 + 1000))
    assert match is not None and (match.uri, match.exact) == ("urn:a", True)


def test_near_copy_with_trailing_changes_is_a_duplicate() -> None:
    """A re-post that drops the last sentence and edits a word is found through LSH."""
    index = _index()
    index.add(_entry(BODY, "urn:a", T0))
    edited = BODY.replace(" during the first month of the service", "").replace("port authority", "port's authority")
    match = index.probe(_entry(edited, "urn:b", T0 + 1000))
    assert match is not None and match.uri == "urn:a" and not match.exact and match.similarity >= 0.8


def test_near_copy_with_a_new_figure_is_news() -> None:
    """The same words with a new figure (a toll, a price) is not a duplicate."""
    index = _index()
    index.add(_entry(BODY, "urn:a", T0))
    assert index.probe(_entry(BODY.replace("1,200 passengers", "1,500 passengers"), "urn:b", T0 + 1000)) is None
    assert index.probe(_entry(BODY.replace("1,200 passengers", "1,500 passengers"), "urn:b", T0 + 1000)) is None


def test_unrelated_story_of_the_same_feed_is_no_duplicate() -> None:
    """Another story on the same topic shares few shingles."""
    index = _index()
    index.add(_entry(BODY, "urn:a", T0))
    other = (
        "Saltby - The ferry company said on Tuesday it would order two more boats for the island route "
        "after strong demand in the first week, and hire thirty crew members before the summer season."
    )
    assert index.probe(_entry(other, "urn:b", T0 + 1000, "Ferry company orders boats")) is None


def test_only_an_earlier_copy_is_a_first_copy() -> None:
    """The order is (time, uri): of two copies each seeing the other, only the later is a duplicate."""
    index = _index()
    first, second = _entry(BODY, "urn:b", T0), _entry(BODY, "urn:a", T0 + 5)
    index.add(first)
    index.add(second)
    assert index.probe(first) is None
    found = index.probe(second)
    assert found is not None and found.uri == "urn:b"
    assert index.probe(_entry(BODY, "urn:b", T0)) is None, "a fingerprint is never its own duplicate"


def test_copies_older_than_the_window_are_not_matched() -> None:
    """The window bounds lookups."""
    index = _index(window_ms=7 * DAY)
    index.add(_entry(BODY, "urn:a", T0))
    assert index.probe(_entry(BODY, "urn:b", T0 + 8 * DAY)) is None
    assert index.probe(_entry(BODY, "urn:b", T0 + 6 * DAY)) is not None


def test_the_oldest_slot_is_overwritten_when_full() -> None:
    """Beyond max_fingerprints the oldest are forgotten: the memory is fixed."""
    index = _index(max_fingerprints=2)
    for n in range(4):
        index.add(_entry(f"{BODY} Story number {n} of the series.", f"urn:{n}", T0 + n))
    assert len(index) == 2
    assert index.probe(_entry(f"{BODY} Story number 0 of the series.", "urn:x", T0 + 9)) is None
    found = index.probe(_entry(f"{BODY} Story number 3 of the series.", "urn:x", T0 + 9))
    assert found is not None and found.uri == "urn:3"


def test_adding_the_same_fingerprint_twice_keeps_one() -> None:
    """A replayed record (or our own record read back from wire.fingerprints) is not a second copy."""
    index = _index()
    assert index.add(_entry(BODY, "urn:a", T0))
    assert not index.add(_entry(BODY, "urn:a", T0 + 50))
    assert len(index) == 1


def test_entry_bytes_round_trip_and_the_budget_is_what_the_docstring_says() -> None:
    """An entry is ~280 bytes on the topic; the index at capacity ~520 bytes a fingerprint."""
    entry = _entry(BODY, "urn:wirefeed:example:story:2031-03-04:0123456789abcdef", T0)
    assert Entry.decode(entry.encode()) == entry
    assert 200 < len(entry.encode()) < 320
    index = FingerprintIndex(DedupConfig(max_fingerprints=100_000))
    assert 400 < index.budget_bytes() / 100_000 < 600


def test_figures_are_compared_as_values() -> None:
    """Thousands separators, decimal commas and a time's colon are spelling, not new figures."""
    from pipeline.stories.fingerprint import fact_strings

    assert fact_strings("Trading resumed at 9:40 with 1,250 lots at 1,4 percent.") == fact_strings(
        "Trading resumed at 0940 with 1250 lots at 1.4 percent."
    )
    assert fact_strings("at 19:40") != fact_strings("at 9:40")
    assert fact_strings("1.4 percent") != fact_strings("14 percent")
