"""Letter-spaced text put back into words (invented text)."""

from __future__ import annotations

from pipeline.parsers._spacing import despace, has_spaced_run
from pipeline.stages.clean import clean
from tests.unit.parsers.test_webtext import parse_one


def spaced(text: str) -> str:
    """The text as a letter-spacing site prints it: every character followed by a space, word gaps lost."""
    return " ".join(text.replace(" ", ""))


def test_letter_spaced_runs_become_words_of_their_language() -> None:
    """English and French runs are split into their words; punctuation is spaced as print spaces it."""
    english = "The council approved the harbour budget on Tuesday, the mayor said."
    assert despace(spaced(english)) == english
    french = "Le conseil municipal a approuvé mardi le budget du port, a dit le maire."
    assert despace(spaced(french)) == french


def test_ordinary_text_is_left_alone() -> None:
    """Initials and short spaced groups are no letter-spaced run."""
    text = "A B C D and the U N report were read at the meeting on Monday."
    assert not has_spaced_run(text)
    assert despace(text) == text


def test_a_letter_spaced_dispatch_gives_its_dateline_and_text() -> None:
    """ "T O R I N O , 3 m a r . ( A N S A ) - ..." reads as a dateline and a lead."""
    page = (
        spaced("TORINO, 3 mar. (ANSA) - ")
        + " "
        + spaced("Il consiglio comunale ha approvato martedì il bilancio del porto dopo un lungo dibattito.")
    )
    item = clean(parse_one(page))
    assert item.dateline is not None and (item.dateline.place, item.dateline.agency) == ("TORINO", "ANSA")
    assert item.body[0].text.startswith("Il consiglio comunale ha approvato")
    assert ("letter_spacing_repaired", "true") in item.extra
