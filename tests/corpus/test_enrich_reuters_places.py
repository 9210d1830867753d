"""Places enrichment against the gold <PLACES> labels of Reuters-21578 (issue 5).

All 22 files, every story with gold labels (18,798): parse -> clean -> the places part of
enrichment (production config, without the spaCy models), countries of the places with
rel "dateline" or "about" against the gold countries. The corpus is read in place.
"""

from __future__ import annotations

import pytest

from pipeline.evaluation.places import REUTERS_PLACES, evaluate_reuters_places, gold_countries
from pipeline.records import ParsedItem
from tests.corpus_files import require_corpus

pytestmark = pytest.mark.corpus

#: stories of Reuters-21578 with at least one <PLACES> label
STORIES_WITH_PLACES = 18_798
#: (story, country) gold pairs once the 1987 labels are mapped to today's countries
GOLD_PAIRS = 22_770


def test_every_reuters_place_label_maps_to_a_country() -> None:
    """The 175 labels of all-places-strings.lc.txt each have a country; 1987 names map to today's."""
    labels = require_corpus("reuters21578", "all-places-strings.lc.txt").read_text(encoding="ascii").split()
    assert len(labels) == 175
    assert sorted(labels) == sorted(REUTERS_PLACES)
    item = ParsedItem(format="reuters21578", extra=(("reuters21578:places", "west-germany;east-germany;ussr"),))
    assert gold_countries(item) == {"DE", "RU"}


def test_reuters_places_micro_f1_is_at_least_0_90(capsys: pytest.CaptureFixture[str]) -> None:
    """Micro-F1 >= 0.90 over all 18,798 stories; prints P/R/F1 and the 20 most frequent countries."""
    folder = require_corpus("reuters21578")
    result = evaluate_reuters_places(folder)
    with capsys.disabled():
        print("\n" + result.table(20))
    assert len(result.stories) == STORIES_WITH_PLACES
    assert result.micro.tp + result.micro.fn == GOLD_PAIRS
    assert result.micro.f1 >= 0.90
