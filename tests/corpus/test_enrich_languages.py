"""Language detection on every corpus dispatch whose language is known (issue 5).

What is known, and from where, is ``pipeline.evaluation.language.KNOWN`` (the corpus
MANIFESTs, the records' own language fields, Reuters-21578 = English). Each dispatch goes
through the real parsers and the clean stage; the detector reads the text enrichment reads.
"""

from __future__ import annotations

import pytest

from pipeline.evaluation.language import LanguageEvaluation, evaluate_languages, known_language
from tests.corpus_files import require_corpus

pytestmark = pytest.mark.corpus

#: items per known language: every dispatch of the corpus whose language is known
ITEMS = {"en": 21_647, "de": 106, "ar": 99, "tr": 71, "fi": 9, "fr": 4, "da": 3, "es": 2, "nb": 1}


@pytest.fixture(scope="module")
def evaluation() -> LanguageEvaluation:
    return evaluate_languages(require_corpus())


def test_known_languages_come_from_the_manifests() -> None:
    """File names and folders map to the languages their MANIFEST gives; unknown ones are left out."""
    assert known_language("agency-formats/extra/H005__businessdesk-nz-en-newsmlg2__scoop.xml")[0] == "en"  # type: ignore[index]
    assert known_language("agency-formats/extra/H003__ritzau-da-nitf__mapping_test.xml")[0] == "da"  # type: ignore[index]
    assert known_language("agency-formats/superdesk-core-fixtures/newsml-1.2/ana1.xml") is None
    assert known_language("web/fundus-agency-pages/us/APNews.json") is None


def test_every_known_language_dispatch_is_detected_right_or_not_at_all(
    evaluation: LanguageEvaluation, capsys: pytest.CaptureFixture[str]
) -> None:
    """No detection is wrong; the per-language table is printed (undet. = no language
    evidence in the text: wire tables, lists of names, slugs)."""
    with capsys.disabled():
        print("\n" + evaluation.table())
    assert {lang: f.items for lang, f in evaluation.per_language.items()} == ITEMS
    assert [i.input for i in evaluation.items if i.detected is not None and not i.right] == []
    # Outside the Reuters-21578 tables, every text has language evidence.
    assert {lang: f.undetermined for lang, f in evaluation.per_language.items() if lang != "en"} == {
        lang: 0 for lang in ITEMS if lang != "en"
    }


def test_every_article_is_published_in_its_language_when_anything_says_it(evaluation: LanguageEvaluation) -> None:
    """The published language (detected, else declared) is the known one for every item whose
    text or feed says anything; the rest, with neither, are published without one."""
    wrong = [i for i in evaluation.items if i.published is not None and not i.published_right]
    assert wrong == []
    silent = [i for i in evaluation.items if i.published is None]
    assert all(i.declared is None and i.detected is None for i in silent)
    assert len(silent) == 3  # a team line-up, a baseball table and a slug, from feeds that declare nothing
