"""``wirefeed poll``: HTTP feeds on a schedule, each new or updated item sent once.

A feed is a URL that serves RSS/Atom, a ninjs or other JSON API page, or NewsML-G2. Each
poll is a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the last
answer); a 304 costs nothing. Failures are retried within the poll with exponential
backoff and full jitter (delay drawn from [0, min(cap, base * 2^attempt)]; a 429/503's
``Retry-After`` is honoured up to the cap): timeouts (connect, read, or the whole answer
taking longer than ``timeout``), connection errors, 408, 425, 429 and 5xx. Other 4xx are
the feed's configuration (a wrong URL, a refused token): logged, not retried until the
next poll. A document is split into items (``items.py``); the items the journal has not
seen at this revision are produced to ``wire.raw`` (``journal.py``), with the feed's
``wf_source`` / ``wf_agency`` headers. A body that is no feed at all (an error page,
garbage) is one dispatch like any other: the pipeline dead-letters it with its bytes, and
its digest keeps it from being sent twice.

The feeds file (TOML)::

    [defaults]                        # optional; any feed key
    interval = 60                     # seconds between polls
    timeout = 20                      # seconds for one whole answer
    retries = 4                       # retries within a poll (so 5 attempts)

    [[feed]]
    name = "aa-en"                    # the journal scope and the default wf_source
    url = "https://example.org/rss/en"
    agency = "aa"                     # wf_agency header (skips agency detection)
    source = "aa-rss-en"              # wf_source header (default: name)
    headers = { Authorization = "Bearer ${AA_TOKEN}" }   # ${VAR}: from the environment
    updates = "revision"              # revision (default) | content | never
    split = true                      # one dispatch per item (default)

Secrets stay in the environment: ``${VAR}`` in a header value is replaced by the variable
at load; a missing variable is an error naming the feed and the variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import random
import re
import time
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pipeline import __version__
from pipeline.feeders.items import FeedItem, sha256, split_document
from pipeline.feeders.journal import Journal, Send
from pipeline.sources import SourceDispatch

log = logging.getLogger(__name__)

UPDATES = ("revision", "content", "never")
#: answers retried within a poll: the server is busy or briefly away
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class FeedsError(ValueError):
    """A feeds file or feed option that cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    url: str
    #: seconds between polls, and for one whole answer
    interval: float = 60.0
    timeout: float = 20.0
    #: retries within one poll; first delay and cap of the exponential backoff (seconds)
    retries: int = 4
    backoff: float = 1.0
    backoff_max: float = 60.0
    #: largest document read (bytes)
    max_bytes: int = 50 * 1024 * 1024
    agency: str | None = None
    source: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    updates: str = "revision"
    split: bool = True

    @property
    def scope(self) -> str:
        return f"poll:{self.name}"


def feed_from_url(url: str, **options: Any) -> Feed:
    """A feed given on the command line: named by its URL."""
    return _checked(Feed(name=url, url=url, **options), "command line")


def load_feeds(path: str | Path, env: Mapping[str, str] | None = None) -> list[Feed]:
    """The feeds of a TOML feeds file (see the module docstring); FeedsError when invalid."""
    env = os.environ if env is None else env
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FeedsError(f"{path}: {exc}") from None
    unknown = set(data) - {"defaults", "feed"}
    if unknown:
        raise FeedsError(f"{path}: unknown table(s) {', '.join(sorted(unknown))} (expected [defaults] and [[feed]])")
    defaults = data.get("defaults", {})
    entries = data.get("feed", [])
    if not isinstance(entries, list) or not entries:
        raise FeedsError(f"{path}: no [[feed]] entries")
    feeds = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: feed {entry.get('name') or number}"
        feeds.append(_checked(_feed(where, {**defaults, **entry}, env), where))
    names = Counter(f.name for f in feeds)
    twice = [n for n, c in names.items() if c > 1]
    if twice:
        raise FeedsError(f"{path}: feed names must be unique; repeated: {', '.join(twice)}")
    return feeds


def _feed(where: str, entry: dict[str, Any], env: Mapping[str, str]) -> Feed:
    known = {f.name for f in fields(Feed)}
    unknown = set(entry) - known
    if unknown:
        raise FeedsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    if "url" not in entry:
        raise FeedsError(f"{where}: no url")
    values = dict(entry)
    values.setdefault("name", entry["url"])
    headers = values.get("headers", {})
    if not isinstance(headers, dict):
        raise FeedsError(f"{where}: headers must be a table of name = value")
    values["headers"] = tuple((str(k), _expand(where, str(k), str(v), env)) for k, v in headers.items())
    for name in ("interval", "timeout", "backoff", "backoff_max"):
        if name in values and (isinstance(values[name], bool) or not isinstance(values[name], (int, float))):
            raise FeedsError(f"{where}: {name} must be a number of seconds, not {values[name]!r}")
    try:
        return Feed(**values)
    except TypeError as exc:
        raise FeedsError(f"{where}: {exc}") from None


def _expand(where: str, header: str, value: str, env: Mapping[str, str]) -> str:
    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise FeedsError(f"{where}: header {header} needs the environment variable {name}, which is not set")
        return env[name]

    return _VARIABLE.sub(variable, value)


def parse_header_options(values: Sequence[str], env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``--header 'Name: value'`` options, ``${VAR}`` expanded."""
    headers = []
    for value in values:
        name, sep, text = value.partition(":")
        if not sep or not name.strip():
            raise FeedsError(f"--header {value!r}: expected 'Name: value'")
        headers.append((name.strip(), _expand("--header", name.strip(), text.strip(), env)))
    return tuple(headers)


def _checked(feed: Feed, where: str) -> Feed:
    if not re.match(r"^https?://", feed.url):
        raise FeedsError(f"{where}: url must be http:// or https://, not {feed.url!r}")
    if "|" in feed.name or not feed.name.strip():
        raise FeedsError(f"{where}: a feed name must be non-empty and without '|'")
    if feed.updates not in UPDATES:
        raise FeedsError(f"{where}: updates must be one of {', '.join(UPDATES)}, not {feed.updates!r}")
    if feed.interval <= 0 or feed.timeout <= 0 or feed.retries < 0 or feed.backoff < 0:
        raise FeedsError(f"{where}: interval and timeout must be > 0, retries and backoff >= 0")
    if feed.agency is not None and not re.match(r"^[a-z0-9][a-z0-9_-]*$", feed.agency):
        raise FeedsError(f"{where}: agency must be an agency id such as 'aa' or 'reuters', not {feed.agency!r}")
    return feed


# --------------------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class Answer:
    """One poll's outcome: a document (status 200), not modified (304), or a failure."""

    status: int | None  # None: no HTTP answer (timeout, connection error)
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.after = reason, after


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: a delay drawn from [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0.0, min(cap, base * (2**attempt)))


def retry_after(value: str | None, cap: float) -> float | None:
    """Seconds a Retry-After header asks for (delta seconds or an HTTP date), at most ``cap``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        moment = email.utils.parsedate_to_datetime(value)
        return max(0.0, min((moment - datetime.now(tz=UTC)).total_seconds(), cap))
    return None


async def fetch(
    client: httpx.AsyncClient, feed: Feed, cursor: Mapping[str, Any], rng: random.Random, stats: FeedStats
) -> Answer:
    """GET the feed, conditionally, retrying what is worth retrying."""
    headers = dict(feed.headers)
    if cursor.get("etag"):
        headers["If-None-Match"] = cursor["etag"]
    if cursor.get("last_modified"):
        headers["If-Modified-Since"] = cursor["last_modified"]
    reason = "no attempt"
    for attempt in range(feed.retries + 1):
        if attempt:
            stats.retries += 1
        try:
            async with asyncio.timeout(feed.timeout):
                answer = await _get(client, feed, headers)
            return replace(answer, attempts=attempt + 1)
        except _Retry as exc:
            reason, after = exc.reason, exc.after
        except TimeoutError:
            reason, after = f"no complete answer within {feed.timeout:g} s", None
        except httpx.TimeoutException as exc:
            reason, after = f"timeout ({type(exc).__name__})", None
        except httpx.TransportError as exc:
            reason, after = f"{type(exc).__name__}: {exc}", None
        stats.errors[_kind(reason)] += 1
        if attempt < feed.retries:
            delay = after if after is not None else backoff_delay(attempt, feed.backoff, feed.backoff_max, rng)
            log.info("poll %s: %s; retry %d/%d in %.1f s", feed.name, reason, attempt + 1, feed.retries, delay)
            await asyncio.sleep(delay)
    return Answer(None, error=reason, attempts=feed.retries + 1)


def _kind(reason: str) -> str:
    if reason.startswith("HTTP "):
        return reason.split(":")[0].replace(" ", "-").lower()
    if "timeout" in reason.lower() or "within" in reason:
        return "timeout"
    if "too large" in reason:
        return "too-large"
    return "connection"


async def _get(client: httpx.AsyncClient, feed: Feed, headers: dict[str, str]) -> Answer:
    async with client.stream("GET", feed.url, headers=headers, timeout=feed.timeout) as response:
        status = response.status_code
        if status == 304:
            return Answer(304)
        if status in RETRY_STATUSES:
            wait = retry_after(response.headers.get("retry-after"), feed.backoff_max)
            raise _Retry(f"HTTP {status}: {response.reason_phrase}", wait)
        if not 200 <= status < 300:
            return Answer(status, error=f"HTTP {status}: {response.reason_phrase}")
        chunks = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > feed.max_bytes:
                return Answer(status, error=f"answer too large (over {feed.max_bytes} bytes)")
            chunks.append(chunk)
        return Answer(
            status,
            b"".join(chunks),
            response.headers.get("content-type"),
            response.headers.get("etag"),
            response.headers.get("last-modified"),
        )


# --------------------------------------------------------------------------- polling


@dataclass
class FeedStats:
    """What one feed's polls did (``wirefeed poll --once`` prints them)."""

    polls: int = 0
    documents: int = 0  # 2xx answers read
    not_modified: int = 0
    failed: int = 0  # polls that got no document after every retry, or a non-retried error
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # by kind: timeout, connection, http-503...
    items: int = 0  # items listed in the documents read
    sent: int = 0  # items produced to wire.raw (new or updated)
    refused: int = 0  # items over the size limit (WIREFEED_MAX_MESSAGE_BYTES): not sent, not retried
    updated: int = 0  # of which updates of items sent before
    known: int = 0  # items already sent at this revision
    last_success: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["errors"] = dict(self.errors)
        return out


class Poller:
    """Polls feeds on their schedules, sending new items through the journal."""

    def __init__(
        self,
        feeds: Sequence[Feed],
        journal: Journal,
        senders: Mapping[str, Send],
        *,
        rng: random.Random | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.feeds = list(feeds)
        self.journal = journal
        self.senders = senders
        self.rng = rng or random.Random()
        self.stats = {f.name: FeedStats() for f in self.feeds}
        self._client = client

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> None:
        """Poll every feed (once, or on its schedule until ``stop`` is set)."""
        stop = stop or asyncio.Event()
        owned = self._client is None
        client = self._client or httpx.AsyncClient(
            follow_redirects=True, headers={"User-Agent": f"wirefeed/{__version__} (feed poller)"}
        )
        try:
            await asyncio.gather(*(self._loop(client, feed, once, stop) for feed in self.feeds))
        finally:
            if owned:
                await client.aclose()

    async def _loop(self, client: httpx.AsyncClient, feed: Feed, once: bool, stop: asyncio.Event) -> None:
        # spread the first polls over the first seconds
        if not once and await _wait(stop, self.rng.uniform(0, min(feed.interval, 5.0))):
            return
        while True:
            await self.poll(client, feed)
            if once or await _wait(stop, feed.interval * self.rng.uniform(0.9, 1.1)):
                return

    async def poll(self, client: httpx.AsyncClient, feed: Feed) -> None:
        """One poll of one feed: fetch, split, send what is new, store the validators."""
        stats = self.stats[feed.name]
        stats.polls += 1
        answer = await fetch(client, feed, self.journal.cursor(feed.scope), self.rng, stats)
        if answer.not_modified:
            stats.not_modified += 1
            stats.last_success = time.time()
            log.debug("poll %s: not modified", feed.name)
            return
        if not answer.ok:
            stats.failed += 1
            if answer.status is not None:
                stats.errors[_kind(answer.error or "")] += 1
            log.warning("poll %s: %s (after %d attempts)", feed.name, answer.error, answer.attempts)
            return
        stats.documents += 1
        stats.last_success = time.time()
        items = self._items(feed, answer)
        stats.items += len(items)
        fresh = [i for i in items if self.journal.is_new(feed.scope, i, feed.updates)]
        updated = sum(1 for i in fresh if self.journal.seen(feed.scope, i.key) is not None)
        fresh_keys = {i.key for i in fresh}
        await self.journal.touch(feed.scope, [i for i in items if i.key not in fresh_keys])
        coords = await self.journal.send(feed.scope, fresh, self.senders[feed.name]) if fresh else []
        refused = sum(1 for c in coords if c is None)
        stats.sent += len(fresh) - refused
        stats.refused += refused
        stats.updated += updated
        stats.known += len(items) - len(fresh)
        # the validators only now: had we stopped before the items were sent, the next poll
        # must fetch the document again rather than get a 304
        await self.journal.set_cursor(feed.scope, answer.etag, answer.last_modified)
        log.info(
            "poll %s: %d items, %d new, %d updated, %d known", feed.name, len(items), len(fresh) - updated,
            updated, len(items) - len(fresh),
        )  # fmt: skip

    def _items(self, feed: Feed, answer: Answer) -> list[FeedItem]:
        items = split_document(feed.url, answer.body, answer.content_type) if feed.split else [_whole(feed, answer)]
        unique: dict[str, FeedItem] = {}
        for item in items:
            unique.setdefault(item.key, item)  # a feed that lists an item twice sends it once
        return list(unique.values())


def _whole(feed: Feed, answer: Answer) -> FeedItem:
    digest = sha256(answer.body)
    return FeedItem(SourceDispatch(answer.body, feed.url, answer.content_type), f"sha256:{digest}", "", digest)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
