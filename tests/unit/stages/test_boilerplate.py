"""Learned boilerplate: repeated lines of one source go; news, figures and first carriers stay;
the state is per line key, bounded, and expires."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.records import Block, Dateline, ParsedItem
from pipeline.settings import Settings
from pipeline.stages.boilerplate import (
    REASON,
    Learner,
    LearnerConfig,
    carries_facts,
    fact_names,
    fingerprint,
    has_figure,
    line_key,
    meta_key,
    partition_of,
    shard_for,
    shard_keys,
    source_of,
    split_key,
    state_prefix,
)

FOOTER = "Follow the Harbour Courier on social media for live updates and evening briefings."
COPYRIGHT = "© 2026 Harbour Courier. All rights reserved."
PROMO = "Subscribe to our evening newsletter."
SHARD = "feed:harbour-courier#0"
ONE = LearnerConfig(shards=1)  # one shard: a source learns from every one of its stories


def _word(n: int) -> str:
    """A unique invented word per number."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    word = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        word = letters[rem] + word
    return "q" + word


def _story(n: int, *, footer: bool = True, extra: tuple[str, ...] = (), headline: str | None = None) -> ParsedItem:
    body = [
        Block(f"HARBOURTOWN - Story {_word(n)} starts with its own lead sentence about the {_word(n)} event."),
        Block(f"The second paragraph tells what the {_word(n)} committee decided, also unique."),
    ]
    body += [Block(t) for t in extra]
    if footer:
        body += [Block(FOOTER), Block(COPYRIGHT)]
    return ParsedItem(format="webtext", headline=headline or f"Committee {_word(n)} meets", body=tuple(body))


def _run(items: list[ParsedItem], learner: Learner | None = None, ids: list[str] | None = None) -> list[ParsedItem]:
    learner = learner or Learner(ONE)
    out = []
    for n, item in enumerate(items):
        out.append(learner.learn(item, ids[n] if ids else f"urn:story:{n}", SHARD, 1_700_000_000_000 + n * 60_000))
        learner.flush()
    return out


def _texts(item: ParsedItem) -> list[str]:
    return [b.text for b in item.body]


def _market_report(day: int) -> ParsedItem:
    """A daily template story: the same sentences every day, other figures."""
    up = 0.1 + (day % 7) / 10
    level = 7000 + day * 37.25
    body = (
        f"HARBOURTOWN - The Harbour 50 index closed up {up:.1f} percent at {level:,.2f} points on day {day + 1}.",
        f"Shipping stocks led the gains, with Quayline rising {1.5 + day / 10:.1f} percent.",
        f"The harbour dollar traded at {1.20 + day / 100:.4f} against the euro.",
        f"Turnover reached {310 + day * 7} million shares, against a 30-day average of 290 million.",
        "Markets",
    )
    sectors = ("shippers", "banks", "miners", "retailers", "insurers", "builders", "brewers")
    headline = f"Harbour 50 edges up as {sectors[day % 7]} gain ({_word(day)})"  # a new headline each day
    return ParsedItem(format="nitf", agency=None, headline=headline, body=tuple(Block(t) for t in body))


# ------------------------------------------------------------------------------ learning


def test_repeated_footer_is_removed_after_enough_earlier_distinct_stories() -> None:
    """Footer and copyright line stay in the first min_stories carriers and go from then on."""
    out = _run([_story(n) for n in range(12)])
    kept = [FOOTER in _texts(item) for item in out]
    assert kept == [True] * 4 + [False] * 8
    assert all(COPYRIGHT not in _texts(item) for item in out[4:])  # a bare year is not a figure
    assert [r.reason for r in out[6].removed] == [REASON, REASON]
    assert all(len(item.body) == 2 for item in out[4:])  # every news line kept


def test_thresholds_are_the_settings() -> None:
    """min_stories from the settings decides when a footer first goes."""
    cfg = LearnerConfig.from_settings(Settings(boilerplate_min_stories=7, boilerplate_shards=1))
    out = _run([_story(n) for n in range(10)], Learner(cfg))
    assert [FOOTER in _texts(item) for item in out] == [True] * 7 + [False] * 3


def test_settings_map_onto_every_threshold() -> None:
    """Every WIREFEED_BOILERPLATE_* variable reaches the learner's config."""
    env = {
        "WIREFEED_BOILERPLATE_MIN_STORIES": "6",
        "WIREFEED_BOILERPLATE_MIN_SHARE": "0.7",
        "WIREFEED_BOILERPLATE_MIN_CHARS": "20",
        "WIREFEED_BOILERPLATE_MAX_INTERIOR_WORDS": "5",
        "WIREFEED_BOILERPLATE_SHARDS": "3",
        "WIREFEED_BOILERPLATE_MAX_LINES": "300",
        "WIREFEED_BOILERPLATE_MAX_SOURCES": "9",
        "WIREFEED_BOILERPLATE_RECENT_STORIES": "50",
        "WIREFEED_BOILERPLATE_LINE_IDLE_STORIES": "70",
        "WIREFEED_BOILERPLATE_SOURCE_IDLE": "3600",
        "WIREFEED_PARTITIONS": "6",
    }
    cfg = LearnerConfig.from_settings(Settings.from_env(env))
    assert cfg == LearnerConfig(
        min_stories=6,
        min_share=0.7,
        min_chars=20,
        max_interior_words=5,
        shards=3,
        partitions=6,
        max_lines=300,
        max_sources=9,
        recent_stories=50,
        line_idle_stories=70,
        source_idle=3600.0,
    )


def test_market_reports_differing_only_in_figures_are_never_touched() -> None:
    """Thirty daily reports of one template: every line of every report is kept (digits are not folded)."""
    reports = [_market_report(day) for day in range(30)]
    learner = Learner(ONE)
    out = _run(reports, learner)
    assert [item.body for item in out] == [item.body for item in reports]
    assert learner.stats()["learned"] == 0


def test_a_line_repeated_verbatim_with_a_figure_is_kept() -> None:
    """A sentence with a figure is a fact even when it repeats exactly ("unchanged at 4.25 percent")."""
    rate = "The central bank left its main rate unchanged at 4.25 percent."
    items = [_story(n, footer=False, extra=(rate,)) for n in range(20)]
    out = _run(items)
    assert all(rate in _texts(item) for item in out)


def test_a_learned_line_naming_the_headline_is_kept() -> None:
    """A recurring closing line stays in the story whose headline names what it is about."""
    closing = "Tickets for the Lighthouse Festival are sold at the harbour office."
    items = [_story(n, footer=False, extra=(closing,)) for n in range(10)]
    items.append(_story(10, footer=False, extra=(closing,), headline="Lighthouse Festival opens"))
    items.append(_story(11, footer=False, extra=(closing,)))
    out = _run(items)
    assert closing not in _texts(out[9])  # learned: gone from stories about something else
    assert closing in _texts(out[10])  # the story about the festival keeps it
    assert closing not in _texts(out[11])


def test_names_of_the_lead_protect_but_its_dateline_does_not() -> None:
    """Names in the lead count as facts; the place of the dateline before it does not."""
    item = ParsedItem(
        format="x",
        headline="Committee meets",
        dateline=Dateline("HARBOURTOWN -", place="Harbourtown"),
        body=(Block("HARBOURTOWN - Mayor Ilse Varga opened the session of the council on Monday."),),
    )
    from pipeline.stages.boilerplate import fact_names

    names = fact_names(item, [False])
    assert ("mayor", "ilse", "varga") in names and not any("harbourtown" in name for name in names)
    assert carries_facts("Questions to Ilse Varga go through the press office.", names)
    assert not carries_facts("Published by the Harbourtown Press Cooperative.", names)


def test_a_word_of_the_headline_does_not_make_a_longer_name_a_fact() -> None:
    """ "Harbour seals return" does not protect a footer naming "The Harbour Courier"; "Harbour Seals" would be."""
    names = fact_names(ParsedItem(format="x", headline="Harbour seals return to the estuary"), [])
    assert not carries_facts("The paper is The Harbour Courier, owned by its readers.", names)
    assert carries_facts(
        "Count the Harbour seals with the wardens.",
        fact_names(ParsedItem(format="x", headline="Harbour Seals Count"), []),
    )


def test_figures() -> None:
    """Prices, percentages, counts are figures; a bare year or year range and digits in words are not."""
    assert has_figure("closed at 7,644.32 points") and has_figure("up 0.4 percent") and has_figure("Scores: 2-1")
    assert not has_figure("© 2003-2026 Harbour Courier") and not has_figure("Copyright 2026.")
    assert not has_figure("Summit of the G7 leaders")


def test_the_first_story_with_a_line_never_loses_it() -> None:
    """A line new to the source is kept, even at the end of a body full of learned lines."""
    items = [_story(n) for n in range(10)] + [_story(10, extra=("A brand-new closing line nobody has seen.",))]
    out = _run(items)
    assert "A brand-new closing line nobody has seen." in _texts(out[-1])


def test_background_paragraph_of_a_story_series_is_kept() -> None:
    """A paragraph repeated in a few stories among many fails the share test and stays."""
    background = "The strike began over fuel prices and spread to three cities within days."
    items = [_story(n, footer=False, extra=(background,) if n % 4 == 0 else ()) for n in range(60)]
    out = _run(items)
    assert all(background in _texts(item) for n, item in enumerate(out) if n % 4 == 0)


def test_resends_and_versions_count_once() -> None:
    """Re-sends (same id) and versions (same headline and lead up to figures) do not make their lines boilerplate."""
    body_end = "Officials said the search would continue into the afternoon."
    versions = [
        ParsedItem(
            format="x",
            headline=f"Warehouse collapse: {n + 2} dead",
            body=(
                Block(f"Rescuers searched the collapsed warehouse through the night for {n + 3} missing workers."),
                Block(f"Crews brought in more cranes, update {_word(n)}."),
                Block(body_end),
            ),
        )
        for n in range(12)
    ]
    learner = Learner(ONE)
    out = _run(versions, learner, ids=[f"urn:v:{n}" for n in range(12)])  # new id every time
    assert all(body_end in _texts(item) for item in out)
    assert learner._shards[state_prefix(SHARD, 0)].seq == 1
    same = _run([_story(1, footer=True)] * 10, Learner(ONE), ids=["urn:same"] * 10)
    assert all(FOOTER in _texts(item) for item in same)


def test_a_site_name_taken_for_every_headline_neither_stops_learning_nor_protects() -> None:
    """Pages whose headline is the site's name are still distinct stories, and the name is no fact."""
    footer = "Harbour Courier is published by the Harbourtown Press Cooperative, Quay Street."
    items = [
        ParsedItem(
            format="webtext",
            headline="Harbour Courier",
            body=(
                Block(f"Council debates the {_word(n)} project at length"),
                Block(f"Residents of {_word(n)} quay asked for time."),
                Block(footer),
            ),
        )
        for n in range(10)
    ]
    out = _run(items)
    assert [footer in _texts(item) for item in out] == [True] * 4 + [False] * 6


def test_long_interior_paragraphs_are_not_removed_but_short_promos_are() -> None:
    """Inside the body only short lines go; long learned paragraphs are removed only at the ends."""
    closing = "Closing paragraph {} with its own words and nothing else in it."
    items = [_story(n, footer=False, extra=(PROMO, closing.format(_word(n)))) for n in range(12)]
    out = _run(items)
    assert PROMO not in _texts(out[-1])
    assert closing.format(_word(11)) in _texts(out[-1])


def test_a_body_is_never_emptied() -> None:
    """If every line is learned boilerplate the item is left alone."""
    items = [
        ParsedItem(format="x", headline=f"h {_word(n)}", body=(Block(FOOTER), Block(PROMO * 2))) for n in range(10)
    ]
    out = _run(items)
    assert out[-1].body == items[-1].body


# ------------------------------------------------------------------------------ sources and shards


def test_source_is_the_named_feed_the_site_or_the_agency_service() -> None:
    """Feed name > site host > agency:format:language > copyright holder > nothing (no learning)."""
    page = ParsedItem(format="html", agency="aa", url="https://www.example.org/world/story-1", language="tr")
    assert source_of(page, (("wf_source", b"Harbour RSS"), ("wf_input", b"f.xml"))) == "feed:harbour rss"
    assert source_of(page, (("wf_source", b"f.html"), ("wf_input", b"f.html"))) == "site:example.org"
    wire = ParsedItem(format="newsml-g2", agency="aa", language="fr-FR")
    assert source_of(wire, ()) == "agency:aa:newsml-g2:fr"
    assert source_of(ParsedItem(format="nitf", copyright_holder="Harbour Wire"), ()) == "holder:harbour wire:nitf"
    assert source_of(ParsedItem(format="nitf"), ()) is None
    assert shard_for(None, "urn:x") == ""


def test_unrelated_sites_never_share_state() -> None:
    """Two sites with the same agency each learn their own chrome."""
    a = ParsedItem(format="html", agency="aa", url="https://one.example/a")
    b = ParsedItem(format="html", agency="aa", url="https://two.example/b")
    assert source_of(a, ()) != source_of(b, ())


def test_shards_of_a_source_sit_on_distinct_partitions() -> None:
    """A source's shard keys are placed on consecutive partitions, so its stories spread."""
    for source in ("agency:aa:newsml-g2:tr", "site:example.org", "feed:harbour"):
        keys = shard_keys(source, 4, 4)
        partitions = [partition_of(k.encode(), 4) for k in keys]
        assert sorted(partitions) == [0, 1, 2, 3]
    cfg = LearnerConfig(shards=4, partitions=4)
    spread = Counter(partition_of(shard_for("agency:aa:nitf", f"urn:s:{n}", cfg).encode(), 4) for n in range(400))
    assert len(spread) == 4 and min(spread.values()) > 60
    assert shard_for("agency:aa:nitf", "urn:s:7", cfg) == shard_for("agency:aa:nitf", "urn:s:7", cfg)


def test_each_shard_learns_on_its_own() -> None:
    """With four shards a footer goes once each shard has seen min_stories stories."""
    cfg = LearnerConfig(shards=4, partitions=4)
    learner = Learner(cfg)
    removed_at: dict[str, int] = {}
    seen: Counter[str] = Counter()
    for n in range(80):
        story_id = f"urn:story:{n}"
        shard = shard_for("feed:harbour", story_id, cfg)
        out = learner.learn(_story(n), story_id, shard, 1_700_000_000_000 + n)
        learner.flush()
        if FOOTER not in _texts(out):
            removed_at.setdefault(shard, seen[shard])
        seen[shard] += 1
    assert len(removed_at) == 4 and set(removed_at.values()) == {4}


# ------------------------------------------------------------------------------ state, bounds, expiry


def test_lines_seen_once_are_never_written() -> None:
    """A story writes its marks and the lines seen before, not its unique lines."""
    learner = Learner(ONE)
    learner.learn(_story(0), "urn:a", SHARD, 1)
    first = learner.flush()
    assert first.writes == 2  # the shard's record and the story's: no line seen twice yet
    learner.learn(_story(1), "urn:b", SHARD, 2)
    second = learner.flush()
    assert second.writes == 4  # shard, story, footer, copyright line
    assert second.bytes < 200
    assert {split_key(k)[1] for k in learner.store} == {b"M", b"S", b"L"}


def test_state_survives_a_restart_through_the_store() -> None:
    """A new learner on the same store (a restarted worker) removes the learned footer at once."""
    store: dict[bytes, list[int]] = {}
    _run([_story(n) for n in range(8)], Learner(ONE, store))
    restarted = Learner(ONE, store)
    restarted.rebuild()
    out = restarted.learn(_story(8), "urn:story:8", SHARD, 1_700_000_900_000)
    assert FOOTER not in _texts(out)
    assert restarted.stats()["shards"] == 1


def test_lines_per_source_are_bounded() -> None:
    """Thousands of unique lines never grow a shard past its share of max_lines; the footer stays learned."""
    cfg = LearnerConfig(shards=1, max_lines=60)
    learner = Learner(cfg)
    extra = lambda n: tuple(f"Unique line {_word(n)} number {_word(n + k * 1000)} here." for k in range(5))  # noqa: E731
    out = _run([_story(n, extra=extra(n)) for n in range(400)], learner)
    stats = learner.stats()
    assert stats["stored_lines"] + stats["fresh_lines"] <= 60
    assert FOOTER not in _texts(out[-1])


def test_story_marks_are_bounded_and_idle_lines_expire() -> None:
    """Old story marks and lines unseen for line_idle_stories stories are deleted from the store."""
    cfg = LearnerConfig(shards=1, recent_stories=20, line_idle_stories=30, sweep_every=10)
    learner = Learner(cfg)
    _run([_story(n) for n in range(10)] + [_story(n, footer=False) for n in range(10, 100)], learner)
    kinds = Counter(split_key(k)[1] for k in learner.store)
    assert kinds[b"S"] <= 20 + 10  # one key a story, swept every 10 stories
    assert line_key(SHARD, FOOTER) not in learner.store  # last seen 90 stories ago


def test_idle_sources_expire_and_their_keys_are_deleted() -> None:
    """A source silent for source_idle seconds (record time) is forgotten, tombstones written."""
    cfg = LearnerConfig(shards=1, source_idle=3600)
    learner = Learner(cfg)
    for n in range(6):
        learner.learn(_story(n), f"urn:{n}", "feed:old#0", 1_000_000 + n)
    learner.flush()
    old = state_prefix("feed:old#0", 0)
    assert any(split_key(k)[0] == old for k in learner.store)
    learner.learn(_story(99), "urn:new", "feed:new#0", 1_000_000 + 7200 * 1000)
    stats = learner.flush()
    assert stats.deletes > 0
    assert not any(split_key(k)[0] == old for k in learner.store)
    assert meta_key("feed:new#0") in learner.store


def test_sources_per_worker_are_bounded() -> None:
    """Beyond max_sources the longest idle source is forgotten."""
    learner = Learner(LearnerConfig(shards=1, max_sources=3))
    for s in range(6):
        learner.learn(_story(s), f"urn:{s}", f"feed:f{s}#0", 1_000 + s)
        learner.flush()
    assert learner.stats()["sources"] == 3
    assert {split_key(k)[0] for k in learner.store} == {state_prefix(f"feed:f{s}#0", 0) for s in (3, 4, 5)}


def test_rebuild_keeps_only_the_shards_of_owned_partitions() -> None:
    """After a rebalance the learner holds (and will only ever write) the shards of its partitions."""
    store: dict[bytes, list] = {}
    writer = Learner(ONE, store)
    for n in range(8):
        writer.learn(_story(n), f"urn:{n}", f"feed:f{n}#0", 1_000 + n, partition=n % 2)
    writer.flush()
    assert {k[:2] for k in store} == {b"0:", b"1:"}
    learner = Learner(ONE, store)
    learner.rebuild({0})
    assert set(learner._shards) == {state_prefix(f"feed:f{n}#0", 0) for n in range(0, 8, 2)}
    assert {s.name for s in learner._shards.values()} == {f"feed:f{n}#0" for n in range(0, 8, 2)}
    learner.expire(10**12)  # everything idle: only the owned shards are deleted
    learner.flush()
    assert {k[:2] for k in store} == {b"1:"}


def test_fingerprint_folds_case_and_spacing_only() -> None:
    """'Closed at 7,644' and 'closed  AT 7,644' are one line; 'closed at 7,645' is another."""
    assert fingerprint("Closed at 7,644 points") == fingerprint("  closed  AT 7,644 points ")
    assert fingerprint("Closed at 7,644 points") != fingerprint("Closed at 7,645 points")


@pytest.mark.parametrize("partitions", [2, 4, 7])
def test_partition_of_agrees_with_the_producer(partitions: int) -> None:
    """The placement uses the producer's own default partitioner."""
    from aiokafka.partitioner import DefaultPartitioner

    parts = list(range(partitions))
    for n in range(50):
        key = f"site:example.org#{n}".encode()
        assert partition_of(key, partitions) == DefaultPartitioner()(key, parts, parts)
