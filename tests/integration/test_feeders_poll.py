"""``wirefeed poll`` against a real local HTTP server, producing to the embedded broker.

Feeds grow, answer 304, fail (503, 429, timeouts, dropped connections, 404), serve
garbage; pollers stop in the middle of a batch and are restarted (in-process at the
exact crash points, and as real processes killed with SIGKILL at random moments). Each
time, ``wire.raw`` must hold every item exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from pipeline.broker import EmbeddedBroker, die_with_parent
from pipeline.feeders import raw_sender
from pipeline.feeders.journal import Journal
from pipeline.feeders.poll import Feed, Poller, feed_from_url
from pipeline.kafka import read
from pipeline.settings import Settings
from pipeline.sources import SourceDispatch
from pipeline.topics import TopicNames
from tests.feed_documents import atom, rss
from tests.integration.feedserver import Fault, feed_server

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
_counter = itertools.count(1)


def _settings(broker: EmbeddedBroker) -> Settings:
    return Settings(broker=broker.url, topic_prefix=f"fp{os.getpid()}n{next(_counter)}.", partitions=2)


def _feed(url: str, **options: object) -> Feed:
    defaults: dict[str, object] = {"timeout": 1.0, "backoff": 0.02, "backoff_max": 0.1, "retries": 4}
    return feed_from_url(url, **{**defaults, **options})


async def _raw(settings: Settings) -> list[tuple[dict[str, str], bytes]]:
    names = TopicNames.with_prefix(settings.topic_prefix)
    out = []
    async for record in read(settings.bootstrap_servers, [names.raw], idle_timeout=0.3):
        headers = {k: v.decode() for k, v in record.headers or ()}
        out.append((headers, record.value or b""))
    return out


async def _state_problems(settings: Settings) -> list[str]:
    """Schema violations of the feeders' state records (schemas/wire.feeders)."""
    from pipeline.schemas import errors

    problems, kinds = [], set()
    async for record in read(settings.bootstrap_servers, [settings.topic("wire.feeders")], idle_timeout=0.3):
        if record.value is not None:
            value = orjson.loads(record.value)
            kinds.add(value["type"])
            problems += errors("wire.feeders", "value", value)
    assert kinds == {"seen", "cursor", "pending"}
    return problems


def _guids(records: list[tuple[dict[str, str], bytes]]) -> Counter[str]:
    """Item ids in the raw records (each record is one item of an invented feed)."""
    found: Counter[str] = Counter()
    for _, value in records:
        ids = re.findall(rb"<(?:guid[^>]*|id)>([^<]+)</", value)
        found.update(i.decode() for i in ids if not i.startswith(b"urn:example:feed"))
    return found


async def _poll(settings: Settings, feed: Feed, rounds: int = 1) -> Poller:
    async with Journal(settings, [feed.scope]) as journal:
        poller = Poller([feed], journal, {feed.name: raw_sender(settings, source=feed.name, agency=None)})
        for _ in range(rounds):
            await poller.run(once=True)
        return poller


ITEMS = [(f"story-{n:03d}", f"Headline number {n}") for n in range(1, 12)]


async def test_poll_sends_every_item_once_as_the_feed_grows(broker: EmbeddedBroker) -> None:
    """A sliding window of the newest items over restarts: each item once, unchanged feeds answer 304."""
    settings = _settings(broker)
    with feed_server() as server:
        route = server.route("/rss", rss(ITEMS[:3]))
        feed = _feed(server.url("/rss"))
        sent = 0
        for start in (3, 5, 5, 7, 9, 11):  # each "process" polls twice; the feed shows the 5 newest items
            route.set(rss(ITEMS[max(0, start - 5) : start]))
            poller = await _poll(settings, feed, rounds=2)
            sent += poller.stats[feed.name].sent
        records = await _raw(settings)
    assert _guids(records) == Counter({guid: 1 for guid, _ in ITEMS})
    assert sent == len(ITEMS)
    # the second poll of each process, and the first of an unchanged feed, are 304s
    assert route.statuses.count(304) >= 6
    assert all(h["wf_ingest_id"] and h["wf_source"] == feed.name for h, _ in records)


async def test_poll_retries_through_errors_and_stalls(broker: EmbeddedBroker) -> None:
    """503, a stalled answer, a dropped connection and a 429 are retried with backoff; then the items go."""
    settings = _settings(broker)
    with feed_server() as server:
        route = server.route("/rss", rss(ITEMS[:4]))
        route.faults = [Fault(status=503), Fault(delay=1.5), Fault(drop=True), Fault(status=429, retry_after="0")]
        feed = _feed(server.url("/rss"), timeout=0.5)
        poller = await _poll(settings, feed)
        stats = poller.stats[feed.name]
        assert route.statuses[-1] == 200 and len(route.requests) == 5
        assert (stats.retries, stats.sent, stats.failed) == (4, 4, 0)
        assert stats.errors == Counter({"http-503": 1, "timeout": 1, "connection": 1, "http-429": 1})

        # out of retries: the poll fails, nothing is sent, the next poll gets the items
        late = server.route("/late", rss(ITEMS[4:6]))
        late.faults = [Fault(status=500)] * 3
        feed = _feed(server.url("/late"), retries=2)
        poller = await _poll(settings, feed)
        assert (poller.stats[feed.name].failed, poller.stats[feed.name].sent, len(late.requests)) == (1, 0, 3)
        poller = await _poll(settings, feed)
        assert poller.stats[feed.name].sent == 2

        # a 404 is the feed's configuration: not retried
        feed = _feed(server.url("/gone"))
        poller = await _poll(settings, feed)
        assert poller.stats[feed.name].failed == 1 and poller.stats[feed.name].retries == 0
        records = await _raw(settings)
    assert _guids(records) == Counter({guid: 1 for guid, _ in ITEMS[:6]})


async def test_garbage_is_one_dispatch_sent_once(broker: EmbeddedBroker) -> None:
    """A body that is no feed goes to wire.raw as it is (to be dead-lettered), once however often served."""
    settings = _settings(broker)
    garbage = bytes(random.Random(7).randrange(256) for _ in range(3000))
    with feed_server() as server:
        route = server.route("/feed", rss(ITEMS[:1]))
        route.faults = [Fault(body=garbage), Fault(body=garbage)]
        feed = _feed(server.url("/feed"))
        first = await _poll(settings, feed)
        second = await _poll(settings, feed)
        third = await _poll(settings, feed)
        records = await _raw(settings)
    assert (first.stats[feed.name].sent, second.stats[feed.name].known, third.stats[feed.name].sent) == (1, 1, 1)
    assert [value for _, value in records].count(garbage) == 1
    assert _guids(records) == Counter({ITEMS[0][0]: 1})


async def test_updated_entries_are_sent_again_by_revision(broker: EmbeddedBroker) -> None:
    """An Atom entry whose <updated> changed is sent again, unchanged ones are not; updates='never' never resends."""
    settings = _settings(broker)
    first_doc = atom([("urn:x:1", "2026-03-02T10:00:00Z", "First"), ("urn:x:2", "2026-03-02T10:05:00Z", "Second")])
    updated_doc = atom(
        [("urn:x:1", "2026-03-02T11:00:00Z", "First, updated"), ("urn:x:2", "2026-03-02T10:05:00Z", "Second")]
    )
    with feed_server() as server:
        route = server.route("/atom", first_doc)
        feed = _feed(server.url("/atom"))
        never = replace(feed, name="never", updates="never")
        first = await _poll(settings, feed)
        await _poll(settings, never)
        route.set(updated_doc)
        second = await _poll(settings, feed)
        unchanged = await _poll(settings, never)
        records = await _raw(settings)
    assert (first.stats[feed.name].sent, second.stats[feed.name].sent, second.stats[feed.name].updated) == (2, 1, 1)
    assert second.stats[feed.name].known == 1
    assert (unchanged.stats["never"].sent, unchanged.stats["never"].known) == (0, 2)
    # 2 + 1 from the revision feed, 2 from the other
    assert _guids(records) == Counter({"urn:x:1": 3, "urn:x:2": 2})


class Stopped(Exception):
    """The poller process ends here (what SIGKILL does at that point)."""


async def test_a_poller_stopped_after_sending_sends_nothing_twice(broker: EmbeddedBroker) -> None:
    """Stopped after the items reached wire.raw but before they were marked: found at restart, not resent."""
    settings = _settings(broker)
    with feed_server() as server:
        route = server.route("/rss", rss(ITEMS[:5]))
        feed = _feed(server.url("/rss"))
        real = raw_sender(settings, source=feed.name, agency=None)

        async def send_then_stop(dispatches: Sequence[SourceDispatch]) -> list[tuple[int, int] | None]:
            await real(dispatches)
            raise Stopped

        async with Journal(settings, [feed.scope]) as journal:
            with pytest.raises(Stopped):
                await Poller([feed], journal, {feed.name: send_then_stop}).run(once=True)
        async with Journal(settings, [feed.scope]) as journal:
            poller = Poller([feed], journal, {feed.name: real})
            await poller.run(once=True)
            recovered = journal.recovered
        records = await _raw(settings)
    assert (recovered, poller.stats[feed.name].sent, poller.stats[feed.name].known) == (5, 0, 5)
    assert route.statuses == [200, 200]  # no 304 after the stop: the validators are stored last
    assert _guids(records) == Counter({guid: 1 for guid, _ in ITEMS[:5]})
    assert await _state_problems(settings) == []


async def test_a_poller_stopped_before_sending_loses_nothing(broker: EmbeddedBroker) -> None:
    """Stopped after the batch was announced but before anything was produced: the restart sends it all."""
    settings = _settings(broker)
    with feed_server() as server:
        server.route("/rss", rss(ITEMS[:3]))
        feed = _feed(server.url("/rss"))

        async def stop_before_sending(dispatches: Sequence[SourceDispatch]) -> list[tuple[int, int] | None]:
            raise Stopped

        async with Journal(settings, [feed.scope]) as journal:
            with pytest.raises(Stopped):
                await Poller([feed], journal, {feed.name: stop_before_sending}).run(once=True)
        poller = await _poll(settings, feed)
        records = await _raw(settings)
    assert poller.stats[feed.name].sent == 3
    assert _guids(records) == Counter({guid: 1 for guid, _ in ITEMS[:3]})


def test_poll_processes_killed_at_random_moments(broker: EmbeddedBroker, tmp_path: Path) -> None:
    """Real `wirefeed poll` processes SIGKILLed while two feeds grow: every item once, none lost."""
    settings = _settings(broker)
    rng = random.Random(11)
    items = [(f"kill-{n:03d}", f"Bulletin {n}") for n in range(1, 41)]  # feed a: 1-20, feed b: 21-40
    with feed_server() as server:
        routes = [server.route("/a", rss(items[:2])), server.route("/b", rss(items[20:22]))]
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(
            "[defaults]\ninterval = 0.2\ntimeout = 2\nbackoff = 0.05\n"
            f'[[feed]]\nname = "a"\nurl = "{server.url("/a")}"\n'
            f'[[feed]]\nname = "b"\nurl = "{server.url("/b")}"\nagency = "aa"\n'
        )
        env = {**os.environ, "WIREFEED_BROKER": broker.url, "WIREFEED_TOPIC_PREFIX": settings.topic_prefix,
               "WIREFEED_PARTITIONS": "2", "WIREFEED_LOG_LEVEL": "info"}  # fmt: skip
        log = (tmp_path / "poll.log").open("ab")

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "pipeline", "poll", "--feeds", str(feeds)],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            )  # fmt: skip

        step = 2
        kills = 0
        proc = start()
        try:
            for _ in range(4):
                # let this process start polling, then move the feeds on and kill it at a random moment
                seen = len(routes[0].requests)
                deadline = time.monotonic() + 30
                while len(routes[0].requests) == seen and time.monotonic() < deadline:
                    time.sleep(0.05)
                for _ in range(3):  # 4 cycles of 4 steps: feed a stays within items 1-20, b within 21-40
                    step += 1
                    # each feed lists its 10 newest items: one comes, one scrolls off, at each step
                    routes[0].set(rss(items[max(0, step - 10) : step]))
                    routes[1].set(rss(items[20 + max(0, step - 10) : 20 + step]))
                    time.sleep(rng.uniform(0.1, 0.5))
                # the kill comes a few milliseconds after a fetch of new items: often inside its batch
                step += 1
                routes[0].set(rss(items[max(0, step - 10) : step]))
                routes[1].set(rss(items[20 + max(0, step - 10) : 20 + step]))
                seen = len(routes[0].requests)
                while len(routes[0].requests) == seen and time.monotonic() < deadline + 30:
                    time.sleep(0.002)
                time.sleep(rng.uniform(0.0, 0.05))
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                kills += 1
                proc = start()
            # the last process must be up (it polled) before it is asked to stop cleanly
            seen = len(routes[0].requests)
            deadline = time.monotonic() + 40
            while len(routes[0].requests) == seen and time.monotonic() < deadline:
                time.sleep(0.05)
            while len(_guids(asyncio.run(_raw(settings)))) < 2 * step and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
        log.close()
        records = asyncio.run(_raw(settings))
    text = (tmp_path / "poll.log").read_text()
    assert kills == 4 and code == 0, text[-3000:]
    # how many kills fell inside a batch (announced, not finished): reported, found again at restart
    print("kills inside a batch:", text.count("recovered "), "of", kills)
    guids = _guids(records)
    assert [g for g, n in guids.items() if n > 1] == []
    expected = [g for g, _ in items[:step]] + [g for g, _ in items[20 : 20 + step]]
    assert sorted(guids) == sorted(expected), (tmp_path / "poll.log").read_text()[-3000:]


async def test_an_item_over_the_size_limit_is_refused_once(broker: EmbeddedBroker) -> None:
    """An item larger than WIREFEED_MAX_MESSAGE_BYTES is not sent (nor retried at every poll); its siblings are."""
    settings = replace(_settings(broker), max_message_bytes=4096)
    items = [("small-1", "Small one"), ("huge-1", "Huge " + "word " * 1500), ("small-2", "Small two")]
    with feed_server() as server:
        route = server.route("/rss", rss(items))
        feed = _feed(server.url("/rss"))
        first = await _poll(settings, feed)
        route.set(rss([*items, ("small-3", "Small three")]))
        second = await _poll(settings, feed)
        records = await _raw(settings)
    assert (first.stats[feed.name].sent, first.stats[feed.name].refused) == (2, 1)
    assert (second.stats[feed.name].sent, second.stats[feed.name].known) == (1, 3)
    assert _guids(records) == Counter({"small-1": 1, "small-2": 1, "small-3": 1})
