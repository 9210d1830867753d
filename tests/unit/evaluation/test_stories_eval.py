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
