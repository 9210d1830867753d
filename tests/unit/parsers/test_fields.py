"""What element and key names mean to the generic parsers, and how their values are read."""

from __future__ import annotations

import pytest

from pipeline.parsers._fields import TOKEN_RANK, classify, language_tag, skipped, when, words


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("headline", "headline"),
        ("headLine", "headline"),
        ("HEAD_LINE", "headline"),
        ("hl1", "headline"),
        ("Titel", "headline"),
        ("título", "headline"),
        ("article_html", "body"),
        ("bodyXhtml", "body"),
        ("body.content", "body"),
        ("ContentText", "body"),
        ("texte", "body"),
        ("teaser", "summary"),
        ("byLine", "byline"),
        ("auteur", "byline"),
        ("dateline", "dateline"),
        ("versionedGuid", "guid"),
        ("PublicIdentifier", "guid"),
        ("RevisionId", "version"),
        ("firstCreated", "first_created"),
        ("pubDate", "first_created"),
        ("version_created", "version_created"),
        ("thisRevisionCreated", "version_created"),
        ("xml:lang", "language"),
    ],
)
def test_listed_names_in_every_spelling(name: str, field: str) -> None:
    """Case, separators and dots do not matter; listed names rank before names read from words."""
    found = classify(name)
    assert found is not None and found[0] == field and found[1] < TOKEN_RANK


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("DirectoryText", "body"),  # the last word decides
        ("MainHeadlineText", "body"),
        ("storyTitle", "headline"),
        ("CreatedDateTime", "first_created"),
        ("lastUpdate", "version_created"),
        ("date_publication", "first_created"),  # a date word first, its kind after it
        ("EmbargoTime", "embargoed"),
        ("NewsCompID", "guid"),
        ("HeadlineService", None),  # a service, not a headline
        ("UserProfileID", None),  # a user's id is not the item's
        ("colour", None),
    ],
)
def test_unlisted_names_by_their_words(name: str, field: str | None) -> None:
    """An unlisted name is read from its words: the last one says what it is."""
    found = classify(name)
    assert (found[0] if found else None) == field


def test_words_split_every_convention() -> None:
    """camelCase, snake_case, kebab-case, dotted and acronyms."""
    assert words("CreatedDateTime") == ["created", "date", "time"]
    assert words("article_html") == ["article", "html"]
    assert words("ContentItemID") == ["content", "item", "id"]
    assert words("body.content") == ["body", "content"]


def test_skipped_names_are_notes_links_and_media() -> None:
    """Content that is never the article."""
    assert all(skipped(n) for n in ("notepad", "ednotes", "linkbox_html", "associations", "renditions"))
    assert not any(skipped(n) for n in ("headline", "body", "teaser"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2031-03-04T09:14:00+01:00", "2031-03-04T09:14:00+01:00"),
        ("20310304T091400Z", "2031-03-04T09:14:00+00:00"),
        ("Tue, 04 Mar 2031 09:14:00 +0100", "2031-03-04T09:14:00+01:00"),
        (2000000000, "2033-05-18T03:33:20+00:00"),
        (2000000000000, "2033-05-18T03:33:20+00:00"),
        ("0001-01-01T00:00:00", None),
        ("yesterday", None),
        (True, None),
    ],
)
def test_dates_in_every_form_and_placeholders(value: object, expected: str | None) -> None:
    """ISO 8601, RFC 2822, epoch seconds or milliseconds; placeholders and words are no dates."""
    found = when(value, "UTC")
    assert (found.value.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("de", "de"), ("fi-FI", "fi-FI"), ("en_US", "en-US"), ("EN", "en"), ("1", None), ("html", None), ("xx", None)],
)
def test_language_tags_and_what_is_not_one(value: str, expected: str | None) -> None:
    """BCP-47-like tags of known languages; numbers and words are not languages."""
    assert language_tag(value) == expected


def test_a_date_printed_inside_the_place_part_is_the_date() -> None:
    """ "SAID TO BE DECEMBER 31, 2015": a hedge and a date, no place; "LONDON MARCH 3, 2015": the place and the date."""
    from pipeline.parsers._dateline import parse_dateline

    hedged = parse_dateline("SAID TO BE DECEMBER 31, 2015")
    assert hedged is not None and (hedged.place, hedged.date_text) == (None, "DECEMBER 31, 2015")
    known = parse_dateline("LONDON MARCH 3, 2015")
    assert known is not None and (known.place, known.date_text) == ("LONDON", "MARCH 3, 2015")
