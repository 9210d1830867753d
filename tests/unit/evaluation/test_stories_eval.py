"""The stories evaluation: labels are ids and labels only; scoring counts pairs as documented."""

from __future__ import annotations

from pipeline.evaluation.stories import Run, labels, score
from pipeline.records import ParsedItem


def test_labels_are_ids_and_labels_only() -> None:
    """Our annotations name corpus items; no text is stored."""
    data = labels()
    kinds = {label for *_, label in data["pairs"]}
    assert kinds <= {"duplicate", "version", "related", "distinct"}
    assert all(len(pair) == 3 and len(pair[0]) < 160 for pair in data["pairs"])
    assert sum(1 for *_, label in data["pairs"] if label == "duplicate") > 400


def test_duplicate_chains_and_cluster_pairs_are_scored() -> None:
    """A duplicate found through a chain counts; a distinct pair in one cluster is a false positive."""
    items = {k: ParsedItem(format="webtext") for k in "abcd"}
    run = Run(duplicate_of={"b": "a", "c": "b"}, cluster={"a": "x", "b": "x", "c": "x", "d": "x"})
    pairs = [["a", "c", "duplicate"], ["a", "d", "distinct"], ["b", "d", "duplicate"]]
    report = score(run, pairs, items, {k: "en" for k in items})
    assert (report["duplicates"]["tp"], report["duplicates"]["fn"], report["duplicates"]["tn"]) == (1, 1, 1)
    assert report["clusters"]["mono"]["precision"] == round(2 / 3, 4)


def test_replay_places_clusters_with_the_articles_entities_as_the_worker_does() -> None:
    """Two stories with no fact in common share their people and places: clustered together only when
    the replay is given their articles' entities (as the worker's cluster desk reads them), apart
    from their own text alone."""
    from datetime import UTC, datetime

    from pipeline.evaluation.stories import replay
    from pipeline.records import Block, When
    from pipeline.stories.clusters import ClusterConfig

    def item(headline: str, body: str, minute: int) -> ParsedItem:
        when = When(datetime(2024, 5, 1, 9, minute, tzinfo=UTC))
        return ParsedItem(
            format="test", headline=headline, body=(Block(body),), language="en", version_created=when, guid=headline
        )

    items = {
        "a": item("Mayor opens harbour ferry line", "Boats will cross the bay every half hour from June.", 1),
        "b": item("Ferry line draws crowds on first day", "Queues formed at the pier before dawn, officials said.", 5),
    }
    shared = ["https://sws.geonames.org/3161732/", "https://example.org/person/anna-berg", "https://example.org/o/1"]
    config = ClusterConfig(embed="off")
    apart = replay(items, None, config=config)
    together = replay(items, None, config=config, articled={"a": (shared, "en"), "b": (shared, "en")})
    assert apart.cluster["a"] != apart.cluster["b"]
    assert together.cluster["a"] == together.cluster["b"]
