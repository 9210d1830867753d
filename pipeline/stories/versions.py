"""Versions, corrections and kills of one story, as a pure decision over its state.

    decide(state | None, incoming, settings) -> Decision(kind, version, state, latest, reason)

Kinds (exactly one per item; the worker maps each to its outcome topic):

    new        the first item of a story: published, version = the source's or 1
    version    a newer version (by the source's number, else its versionCreated, else
               arrival order): published as the next ``version`` of the same uri
    duplicate  a re-send of the latest version: the same normalised text, or (without a
               number from the source) near-identical words and no new figure or name,
               and no correction or update signal: recorded, not published
    stale      an older version arriving after a newer one -- by number, by time, or the
               text of an earlier version again (a feed replayed): recorded, not published
               as current (a consumer of ``wire.articles.latest`` never goes back in time)
    kill       pubStatus canceled, KILL / ELIMINATION / WITHDRAWN advisories: a kill
               event, and a tombstone on ``wire.articles.latest``; the story stays killed:
               a later item of it is ``stale`` unless the source numbers it above the kill

What a version is compared by, in order: the source's ordinals when both have one
(G2 ``version``, NewsML 1.2 RevisionId, "2nd Ld-Writethru", "UPDATE 2"); else both
``versionCreated``; else the one arriving later is newer. Our published ``version`` is
the source's ordinal when it is above the last published one, else the last plus one,
so it always grows.

Policy for withheld and embargoed items (``latest`` says what ``wire.articles.latest``
gets):
    * ``pubStatus withheld``: the version is published on ``wire.articles`` with its
      pubStatus (a subscriber sees it is withheld) and ``latest`` is a tombstone: a
      display reading only the latest topic takes the story down until a later usable
      version brings it back. No kill event: withheld is temporary.
    * ``embargoedUntil`` in the future at the record's time: published on
      ``wire.articles`` with ``embargoedUntil`` (agencies send embargoed copy ahead to
      subscribers, who must honour it), ``latest`` is ``hold`` until the embargo time:
      the latest topic gets it with the story's next version after the embargo (there is
      no timer: a display of the latest topic shows an embargoed story once it is updated).

The state of a story is small (``StoryState``: ~650 bytes as JSON, the 128-value MinHash
kept as its compact 128-byte signature, hashes of up to 8 earlier versions) and lives in a
table keyed by the story uri, so all of a story's versions are decided on one partition
(``wire.cleaned`` is keyed by story id). States expire ``story_ttl`` after the story was
last seen (default 30 days): a version arriving later starts a new story state.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pipeline.stories.fingerprint import Fingerprint
from pipeline.stories.signals import Signals

if TYPE_CHECKING:
    from pipeline.settings import Settings

NEW, VERSION, DUPLICATE, STALE, KILL = "new", "version", "duplicate", "stale", "kill"
#: earlier versions remembered by their text's exact hash (hex digits of it) in a story's state
HISTORY, HISTORY_CHARS = 8, 12
#: the decisions a story remembers (item id -> outcome), for records read again
RECENT_KEEP = 6
#: what the compacted latest topic gets for a decision
PUBLISH, TOMBSTONE, HOLD, NOTHING = "publish", "tombstone", "hold", "nothing"


@dataclass(frozen=True, slots=True)
class VersionPolicy:
    """Thresholds of the decision (``WIREFEED_STORIES_*``)."""

    #: Jaccard of word shingles at or above which a re-send without a source number and
    #: without new figures or names is a duplicate of the latest version
    near_duplicate: float = 0.75
    #: a story's state is forgotten this long after it was last seen (ms)
    story_ttl_ms: int = 30 * 86400 * 1000
    #: as ``dedup.DedupConfig``: a new name (not a figure) is no news when the words are this near
    names_near: float = 0.85
    names_allowed: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> VersionPolicy:
        return cls(
            near_duplicate=settings.stories_near_duplicate,
            story_ttl_ms=int(settings.stories_ttl_hours * 3600 * 1000),
            names_near=settings.dedup_names_near,
            names_allowed=settings.dedup_names_allowed,
        )


DEFAULT_POLICY = VersionPolicy()


#: an item's decision, remembered: (item id, kind, version, latest, uri of the first copy)
Recent = tuple[str, str, int, str, str | None]


@dataclass(frozen=True, slots=True)
class StoryState:
    """What is remembered of a story between its items."""

    uri: str
    version: int  # the last published ninjs version (ours: always grows)
    source_version: int | None  # the source's ordinal of the latest version, if it numbers them
    version_ms: int | None  # versionCreated of the latest version (epoch ms)
    exact: str  # exact hash of the latest version's text
    facts: frozenset[int]  # fact hashes of the latest version
    killed: bool = False
    withheld: bool = False
    first_seen_ms: int = 0
    last_seen_ms: int = 0
    #: False while nothing of the story was published (its items were copies of another story)
    published: bool = True
    #: the story its items were copies of, when not published
    duplicate_of: str | None = None
    #: the compact MinHash signature of the latest version (``Fingerprint.signature``)
    signature: bytes = b""
    #: the latest items decided (item id, kind, version, latest, first copy): a redelivered
    #: record gets the same outcome
    recent: tuple[Recent, ...] = ()
    #: the last record of wire.cleaned decided, (partition, offset, 0): a story's records are
    #: taken in offset order, so one at or below it was decided before (a redelivery)
    done: tuple[tuple[int, int, int], ...] = ()
    #: the exact hashes (first ``HISTORY_CHARS`` hex digits) of the versions published before
    #: the latest, the last ``HISTORY`` of them: an earlier version's text again is stale
    history: tuple[str, ...] = ()

    def to_json(self) -> list[Any]:
        """A compact JSON list (the table value)."""
        return [
            2,
            self.uri,
            self.version,
            self.source_version,
            self.version_ms,
            self.exact,
            sorted(self.facts),
            int(self.killed) | int(self.withheld) << 1 | int(self.published) << 2,
            self.first_seen_ms,
            self.last_seen_ms,
            self.duplicate_of,
            [list(r) for r in self.recent],
            base64.b64encode(self.signature).decode("ascii"),
            [list(d) for d in self.done],
            list(self.history),
        ]

    @classmethod
    def from_json(cls, value: list[Any]) -> StoryState:
        if not value or value[0] not in (1, 2):
            raise ValueError(f"not a story state: {str(value)[:80]}")
        _, uri, version, source_version, version_ms, exact, facts, flags, first, last, dup, recent, sig = value[:13]
        # layout 1 kept raw coordinates in ``done``, which are no order of wire.cleaned: dropped
        done = value[13] if value[0] == 2 else ()
        history = tuple(str(h) for h in value[14]) if len(value) > 14 else ()  # states written before it had none
        return cls(
            uri=uri,
            version=int(version),
            source_version=source_version,
            version_ms=version_ms,
            exact=exact,
            facts=frozenset(int(f) for f in facts),
            killed=bool(flags & 1),
            withheld=bool(flags & 2),
            published=bool(flags & 4),
            first_seen_ms=int(first),
            last_seen_ms=int(last),
            duplicate_of=dup,
            recent=tuple((str(i), str(k), int(v), str(lt), d) for i, k, v, lt, d in recent),
            signature=base64.b64decode(sig),
            done=tuple((int(p), int(o), int(n)) for p, o, n in done),
            history=history,
        )

    def remember(self, decided: Recent, keep: int = RECENT_KEEP) -> StoryState:
        """This state with an item's decision among the latest ones."""
        recent = (*tuple(r for r in self.recent if r[0] != decided[0]), decided)
        return replace(self, recent=recent[-keep:])

    def mark_done(self, partition: int, offset: int, part: int) -> StoryState:
        """This state knowing that the record at ``partition@offset`` of wire.cleaned is decided."""
        others = tuple(d for d in self.done if d[0] != partition)
        mine = [d for d in self.done if d[0] == partition]
        if mine and (mine[0][1], mine[0][2]) >= (offset, part):
            return self
        return replace(self, done=(*others, (partition, offset, part))[-4:])

    def decided_before(self, partition: int, offset: int, part: int) -> bool:
        """True when a record of wire.cleaned at or after this one was decided already."""
        return any(p == partition and (o, n) >= (offset, part) for p, o, n in self.done)

    def may_have_forgotten(self) -> bool:
        """True when decisions may have been dropped from ``recent`` (it is full): an item not
        among them may still have been decided. Below the bound nothing was ever dropped."""
        return len(self.recent) >= RECENT_KEEP

    def decided(self, item: str) -> Recent | None:
        """What was decided for ``item`` before, if it is among the latest."""
        for entry in self.recent:
            if entry[0] == item:
                return entry
        return None

    def expired(self, now_ms: int, policy: VersionPolicy = DEFAULT_POLICY) -> bool:
        return now_ms - self.last_seen_ms > policy.story_ttl_ms


@dataclass(frozen=True, slots=True)
class Incoming:
    """An item of a story, as the decision sees it."""

    uri: str
    fingerprint: Fingerprint
    signals: Signals
    now_ms: int  # the record's time
    source_version: int | None = None
    version_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the item is to its story, the version to publish, and the story's new state."""

    kind: str
    version: int
    state: StoryState | None  # None: the state is unchanged
    latest: str = PUBLISH
    reason: str = ""
    #: for ``latest == HOLD``: when the embargo lifts (epoch ms)
    hold_until_ms: int | None = None

    @property
    def published(self) -> bool:
        """True when the item goes out on ``wire.articles`` (new, version, kill)."""
        return self.kind in (NEW, VERSION, KILL)


def _order(state: StoryState, incoming: Incoming) -> int:
    """-1 older than the latest version, 0 the same, 1 newer."""
    if incoming.source_version is not None and state.source_version is not None:
        a, b = incoming.source_version, state.source_version
    elif incoming.version_ms is not None and state.version_ms is not None:
        a, b = incoming.version_ms, state.version_ms
    else:
        return 1  # arrival order: what comes later is newer
    return (a > b) - (a < b)


def _latest(incoming: Incoming) -> tuple[str, int | None]:
    if incoming.signals.withheld:
        return TOMBSTONE, None
    if incoming.signals.embargoed_at(incoming.now_ms):
        return HOLD, incoming.signals.embargo_ms
    return PUBLISH, None


def _next_state(state: StoryState | None, incoming: Incoming, version: int, killed: bool) -> StoryState:
    return StoryState(
        uri=incoming.uri,
        version=version,
        source_version=incoming.source_version
        if incoming.source_version is not None
        else (state.source_version if state else None),
        version_ms=incoming.version_ms,
        exact=incoming.fingerprint.exact,
        facts=incoming.fingerprint.facts,
        killed=killed,
        withheld=incoming.signals.withheld,
        signature=incoming.fingerprint.signature,
        first_seen_ms=state.first_seen_ms if state else incoming.now_ms,
        last_seen_ms=incoming.now_ms,
        recent=state.recent if state else (),
        done=state.done if state else (),
        history=_history(state),
    )


def _history(state: StoryState | None) -> tuple[str, ...]:
    """The earlier versions' hashes once ``state``'s latest version is replaced."""
    if state is None or not state.published or not state.exact:
        return state.history if state else ()
    latest = state.exact[:HISTORY_CHARS]
    return (*tuple(h for h in state.history if h != latest), latest)[-HISTORY:]


def _published_version(state: StoryState | None, incoming: Incoming) -> int:
    last = state.version if state else 0
    if incoming.source_version is not None and incoming.source_version > last:
        return incoming.source_version
    return last + 1


def decide(state: StoryState | None, incoming: Incoming, policy: VersionPolicy = DEFAULT_POLICY) -> Decision:
    """What ``incoming`` is to its story, given the story's state (None: never seen). Pure."""
    if state is not None and state.expired(incoming.now_ms, policy):
        state = None
    signals = incoming.signals
    if state is None:
        version = _published_version(None, incoming)
        if signals.ends_story:
            return Decision(KILL, version, _next_state(None, incoming, version, True), TOMBSTONE, signals.reasons[0])
        latest, hold = _latest(incoming)
        return Decision(NEW, version, _next_state(None, incoming, version, False), latest, "first item", hold)

    seen = replace(state, last_seen_ms=max(state.last_seen_ms, incoming.now_ms))
    order = _order(state, incoming)
    if state.killed:
        if signals.ends_story:
            return Decision(DUPLICATE, state.version, seen, NOTHING, "kill of a killed story")
        if not (order > 0 and incoming.source_version is not None):
            return Decision(STALE, state.version, seen, NOTHING, "story was killed")
    if signals.ends_story:
        version = state.version + 1
        return Decision(KILL, version, _next_state(state, incoming, version, True), TOMBSTONE, signals.reasons[0])
    if order < 0:
        return Decision(STALE, state.version, seen, NOTHING, "older than the latest version")
    fingerprint = incoming.fingerprint
    changed_status = state.withheld != signals.withheld
    says_changed = any(k in ("correction", "update") for k in signals.kinds) or changed_status
    if fingerprint.exact == state.exact and not changed_status:
        return Decision(DUPLICATE, state.version, seen, NOTHING, "same text as the latest version")
    if fingerprint.exact[:HISTORY_CHARS] in state.history and not changed_status:
        # an earlier version's text again (a feed replayed, a re-send of v1 after v2): going
        # back to it would undo the versions since
        return Decision(STALE, state.version, seen, NOTHING, "same text as an earlier version")
    if order == 0 and incoming.source_version is not None:
        # the source's own number again, other bytes: a re-send of that version. An update
        # signal is no news here (a G2 ``sig:update`` marks that version each time it is
        # sent); a correction or a status change is, and so is new text under an update signal
        corrected = "correction" in signals.kinds or changed_status
        if not corrected and (not says_changed or _resent(state, fingerprint, policy)):
            return Decision(DUPLICATE, state.version, seen, NOTHING, "same source version as the latest")
    if incoming.source_version is None and not says_changed and _resent(state, fingerprint, policy):
        return Decision(DUPLICATE, state.version, seen, NOTHING, "re-send without new facts")
    version = _published_version(state, incoming)
    latest, hold = _latest(incoming)
    reason = signals.reasons[0] if signals.reasons else "newer version"
    return Decision(VERSION, version, _next_state(state, incoming, version, False), latest, reason, hold)


def _facts_only(state: StoryState) -> Fingerprint:
    return Fingerprint(exact=state.exact, signature=b"", facts=state.facts, words=0)


def _resent(state: StoryState, fingerprint: Fingerprint, policy: VersionPolicy) -> bool:
    """Within a story: the latest version's words again, nothing new -- the same rule as for
    copies across stories (``dedup.is_copy``: the compact signature's Jaccard estimate at
    least ``near_duplicate``, no new figure, a new name only when the words are nearly the
    same). Without signatures (texts too short to shingle) the facts decide: none new, and
    no more than ``1 - near_duplicate`` of them dropped."""
    from pipeline.stories.dedup import DedupConfig, is_copy, similarity
    from pipeline.stories.fingerprint import split_new

    new = split_new(fingerprint.facts - state.facts)
    ours = fingerprint.signature
    if ours and state.signature:
        cfg = DedupConfig(
            threshold=policy.near_duplicate, names_near=policy.names_near, names_allowed=policy.names_allowed
        )
        return is_copy(similarity(ours, state.signature), new, cfg)
    if any(new):
        return False
    if not fingerprint.facts and not state.facts:
        return True
    union = len(fingerprint.facts | state.facts)
    return len(fingerprint.facts & state.facts) / union >= policy.near_duplicate
