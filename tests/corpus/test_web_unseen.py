"""The web gold set (``web-unseen-dev``): pages and scrapes of sites the rules never saw.

``pipeline.evaluation.web_gold`` runs every file of ``../shared/corpus/web-unseen-dev``
through parse and clean and scores it against the set's ``gold.json``: headline exact,
must-contain fragments kept, must-not-contain chrome leaked, published language,
dateline place, items with no article. The issue's bars are asserted where the pipeline
meets them; where it does not yet, the figure it has reached is a floor that must not
fall (``FLOORS``), so a change that loses ground fails here. Run with ``-s`` to see the
per-item table.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.evaluation import web_gold
from pipeline.evaluation.quality import quality_report, render_report
from tests.corpus_files import corpus_root, require_corpus

pytestmark = pytest.mark.corpus

#: files in the set, and gold figures the denominators come from
ITEMS = 121
HEADLINES = 61
MUST_CONTAIN = 233
MUST_NOT_CONTAIN = 553
DATELINES = 60

#: what the pipeline reaches today where it does not meet the issue's bar yet (shares; at
#: most for leaked and no_article): raise these as the extraction improves, never lower them
FLOORS: dict[str, float] = {
    "headline": 0.95,
    "kept": 0.98,
    "leaked": 0.01,
    "dateline": 0.90,
    "language": 0.99,
    "no_article": 0,
}


@pytest.fixture(scope="module")
def section() -> dict[str, Any]:
    require_corpus(web_gold.FOLDER, "gold.json")
    report = quality_report(corpus_root(), sections=[web_gold.NAME])
    return report["sets"][web_gold.NAME]


def test_print_web_unseen_report(section: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Print the per-item table (run with -s); every file of the set is scored, none twice."""
    with capsys.disabled():
        print(render_report({"sets": {web_gold.NAME: section}}))
    total = section["total"]
    assert total["items"] == ITEMS
    assert len({item["id"] for item in section["items"]}) == ITEMS
    assert (total["headlines_checked"], total["must_contain"]) == (HEADLINES, MUST_CONTAIN)
    assert (total["must_not_contain"], total["datelines_checked"]) == (MUST_NOT_CONTAIN, DATELINES)


def test_halves_add_up(section: dict[str, Any]) -> None:
    """The odd and even W items split the set: their counts add up to the totals."""
    odd, even, total = section["halves"]["odd"], section["halves"]["even"], section["total"]
    for key in ("items", "headlines_ok", "kept", "leaked", "languages_ok", "datelines_ok", "no_article"):
        assert odd[key] + even[key] == total[key], key


@pytest.mark.parametrize("bar", list(web_gold.THRESHOLDS))
def test_bar_or_floor(section: dict[str, Any], bar: str) -> None:
    """Each of the issue's bars holds, or the figure reached so far does not fall."""
    total = section["total"]
    value = total["no_article"] if bar == "no_article" else total["shares"][bar]
    if section["passed"][bar]:
        return
    floor = FLOORS[bar]
    problems = [i["id"] for i in section["items"] if i["no_article"] or i["leaked"] or i["missing"]][:40]
    if bar in web_gold.AT_MOST:
        assert value <= floor, (bar, value, problems)
    else:
        assert value >= floor, (bar, value, problems)
