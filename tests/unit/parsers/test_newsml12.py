"""NewsML 1.2 parser on invented fixtures in the shapes AFP and ANA-MPA send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.parsers import load_all
from pipeline.parsers.newsml12 import NewsML12Parser
from pipeline.records import Association, Block, Dateline, Entity, Party, Rendition, Subject

FIXTURES = Path(__file__).parent / "fixtures" / "xml"
PARSER = NewsML12Parser()
PLUS1 = timezone(timedelta(hours=1))


def _parse(name: str) -> list:
    return list(PARSER.parse((FIXTURES / name).read_bytes(), ()))


def test_each_news_item_becomes_an_item() -> None:
    """A NewsML document with two NewsItems yields two items with their identifiers and revisions."""
    items = _parse("newsml12_afp_latin1.xml")
    assert [(i.guid, i.version) for i in items] == [
        ("urn:newsml:afp.com:20240304:doc-test01:2", "2"),
        ("urn:newsml:afp.com:20240304:TX-TEST-ALERT:1", "1"),
    ]


def test_iso_8859_1_document_decodes_accents() -> None:
    """Latin-1 bytes declared ISO-8859-1 decode to the right accented text."""
    item = _parse("newsml12_afp_latin1.xml")[0]
    assert item.headline == "La neige ralentit les trains entre Lyon et Genève"
    assert item.body == (
        Block(
            "Les chutes de neige ont ralenti lundi la circulation des trains entre Lyon et Genève, "
            "a indiqué la compagnie."
        ),
        Block("Les voyageurs sont invités à reporter leur départ."),
    )


def test_utf8_bytes_mislabelled_iso_8859_1_read_as_utf8() -> None:
    """The same document as UTF-8 bytes under an ISO-8859-1 declaration is not turned into mojibake."""
    raw = (FIXTURES / "newsml12_afp_latin1.xml").read_bytes().decode("iso-8859-1").encode("utf-8")
    item = PARSER.parse(raw, ())[0]
    assert item.headline == "La neige ralentit les trains entre Lyon et Genève"
    assert item.slugline == "météo-neige"


def test_news_lines_management_and_metadata() -> None:
    """Dateline, dates (basic ISO 8601), status, urgency, subjects, keywords, genre and rights."""
    item = _parse("newsml12_afp_latin1.xml")[0]
    assert item.agency == "afp"
    assert item.language == "fr"
    assert item.dateline == Dateline(
        raw="Lyon, 4 mars 2024 (AFP) -", place="Lyon", agency="AFP", date_text="4 mars 2024"
    )
    assert item.first_created is not None and item.first_created.value == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    assert item.version_created is not None
    assert (item.version_created.value, item.version_created.original) == (
        datetime(2024, 3, 4, 10, 10, tzinfo=PLUS1),
        "20240304T101000+0100",
    )
    assert item.content_created is not None and item.content_created.value == datetime(2024, 3, 4, 8, 0, tzinfo=PLUS1)
    assert item.pub_status == "usable"
    assert item.embargoed_until is not None
    assert item.embargoed_until.value == datetime(2024, 3, 4, 12, 0, tzinfo=PLUS1)
    assert item.urgency == 3
    assert item.byline == "Camille Exemple"
    assert item.slugline == "météo-neige"
    assert item.subjects == (
        Subject(uri="http://cv.iptc.org/newscodes/subjectcode/17000000", code="17000000", scheme="subj"),
        Subject(uri="http://cv.iptc.org/newscodes/subjectcode/17004000", code="17004000", scheme="subj"),
        Subject(
            name="weather",
            uri="http://cv.iptc.org/newscodes/mediatopic/17000000",
            code="17000000",
            scheme="medtop",
            creator="mapped",
        ),
        Subject(
            uri="http://cv.iptc.org/newscodes/mediatopic/20001130", code="20001130", scheme="medtop", creator="mapped"
        ),
    )
    assert item.keywords == ("neige", "trains")
    assert item.genres == (Subject(name="weather"),)
    assert item.copyright_notice == "© 2024 AFP"
    assert item.usage_terms == "NO ARCHIVAL USE"
    assert item.contributors == (Party("Camille Exemple", "creator"),)
    # the origin Location is the place the item was filed from; ISO alpha-3 "FRA" becomes "FR"
    assert item.entities == (Entity("Lyon", "place", "located", country="FR", feature="city"),)
    assert not [key for key, _ in item.extra if key == "located"]


def test_photo_component_becomes_association_with_caption_and_renditions() -> None:
    """AFP's photo NewsComponent is an association, not body text; the in-body media reference is dropped."""
    item = _parse("newsml12_afp_latin1.xml")[0]
    assert item.associations == (
        Association(
            name="photo0",
            type="picture",
            headline="Un train sous la neige près de Lyon",
            caption="Un train régional sous la neige près de Lyon, le 4 mars 2024.",
            credit="AFP/Archives",
            renditions=(
                Rendition("HighDef", "train-high.jpg", "image/jpeg", 1024, 768, 204800),
                Rendition("Thumbnail", "train-thumb.jpg", "image/jpeg"),
            ),
        ),
    )


def test_alert_without_headline_keeps_its_nitf_text() -> None:
    """An AFP alert has an empty HeadLine: no headline, the alert text is the body."""
    alert = _parse("newsml12_afp_latin1.xml")[1]
    assert alert.headline is None
    assert alert.body == (Block("Trafic ferroviaire interrompu entre Lyon et Genève"),)
    assert ("newsml.item_type", "Alert") in alert.extra


def test_html_in_cdata_and_topic_names() -> None:
    """ANA-MPA's CDATA HTML body becomes paragraphs; TopicSet names the IPTC subject; other schemes kept."""
    (item,) = _parse("newsml12_ana_html.xml")
    assert item.agency == "ana"
    assert item.language == "en"
    assert item.headline == "Island village switches to solar power"
    assert item.subheadlines == ("A small harbour village now makes its own electricity.",)
    assert item.body == (
        Block("The village council said\u00a0the panels cover every roof."),
        Block("Surplus power goes to the mainland grid. Evenings run on batteries."),
    )
    assert item.subjects == (
        Subject(
            name="Energy and resource",
            uri="http://cv.iptc.org/newscodes/subjectcode/04005000",
            code="04005000",
            scheme="subj",
        ),
        Subject(code="LOCAL-7", scheme="AnaCategories"),
        Subject(
            uri="http://cv.iptc.org/newscodes/mediatopic/20000256", code="20000256", scheme="medtop", creator="mapped"
        ),
    )
    assert item.dateline == Dateline(raw="5/3/2024", date_text="5/3/2024")
    assert item.info_sources == (Party("ΑΠΕ-ΜΠΕ", "source"),)


def test_detection_by_root() -> None:
    """The registry picks newsml-1.2 for a NewsML root."""
    raw = (FIXTURES / "newsml12_ana_html.xml").read_bytes()
    assert load_all().detect(raw, ()).name == "newsml-1.2"
    assert PARSER.can_parse(b"<newsItem/>", ()) is False


NESTED_LINES = b"""<?xml version="1.0" encoding="UTF-8"?>
<NewsML>
  <NewsItem>
    <Identification><NewsIdentifier><ProviderId>example.invalid</ProviderId><DateId>20310506</DateId>
      <NewsItemId>N1</NewsItemId><RevisionId>2</RevisionId>
      <PublicIdentifier>urn:newsml:example.invalid:20310506:N1:2</PublicIdentifier></NewsIdentifier></Identification>
    <NewsComponent Duid="N1">
      <NewsComponent Duid="N1_MAIN_TEXT">
        <Role FormalName="Main Text"/>
        <NewsLines>
          <HeadLine>Neue F\xc3\xa4hre f\xc3\xbcr die Insel</HeadLine>
          <ByLine>Erika Beispiel</ByLine>
          <DateLine>6 Mai 2031</DateLine>
        </NewsLines>
        <ContentItem><MediaType FormalName="Text"/>
          <DataContent><p>Die neue F\xc3\xa4hre f\xc3\xa4hrt ab Montag.</p></DataContent></ContentItem>
      </NewsComponent>
      <NewsComponent Duid="N1_PHOTO">
        <NewsLines><HeadLine>Die F\xc3\xa4hre im Hafen</HeadLine></NewsLines>
        <ContentItem Href="faehre.jpg"><MediaType FormalName="Photo"/></ContentItem>
      </NewsComponent>
    </NewsComponent>
  </NewsItem>
</NewsML>"""


def test_news_lines_of_the_text_component_when_the_top_has_none() -> None:
    """Europa Press's shape: NewsLines on the "Main Text" component, not on the top one; a photo's never."""
    (item,) = PARSER.parse(NESTED_LINES, ())
    assert item.headline == "Neue Fähre für die Insel"
    assert item.byline == "Erika Beispiel"
    assert [a.headline for a in item.associations] == ["Die Fähre im Hafen"]


@pytest.mark.parametrize("media_type", ["text/plain", "ComplexData", "Text"])
def test_text_content_items_whatever_their_media_type_name(media_type: str) -> None:
    """A ContentItem with text in its DataContent is read as text when its MediaType is a MIME
    text type or an unknown name; a photo beside it stays an association."""
    raw = NESTED_LINES.replace(b'<MediaType FormalName="Text"/>', f'<MediaType FormalName="{media_type}"/>'.encode())
    (item,) = PARSER.parse(raw, ())
    assert [b.text for b in item.body] == ["Die neue Fähre fährt ab Montag."]
    assert [a.headline for a in item.associations] == ["Die Fähre im Hafen"]


ORIGIN_ONLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<NewsML>
  <NewsItem>
    <Identification><NewsIdentifier><ProviderId>example.invalid</ProviderId><DateId>20310506</DateId>
      <NewsItemId>P1</NewsItemId><RevisionId>1</RevisionId>
      <PublicIdentifier>urn:newsml:example.invalid:20310506:P1:1</PublicIdentifier></NewsIdentifier></Identification>
    <NewsComponent>
      <NewsLines><HeadLine></HeadLine></NewsLines>
      <DescriptiveMetadata>
        DATELINEDATE
        <Location HowPresent="Origin"><Property FormalName="Country" Value="FRA"/>
          <Property FormalName="City" Value="Portville"/></Location>
      </DescriptiveMetadata>
      <ContentItem><MediaType FormalName="Text"/>
        <DataContent><p>Fishermen unload the catch at the harbour of Portville on May 6, 2031.</p></DataContent>
      </ContentItem>
    </NewsComponent>
  </NewsItem>
</NewsML>"""


def test_dateline_in_parts_date_and_origin() -> None:
    """No printed DateLine: a DateLineDate and the Location of origin make the dateline; a Location alone does not."""
    (item,) = PARSER.parse(
        ORIGIN_ONLY.replace(b"DATELINEDATE", b"<DateLineDate>20310506T101500+0000</DateLineDate>"), ()
    )
    assert item.dateline is not None and item.dateline.place == "Portville"
    (item,) = PARSER.parse(ORIGIN_ONLY.replace(b"DATELINEDATE", b""), ())
    assert item.dateline is None
