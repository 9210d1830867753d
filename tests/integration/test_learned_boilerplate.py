"""Learned boilerplate on the real broker: a new source's footer disappears without a profile,
daily template stories are never touched, what was learned survives a worker restart (the
table's changelog), and table writes never depend on the producer's topic metadata."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import faust
import orjson
import pytest

from pipeline.kafka import ensure_topics, read
from pipeline.settings import Settings
from pipeline.stages.boilerplate import Learner, LearnerConfig, line_key
from pipeline.tables import boilerplate_table
from tests.integration.conftest import Pipeline, _pipeline

pytestmark = pytest.mark.broker

FOOTER = "Harbour Courier is published by the Harbourtown Press Cooperative, Quay Street, Harbourtown."
WORDS = [
    "amber",
    "birch",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "heath",
    "inlet",
    "jetty",
    "kelp",
    "lagoon",
    "marsh",
    "nettle",
    "orchard",
    "pier",
]
TEXT = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"harbour-courier"))


def _dispatch(n: int) -> bytes:
    a, b = WORDS[n % len(WORDS)], WORDS[(n // len(WORDS)) % len(WORDS)]
    return (
        f"Harbour Courier\n\nCouncil debates the {a} {b} project, item {n}\n\n"
        f"HARBOURTOWN - Councillors discussed the {a} {b} plan on Tuesday, the {n}th item on the agenda this year.\n\n"
        f"Residents near the {b} quay asked for more time to comment on the {a} proposal.\n\n"
        f"{FOOTER}\n"
    ).encode()


def _body(record) -> str:
    doc = orjson.loads(record.value)
    return "\n".join(body["value"] for body in doc.get("bodies", []) if body["contentType"] == "text/plain")


def _removed(record) -> int:
    return int(orjson.loads(dict(record.headers)["wf_removed"]).get("learned-boilerplate", 0))


async def test_footer_of_a_new_source_is_learned_and_remembered(pipeline: Pipeline) -> None:
    """200 dispatches of one feed, four learning shards: the footer stays in the first four
    stories of each shard only; after a restart it is gone at once.

    Delivery is at-least-once, so a dispatch may have several outcomes; they share their
    ce_id, and the checks count dispatches (distinct ce_id), as an idempotent consumer would.
    """
    pipeline.env["WIREFEED_BOILERPLATE_SHARDS"] = "4"
    pipeline.start_worker()
    await pipeline.produce([(_dispatch(n), TEXT) for n in range(200)])
    records = await pipeline.outcomes(expected_raw=200, timeout=300)
    articles = _by_event(r for r in records if r.topic == pipeline.names.articles)
    assert len(articles) == 200
    with_footer = {ce_id for ce_id, outs in articles.items() if any(FOOTER in _body(r) for r in outs)}
    assert len(with_footer) == 4 * 4  # the first four stories of each shard teach it; none loses a line
    for ce_id, outs in articles.items():
        if ce_id not in with_footer:
            assert _removed(outs[0]) == 1
            assert "Harbourtown Press Cooperative" not in _body(outs[0])
            assert "Residents near the" in _body(outs[0])

    pipeline.stop_workers()
    pipeline.start_worker()  # a new process: the state comes back from the table's changelog
    await pipeline.produce([(_dispatch(n), TEXT) for n in range(200, 210)])
    records = await pipeline.outcomes(expected_raw=210, timeout=300)
    after = _by_event(r for r in records if r.topic == pipeline.names.articles and _item_number(r) >= 200)
    assert len(after) == 10
    assert not any(FOOTER in _body(r) for outs in after.values() for r in outs)
    assert "Traceback" not in pipeline.worker_log(1), pipeline.worker_log(1)[-3000:]


# --------------------------------------------------------------------- nine market reports


@pytest.fixture(scope="module")
def one_shard(broker, tmp_path_factory) -> Iterator[Pipeline]:
    """One worker with one learning shard per source: one state sees every story of a source
    (the strictest case; with more shards nine stories could not teach anything). Shared by
    the nine-story tests, each sending its own source."""
    pipe = _pipeline(broker, tmp_path_factory.mktemp("one-shard"))
    pipe.env["WIREFEED_BOILERPLATE_SHARDS"] = "1"
    pipe.start_worker()
    yield pipe
    pipe.stop_workers()


INDEX_SENTENCE = "The Harbour 50 index closed {dir} {pct:.1f} percent at {level:,.2f} points."
SECTORS = ("shipping", "banking", "mining", "retail", "insurance", "building", "brewing", "fishing", "timber")


def _market_report(day: int) -> tuple[bytes, list[str]]:
    """A daily NITF market report of an invented agency: the same sentences every day, other figures."""
    when = datetime(2026, 3, 2, 16, 45, tzinfo=UTC) + timedelta(days=day)
    direction = "up" if day % 3 else "down"
    pct, level = 0.2 + day / 10, 7600.5 + day * 21.37
    sector = SECTORS[day]
    sentences = [
        "HARBOURTOWN, "
        + when.strftime("%B %-d")
        + " (Harbour Wire) - "
        + INDEX_SENTENCE.format(dir=direction, pct=pct, level=level),
        f"The broader Harbour 250 index ended {direction} {pct / 2:.2f} percent at {level * 2.7:,.2f} points.",
        f"Shares in {sector} companies led the session, rising {1.1 + day / 5:.1f} percent on average.",
        f"The harbour dollar traded at {1.1834 + day / 1000:.4f} per euro, "
        f"against {1.1812 + day / 1000:.4f} a day earlier.",
        f"Turnover reached {412 + day * 9} million shares, compared with a 30-day average of 405 million.",
        f"Government bond yields stood at {3.12 + day / 100:.2f} percent for the ten-year issue.",
    ]
    paragraphs = "\n".join(f"      <p>{s}</p>" for s in sentences)
    nitf = f"""<?xml version="1.0" encoding="utf-8"?>
<nitf version="-//IPTC//DTD NITF 3.6//EN">
  <head>
    <title>Markets: Harbour 50 {direction} as {sector} shares lead</title>
    <docdata management-status="usable">
      <doc-id id-string="hbw-markets-{when:%Y%m%d}-close"/>
      <urgency ed-urg="4"/>
      <date.issue norm="{when:%Y%m%dT%H%M%S}+0000"/>
      <doc.copyright holder="Harbour Wire" year="2026"/>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Harbour 50 closes {direction} as {sector} shares lead</hl1></hedline>
      <byline>By Markets Desk</byline>
    </body.head>
    <body.content>
{paragraphs}
    </body.content>
  </body>
</nitf>
"""
    return nitf.encode(), sentences


async def test_nine_market_reports_keep_every_line(one_shard: Pipeline) -> None:
    """Nine daily reports of one source whose lines differ only in their figures: all nine bodies intact."""
    pipeline = one_shard
    reports = [_market_report(day) for day in range(9)]
    headers = (("content-type", b"application/xml"),)
    coords = await pipeline.produce([(nitf, headers) for nitf, _ in reports])
    records = await pipeline.outcomes_for(coords, timeout=300)
    articles = {}
    for record in records:
        assert record.topic == pipeline.names.articles, record.value[:500]
        articles[orjson.loads(record.value)["uri"]] = record
    assert len(articles) == 9
    bodies = [_plain(_body(r)) for r in articles.values()]
    for _, sentences in reports:
        expected = [sentences[0].split(" - ", 1)[1], *sentences[1:]]  # the dateline is published apart
        matching = [b for b in bodies if _plain(sentences[4]) in b]  # the day's turnover names its report
        assert matching, f"no article body carries {sentences[4]!r}: {bodies}"
        assert all(_plain(sentence) in matching[0] for sentence in expected), (expected, matching[0])
    assert all(_removed(r) == 0 for r in articles.values())
    assert "Traceback" not in pipeline.worker_log(), pipeline.worker_log()[-3000:]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------- nine unrelated stories

COURIER_FOOTER = (
    "The Harbour Courier is an independent newspaper owned by its readers. "
    "Send news tips to the newsdesk at the Quay Street office."
)
STORIES = [
    (
        "Ferry timetable changes from Monday",
        [
            "The island ferry will leave half an hour earlier on weekdays.",
            "Commuters welcomed the change but asked for a later evening crossing.",
        ],
    ),
    (
        "Library extends opening hours",
        [
            "The central library will stay open until nine on Thursdays.",
            "Volunteers will run a homework club in the reading room.",
        ],
    ),
    (
        "New lifeboat named after fisherman",
        [
            "The lifeboat station unveiled its new vessel on the slipway.",
            "It carries the name of a fisherman who served the crew for decades.",
        ],
    ),
    (
        "School choir wins regional prize",
        [
            "Pupils from the hill school sang three pieces in the final round.",
            "Their teacher said the win belonged to the whole village.",
        ],
    ),
    (
        "Roadworks close coast road",
        [
            "Resurfacing will close the coast road overnight for two weeks.",
            "Diversions will send traffic through the market square.",
        ],
    ),
    (
        "Harbour seals return to the estuary",
        [
            "Wardens counted a growing colony on the sandbanks this spring.",
            "Walkers are asked to keep dogs on leads near the water.",
        ],
    ),
    (
        "Bakery opens on the old pier",
        [
            "A family bakery has taken over the former ticket office.",
            "The owners plan to bake bread for the lifeboat crew every Sunday.",
        ],
    ),
    (
        "Council approves cycle lane",
        [
            "Councillors voted for a protected lane along the promenade.",
            "Work should begin after the summer season ends.",
        ],
    ),
    (
        "Museum finds lost ship log",
        [
            "Archivists found the log of a merchant schooner in a donated chest.",
            "The pages describe a winter voyage along the northern coast.",
        ],
    ),
]


def _courier_page(headline: str, sentences: list[str], n: int) -> bytes:
    """An article page of an invented local paper: its text, then the paper's standing footer."""
    paragraphs = "\n".join(f"<p>{s}</p>" for s in sentences)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{headline}</title>
<link rel="canonical" href="https://www.harbour-courier.example/news/{n}-{headline.lower().replace(" ", "-")}">
<meta property="og:title" content="{headline}">
</head><body>
<article>
<h1>{headline}</h1>
<p class="byline">By Courier Staff</p>
{paragraphs}
<p>{COURIER_FOOTER}</p>
</article>
</body></html>
""".encode()


async def test_nine_unrelated_stories_lose_their_shared_footer(one_shard: Pipeline) -> None:
    """Nine stories of one site sharing a footer: the footer goes from the later ones, every sentence stays."""
    pipeline = one_shard
    headers = (("content-type", b"text/html; charset=utf-8"),)
    coords = await pipeline.produce(
        [(_courier_page(headline, sentences, n), headers) for n, (headline, sentences) in enumerate(STORIES)]
    )
    records = await pipeline.outcomes_for(coords, timeout=300)
    articles = {}
    for record in records:
        assert record.topic == pipeline.names.articles, record.value[:500]
        articles[orjson.loads(record.value)["uri"]] = record
    assert len(articles) == 9
    by_headline = {orjson.loads(r.value)["headlines"][0]["value"]: r for r in articles.values()}
    assert sorted(by_headline) == sorted(h for h, _ in STORIES)
    for headline, sentences in STORIES:
        body = _body(by_headline[headline])
        for sentence in sentences:
            assert sentence in body, (headline, body)
    carriers = [h for h, r in by_headline.items() if "independent newspaper owned by its readers" in _body(r)]
    assert len(carriers) == 4  # the first four stories processed teach it (min_stories); five lose it
    assert sorted(_removed(r) for r in by_headline.values()) == [0] * 4 + [1] * 5
    assert "Traceback" not in pipeline.worker_log(), pipeline.worker_log()[-3000:]


# --------------------------------------------------------------------- table writes


async def test_table_writes_do_not_need_the_changelog_metadata_beforehand(broker, tmp_path) -> None:
    """A changelog topic created after the producer started: a stock table write crashes
    (issue 9: TypeError in aiokafka's _partition); the learned-boilerplate table's write is
    sent, to the partition its key names."""
    prefix = f"tbl{id(tmp_path)}."
    settings = Settings(
        broker=broker.url, app_id=f"wirefeed-{prefix.rstrip('.')}", topic_prefix=prefix, partitions=2, data_dir=tmp_path
    )
    app = faust.App(
        settings.app_id, broker=settings.broker, store="memory://", datadir=str(tmp_path), web_enabled=False
    )
    stock = app.Table("stock", default=None, key_type=bytes, partitions=2, use_partitioner=True)
    learner = Learner(LearnerConfig(shards=1))
    table = boilerplate_table(app, settings, learner)
    await app.producer.start()  # its first metadata: every topic that exists now
    try:
        await ensure_topics(broker.bootstrap, [stock.changelog_topic.get_topic_name()], 2)
        await ensure_topics(broker.bootstrap, [table.changelog_topic.get_topic_name()], 2)
        with pytest.raises(TypeError, match="not iterable"):
            stock[b"key"] = [1]  # the crash the learn agent had in a fresh deployment
        key = line_key("feed:tables#0", "A footer line of the tables feed.", partition=1)
        table[key] = [2, 1, 2]
        await asyncio.wait_for(app.producer.flush(), 30)
        found = [r async for r in read(broker.bootstrap, [table.changelog_topic.get_topic_name()], idle_timeout=1.0)]
        assert [(r.key, orjson.loads(r.value), r.partition) for r in found] == [(key, [2, 1, 2], 1)]
    finally:
        await app.producer.stop()


def _by_event(records) -> dict[str, list]:
    """Outcomes grouped by their deterministic CloudEvents id (one group per dispatch)."""
    groups: dict[str, list] = {}
    for record in records:
        groups.setdefault(dict(record.headers)["ce_id"].decode(), []).append(record)
    return groups


def _item_number(record) -> int:
    match = re.search(rb"the (\d+)th item", record.value)
    assert match, record.value[:300]
    return int(match.group(1))
