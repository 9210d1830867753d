"""Learned boilerplate: lines that keep coming back in one source's stories are removed.

Agency profiles (``pipeline/profiles/``) name the boilerplate of agencies we know. A new
feed's footer, subscription notice or "follow us" line should disappear without anyone
writing a profile: this stage counts, per source, the lines of the stories it has seen and
removes a line once enough *earlier, distinct* stories of that source carried it.

It must never delete news. The rules, each against a way news could be lost:

- **exact lines**: lines are compared after folding case and whitespace only. Digits are
  kept: a daily market report, weather or exchange-rate story repeats its sentences with
  other figures, and those lines are different lines.
- **one source, one key**: a source is the feed the producer named (``wf_source`` given
  with ``wirefeed ingest --source``), else the web site (host of the item's URL), else the
  agency with format and declared language (every dispatch of AA's French NewsML-G2
  service), else the copyright holder with the format. A dispatch with none of these is
  not learned from at all: pooling unrelated feeds would only teach noise.
- **distinct stories**: a line is counted once per story. A story whose id, or whose
  headline and lead together (case, spacing and figures folded: "3 dead" / "5 dead"), was
  seen recently is a re-send or a version: its lines are not counted again.
- **repetition**: a line is boilerplate once ``min_stories`` earlier distinct stories
  carried it *and* at least ``min_share`` of the stories since it first appeared (a
  background paragraph repeated in a story series fails the share test, a footer passes).
- **facts stay**: a line that carries a figure (any number but a bare year: "© 2024"
  may go, "7,644.32 points" never) or a name printed in this story's headline or lead is
  kept, whatever its counts. (A headline that is itself learned -- a site name taken for
  the headline of every page -- names no facts.)
- **where**: only runs of learned lines at the start or end of the body go, plus short
  lines (``max_interior_words``) inside it; the first story to carry a line keeps it; a
  body is never emptied. Everything removed is listed (``Removed``, reason
  ``learned-boilerplate``), so ``wf_removed`` counts it.

State, stored per line key
--------------------------
The state lives in a ``MutableMapping[bytes, list]`` (the worker's Faust table, with a
compacted changelog; a dict in tests and ``wirefeed process``), one small record per key.
Every key starts with the shard's prefix: the partition its records are read from, ``:``,
and six bytes naming the shard::

    <p>:<shard> M                -> [stories seen, last seen (ms), shard name]   one per shard
    <p>:<shard> L <line, 8 B>    -> [stories, first story, last story]           a line seen in 2+ stories
    <p>:<shard> S <story, 8 B>   -> [story, version digest]                      a story seen recently

A batch writes only the keys it changed, each once (``flush``): about 20-40 bytes per
story and per repeated line, not the whole state of a source. A line seen in one story
only is kept in memory, never written: most lines of news are unique and never recur.
After a restart those first sightings are forgotten, so learning a line may take one story
more; nothing is removed that would not have been. A restart replays the compacted
changelog: about one record per live key, bounded below.

Bounds: at most ``max_lines`` lines (first sightings included; the rarest and least
recently seen go first) and ``recent_stories`` stories per source, each shard holding its
share; ``max_sources`` sources per worker (the longest idle goes). A line not seen in the
last ``line_idle_stories`` stories of its source and a source idle for ``source_idle``
seconds (record time) are forgotten with deletions (tombstones), so compaction drops them
from the changelog too.

Sharding (no agency is one hot partition)
-----------------------------------------
A source learns in ``shards`` independent shards; a story's shard is chosen by its story
id, so re-sends and versions with the story's id meet its mark (a version under a new id
may land in another shard: it then counts once there, never twice in one shard). ``wire.parsed`` is keyed by the
shard key, and the shard keys of one source are placed on consecutive partitions, so a
source spreads over ``min(shards, partitions)`` partitions instead of one. The trade-off:
each shard must see ``min_stories`` stories itself, so a footer disappears after about
``shards * min_stories`` stories of its source instead of ``min_stories``, and a footer's
counts are kept once per shard (a few lines more per source; unique lines live in one
shard only). With ``shards = 1`` a source learns fastest and is one partition.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiokafka.partitioner import murmur2

from pipeline.records import Block, Headers, ParsedItem, Removed, header_value

if TYPE_CHECKING:
    from pipeline.settings import Settings

log = logging.getLogger(__name__)

REASON = "learned-boilerplate"
_META, _LINE, _MARK = b"M", b"L", b"S"
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# a number standing on its own ("7,644.32", "0.4", "-3", "25C" -> "25"), not digits glued to letters ("G7")
_FIGURE = re.compile(r"(?<![^\W\d_])\d[\d.,:/]*")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# a dateline before the lead's first sentence: "HARBOURTOWN -", "Kaub (dpa) -", "BEIJING, Dec. 26 (Xinhua) --"
_DATELINE = re.compile(r"^[^.!?\n]{2,60}?\s[-–—]{1,2}\s")


@dataclass(frozen=True, slots=True)
class LearnerConfig:
    """Every threshold of the stage; built from ``Settings`` (``WIREFEED_BOILERPLATE_*``)."""

    min_stories: int = 4  # earlier distinct stories (of the shard) that carried the line
    min_share: float = 0.5  # of the shard's stories since the line first appeared
    min_chars: int = 12  # shorter lines ("Ankara", "***") carry no signal and are never learned
    max_interior_words: int = 12  # longer learned lines are only removed at the ends of the body
    shards: int = 4  # independent learning shards per source
    partitions: int = 0  # of wire.parsed, to place a source's shards on distinct partitions (0: no placement)
    max_lines: int = 1000  # lines tracked per source, all shards together
    max_sources: int = 500  # sources whose state one worker keeps
    recent_stories: int = 500  # stories of a source remembered (ids and version marks), all shards together
    line_idle_stories: int = 2000  # a line unseen in this many stories of its source is forgotten
    source_idle: float = 30 * 86400.0  # seconds: a source silent this long is forgotten
    sweep_every: int = 64  # stories of a shard between two sweeps of its lines and marks

    @classmethod
    def from_settings(cls, settings: Settings) -> LearnerConfig:
        return cls(
            min_stories=settings.boilerplate_min_stories,
            min_share=settings.boilerplate_min_share,
            min_chars=settings.boilerplate_min_chars,
            max_interior_words=settings.boilerplate_max_interior_words,
            shards=settings.boilerplate_shards,
            partitions=settings.partitions,
            max_lines=settings.boilerplate_max_lines,
            max_sources=settings.boilerplate_max_sources,
            recent_stories=settings.boilerplate_recent_stories,
            line_idle_stories=settings.boilerplate_line_idle_stories,
            source_idle=settings.boilerplate_source_idle,
        )

    # A shard sees one story in ``shards`` of its source: the per-source bounds split evenly.
    @property
    def lines_per_shard(self) -> int:
        return max(8, self.max_lines // max(self.shards, 1))

    @property
    def recent_per_shard(self) -> int:
        return max(1, self.recent_stories // max(self.shards, 1))

    @property
    def idle_per_shard(self) -> int:
        return max(1, self.line_idle_stories // max(self.shards, 1))


DEFAULT = LearnerConfig()


# ------------------------------------------------------------------------ what a source is


def source_of(item: ParsedItem, raw_headers: Headers) -> str | None:
    """The source a dispatch belongs to, or None when nothing says (then nothing is learned).

    Feed named by the producer > web site > agency, format and language > copyright holder.
    """
    feed = header_value(raw_headers, "wf_source")
    if feed and feed != header_value(raw_headers, "wf_input"):
        return "feed:" + _name(feed)
    host = _host(item.url)
    if host:
        return "site:" + host
    language = (item.language or "").split("-")[0].lower()
    suffix = f":{item.format}" + (f":{language}" if language else "")
    if item.agency:
        return f"agency:{_name(item.agency)}{suffix}"
    if item.copyright_holder and item.copyright_holder.strip():
        return f"holder:{_name(item.copyright_holder)}{suffix}"
    return None


def _name(text: str) -> str:
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip().casefold()[:200]


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as aiokafka's) gives ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@lru_cache(maxsize=8192)
def shard_keys(source: str, shards: int, partitions: int) -> tuple[str, ...]:
    """The shard keys of a source, placed on consecutive partitions when ``partitions`` > 1.

    ``source#n`` would hash anywhere (four shards on four partitions land on only ~2.7 of
    them); instead shard n gets the first of ``source#n``, ``source#n.1``, ... that the
    default partitioner puts on partition (p0 + n) mod partitions, p0 being the source's
    own. Deterministic, so every worker computes the same keys.
    """
    shards = max(shards, 1)
    if partitions <= 1:
        return tuple(f"{source}#{n}" for n in range(shards))
    first = partition_of(source.encode("utf-8"), partitions)
    keys = []
    for n in range(shards):
        target = (first + n) % partitions
        candidate, salt = f"{source}#{n}", 0
        while partition_of(candidate.encode("utf-8"), partitions) != target:
            salt += 1
            candidate = f"{source}#{n}.{salt}"
        keys.append(candidate)
    return tuple(keys)


def shard_for(source: str | None, story_id: str, cfg: LearnerConfig = DEFAULT) -> str:
    """The learning shard of a story ("" when its source is unknown: not learned from)."""
    if not source:
        return ""
    keys = shard_keys(source, cfg.shards, cfg.partitions)
    digest = hashlib.blake2b(story_id.encode("utf-8"), digest_size=4).digest()
    return keys[int.from_bytes(digest, "big") % len(keys)]


def source_name(shard: str) -> str:
    """'site:example.org#2.5' -> 'site:example.org'."""
    return shard.rsplit("#", 1)[0]


# ----------------------------------------------------------------------------- lines


def fold(text: str) -> str:
    """What two lines must share to be the same line: everything but case and spacing."""
    # str.split() and \s split at the same characters: the same as sub(" ", ...).strip(), faster
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def fingerprint(text: str) -> bytes:
    """Eight bytes naming a line; lines differing in a figure have different fingerprints."""
    return _folded_fingerprint(fold(text))


def _folded_fingerprint(folded: str) -> bytes:
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).digest()


class _Folds(dict[str, str]):
    """``fold`` of the texts of one item, each folded once: stripping and learning ask for
    the same lines several times (its length, then its key)."""

    def __missing__(self, text: str) -> str:
        folded = self[text] = fold(text)
        return folded


def _version_mark(item: ParsedItem, folds: _Folds | None = None) -> str | None:
    """Headline and lead up to their figures: what a version of a story keeps ("3 dead" ->
    "5 dead") when it comes with a new id. Both, because either alone is often constant in
    a source (a site name taken for the headline, a standing first line)."""
    lead = next((b.text for b in item.body if len(b.text.split()) >= 6), None)
    if not lead and not item.headline:
        return None
    folds = _Folds() if folds is None else folds
    return "v:" + _DIGITS.sub("0", folds[item.headline or ""]) + "\n" + _DIGITS.sub("0", folds[lead or ""])


def has_figure(text: str) -> bool:
    """A number other than a bare year (a price, a score, a temperature, a count)."""
    return any(not _YEAR.fullmatch(m.group().rstrip(".,:/")) for m in _FIGURE.finditer(text))


Name = tuple[str, ...]
_SENTENCE_START = '.!?:;"“”«»(|>•·-–—'


def _names(text: str, *, mid_only: bool) -> list[Name]:
    """Runs of capitalised words ("Harbour Courier", "Ilse Varga"), case-folded. With
    ``mid_only`` a word that starts a sentence does not count (its capital says nothing)."""
    runs: list[Name] = []
    run: list[str] = []
    last_end = 0
    for m in _WORD.finditer(text):
        word = m.group()
        before = text[last_end : m.start()]
        last_end = m.end()
        initial = not text[: m.start()].strip() or any(c in _SENTENCE_START for c in before)
        if run and (before.strip() or not word[0].isupper()):
            runs.append(tuple(run))  # the run ends at punctuation or a lower-case word
            run = []
        if len(word) >= 2 and word[0].isupper() and not (mid_only and initial and not run):
            run.append(word.casefold())
    if run:
        runs.append(tuple(run))
    return runs


def fact_names(item: ParsedItem, learned: list[bool], headline_learned: bool = False) -> list[Name]:
    """The names of the headline and of the lead (its dateline left out). A headline every
    story of the source carries (a site name taken for it) names the source, not the story."""
    names = [] if headline_learned else _names(item.headline or "", mid_only=False)
    for block, is_learned in zip(item.body, learned, strict=True):
        if is_learned or len(block.text.split()) < 6:
            continue
        lead = block.text
        if item.dateline and lead.startswith(item.dateline.raw):
            lead = lead[len(item.dateline.raw) :]
        names += _names(_DATELINE.sub("", lead, count=1), mid_only=False)
        break
    return names


def _within(part: Name, whole: Name) -> bool:
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def carries_facts(text: str, names: list[Name]) -> bool:
    """A figure, or a name of this story's headline or lead: the line is news.

    A name of the line counts when the headline or lead prints it, whole: "Ilse Varga" and
    "Varga" are in "Mayor Ilse Varga"; "Harbour Courier" is not in "Harbour" (a headline
    "Harbour seals return" does not make the paper's own name a fact of the story).
    """
    if has_figure(text):
        return True
    return any(_within(name, known) for name in _names(text, mid_only=True) for known in names)


# ----------------------------------------------------------------------------- the state

_DIGEST = 6  # bytes naming a shard inside a state key


def state_prefix(shard: str, partition: int) -> bytes:
    """The start of every key of a shard's state: b"<partition>:" and six bytes naming the shard.

    The partition is the one the shard's records are read from, so the table can send each
    key's changelog record there (``pipeline/tables.py``) without assuming anything about
    how the producer placed them.
    """
    return b"%d:" % partition + hashlib.blake2b(shard.encode("utf-8"), digest_size=_DIGEST).digest()


def line_key(shard: str, text: str, partition: int = 0) -> bytes:
    return state_prefix(shard, partition) + _LINE + fingerprint(text)


def meta_key(shard: str, partition: int = 0) -> bytes:
    return state_prefix(shard, partition) + _META


def key_partition(key: bytes) -> int:
    """The partition a state key belongs to."""
    return int(key[: key.index(b":")])


def split_key(key: bytes) -> tuple[bytes, bytes]:
    """(shard prefix, kind) of a state key; kind is b"M" (shard), b"L" (line) or b"S" (story)."""
    cut = key.index(b":") + 1 + _DIGEST
    return key[:cut], key[cut : cut + 1]


def _digest(text: str, size: int = 8) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()


@dataclass
class _Shard:
    """What a worker knows of one shard besides the stored entries (rebuilt from the store)."""

    prefix: bytes
    name: str
    seq: int = 0  # distinct stories observed
    last_ms: int = 0  # time of the latest dispatch (record time)
    lines: set[bytes] = field(default_factory=set)  # stored line keys
    marks: set[bytes] = field(default_factory=set)  # stored story keys
    versions: dict[int, int] = field(default_factory=dict)  # version digest -> story (from the story keys)
    fresh: OrderedDict[bytes, int] = field(default_factory=OrderedDict)  # seen once: key -> story (memory only)
    since_sweep: int = 0

    @property
    def meta_key(self) -> bytes:
        return self.prefix + _META

    def line_key(self, text: str) -> bytes:
        return self.prefix + _LINE + fingerprint(text)

    def folded_line_key(self, folded: str) -> bytes:
        """``line_key`` of a text already folded."""
        return self.prefix + _LINE + _folded_fingerprint(folded)

    def story_key(self, story_id: str) -> bytes:
        return self.prefix + _MARK + _digest("id:" + story_id)


@dataclass
class FlushStats:
    writes: int = 0
    deletes: int = 0
    bytes: int = 0  # keys + JSON values written (deletions: keys only)


class Learner:
    """The learned-boilerplate state of the shards one worker owns, on top of ``store``.

    ``store`` holds the per-key records (see the module docstring). Reads go to it
    directly; changes are collected and written once per key by ``flush`` (call it once
    per batch, after the batch's outcomes are published). ``rebuild`` re-reads which shards
    the store holds for the partitions this worker owns; it runs at construction and after
    every rebalance, and the learner only ever writes keys of those shards.
    """

    def __init__(self, cfg: LearnerConfig = DEFAULT, store: MutableMapping[bytes, Any] | None = None) -> None:
        self.cfg = cfg
        self.store: MutableMapping[bytes, Any] = {} if store is None else store
        self._shards: dict[bytes, _Shard] = {}
        self._sources: dict[str, set[bytes]] = {}  # source -> prefixes of its shards held here
        self._dirty: dict[bytes, list[Any] | None] = {}
        self._checked_idle_ms = 0
        self._clock = 0  # the latest record time seen (ms): idle sources are aged by it
        if self.store:
            self.rebuild()

    # ---- reading

    def _get(self, key: bytes) -> list[Any] | None:
        if key in self._dirty:
            return self._dirty[key]
        value = self.store.get(key)
        return value if isinstance(value, list) else None

    def _put(self, key: bytes, value: list[Any] | None) -> None:
        self._dirty[key] = value

    def _shard(self, shard: str, partition: int) -> _Shard:
        prefix = state_prefix(shard, partition)
        state = self._shards.get(prefix)
        if state is not None:
            return state
        state = _Shard(prefix, shard)
        self._shards[prefix] = state
        self._sources.setdefault(source_name(shard), set()).add(prefix)
        if len(self._sources) > self.cfg.max_sources:
            self._evict_idlest_source(keep=source_name(shard))
        return state

    # ---- the stage

    def _is_learned(self, state: _Shard, folded: str, min_chars: int | None = None) -> bool:
        """Whether the line (folded) is learned boilerplate of ``state``'s shard."""
        if len(folded) < (self.cfg.min_chars if min_chars is None else min_chars):
            return False
        entry = self._get(state.folded_line_key(folded))
        if not entry:
            return False
        count, first, last = entry[0], entry[1], entry[2]
        if state.seq - last > self.cfg.idle_per_shard:
            return False
        return count >= self.cfg.min_stories and count / max(state.seq - first + 1, 1) >= self.cfg.min_share

    def strip(self, item: ParsedItem, shard: str, partition: int = 0, folds: _Folds | None = None) -> ParsedItem:
        """The item without the lines its shard's earlier stories taught are boilerplate."""
        blocks = list(item.body)
        state = self._shards.get(state_prefix(shard, partition)) if shard else None
        if len(blocks) < 2 or state is None or not state.lines:
            return item
        folds = _Folds() if folds is None else folds
        learned = [self._is_learned(state, folds[b.text]) for b in blocks]
        if not any(learned):
            return item
        headline_learned = bool(item.headline) and self._is_learned(state, folds[item.headline or ""], min_chars=1)
        names = fact_names(item, learned, headline_learned)
        learned = [flag and not carries_facts(b.text, names) for flag, b in zip(learned, blocks, strict=True)]
        keep = [True] * len(blocks)
        start = 0
        while start < len(blocks) and learned[start]:
            keep[start] = False
            start += 1
        end = len(blocks) - 1
        while end > start and learned[end]:
            keep[end] = False
            end -= 1
        for i in range(start, end + 1):
            if learned[i] and len(blocks[i].text.split()) <= self.cfg.max_interior_words:
                keep[i] = False
        if all(keep) or not any(keep):
            return item  # never empty a body: a dispatch that is all boilerplate is not ours to judge
        removed = tuple(Removed(b.text, REASON) for b, k in zip(blocks, keep, strict=True) if not k)
        body: tuple[Block, ...] = tuple(b for b, k in zip(blocks, keep, strict=True) if k)
        return replace(item, body=body, removed=item.removed + removed)

    def observe(
        self, item: ParsedItem, story_id: str, shard: str, now_ms: int, partition: int = 0, folds: _Folds | None = None
    ) -> bool:
        """Count the item's lines as one story of ``shard``; False if it is a version of a recent one."""
        if not shard:
            return False
        state = self._shard(shard, partition)
        state.last_ms = max(state.last_ms, now_ms)
        self._clock = max(self._clock, now_ms)
        story = state.story_key(story_id)
        folds = _Folds() if folds is None else folds
        mark = _version_mark(item, folds)
        version = int.from_bytes(_digest(mark, 4), "big") if mark else 0
        seen = self._get(story)
        recent = self.cfg.recent_per_shard
        is_version = bool(seen) and state.seq - int(seen[0]) < recent  # type: ignore[index]
        is_version = is_version or (version in state.versions and state.seq - state.versions[version] < recent)
        if not is_version:
            state.seq += 1
        # one key per story: its id, and what its versions keep (headline and lead up to figures)
        self._put(story, [state.seq, version])
        state.marks.add(story)
        if version:
            state.versions[version] = state.seq
        self._put(state.meta_key, [state.seq, state.last_ms, shard])
        if is_version:
            return False
        texts = [b.text for b in item.body] + [r.text for r in item.removed if r.reason == REASON]
        keys = {state.folded_line_key(folds[t]) for t in texts if len(folds[t]) >= self.cfg.min_chars}
        if item.headline and folds[item.headline]:
            keys.add(state.folded_line_key(folds[item.headline]))  # a headline every story has is not the story's
        for key in keys:
            self._count(state, key)
        self._bound_lines(state)
        state.since_sweep += 1
        if state.since_sweep >= self.cfg.sweep_every:
            self._sweep(state)
        return True

    def _count(self, state: _Shard, key: bytes) -> None:
        seq = state.seq
        entry = self._get(key)
        if entry:
            self._put(key, [entry[0] + 1, entry[1], seq])
            state.lines.add(key)
            return
        first = state.fresh.pop(key, None)
        if first is None:
            state.fresh[key] = seq  # first sighting: memory only
            return
        self._put(key, [2, first, seq])  # second distinct story: worth storing
        state.lines.add(key)

    def learn(self, item: ParsedItem, story_id: str, shard: str, now_ms: int, partition: int = 0) -> ParsedItem:
        """Strip what earlier stories taught, then learn from this one."""
        if not shard:
            return item
        folds = _Folds()  # the item's lines, each folded once for both steps
        stripped = self.strip(item, shard, partition, folds)
        self.observe(stripped, story_id, shard, now_ms, partition, folds)
        return stripped

    # ---- bounds and expiry

    def _bound_lines(self, state: _Shard) -> None:
        cap = self.cfg.lines_per_shard
        if len(state.lines) > cap:
            self._evict_lines(state, (cap * 3) // 4)
        while state.fresh and len(state.fresh) + len(state.lines) > cap:
            state.fresh.popitem(last=False)  # the oldest first sightings go first

    def _evict_lines(self, state: _Shard, keep: int) -> None:
        """Drop stored lines down to ``keep``: the rarest, least recently seen first."""
        ranked = []
        for key in state.lines:
            entry = self._get(key)
            ranked.append(((entry[0], entry[2]) if entry else (0, 0), key))
        ranked.sort()
        for _, key in ranked[: max(len(ranked) - keep, 0)]:
            self._put(key, None)
            state.lines.discard(key)

    def _sweep(self, state: _Shard) -> None:
        """Forget a shard's idle lines and old story keys; enforce its line bound."""
        state.since_sweep = 0
        for key in list(state.lines):
            entry = self._get(key)
            if not entry or state.seq - entry[2] > self.cfg.idle_per_shard:
                self._put(key, None)
                state.lines.discard(key)
        for key in list(state.marks):
            mark = self._get(key)
            if not mark or state.seq - mark[0] >= self.cfg.recent_per_shard:
                self._put(key, None)
                state.marks.discard(key)
        state.versions = {v: seq for v, seq in state.versions.items() if state.seq - seq < self.cfg.recent_per_shard}
        for key in [k for k, first in state.fresh.items() if state.seq - first > self.cfg.idle_per_shard]:
            del state.fresh[key]
        self._bound_lines(state)

    def expire(self, now_ms: int) -> int:
        """Forget every shard idle for ``source_idle`` seconds; returns how many."""
        self._checked_idle_ms = now_ms
        limit = now_ms - int(self.cfg.source_idle * 1000)
        idle = [prefix for prefix, state in self._shards.items() if state.last_ms < limit]
        for prefix in idle:
            self._drop(prefix)
        return len(idle)

    def _evict_idlest_source(self, keep: str) -> None:
        candidates = [
            (max(self._shards[p].last_ms for p in prefixes), source)
            for source, prefixes in self._sources.items()
            if source != keep and prefixes
        ]
        if candidates:
            _, source = min(candidates)
            log.info("learned boilerplate: more than %d sources; forgetting %s", self.cfg.max_sources, source)
            for prefix in list(self._sources[source]):
                self._drop(prefix)

    def _drop(self, prefix: bytes) -> None:
        """Delete everything of a shard (tombstones for its stored keys)."""
        state = self._shards.pop(prefix, None)
        if state is None:
            return
        for key in (*state.lines, *state.marks, state.meta_key):
            self._put(key, None)
        source = source_name(state.name)
        prefixes = self._sources.get(source)
        if prefixes is not None:
            prefixes.discard(prefix)
            if not prefixes:
                del self._sources[source]

    # ---- persistence

    def flush(self) -> FlushStats:
        """Write every changed key once (deleted keys as deletions). Idle sources are expired
        first, at most once a minute of record time (the latest record time seen), so a
        replay of old records does not age the state by the wall clock."""
        if self._clock - self._checked_idle_ms >= 60_000:
            self.expire(self._clock)
        stats = FlushStats()
        dirty, self._dirty = self._dirty, {}
        for key, value in dirty.items():
            if value is None:
                if key in self.store:
                    del self.store[key]
                    stats.deletes += 1
                    stats.bytes += len(key)
            else:
                self.store[key] = value
                stats.writes += 1
                stats.bytes += len(key) + len(_json(value))
        return stats

    def rebuild(self, partitions: Iterable[int] | None = None) -> None:
        """Re-read which shards and keys ``store`` holds on ``partitions`` (None: all), after
        a restart or a rebalance; only those shards are ever written. First sightings of
        shards still held and pending changes are kept."""
        wanted = None if partitions is None else set(partitions)
        old = self._shards
        self._shards, self._sources = {}, {}
        pending = [k for k, v in self._dirty.items() if v is not None and k not in self.store]
        for key in [*self.store.keys(), *pending]:
            if not isinstance(key, bytes) or b":" not in key[:12]:
                continue
            try:
                if wanted is not None and key_partition(key) not in wanted:
                    continue
                prefix, kind = split_key(key)
            except ValueError:
                continue
            state = self._shards.get(prefix)
            if state is None:
                state = self._shards[prefix] = _Shard(prefix, prefix.hex())
                if prefix in old:
                    state.fresh = old[prefix].fresh
            value = self._get(key)
            if not value:
                continue
            if kind == _META:
                state.seq, state.last_ms, state.name = int(value[0]), int(value[1]), str(value[2])
            elif kind == _LINE:
                state.lines.add(key)
            elif kind == _MARK:
                state.marks.add(key)
                if len(value) > 1 and value[1]:
                    state.versions[int(value[1])] = max(state.versions.get(int(value[1]), 0), int(value[0]))
        for prefix, state in self._shards.items():
            self._sources.setdefault(source_name(state.name), set()).add(prefix)

    def stats(self) -> dict[str, int]:
        """How much state this learner holds: stored records and their bytes, first sightings."""
        stored = [(k, v) for k, v in self.store.items() if isinstance(k, bytes) and isinstance(v, list)]
        learned = 0
        for key, entry in stored:
            prefix, kind = split_key(key)
            state = self._shards.get(prefix)
            if kind == _LINE and state is not None:
                count, first = entry[0], entry[1]
                learned += count >= self.cfg.min_stories and count / max(state.seq - first + 1, 1) >= self.cfg.min_share
        return {
            "sources": len(self._sources),
            "shards": len(self._shards),
            "stored_keys": len(stored),
            "stored_bytes": sum(len(k) + len(_json(v)) for k, v in stored),
            "stored_lines": sum(len(s.lines) for s in self._shards.values()),
            "stored_stories": sum(len(s.marks) for s in self._shards.values()),
            "fresh_lines": sum(len(s.fresh) for s in self._shards.values()),
            "learned": learned,
        }


def _json(value: list[Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
