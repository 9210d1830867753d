"""The XML wire parsers (NewsML-G2, NewsML 1.2, NITF, Ritzau RBNews) over the real corpus.

Files are read in place (never copied); the dpa sample is a tar (named .tar.xz but not
compressed) read member by member into memory. Two kinds of test:

- golden: several real files per parser, with exact expected identifiers, dates with
  their zone, datelines, status and IPTC subject codes (short metadata only);
- sweep: every XML item of the corpus, checked against an independent reading of the
  source tree: an item has a headline wherever its source prints one and a body wherever
  its source carries body text; a dispatch may fail only for a reason the source shows
  (a fragment with no item root, or no text at all). Run with ``-s`` for the table of
  counts per format.
"""

from __future__ import annotations

import tarfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from pipeline.errors import EmptyDispatchError, PipelineError, UnknownFormatError
from pipeline.parsers import load_all
from pipeline.parsers._xml import parse_xml
from pipeline.records import Dateline, ParsedItem, When
from tests.corpus_files import SKIP_REASON, corpus_params, corpus_root, require_corpus

pytestmark = pytest.mark.corpus

SD = "agency-formats/superdesk-core-fixtures"
DPA_TAR = ("agency-formats", "dpa-newsml-g2", "20170629-dpa-sample.tar.xz")
#: (folder, glob) of every XML file in the corpus the XML parsers own
XML_SETS = (
    ("iptc/newsml-g2", "*"),
    (f"{SD}/newsml-g2", "*"),
    (f"{SD}/newsml-1.2", "*"),
    (f"{SD}/nitf", "*"),
    (f"{SD}/ritzau-xml", "*"),
    ("agency-formats/afp-newsml-1.2-arabic", "**/*.xml"),
    ("agency-formats/dpa-newsml-g2/images", "*.xml"),
    ("agency-formats/extra", "H00[1-9]__*"),
    ("agency-formats/extra", "H01[0-4]__*"),
    ("agency-formats/extra", "H02[2-7]__*"),
    ("agency-formats/extra", "H05[7-9]__*"),
)
ITEM_ROOTS = frozenset({"newsItem", "newsMessage", "packageItem", "NewsML", "nitf", "RBNews", "XMLNewsQueuedResponse"})


def _xml_params() -> list[Any]:
    params: list[Any] = []
    for under, pattern in XML_SETS:
        params.extend(p for p in corpus_params(pattern, under=under) if p.id != "corpus-absent")
    return params or [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=SKIP_REASON))]


@cache
def _dpa_members() -> dict[str, bytes]:
    """The dpa sample's files by base name, read from the tar in memory (never extracted)."""
    path = corpus_root().joinpath(*DPA_TAR)
    members: dict[str, bytes] = {}
    with tarfile.open(path, mode="r:") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                members[Path(member.name).name] = handle.read()
    return members


def _dpa_names() -> list[Any]:
    path = corpus_root().joinpath(*DPA_TAR)
    if not path.exists():
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=SKIP_REASON))]
    return [pytest.param(name, id=name) for name in sorted(_dpa_members())]


def _parse(raw: bytes) -> list[ParsedItem]:
    return list(load_all().detect(raw, ()).parse(raw, ()))


def _when(when: When | None) -> tuple[str, str] | None:
    return None if when is None else (when.value.isoformat(), when.zone)


def _summary(item: ParsedItem) -> dict[str, Any]:
    """The fields the golden tests compare, in comparable form."""
    return {
        "format": item.format,
        "type": item.type,
        "guid": item.guid,
        "version": item.version,
        "agency": item.agency,
        "language": item.language,
        "headline": item.headline,
        "dateline": item.dateline,
        "first_created": _when(item.first_created),
        "version_created": _when(item.version_created),
        "content_created": _when(item.content_created),
        "embargoed_until": _when(item.embargoed_until),
        "pub_status": item.pub_status,
        "urgency": item.urgency,
        "slugline": item.slugline,
        # the source's own coding; media topics mapped from its subject codes are "mapped"
        "iptc": tuple(f"{s.scheme}:{s.code}" for s in item.subjects if s.uri and s.creator != "mapped"),
        "subjects": sum(1 for s in item.subjects if s.creator != "mapped"),
        "mapped": tuple(f"{s.scheme}:{s.code}" for s in item.subjects if s.creator == "mapped"),
        "entities": tuple((e.name, e.kind, e.rel, e.literal, e.country) for e in item.entities),
        "blocks": len(item.body),
        "kinds": tuple(sorted({block.kind for block in item.body})),
        "associations": tuple((a.name, a.type, len(a.renditions)) for a in item.associations),
        "renditions": len(item.renditions),
    }


# --------------------------------------------------------------------------- golden cases
# (path under the corpus, index of the item in the dispatch, number of items, expected values)
GOLDEN: tuple[tuple[str, int, int, dict[str, Any]], ...] = (
    (
        f"{SD}/newsml-g2/dpa.xml",
        0,
        1,
        {
            "format": "newsml-g2",
            "guid": "urn:newsml:dpa.com:20090101:221011-930-4303",
            "version": "1",
            "agency": "dpa",
            "language": "de",
            "headline": "Eintracht in London: Hintereggers Tränen und Attacke auf Reporter",
            "dateline": Dateline(raw="London (dpa) -", place="London", agency="dpa"),
            "version_created": ("2022-10-11T11:14:42+02:00", ""),
            "pub_status": "usable",
            "urgency": 4,
            "iptc": ("medtop:20001065", "subj:15054000"),
            "blocks": 3,
            "mapped": (),
            "entities": (
                ("London", "place", "located", None, None),
                ("Deutschland", "place", "subject", "dpacountry:1", "DE"),
                ("Hessen", "place", "subject", "dpaarea:7", "DE"),
                ("Großbritannien", "place", "subject", "dpacountry:54", "GB"),
                ("International", "place", "subject", "dpacountry:196", None),
                (
                    "Tottenham Hotspur Stadium, High Road 782, N17 , Vereinigtes Königreich",
                    "place",
                    "subject",
                    "ID0E2E",
                    "GB",
                ),
            ),
        },
    ),
    (
        f"{SD}/newsml-g2/tag_reuters.com_2014_newsml_KBN0FL0NN_version_5",
        0,
        1,
        {
            "guid": "tag_reuters.com_2014_newsml_KBN0FL0NN",
            "version": "5",
            "agency": "reuters",
            "language": "en-US",
            "headline": "Confident Assad launches new term in stronger position",
            "dateline": Dateline(raw="2014-07-16 15:53:10 GMT+00:00", date_text="2014-07-16 15:53:10 GMT+00:00"),
            "first_created": ("2014-07-16T08:10:15+00:00", ""),
            "version_created": ("2014-07-16T15:53:10+00:00", ""),
            "slugline": "US-SYRIA-CRISIS-ASSAD",
            "iptc": (
                "subj:02000000",
                "subj:04005000",
                "subj:04016014",
                "subj:11001002",
                "subj:11002000",
                "subj:11003000",
                "subj:11007000",
                "subj:12010000",
                "subj:16003000",
                "subj:16009000",
            ),
            "subjects": 28,
            "blocks": 26,
            "mapped": (
                "medtop:02000000",
                "medtop:20000256",
                "medtop:20000170",
                "medtop:20000604",
                "medtop:20000639",
                "medtop:20000574",
                "medtop:20000592",
                "medtop:20000677",
                "medtop:20000065",
                "medtop:20000062",
            ),
            "entities": (
                ("Bangalore", "place", "located", "Bangalore", None),
                ("N2:SA", "place", "subject", "N2:SA", None),
                ("N2:SY", "place", "subject", "N2:SY", None),
            ),
        },
    ),
    (
        f"{SD}/newsml-g2/tag_reuters.com,0000_newsml_ISS149709_1618095828",
        0,
        1,
        {
            "guid": "tag:reuters.com,0000:newsml_ISS149709",
            "version": "1618095828",
            "headline": "Soccer-Turkish championship results and standings",
            "iptc": ("subj:15054000", "subj:15000000"),
            "blocks": 1,
            "kinds": ("pre",),
        },
    ),
    (
        f"{SD}/newsml-g2/tag_reuters.com,0000_newsml_L4N1FL0N0_1132689232",
        0,
        1,
        {
            "guid": "tag:reuters.com,0000:newsml_L4N1FL0N0",
            "slugline": "GLOBAL-PRECIOUS/ (UPDATE 1)",
            "version_created": ("2017-01-31T03:47:29+00:00", ""),
            "blocks": 18,
            "kinds": ("p",),
        },
    ),
    (
        f"{SD}/newsml-g2/stt1.xml",
        0,
        1,
        {
            "guid": "urn:newsml:stt.fi::102736761",
            "version": "2",
            "agency": "stt",
            "language": "fi-FI",
            "headline": "Mikko Moilanen siirtyy Revenion toimitusjohtajaksi",
            "dateline": Dateline(raw="Helsinki", place="Helsinki"),
            "first_created": ("2019-04-15T11:12:24+03:00", "Europe/Helsinki"),
            "version_created": ("2019-04-15T13:49:15+03:00", "Europe/Helsinki"),
            "content_created": ("2019-04-15T11:12:24+03:00", "Europe/Helsinki"),
            "urgency": 3,
            "blocks": 4,
        },
    ),
    (
        f"{SD}/newsml-g2/ansa-newsmlg2-text.xml",
        0,
        1,
        {
            "guid": "tag:ansa.it,2017-10-11:40e5fb1034e7e2b21942ea09718fc85a",
            "agency": "ansa",
            "headline": "Catalan independence declaration unacceptable - Alfano",
            "first_created": ("2017-10-11T10:41:00+01:00", ""),
            "urgency": 5,
            "blocks": 4,
            "associations": (("picture1", "picture", 1),),
        },
    ),
    (
        f"{SD}/newsml-g2/ap.xml",
        1,
        3,
        {
            "guid": "tag:ap.org,2011:b6d5d4eb781939b5fe8722f3fba28ee2-text",
            "version": "2",
            "agency": "ap",
            "headline": "DiamondRock Hospitality posts 4Q FFO of $50.7 million, results top expectations",
            "dateline": Dateline(raw="BETHESDA, Md.", place="BETHESDA, Md."),
            "first_created": ("2018-02-26T21:22:18+00:00", ""),
            "version_created": ("2018-02-26T21:22:17+00:00", ""),
            "content_created": ("2018-02-26T21:22:09+00:00", ""),
            "slugline": "BC-US--Earns-DiamondRock Hospitality, 1st Ld-Writethru",
            "blocks": 11,
        },
    ),
    (
        "agency-formats/extra/H058__reuters-en-newsmlg2-picture__picture.xml",
        0,
        1,
        {
            "type": "picture",
            "guid": "tag:reuters.com,0000:newsml_GM1E9341HD701",
            "version": "360624134",
            "headline": "A woman casts her ballot inside a polling station in Kenya's town of Gatundu",
            "slugline": "KENYA-ELECTIONS/",
            "iptc": ("subj:11000000", "subj:11003000"),
            "blocks": 0,
            "renditions": 3,
        },
    ),
    (
        "agency-formats/extra/H057__reuters-en-newsmlg2-video__video.xml",
        2,
        5,
        {
            "type": "video",
            "guid": "tag:reuters.com,2013:newsml_LOVE9230WHZNS",
            "version": "1",
            "version_created": ("2013-03-04T11:48:41+00:00", ""),
            "renditions": 11,
        },
    ),
    (
        "agency-formats/extra/H005__businessdesk-nz-en-newsmlg2__scoop.xml",
        0,
        1,
        {
            "guid": "BD-20160112123540",
            "version": "3",
            "agency": "businessdesk",
            "headline": (
                "Dick Smith receivers install Don Grover as acting CEO as Abboud quits; retailer put up for sale"
            ),
            "version_created": ("2016-01-12T12:35:40+13:00", "Pacific/Auckland"),
            "blocks": 9,
        },
    ),
    (
        "iptc/newsml-g2/LISTING_3_Photo_in_NewsML-G2.xml",
        0,
        1,
        {
            "type": "picture",
            "guid": "tag:gettyimages.com,2010:GYI0062134533",
            "version": "11",
            "content_created": ("2010-10-20T19:45:58-04:00", ""),
            "iptc": ("medtop:20000523", "medtop:20000533"),
            "renditions": 3,
        },
    ),
    (
        f"{SD}/newsml-1.2/afp.xml",
        0,
        1,
        {
            "format": "newsml-1.2",
            "guid": "urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86:1",
            "version": "1",
            "agency": "afp",
            "language": "en",
            "headline": "Sweden court accepts receivership for Saab carmaker",
            "dateline": Dateline(
                raw="STOCKHOLM, Aug 29, 2014 (AFP) -", place="STOCKHOLM", agency="AFP", date_text="Aug 29, 2014"
            ),
            "first_created": ("2014-08-29T13:49:51+00:00", ""),
            "urgency": 4,
            "slugline": "Sweden-SAAB",
            "iptc": ("subj:04011002", "subj:04016007", "subj:04000000", "subj:04016038", "subj:04011000"),
            "blocks": 10,
            "mapped": ("medtop:20000296", "medtop:20000174", "medtop:04000000", "medtop:20000180", "medtop:20000294"),
            "entities": (("Stockholm", "place", "located", None, "SE"),),
        },
    ),
    (
        f"{SD}/newsml-1.2/afp20.xml",
        0,
        1,
        {
            "guid": "urn:newsml:afp.com:20240710:240710125902.qpsp2jzk:1",
            "language": "fr",
            "headline": "Décès de Naomi Musenga: l'opératrice du Samu définitivement condamnée",
            "dateline": Dateline(
                raw="Strasbourg, 10 juil 2024 (AFP)", place="Strasbourg", agency="AFP", date_text="10 juil 2024"
            ),
            "version_created": ("2024-07-10T12:59:02+00:00", ""),
            "slugline": "procès-santé-secours",
            "blocks": 2,
        },
    ),
    (
        f"{SD}/newsml-1.2/ana1.xml",
        0,
        1,
        {
            "guid": "urn:newsml:ana-mpe.gr:20180404:19336333:1",
            "agency": "ana",
            "language": "en",
            "headline": "Wage employment balance positive in Jan-March",
            "dateline": Dateline(raw="4/4/2018", date_text="4/4/2018"),
            "first_created": ("2018-04-04T17:58:59+03:00", ""),
            "iptc": ("subj:09003000", "subj:09003002", "subj:04008004"),
            "mapped": ("medtop:09000000", "medtop:20000346"),
            "blocks": 4,
        },
    ),
    (
        "agency-formats/extra/H022__afp-ar-newsml1.2__newsmlmmd.urn.newsml.afp.com.20200613.doc.1td4jm.xml",
        0,
        1,
        {
            "guid": "urn:newsml:afp.com:20200613:doc-1td4jm:1",
            "agency": "afp",
            "language": "ar",
            "dateline": Dateline(raw="باريس (أ ف ب)", place="باريس", agency="أ ف ب"),
            "version_created": ("2020-06-13T10:25:10+00:00", ""),
            "iptc": (
                "subj:10000000",
                "subj:07002000",
                "subj:07001001",
                "subj:07001000",
                "subj:10010000",
                "subj:07000000",
            ),
            "blocks": 7,
            "associations": (("photo0", "picture", 3),),
        },
    ),
    (
        "agency-formats/afp-newsml-1.2-arabic/ARA_Media_SansSport/afp.com-20231124T192141Z-TX-PAR-EWE94.xml",
        0,
        1,
        {
            "guid": "urn:newsml:afp.com:20231124T192141Z:TX-PAR-EWE94:1",
            "headline": None,
            "urgency": 2,
            "content_created": ("2023-11-24T19:21:41+00:00", ""),
            "iptc": ("subj:11006006", "subj:16002000", "subj:11000000", "subj:16000000", "subj:11006000"),
            "blocks": 2,
        },
    ),
    (
        f"{SD}/nitf/pa5.xml",
        0,
        1,
        {
            "format": "nitf",
            "guid": "17b7b4c3-6e05-4690-b7cb-37b5c99c9a86HHH-5-1",
            "agency": "pa",
            "headline": "HARD BREXIT TO COST UK UP TO £66BN A YEAR, SAYS TREASURY",
            "version_created": ("2016-10-11T00:13:27+01:00", ""),
            "urgency": 4,
            "slugline": "PA-HHH-POLITICS-Brexit",
            "blocks": 19,
        },
    ),
    (
        f"{SD}/nitf/ap-nitf.xml",
        0,
        1,
        {
            "agency": "ap",
            "headline": "Can trading pollution like stocks help fight climate change?",
            "dateline": Dateline(raw="NEW YORK", place="NEW YORK"),
            "version_created": ("2015-12-10T19:10:44+00:00", ""),
            "blocks": 28,
        },
    ),
    (
        f"{SD}/nitf/aap-sports.xml",
        0,
        1,
        {
            "guid": "AAP.123253116.6697929",
            "agency": "aap",
            "version_created": ("2015-02-18T16:01:41+11:00", "Australia/Sydney"),
            "slugline": "RL Roosters",
            "iptc": ("subj:15000000",),
            "blocks": 5,
        },
    ),
    (
        f"{SD}/nitf/nitf-fishing.xml",
        0,
        1,
        {
            "guid": "iptc.321656141.b",
            "headline": "Weather and Tide Updates for Norfolk",
            "dateline": Dateline(raw="Newport News, VA", place="Newport News, VA"),
            "version_created": ("2002-02-25T14:30:00-05:00", ""),
            "embargoed_until": ("2002-02-26T09:30:00-05:00", ""),
            "pub_status": "canceled",
            "iptc": ("subj:17000000", "subj:17004000", "subj:04001002"),
            "mapped": ("medtop:17000000", "medtop:20001130", "medtop:20000213"),
            "entities": (
                ("Norfolk", "place", "about", None, "US"),
                ("zipcodes.usps.gov:23602", "place", "subject", "zipcodes.usps.gov:23602", None),
                ("Acme Boat Company", "organisation", "mentioned", "acm", None),
            ),
            "associations": (("media1", "picture", 1),),
        },
    ),
    (
        "agency-formats/extra/H002__canadianpress-en-nitf__handle_invalid_fields.xml",
        0,
        1,
        {
            "guid": "eed713d46d74499d86b3250fa47b341b",
            "agency": "cp",
            "dateline": Dateline(raw="Ottawa Ontario Canada", place="Ottawa, Ontario, Canada"),
            "version_created": ("2020-07-03T16:51:36-04:00", ""),
            "content_created": ("2020-07-03T16:51:36-04:00", ""),
            "urgency": 2,
        },
    ),
    (
        f"{SD}/nitf/nitf-ntb.xml",
        0,
        1,
        {
            "version": "48",
            "agency": "ntb",
            "language": "nb-NO",
            "dateline": Dateline(raw="Oslo", place="Oslo"),
            "version_created": ("2020-09-07T14:45:26+02:00", "Europe/Oslo"),
            "slugline": "faktisk-faktasjekk",
        },
    ),
    (
        f"{SD}/ritzau-xml/ritzau_feed.xml",
        1,
        2,
        {
            "format": "ritzau-rbnews",
            "guid": "4b9c198d-d6ec-4a7f-a4e9-551d9a5cba13",
            "agency": "ritzau",
            "headline": "Kort om sport",
            "dateline": Dateline(raw="København /ritzau/", place="København", agency="ritzau"),
            "version_created": ("2018-02-01T18:38:49.417000+01:00", "Europe/Copenhagen"),
            "slugline": "PRINT/NOTE/SPORT-3",
            "iptc": ("subj:15000000",),
        },
    ),
    (
        "agency-formats/extra/H004__ritzau-da-rbnews__ritzau_news_test_ednote.xml",
        0,
        1,
        {
            "guid": "9a6955fc-11da-46b6-9903-439ebb288f2d",
            "headline": None,
            "dateline": Dateline(raw="Haag /ritzau/", place="Haag", agency="ritzau"),
            "version_created": ("2018-01-30T17:32:18.397000+01:00", "Europe/Copenhagen"),
            "urgency": 3,
            "blocks": 3,
        },
    ),
)


@pytest.mark.parametrize(
    ("relpath", "index", "count", "expected"),
    [pytest.param(*case, id=Path(case[0]).name) for case in GOLDEN],
)
def test_golden_fields(relpath: str, index: int, count: int, expected: dict[str, Any]) -> None:
    """A real file parses into exactly the expected identifiers, dates, dateline and codes."""
    raw = require_corpus(*relpath.split("/")).read_bytes()
    items = _parse(raw)
    assert len(items) == count
    summary = _summary(items[index])
    assert {key: summary[key] for key in expected} == expected


def test_golden_dpa_sample_item() -> None:
    """An item from the dpa tar: teaser as summary (not body), slug, dateline, no XHTML header in the body."""
    require_corpus(*DPA_TAR)
    raw = _dpa_members()["urn:newsml:dpa.com:20090101:170626-99-998860.xml"]
    (item,) = _parse(raw)
    assert (item.guid, item.version, item.slugline, item.byline) == (
        "urn:newsml:dpa.com:20090101:170626-99-998860",
        "20",
        "Arbeit/Deutschland/Bundesgerichte",
        "Von Annett Gehler, dpa",
    )
    assert item.dateline == Dateline(raw="Erfurt (dpa) -", place="Erfurt", agency="dpa")
    assert _when(item.version_created) == ("2017-06-29T17:16:38+02:00", "")
    assert item.headline == "Thyssenkrupp-Klage gegen Ex-Manager muss neu verhandelt werden"
    teaser = _xpath(parse_xml(raw), "//*[local-name()='description'][@role='drol:teaser']")
    assert item.summary == " ".join("".join(_texts(teaser[0])).split())
    assert item.body[0].text.startswith("Erfurt (dpa) - ")
    assert all(block.text not in (item.headline, item.summary, item.byline) for block in item.body)


# --------------------------------------------------------------------------- sweep
# An independent reading of the source: where items are, whether each prints a headline,
# whether it carries body text. It knows the formats' structure, not the parsers' code.


def _texts(node: etree._Element) -> Iterator[str]:
    """Text of elements (not comments) below ``node``."""
    if not isinstance(node.tag, str):
        return
    if node.text:
        yield node.text
    for kid in node:
        yield from _texts(kid)
        if isinstance(kid.tag, str) and kid.tail:
            yield kid.tail


def _has_text(nodes: list[etree._Element]) -> bool:
    return any("".join(_texts(n)).strip() for n in nodes)


def _xpath(node: etree._Element, path: str) -> list[etree._Element]:
    result = node.xpath(path)
    assert isinstance(result, list)
    return [n for n in result if isinstance(n, etree._Element)]


def _source_items(root: etree._Element) -> list[etree._Element]:
    name = etree.QName(root).localname
    if name == "newsMessage":
        return [
            i
            for i in _xpath(
                root, "./*[local-name()='itemSet']/*[local-name()='newsItem' or local-name()='packageItem']"
            )
            if i.get("guid") or _xpath(i, "./*[local-name()='itemMeta']")
        ]
    if name == "NewsML":
        return _xpath(root, "./*[local-name()='NewsItem']")
    if name == "XMLNewsQueuedResponse":
        return _xpath(root, ".//*[local-name()='RBNews']")
    return [root]


_HEADLINE_PATHS = (
    "./*[local-name()='contentMeta']/*[local-name()='headline']",
    "./*[local-name()='itemMeta']/*[local-name()='title']",
    ".//*[local-name()='NewsLines']/*[local-name()='HeadLine']",
    ".//*[local-name()='hedline']/*[local-name()='hl1']",
    "./*[local-name()='head']/*[local-name()='title']",
    "./*[local-name()='headline']",
)
_BODY_PATHS = (
    # text bodies by their declared content type (not IPTC event or financial payloads)
    "./*[local-name()='contentSet']/*[local-name()='inlineXML' or local-name()='inlineData']"
    "[contains(@contenttype, 'html') or contains(@contenttype, 'nitf') or contains(@contenttype, 'text')]",
    ".//*[local-name()='ContentItem'][*[local-name()='MediaType']/@FormalName='Text']/*[local-name()='DataContent']",
    ".//*[local-name()='body.content']",
    "./*[local-name()='content']",
)


def _source_has(item: etree._Element, paths: tuple[str, ...]) -> bool:
    return any(_has_text(_xpath(item, p)) for p in paths)


COUNTS: dict[str, Counter[str]] = defaultdict(Counter)


def _check_dispatch(name: str, raw: bytes) -> None:
    root = parse_xml(raw)
    try:
        items = _parse(raw)
    except UnknownFormatError:
        COUNTS["(no parser)"]["fragment (no item root)"] += 1
        assert etree.QName(root).localname not in ITEM_ROOTS, f"{name}: an item root was not recognised"
        return
    except EmptyDispatchError as exc:
        sources = _source_items(root)
        COUNTS[exc.format or "?"]["dead letter: no text"] += 1
        assert not any(_source_has(s, _HEADLINE_PATHS) or _source_has(s, _BODY_PATHS) for s in sources), (
            f"{name}: refused as empty but the source has text"
        )
        return
    except PipelineError as exc:  # any other failure is a defect
        pytest.fail(f"{name}: {exc}")
    sources = _source_items(root)
    assert len(items) == len(sources), f"{name}: {len(items)} items for {len(sources)} in the source"
    for item, source in zip(items, sources, strict=True):
        counts = COUNTS[item.format]
        counts["items"] += 1
        counts[f"type {item.type}"] += 1
        counts["with headline"] += bool(item.headline)
        counts["with body"] += bool(item.body)
        if _source_has(source, _HEADLINE_PATHS):
            assert item.headline, f"{name} {item.guid}: the source prints a headline"
        if _source_has(source, _BODY_PATHS):
            assert item.body, f"{name} {item.guid}: the source has body text"
            assert all(block.text.strip() for block in item.body)
        elif item.type == "text":
            counts["text without body in the source"] += 1


@pytest.mark.parametrize("path", _xml_params())
def test_sweep_corpus_file(path: Path) -> None:
    """Every XML file: headline and body wherever the source has them; failures only for shown reasons."""
    _check_dispatch(path.name, path.read_bytes())


@pytest.mark.parametrize("member", _dpa_names())
def test_sweep_dpa_sample(member: str) -> None:
    """Every item of the dpa tar: a German text with headline and body."""
    raw = _dpa_members()[member]
    _check_dispatch(member, raw)
    (item,) = _parse(raw)
    assert (item.type, item.agency, item.language) == ("text", "dpa", "de")
    assert item.headline and item.body


def test_sweep_counts_per_format() -> None:
    """Print what the sweep saw per format (run after the sweep; -s shows the table)."""
    if not COUNTS:
        pytest.skip("the sweep tests did not run in this session")
    width = max(len(k) for k in COUNTS)
    for fmt in sorted(COUNTS):
        row = ", ".join(f"{key}: {value}" for key, value in sorted(COUNTS[fmt].items()))
        print(f"{fmt:<{width}}  {row}")
    assert sum(c["items"] for c in COUNTS.values()) > 0
