"""``wirefeed watch`` on real temporary folders, producing to the embedded broker.

Files arrive the way FTP/SFTP servers write them: slowly, under temporary names, as
archives, broken, twice. Each complete file's dispatches must reach ``wire.raw`` exactly
once, with the file then in ``processed/`` or ``error/``, through restarts.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest

from pipeline.broker import EmbeddedBroker
from pipeline.feeders import raw_sender
from pipeline.feeders.journal import Journal
from pipeline.feeders.watch import Watcher
from pipeline.kafka import read
from pipeline.settings import Settings
from pipeline.sources import SourceDispatch
from pipeline.topics import TopicNames
from tests.feed_documents import rss

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
_counter = itertools.count(1)


def _settings(broker: EmbeddedBroker) -> Settings:
    return Settings(broker=broker.url, topic_prefix=f"fw{os.getpid()}n{next(_counter)}.", partitions=2)


async def _raw_values(settings: Settings) -> list[bytes]:
    names = TopicNames.with_prefix(settings.topic_prefix)
    return [r.value or b"" async for r in read(settings.bootstrap_servers, [names.raw], idle_timeout=0.3)]


def _story(n: int) -> bytes:
    """An invented NITF story: one dispatch."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><nitf><head><title>Drop {n}</title></head><body>'
        f"<body.head><hedline><hl1>Ferry timetable change number {n}</hl1></hedline></body.head>"
        f"<body.content><p>The operator announced change {n} on Tuesday. Boats leave every hour.</p>"
        f"</body.content></body></nitf>"
    ).encode()


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _watcher(settings: Settings, folder: Path, journal: Journal, stable: float = 0.4) -> Watcher:
    return Watcher(folder, journal, raw_sender(settings, source="drop", agency=None), name="drop", stable=stable)


def _write_slowly(path: Path, data: bytes, chunks: int, pause: float) -> threading.Thread:
    def write() -> None:
        step = max(1, len(data) // chunks)
        with path.open("wb") as handle:
            for start in range(0, len(data), step):
                handle.write(data[start : start + step])
                handle.flush()
                time.sleep(pause)

    thread = threading.Thread(target=write)
    thread.start()
    return thread


async def test_each_complete_file_is_ingested_once(broker: EmbeddedBroker, tmp_path: Path) -> None:
    """Slow uploads, temporary names, archives, garbage, empty files and repeats: each dispatch once."""
    settings = _settings(broker)
    drop = tmp_path / "drop"
    drop.mkdir()
    slow = _story(1) * 1 + b"<!-- " + b"x" * 20000 + b" -->"
    writer = _write_slowly(drop / "slow.xml", slow, chunks=8, pause=0.15)  # ~1.2 s, longer than `stable`
    (drop / "upload.xml.part").write_bytes(_story(2))  # still uploading under its temporary name
    (drop / "batch.tar.gz").write_bytes(_tar({f"item{n}.xml": _story(n) for n in (3, 4, 5)}))
    (drop / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    (drop / "empty.xml").write_bytes(b"")
    (drop / "feed.rss").write_bytes(rss([("w-1", "One"), ("w-2", "Two")]))  # one dispatch, as ingest reads it
    (drop / ".hidden.xml").write_bytes(_story(9))
    async with Journal(settings, ["watch:drop"]) as journal:
        watcher = _watcher(settings, drop, journal)
        await watcher.run(interval=0.1, once=True)
        writer.join()
        assert (drop / "upload.xml.part").exists()  # not touched
        os.replace(drop / "upload.xml.part", drop / "upload.xml")  # the server renames it when done
        (drop / "again.xml").write_bytes(_story(3))  # the same bytes as a member: a different file
        await watcher.run(interval=0.1, once=True)
        (drop / "slow-copy.xml").write_bytes(slow)  # the same file delivered twice
        await watcher.run(interval=0.1, once=True)
        stats = watcher.stats
    values = await _raw_values(settings)
    assert Counter(values) == Counter({slow: 1, _story(2): 1, _story(3): 2, _story(4): 1, _story(5): 1,
                                       rss([("w-1", "One"), ("w-2", "Two")]): 1})  # fmt: skip
    assert sorted(p.name for p in (drop / "processed").iterdir()) == sorted(
        ["slow.xml", "upload.xml", "batch.tar.gz", "feed.rss", "again.xml", "slow-copy.xml"]
    )
    assert sorted(p.name for p in (drop / "error").iterdir()) == sorted(
        ["broken.zip", "broken.zip.reason.txt", "empty.xml", "empty.xml.reason.txt"]
    )
    assert "BadZipFile" in (drop / "error" / "broken.zip.reason.txt").read_text()
    assert (drop / ".hidden.xml").exists()
    assert (stats.files, stats.dispatches, stats.duplicates, stats.errors) == (5, 7, 1, 2)


class Stopped(Exception):
    pass


async def test_a_watcher_stopped_inside_a_file_sends_nothing_twice(broker: EmbeddedBroker, tmp_path: Path) -> None:
    """Stopped after an archive's dispatches reached wire.raw, before the file moved: the restart only moves it."""
    settings = _settings(broker)
    drop = tmp_path / "drop"
    drop.mkdir()
    members = {f"m{n}.xml": _story(n) for n in range(1, 6)}
    (drop / "a.tar.gz").write_bytes(_tar(members))
    real = raw_sender(settings, source="drop", agency=None)

    async def send_then_stop(dispatches: Sequence[SourceDispatch]) -> list[tuple[int, int] | None]:
        await real(dispatches[:3])  # three of five reached the broker
        raise Stopped

    async with Journal(settings, ["watch:drop"]) as journal:
        watcher = Watcher(drop, journal, send_then_stop, name="drop", stable=0.2)
        with pytest.raises(Stopped):
            await watcher.run(interval=0.1, once=True)
    assert (drop / "a.tar.gz").exists()
    async with Journal(settings, ["watch:drop"]) as journal:
        watcher = _watcher(settings, drop, journal, stable=0.2)
        await watcher.run(interval=0.1, once=True)
        recovered = journal.recovered
    values = await _raw_values(settings)
    assert Counter(values) == Counter(members.values())
    assert (recovered, watcher.stats.resumed, watcher.stats.dispatches) == (3, 3, 2)
    assert [p.name for p in (drop / "processed").iterdir()] == ["a.tar.gz"]


def test_watch_command_once(broker: EmbeddedBroker, tmp_path: Path) -> None:
    """`wirefeed watch DIR --once` ingests what is there, prints its figures and exits."""
    settings = _settings(broker)
    drop = tmp_path / "inbox"
    drop.mkdir()
    for n in range(3):
        (drop / f"s{n}.xml").write_bytes(_story(n))
    env = {**os.environ, "WIREFEED_BROKER": broker.url, "WIREFEED_TOPIC_PREFIX": settings.topic_prefix}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "watch", str(drop), "--once", "--stable", "0.2", "--interval", "0.1",
         "--agency", "aa"],
        env=env, cwd=ROOT, capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert orjson.loads(done.stdout)["dispatches"] == 3
    assert sorted(asyncio.run(_raw_values(settings))) == sorted(_story(n) for n in range(3))
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["s0.xml", "s1.xml", "s2.xml"]
