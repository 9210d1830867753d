"""Golden story decisions from real versioned items: Reuters G2 versions and kill, NewsML 1.2 revisions."""

from __future__ import annotations

from pathlib import Path

from pipeline.records import RawDispatch
from pipeline.stages.flow import parse_dispatch
from pipeline.stories.fingerprint import fingerprint
from pipeline.stories.identity import story_identity
from pipeline.stories.signals import read_signals
from pipeline.stories.versions import KILL, NEW, TOMBSTONE, Incoming, StoryState, decide
from tests.corpus_files import require_corpus

G2 = ("agency-formats", "superdesk-core-fixtures", "newsml-g2")


def _decide_all(paths: list[Path]) -> list[tuple[str, int, str]]:
    state: StoryState | None = None
    out = []
    for path in paths:
        (item,) = parse_dispatch(RawDispatch(path.read_bytes()))
        identity = story_identity(item)
        when = item.version_created
        ms = int(when.value.timestamp() * 1000) if when else 0
        decision = decide(
            state, Incoming(identity.uri, fingerprint(item), read_signals(item), ms, identity.version, ms)
        )
        state = decision.state or state
        out.append((decision.kind, decision.version, decision.latest))
    return out


def test_reuters_story_published_then_killed() -> None:
    """L1N14N0FF: the usable version, then the canceled one: one uri, new then kill with a tombstone."""
    folder = require_corpus(*G2)
    usable = folder / "tag_reuters.com_2016_newsml_L1N14N0FF_version_978556838"
    canceled = folder / "tag_reuters.com_2016_newsml_L1N14N0FF_version_1542761538"
    uris = {story_identity(parse_dispatch(RawDispatch(p.read_bytes()))[0]).uri for p in (usable, canceled)}
    assert uris == {"tag:reuters.com,0000:newsml_L1N14N0FF"}
    assert _decide_all([usable, canceled]) == [(NEW, 2, "publish"), (KILL, 3, TOMBSTONE)]


def test_newsml12_revisions_share_their_story() -> None:
    """Every AFP NewsML 1.2 item's uri is its PublicIdentifier without the RevisionId."""
    folder = require_corpus("agency-formats", "afp-newsml-1.2-arabic")
    for path in sorted(folder.rglob("*.xml"))[:30]:
        items = parse_dispatch(RawDispatch(path.read_bytes()))
        for item in items:
            found = story_identity(item)
            assert item.guid and item.guid.startswith(found.uri + ":"), (path.name, item.guid, found.uri)
            assert found.version == int(item.guid.rsplit(":", 1)[1])
