"""The web gold-set scorer: matching rules, and a whole (invented) set scored end to end."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.evaluation import web_gold
from pipeline.evaluation.quality import quality_report, render_report, report_passed

PAGE = """Economy

Harbour town opens a new ferry line to the islands

PORTVILLE (XYZ) - The town council opened a new ferry line on Monday, linking the harbour with three islands.

The boats will run every two hours during the summer season, the council said in a statement.

Share this
"""


def _write_set(root: Path, gold: dict[str, dict]) -> Path:
    folder = root / web_gold.FOLDER
    folder.mkdir(parents=True)
    (folder / "W001__xyz-en-webpage__ferry.txt").write_text(PAGE, encoding="utf-8")
    (folder / "W002__xyz-en-webpage__empty.txt").write_text("   \n\n  \n", encoding="utf-8")
    (folder / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    return folder


def _gold(**fields: object) -> dict:
    entry: dict = {
        "language": "en",
        "agency": "XYZ",
        "headline": None,
        "body_must_contain": [],
        "body_must_not_contain": [],
        "dateline_place": None,
        "date": None,
        "byline": None,
        "kind": "article",
        "notes": "",
    }
    entry.update(fields)
    return entry


def test_leak_needs_word_boundaries_and_keeps_case() -> None:
    """A short chrome label is found as a word, not inside another word, and case counts."""
    assert web_gold.leaks("Read more at the Top of the page", "Top")
    assert not web_gold.leaks("He visited Topkapı palace", "Top")
    assert not web_gold.leaks("the top story", "Top")
    assert web_gold.leaks("x News  > Top News y", "News >")


def test_quote_glyphs_and_spacing_do_not_count() -> None:
    """Typographic quotes (and French spaces inside them) match the straight ones of the gold."""
    assert web_gold.same_headline("MAE : « Nous attendons »", 'MAE : "Nous attendons"')
    assert web_gold.contains("il a dit « Nous\u202fattendons » hier", 'a dit "Nous attendons" hier')
    assert web_gold.leaks("Title: “A headline”", 'Title: "A headline"')
    assert not web_gold.same_headline("A headline - Site", "A headline")


def test_place_key_folds_turkish_i() -> None:
    """ "İSTANBUL", "Istanbul" and "istanbul" name one dateline place."""
    assert web_gold.place_key("İSTANBUL") == web_gold.place_key("Istanbul") == web_gold.place_key("istanbul")
    assert web_gold.place_key("ŞANLIURFA") == web_gold.place_key("Şanlıurfa")
    assert web_gold.place_key("Ankara") != web_gold.place_key("Antalya")


def test_gold_place_with_its_region_is_our_place_and_region() -> None:
    """Gold "PORTVILLE, Eastland" is right for place "PORTVILLE" with region "Eastland", not for the place alone."""
    assert web_gold.same_dateline("PORTVILLE", "Eastland", "PORTVILLE, Eastland")
    assert web_gold.same_dateline("Portville", None, "PORTVILLE")
    assert not web_gold.same_dateline("PORTVILLE", None, "PORTVILLE, Eastland")
    assert not web_gold.same_dateline("PORTVILLE", "Westland", "PORTVILLE, Eastland")
    assert not web_gold.same_dateline(None, None, "PORTVILLE")


def test_invented_set_is_scored_per_item_and_in_total(tmp_path: Path) -> None:
    """Two invented files: one article scored on every measure, one blank page with no article."""
    gold = {
        "W001__xyz-en-webpage__ferry.txt": _gold(
            headline="Harbour town opens a new ferry line to the islands",
            body_must_contain=[
                "The boats will run every two hours during the summer season",
                "a phrase the page does not have at all",
            ],
            body_must_not_contain=["Economy", "Share this", "PORTVILLE (XYZ) -"],
            dateline_place="PORTVILLE",
        ),
        "W002__xyz-en-webpage__empty.txt": _gold(body_must_contain=["nothing at all is printed here"]),
    }
    _write_set(tmp_path, gold)
    section = web_gold.evaluate(tmp_path)
    first, second = section["items"]
    assert (first["id"], first["headline_ok"], first["kept"], first["missing"]) == (
        "W001",
        True,
        1,
        ["a phrase the page does not have at all"],
    )
    assert first["leaked"] == []  # section label, widget and dateline are out of the body
    assert (first["dateline"], first["dateline_ok"], first["language"]) == ("PORTVILLE", True, "en")
    assert second["no_article"] and second["error"]
    total = section["total"]
    assert (total["items"], total["kept"], total["must_contain"], total["no_article"]) == (2, 1, 3, 1)
    assert section["halves"]["odd"]["items"] == 1 and section["halves"]["even"]["items"] == 1
    assert section["passed"]["no_article"] is False and section["passed"]["headline"] is True


def test_leaks_are_counted_when_chrome_stays(tmp_path: Path) -> None:
    """A must-not fragment that is article text for the pipeline is reported as leaked."""
    gold = {
        "W001__xyz-en-webpage__ferry.txt": _gold(
            body_must_contain=["The boats will run every two hours"],
            body_must_not_contain=["linking the harbour with three islands"],
        ),
        "W002__xyz-en-webpage__empty.txt": _gold(body_must_contain=["nothing"]),
    }
    _write_set(tmp_path, gold)
    section = web_gold.evaluate(tmp_path, only=lambda name: name.startswith("W001"))
    assert section["total"]["items"] == 1
    assert section["items"][0]["leaked"] == ["linking the harbour with three islands"]
    assert section["total"]["shares"]["leaked"] == 1.0


def test_report_section_and_rendering(tmp_path: Path) -> None:
    """The set is a section of the quality report, rendered per item, and its bars count in passed."""
    _write_set(
        tmp_path,
        {
            "W001__xyz-en-webpage__ferry.txt": _gold(body_must_contain=["boats will run"]),
            "W002__xyz-en-webpage__empty.txt": _gold(body_must_contain=["nothing"]),
        },
    )
    report = quality_report(tmp_path, sections=[web_gold.NAME])
    assert "groups" not in report and set(report["sets"]) == {web_gold.NAME}
    text = render_report(report)
    assert "W001" in text and "W002" in text and "NO ARTICLE" in text
    assert report_passed(report) is False  # W002 gives no article


def test_absent_set_is_reported_not_failed(tmp_path: Path) -> None:
    """Without the folder the section says so, and no bar fails."""
    report = quality_report(tmp_path, sections=[web_gold.NAME])
    assert report["sets"][web_gold.NAME]["absent"] is True
    assert report_passed(report)
