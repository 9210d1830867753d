"""``wirefeed watch DIR``: a drop folder where FTP/SFTP deliveries land.

Each new file is ingested once it is complete, then moved to ``DIR/processed/`` (every
dispatch in it acknowledged by the broker) or ``DIR/error/`` (nothing in it can be sent:
a corrupt archive, an empty file; a ``<name>.reason.txt`` beside it says why).

- **Complete** means its size and modification time have not changed for ``stable``
  seconds. Hidden files and the usual upload names (``.part``, ``.filepart``, ``.tmp``,
  ``.partial``, ``~`` prefixed) are left alone: servers rename them when done.
- **Once**: a file is read as ``wirefeed ingest`` reads it (archives unpacked,
  multi-dispatch files split: ``sources.from_bytes``), and sent through the journal
  (``journal.py``) with one ingest id per dispatch: the file's sha256 and its position.
  A restart anywhere in between sends nothing twice: dispatches already in ``wire.raw``
  are found, a file already sent whole is only moved. The same bytes delivered again
  under another name are not sent again (they would only be duplicates): moved to
  ``processed/`` with a log line.
- Only the folder's own files are read (not subfolders), oldest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import gzip
import logging
import os
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.feeders.items import FeedItem, sha256
from pipeline.feeders.journal import Journal, Send
from pipeline.sources import from_bytes

log = logging.getLogger(__name__)

PROCESSED = "processed"
ERROR = "error"
#: names an upload has while it is still being written
PARTIAL = ("*.part", "*.filepart", "*.tmp", "*.partial", "*.crdownload", "~*")
#: what reading a file can raise when its bytes are not what its form promises
_UNREADABLE = (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, EOFError, OSError, ValueError)


@dataclass
class WatchStats:
    files: int = 0  # files ingested and moved to processed/
    dispatches: int = 0  # dispatches sent
    duplicates: int = 0  # files whose bytes had been sent before (moved, nothing sent)
    errors: int = 0  # files moved to error/
    resumed: int = 0  # dispatches found already sent when a file was read again
    refused: int = 0  # dispatches over the size limit (WIREFEED_MAX_MESSAGE_BYTES): not sent

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class _Seen:
    size: int
    mtime: int
    since: float


@dataclass
class Watcher:
    folder: Path
    journal: Journal
    send: Send
    name: str = ""
    #: seconds a file's size and time must stay the same before it is read
    stable: float = 2.0
    stats: WatchStats = field(default_factory=WatchStats)
    _pending: dict[str, _Seen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.name = self.name or str(self.folder.resolve())
        for sub in (PROCESSED, ERROR):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    @property
    def scope(self) -> str:
        return f"watch:{self.name}"

    async def run(self, *, interval: float = 1.0, once: bool = False, stop: asyncio.Event | None = None) -> None:
        """Scan every ``interval`` seconds until ``stop``; ``once``: until the folder is empty."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            waiting = await self.scan()
            if once and not waiting:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def scan(self) -> int:
        """Ingest the files that are complete; returns how many files are still waiting."""
        now = time.monotonic()
        waiting = 0
        present = set()
        for path in self._candidates():
            present.add(path.name)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            seen = self._pending.get(path.name)
            if seen is None or (seen.size, seen.mtime) != (stat.st_size, stat.st_mtime_ns):
                self._pending[path.name] = _Seen(stat.st_size, stat.st_mtime_ns, now)
                waiting += 1
                continue
            if now - seen.since < self.stable:
                waiting += 1
                continue
            del self._pending[path.name]
            await self.ingest(path, stat.st_size)
        for gone in set(self._pending) - present:
            del self._pending[gone]
        return waiting

    def _candidates(self) -> list[Path]:
        entries = []
        with os.scandir(self.folder) as scan:
            for entry in scan:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                if any(fnmatch.fnmatch(entry.name.lower(), p) for p in PARTIAL):
                    continue
                entries.append((entry.stat().st_mtime_ns, entry.name))
        return [self.folder / name for _, name in sorted(entries)]

    async def ingest(self, path: Path, size: int) -> None:
        """Send one complete file's dispatches (those not sent yet), then move it."""
        data = path.read_bytes()
        if len(data) != size:
            return  # written again since it looked complete: the next scans will see
        digest = sha256(data)
        file_key = f"file:{digest}"
        if self.journal.seen(self.scope, file_key) is not None:
            self.stats.duplicates += 1
            log.info("watch %s: %s was sent before (same bytes); moving it", self.folder, path.name)
            self._move(path, PROCESSED, digest)
            return
        if not data:
            self._fail(path, digest, "empty file")
            return
        try:
            dispatches = list(from_bytes(path.name, data))
        except _UNREADABLE as exc:
            self._fail(path, digest, f"cannot read {path.name}: {type(exc).__name__}: {exc}")
            return
        if not dispatches:
            self._fail(path, digest, "no dispatch in the file (an empty archive or list)")
            return
        items = [
            FeedItem(dispatch, f"{digest}#{number}", "", sha256(dispatch.value))
            for number, dispatch in enumerate(dispatches, start=1)
        ]
        todo = [i for i in items if self.journal.seen(self.scope, i.key) is None]
        self.stats.resumed += len(items) - len(todo)
        coords = await self.journal.send(self.scope, todo, self.send) if todo else []
        refused = sum(1 for c in coords if c is None)
        self.stats.dispatches += len(todo) - refused
        self.stats.refused += refused
        # the whole file is done: its members' marks can go, one mark for the file stays
        await self.journal.replace_seen(
            self.scope, [i.key for i in items], FeedItem(dispatches[0], file_key, "", digest)
        )
        self.stats.files += 1
        self._move(path, PROCESSED, digest)
        log.info("watch %s: %s: %d dispatches sent", self.folder, path.name, len(todo))

    def _fail(self, path: Path, digest: str, reason: str) -> None:
        self.stats.errors += 1
        log.warning("watch %s: %s -> %s/: %s", self.folder, path.name, ERROR, reason)
        target = self._move(path, ERROR, digest)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    def _move(self, path: Path, sub: str, digest: str) -> Path:
        target = self.folder / sub / path.name
        if target.exists():  # a file of that name came before: keep both
            target = target.with_name(f"{path.stem}.{digest[:12]}{path.suffix}")
        os.replace(path, target)
        return target
