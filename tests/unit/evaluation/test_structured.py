"""The structured-feed report's matching rules, on items and gold entries written here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pipeline.evaluation.structured import FileScore, GoldFile, GoldItem, build_report, same_place, score_item
from pipeline.records import Block, Dateline, ParsedItem, When

BODY = (
    "Der Stadtrat von Beispielheim hat am Abend einen neuen Haushalt beschlossen.",
    "Die Opposition kritisierte die hohen Ausgaben für den Bau einer Brücke.",
)


def gold(**first: object) -> GoldFile:
    values: dict[str, object] = {
        "headline": "Beispielheim beschließt Haushalt",
        "body": ("neuen Haushalt beschlossen",),
        "date": "2024-03-01",
        "guid": "urn:example:1",
        "version": "2",
        "dateline_place": "Beispielheim",
    }
    values.update(first)
    return GoldFile("F001__x-de-fmt__a.xml", "fmt", "x", "de", 1, GoldItem(**values))  # type: ignore[arg-type]


def item(**fields: object) -> ParsedItem:
    values: dict[str, object] = {
        "format": "newsml-g2",
        "guid": "urn:example:1",
        "version": "2",
        "language": "de",
        "headline": "Beispielheim beschließt Haushalt",
        "body": tuple(Block(t) for t in BODY),
        "dateline": Dateline("Beispielheim (dpa) -", place="Beispielheim"),
        "version_created": When(datetime(2024, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=1)))),
    }
    values.update(fields)
    return ParsedItem(**values)  # type: ignore[arg-type]


def scored(g: GoldFile, it: ParsedItem) -> FileScore:
    score = FileScore(g.name, g.format, articles=1, items=1, items_expected=1)
    score_item(g, it, score)
    return score


def test_every_field_right_on_a_faithful_item() -> None:
    """An item that carries what the gold says scores every field right."""
    score = scored(gold(), item())
    assert score.fields == dict.fromkeys(("headline", "body", "date", "guid", "version", "language"), True)
    assert score.dateline is True
    assert score.wrong == {}


def test_body_fragments_match_across_whitespace_and_quotes() -> None:
    """A fragment hard-wrapped over two lines, or with other quote glyphs, is still found."""
    wrapped = item(body=(Block("Die Opposition kritisierte die\nhohen «Ausgaben» für den Bau"),))
    score = scored(gold(body=('Die Opposition kritisierte die hohen "Ausgaben" für',)), wrapped)
    assert score.fields["body"] is True


def test_missing_fragment_is_wrong() -> None:
    """A fragment the body lacks makes the body field wrong, and is shown."""
    score = scored(gold(body=("eine Zeile die nirgends steht im Text",)), item())
    assert score.fields["body"] is False
    assert "nirgends" in score.wrong["body"]


def test_headline_counts_as_body_only_without_body() -> None:
    """Title-only items (RSS entries) are searched in their headline; others are not."""
    g = gold(body=("Beispielheim beschließt Haushalt",))
    assert scored(g, item(body=())).fields["body"] is True
    assert scored(g, item()).fields["body"] is False


def test_date_matches_local_or_utc_calendar_day() -> None:
    """23:30 at +01:00 on 1 March is 1 March as printed and 1 March in UTC; 2 March is wrong."""
    assert scored(gold(date="2024-03-01"), item()).fields["date"] is True
    late = When(datetime(2024, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1))))
    assert scored(gold(date="2024-03-01"), item(version_created=late)).fields["date"] is True  # UTC day
    assert scored(gold(date="2024-03-03"), item(version_created=late)).fields["date"] is False


def test_null_gold_fields_are_not_checked() -> None:
    """No headline/guid/version in the gold: not checked, whatever the item says."""
    score = scored(gold(headline=None, guid=None, version=None), item(headline="x", guid=None, version=None))
    assert "headline" not in score.fields and "guid" not in score.fields and "version" not in score.fields


def test_dateline_absent_in_gold_must_be_absent() -> None:
    """When the gold prints no place, a place we invent is wrong."""
    assert scored(gold(dateline_place=None), item()).dateline is False
    assert scored(gold(dateline_place=None), item(dateline=None)).dateline is True


def test_same_place_allows_bracketed_region() -> None:
    """ "Fráncfort (Alemania)" matches "Fráncfort"; case is folded; another place does not match."""
    assert same_place("Fráncfort", None, "Fráncfort (Alemania)")
    assert same_place("BEIJING", None, "Beijing")
    assert same_place("Priego", "Córdoba", "Priego (Córdoba)")
    assert not same_place("Madrid", None, "Fráncfort (Alemania)")
    assert not same_place(None, None, "Madrid")


def test_language_uses_primary_subtag() -> None:
    """A declared fi-FI is Finnish; an item declared in another language is wrong."""
    g = GoldFile("F", "fmt", "x", "fi", 1, gold().first)
    finnish = item(
        language="fi-FI",
        headline="Kaupunki hyväksyi talousarvion",
        body=(Block("Valtuusto hyväksyi illalla uuden talousarvion ja kaupunginjohtaja kiitti kaikkia."),),
    )
    assert scored(g, finnish).fields["language"] is True


def test_report_totals_count_checks() -> None:
    """Totals add up the checks of every file; a file without article fails its fields."""
    good = scored(gold(), item())
    bad = FileScore("F002", "fmt", items_expected=1, fields={"headline": False, "body": False}, dateline=False)
    report = build_report([good, bad])
    assert report["with_article"] == 1
    assert report["fields_checked"] == 8 and report["fields_right"] == 6
    assert report["measures"]["articles"] == 0.5
    assert report["dateline"] == {"right": 1, "checked": 2}
