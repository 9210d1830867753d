"""Story identity: one uri per story from the source's own names, the version it says it is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.records import Block, ParsedItem, When
from pipeline.stages.normalise import story_uri
from pipeline.stories.identity import canonical_url, family_name, page_id, story_identity, version_words

DAY = When(datetime(2031, 3, 4, 15, 0, tzinfo=UTC))


def _item(**fields: object) -> ParsedItem:
    base: dict[str, object] = {"format": "newsml-g2", "headline": "Harbour ferry line opens", "body": (Block("Text."),)}
    base.update(fields)
    return ParsedItem(**base)  # type: ignore[arg-type]


def test_g2_guid_is_the_uri_and_version_the_ordinal() -> None:
    """A NewsML-G2 guid is the uri as it is; its version attribute the ordinal."""
    found = story_identity(_item(guid="urn:newsml:example.org:20310304:abc-1", version="7"))
    assert (found.uri, found.basis, found.version) == ("urn:newsml:example.org:20310304:abc-1", "guid", 7)


def test_newsml12_revision_is_cut_from_the_public_identifier() -> None:
    """Every revision of a NewsML 1.2 item shares the uri; the RevisionId is the version."""
    first = story_identity(_item(format="newsml-1.2", guid="urn:newsml:example.org:20310304:doc-9x:1", version="1"))
    third = story_identity(_item(format="newsml-1.2", guid="urn:newsml:example.org:20310304:doc-9x:3", version="3"))
    assert first.uri == third.uri == "urn:newsml:example.org:20310304:doc-9x"
    assert (first.version, third.version) == (1, 3)


def test_opaque_source_versions_are_labels_not_ordinals() -> None:
    """A transmission number used as version (Reuters G2) orders nothing: label only."""
    found = story_identity(_item(guid="tag:example.org,2031:newsml_X1", version="978556838"))
    assert found.version is None and found.label == "978556838"


def test_agency_version_suffix_of_a_nitf_doc_id_is_data() -> None:
    """dpa's NITF doc-id carries the version's time after a colon: cut off, as data."""
    one = story_identity(_item(format="nitf", agency="dpa", guid="urn-newsml-dpa-com-20310304-99-1:1560755878000"))
    two = story_identity(_item(format="nitf", agency="dpa", guid="urn-newsml-dpa-com-20310304-99-1:1560759999000"))
    assert one.uri == two.uri == "urn:wirefeed:dpa:urn-newsml-dpa-com-20310304-99-1"


def test_web_page_is_identified_by_the_sites_id_not_its_words() -> None:
    """An edited headline changes the words of the address, not the story."""
    a = story_identity(_item(format="html", guid="https://www.example.org/tr/gundem/eski-baslik/3126809"))
    b = story_identity(_item(format="html", guid="https://example.org/tr/gundem/yeni-baslik/3126809?utm_source=x"))
    assert a.uri == b.uri == "urn:wirefeed:web:example.org:3126809" and a.basis == "url"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/article/ferry-2322c62e67e6c1316b3ce043e66cff62", "2322c62e67e6c1316b3ce043e66cff62"),
        ("https://example.org/science/article216742303/Harbour.html", "216742303"),
        ("https://example.org/Home/NewsDetails?NewsID=5309324", "5309324"),
        ("https://example.org/about/contact", None),
    ],
)
def test_page_ids(url: str, expected: str | None) -> None:
    """The site's id is found in the usual places of an address."""
    assert page_id(url) == expected


def test_canonical_url_folds_what_never_changes_the_page() -> None:
    """Scheme, www., tracking parameters, fragment and trailing slash are folded."""
    assert canonical_url("http://www.example.org/a/b/?utm_campaign=x&id=2#top") == "https://example.org/a/b?id=2"


def test_a_ninjs_uri_that_is_an_address_stays_the_sources_id() -> None:
    """Only page formats read their guid as a web address."""
    found = story_identity(_item(format="ninjs", guid="https://api.example.org/content/0a1b2c3d?qt=zz"))
    assert found.uri == "https://api.example.org/content/0a1b2c3d?qt=zz" and found.basis == "guid"


def test_anpa_writethrus_share_the_keyword_family_of_their_day() -> None:
    """AP's keyword without the version words names the story within its day."""
    extra = (("anpa1312:keyword_line", "BC-US--Harbour-Ferry Line"),)
    first = story_identity(_item(format="anpa1312", agency="ap", version_created=DAY, extra=extra))
    lead = story_identity(
        _item(
            format="anpa1312",
            agency="ap",
            version_created=DAY,
            extra=(("anpa1312:keyword_line", "BC-US--Harbour-Ferry Line, 2nd Ld-Writethru"),),
        )
    )
    assert first.uri == lead.uri and first.basis == "slug"
    assert (first.version, lead.version) == (None, 3)
    next_day = story_identity(
        _item(format="anpa1312", agency="ap", version_created=When(datetime(2031, 3, 6, 15, tzinfo=UTC)), extra=extra)
    )
    assert next_day.uri != first.uri


def test_reuters_update_and_correction_words_are_versions_of_one_family() -> None:
    """'UPDATE 2-' and 'CORRECTED-' prefixes name versions, not other stories."""
    base = {"format": "reuters21578", "agency": "reuters", "first_created": DAY}
    plain = story_identity(_item(**base, guid="urn:wirefeed:reuters21578:10", headline="HARBOUR FERRY LINE OPENS"))
    fixed = story_identity(
        _item(**base, guid="urn:wirefeed:reuters21578:11", headline="CORRECTED - HARBOUR FERRY LINE OPENS")
    )
    assert plain.uri == fixed.uri and plain.basis == "slug"
    assert family_name("UPDATE 2-Harbour ferry line opens") == "harbour-ferry-line-opens"


def test_version_words() -> None:
    """The n-th lead is version n+1; markers in a capitals headline count only where wires put them."""
    assert version_words("BC-US--Ferry, 1st Ld-Writethru")[:2] == (2, "update")
    assert version_words("UPDATE 3-Ferry line opens")[:2] == (4, "update")
    assert version_words("CORRECTED - FERRY LINE OPENS")[1] == "correction"
    assert version_words("CITY CORRECTS SIZE OF FERRY ORDER")[1] is None
    assert version_words("TOWN WILL REFILE ITS FERRY APPLICATION")[1] is None


def test_without_any_name_the_content_is_the_address() -> None:
    """No id, no page, no keyword: agency, headline and body are hashed."""
    a = story_identity(_item(format="webtext", agency="aa"))
    b = story_identity(_item(format="webtext", agency="aa"))
    c = story_identity(_item(format="webtext", agency="aa", headline="Another story"))
    assert a.uri == b.uri != c.uri and a.basis == "content" and not a.from_source


def test_normalise_and_ingest_use_the_same_identity() -> None:
    """The article uri and the wire.raw key come from one function."""
    from pipeline.ingest import story_key

    raw = (
        b'<?xml version="1.0"?><newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:example.org:'
        b'20310304:k-1" version="2" standard="NewsML-G2"><itemMeta><itemClass qcode="ninat:text"/></itemMeta>'
        b"<contentMeta><headline>Harbour ferry line opens</headline></contentMeta><contentSet><inlineXML>"
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>The new line opened.</p></body></html></inlineXML>'
        b"</contentSet></newsItem>"
    )
    from pipeline.records import RawDispatch
    from pipeline.stages.flow import parse_dispatch

    (item,) = parse_dispatch(RawDispatch(raw))
    assert story_key(raw, ()) == story_uri(item).encode() == b"urn:newsml:example.org:20310304:k-1"
