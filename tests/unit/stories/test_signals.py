"""Signals: kills, withdrawals, corrections, updates and repeats in every format's wording."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.records import Block, ParsedItem, When
from pipeline.stories.signals import read_signals


def _item(**fields: object) -> ParsedItem:
    base: dict[str, object] = {"format": "newsml-g2", "headline": "Harbour ferry line opens", "body": (Block("Text."),)}
    base.update(fields)
    return ParsedItem(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"pub_status": "canceled"}, "kill"),
        ({"pub_status": "withheld"}, "withheld"),
        ({"extra": (("signal", "sig:correction"),)}, "correction"),
        ({"extra": (("signal", "sig:update"),)}, "update"),
        ({"extra": (("signal", "sig:repeat"),)}, "repeat"),
        ({"format": "anpa1312", "extra": (("anpa1312:keyword_line", "BC-US--Harbour-Ferry, KILL"),)}, "kill"),
        ({"format": "anpa1312", "extra": (("anpa1312:version", "Elimination"),)}, "kill"),
        ({"headline": "WITHDRAWN-Harbour ferry line opens"}, "withdrawal"),
        ({"ed_note": "Eds: Please kill the story. It is being withdrawn."}, "kill"),
        ({"ed_note": "Dépêche annulée, ne pas utiliser cette dépêche"}, "kill"),
        ({"ed_note": "(Berichtigung: Uhrzeit korrigiert)"}, "correction"),
        ({"ed_note": "adds comments by the mayor in paragraphs 4-6"}, "update"),
        ({"headline": "CORRECTED-Harbour ferry line opens"}, "correction"),
        ({"slugline": "HARBOUR-FERRY (UPDATE 2)"}, "update"),
        ({"headline": "(RPT) HARBOUR FERRY LINE OPENS ON MONDAY"}, "repeat"),
        ({"headline": "KILL - HARBOUR FERRY LINE OPENS ON MONDAY"}, "kill"),
    ],
)
def test_signal_kinds(fields: dict[str, object], kind: str) -> None:
    """Each format's way of saying what the item is to its story."""
    assert read_signals(_item(**fields)).kind == kind


@pytest.mark.parametrize(
    "headline",
    [
        "THREE KILLED IN HARBOUR FERRY COLLISION",
        "HARBOUR GRAIN, BARLEY AFFECTED BY WINTER KILL",
        "Storms kill two in the harbour town",
        "TOWN WITHDRAWS FERRY TENDER AFTER PROTESTS",
        "CITY CORRECTS SIZE OF FERRY ORDER",
    ],
)
def test_news_about_killing_or_withdrawing_is_no_advisory(headline: str) -> None:
    """A kill is read where advisories are written, never from the words of the news."""
    assert read_signals(_item(headline=headline)).kind is None


def test_kill_outranks_the_rest_and_reasons_say_why() -> None:
    """A canceled correction is a kill; the reasons name each signal."""
    found = read_signals(_item(pub_status="canceled", headline="CORRECTED-Harbour ferry line opens"))
    assert found.kinds[:2] == ("kill", "correction") and found.ends_story
    assert found.reasons[0] == "pubStatus canceled"


def test_embargo_is_carried_in_epoch_ms() -> None:
    """embargoedUntil becomes a time the decision compares with the record's time."""
    until = datetime(2031, 3, 4, 18, 0, tzinfo=UTC)
    found = read_signals(_item(embargoed_until=When(until)))
    assert found.embargo_ms == int(until.timestamp() * 1000)
    assert found.embargoed_at(found.embargo_ms - 1) and not found.embargoed_at(found.embargo_ms)
