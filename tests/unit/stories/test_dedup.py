"""Duplicate index: exact and near copies across stories, new facts are news, bounded and expiring."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline.records import Block, ParsedItem
from pipeline.stories import dedup
from pipeline.stories.dedup import (
    DedupConfig,
    Entry,
    FingerprintIndex,
    Match,
    band_keys,
    is_copy,
    new_facts,
    similarity,
)
from pipeline.stories.fingerprint import PERM, fingerprint

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


# ---------------------------------------------------------------- growth: the same as a full scan


class _Scan:
    """The index's rules over a plain list: the last ``capacity`` fingerprints added, every one compared."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.held: list[Entry] = []

    def contains(self, entry: Entry) -> bool:
        return any((e.uri, e.exact) == (entry.uri, entry.exact) for e in self.held)

    def add(self, entry: Entry) -> bool:
        if self.contains(entry):
            return False
        self.held = [*self.held, entry][-self.cfg.max_fingerprints :]
        return True

    def probe(self, entry: Entry) -> Match | None:
        cfg, bands = self.cfg, set(band_keys(entry.signature, self.cfg.bands, self.cfg.rows))
        found: list[Match] = []
        for e in self.held:
            if e.uri == entry.uri or not (entry.ms - cfg.window_ms <= e.ms and (e.ms, e.uri) < (entry.ms, entry.uri)):
                continue
            if e.day and entry.day and abs(e.day - entry.day) >= cfg.other_day:
                continue
            if e.exact == entry.exact:
                found.append(Match(e.uri, e.ms, 1.0, True))
            if e.signature and bands & set(band_keys(e.signature, cfg.bands, cfg.rows)):
                score = similarity(entry.signature, e.signature)
                if is_copy(score, new_facts(entry.facts, e.facts), cfg):
                    found.append(Match(e.uri, e.ms, round(score, 4), False))
        return min(found, key=lambda m: (m.first_seen_ms, m.uri, not m.exact), default=None)


def _random_entries(rng: random.Random, count: int) -> list[Entry]:
    """Fingerprints drawn from small pools, so that exact copies, near copies (a few signature
    bytes changed), re-adds of one uri and text, new facts, other days and ties of time all occur."""
    signatures = [rng.randbytes(PERM) for _ in range(12)]
    facts = [np.asarray(sorted(rng.sample(range(1 << 16), n)), ">u2").tobytes() for n in (0, 3, 3, 40)]
    out = []
    for _ in range(count):
        sig = bytearray(rng.choice(signatures))
        for at in rng.sample(range(PERM), rng.choice((0, 0, 4, 20, 64))):
            sig[at] = rng.getrandbits(8)
        out.append(
            Entry(
                uri=f"urn:{rng.randrange(40)}",
                ms=T0 + rng.randrange(0, 12) * DAY // 2,
                exact=rng.randrange(30),
                signature=bytes(sig) if rng.random() > 0.1 else b"",
                facts=rng.choice(facts),
                day=rng.choice((0, 0, 100, 101, 103)),
            )
        )
    return out


@pytest.mark.parametrize(("seed", "capacity"), [(1, 1), (2, 7), (3, 50), (4, 50), (5, 2000)])
def test_a_growing_index_finds_what_a_full_scan_finds(
    monkeypatch: pytest.MonkeyPatch, seed: int, capacity: int
) -> None:
    """Random adds and probes: the same answers as comparing every held fingerprint, across every
    doubling of the tables (from 2 buckets, rebuilt 3 ids at a time) and past capacity."""
    monkeypatch.setattr(dedup, "_MIN_BUCKETS", 2)
    monkeypatch.setattr(dedup, "_REBUILD_SLICE", 3)
    rng = random.Random(seed)
    cfg = DedupConfig(max_fingerprints=capacity, window_ms=4 * DAY)
    index, scan = FingerprintIndex(cfg), _Scan(cfg)
    for step, entry in enumerate(_random_entries(rng, 1500)):
        if rng.random() < 0.5:
            assert index.add(entry) == scan.add(entry), step
            assert len(index) == len(scan.held)
        else:
            assert index.probe(entry) == scan.probe(entry), step
            assert index.contains(entry) == scan.contains(entry), step
    assert index.by_exact.count == len(scan.held)
    assert index.by_band.count == cfg.bands * sum(1 for e in scan.held if e.signature)


def test_memory_grows_with_what_is_held() -> None:
    """An empty index has written a few KB; a held fingerprint ~380 bytes (uri strings apart), the
    tables' buckets doubling with the entries; at capacity what the budget says."""
    index = FingerprintIndex(DedupConfig(max_fingerprints=1_000_000))
    assert index.nbytes() < 10_000
    entries = _random_entries(random.Random(7), 3000)
    for n, entry in enumerate(entries):
        index.add(Entry(f"urn:{n}", entry.ms, n, entry.signature, entry.facts))
    held_bands = index.by_band.count
    assert len(index.by_exact.heads) == 4096 and len(index.by_band.heads) >= held_bands > 2700 * 10
    assert 3000 * 300 < index.nbytes() < 3000 * 450
    small = FingerprintIndex(DedupConfig(max_fingerprints=3000))
    for n, entry in enumerate(entries * 2):
        small.add(Entry(f"urn:{n}", entry.ms, n, entry.signature, entry.facts))
    assert len(small) == len(small.uris) == 3000
    assert small.nbytes() <= small.budget_bytes(uri_chars=0) - 3000 * 49


def test_the_oldest_leaves_every_table_when_its_slot_is_overwritten() -> None:
    """At capacity the ring overwrites the oldest: neither its exact hash nor its bands find it."""
    index = _index(max_fingerprints=3)
    texts = [f"{BODY} Story number {n} of the series, filed from the harbour." for n in range(7)]
    for n, text in enumerate(texts):
        index.add(_entry(text, f"urn:{n}", T0 + n))
    assert (index.by_exact.count, index.by_band.count) == (3, 3 * index.cfg.bands)
    for n, text in enumerate(texts):
        found = index.probe(_entry(text, "urn:x", T0 + 99))
        assert (found.uri if found else None) == (f"urn:{n}" if n >= 4 else None)


def test_a_malformed_fingerprint_changes_nothing() -> None:
    """A record whose signature is not PERM bytes is refused before anything is written."""
    index = _index()
    with pytest.raises(ValueError, match="signature"):
        index.add(Entry("urn:a", T0, 1, b"\x01" * 7, b""))
    assert len(index) == 0 and index.by_exact.count == 0
