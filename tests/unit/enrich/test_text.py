"""The enrichment text: segments of an item and the length-preserving fold."""

from __future__ import annotations

import pytest

from pipeline.enrich.text import (
    _fold_table,
    count_cases,
    count_digits,
    count_letters,
    fold,
    item_text,
    make_text,
    mostly_upper,
)
from pipeline.records import Block, ParsedItem


@pytest.mark.parametrize(
    ("original", "folded"),
    [
        ("L’Arménie", "l'armenie"),
        ("İstanbul'da", "istanbul'da"),
        ("Kırıkkale", "kirikkale"),
        ("Biélorussie", "bielorussie"),
        ("أوزبكستان", "اوزبكستان"),
        ("Αθήνα", "αθηνα"),
        ("Ёлкино—Север", "елкино-север"),
    ],
)
def test_fold_keeps_length_and_strips_case_and_accents(original: str, folded: str) -> None:
    """fold lowers, drops accents and unifies quotes/dashes, one character for one."""
    assert fold(original) == folded
    assert len(fold(original)) == len(original)


def test_item_text_segments_headline_summary_lead_and_body() -> None:
    """Headline, summary, first paragraph (lead) and the rest are separate segments."""
    item = ParsedItem(
        format="test",
        headline="Un titre inventé",
        summary="Un chapeau inventé",
        body=(Block("Intertitre", kind="h"), Block("Premier paragraphe."), Block("Deuxième paragraphe.")),
    )
    text = item_text(item)
    kinds = [(s.kind, text.value[s.start : s.end]) for s in text.segments]
    assert kinds == [
        ("headline", "Un titre inventé"),
        ("summary", "Un chapeau inventé"),
        ("body", "Intertitre"),
        ("lead", "Premier paragraphe."),
        ("body", "Deuxième paragraphe."),
    ]
    assert text.segment_at(text.value.index("Deuxième")).kind == "body"


def test_sentence_start_is_after_a_full_stop_or_at_a_segment_start() -> None:
    """A capital after ". " or at a paragraph start proves nothing; after a comma it does."""
    text = make_text([("lead", "Il pleut. Nice est calme, Nice aussi.")])
    first, second = (i for i in range(len(text.value)) if text.value.startswith("Nice", i))
    assert text.sentence_start(0)
    assert text.sentence_start(first)
    assert not text.sentence_start(second)


def test_mostly_upper_recognises_wire_headlines() -> None:
    """All-caps headlines are flagged; mixed case and short strings are not."""
    assert mostly_upper("GRAIN EXPORTS RISE IN MARCH")
    assert not mostly_upper("Grain exports rise in March")
    assert not mostly_upper("US UK")


@pytest.mark.parametrize(
    "text",
    ["", "Shr 75 cts vs 52 cts", "MOSCOW, Jan 13 (Reuters) -", "L’Arménie ½ ² İstanbul ǅ", "\t\n\x00 _1"],
    ids=["empty", "ascii", "capitals", "non-ascii", "controls"],
)
def test_character_counts_are_the_per_character_tests(text: str) -> None:
    """count_letters, count_digits and count_cases count what str.isalpha/isdigit/isupper/islower say."""
    assert count_letters(text) == sum(map(str.isalpha, text))
    assert count_digits(text) == sum(map(str.isdigit, text))
    assert count_cases(text) == (sum(map(str.isupper, text)), sum(map(str.islower, text)))


def test_fold_of_ascii_is_the_table_s() -> None:
    """fold's ASCII shortcut gives what the fold table gives, for every ASCII character."""
    ascii_text = "".join(map(chr, range(128)))
    assert fold(ascii_text) == ascii_text.translate(_fold_table())
