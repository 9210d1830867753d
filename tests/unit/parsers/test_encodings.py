"""Encodings through the parse stage: each dispatch is decoded right, repaired, or refused with a reason.

The dispatches are invented text in real formats (NITF, NewsML-G2, ninjs, IPTC 7901,
Reuters-21578 SGML, HTML), written in the byte encodings agencies send: declared and
undeclared cp1251, cp1252 and Latin-1, UTF-16 with a byte-order mark, charsets that lie,
UTF-8 read twice (mojibake), a lone raw byte in an SGML story. Every case goes through
``flow.parse_dispatch`` (format detection, then the parser), the way a raw record does.
"""

from __future__ import annotations

import codecs

import pytest

from pipeline.errors import DecodeError, ParseError, PipelineError
from pipeline.records import ParsedItem, RawDispatch
from pipeline.stages.flow import parse_dispatch


def _parse(raw: bytes, content_type: str | None = None) -> list[ParsedItem]:
    headers = (("content-type", content_type.encode()),) if content_type else ()
    return list(parse_dispatch(RawDispatch(raw, headers)))


def _nitf(headline: str, paragraph: str, encoding: str | None) -> str:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else ""
    return (
        f"{declaration}<nitf><head><title>{headline}</title></head><body><body.head><hedline><hl1>{headline}</hl1>"
        f"</hedline></body.head><body.content><p>{paragraph}</p></body.content></body></nitf>"
    )


def _g2(headline: str, paragraph: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:test:enc:1" version="1">'
        '<itemMeta><itemClass qcode="ninat:text"/></itemMeta>'
        f"<contentMeta><headline>{headline}</headline></contentMeta>"
        '<contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<body><p>{paragraph}</p></body></html></inlineXML></contentSet></newsItem>"
    )


def _ninjs(headline: str, body: str) -> str:
    return (
        '{"uri": "urn:test:enc:2", "type": "text", "version": "1", "language": "fr", '
        f'"headline": "{headline}", "body_text": "{body}"}}'
    )


def _iptc7901(headline: str, paragraph: str) -> str:
    return (
        "\x01ecz0001 4 i 40  dpa 0001\r\n\r\nTest/\r\n\x02"
        f"{headline} =\r\n\r\n   Nordstadt (dpa) - {paragraph}\r\n\r\n\x03101010 GMT Mar 10\r\n\x04"
    )


# --------------------------------------------------------------------------- decoded right


@pytest.mark.parametrize(
    ("raw", "content_type", "headline", "body"),
    [
        pytest.param(
            _nitf("Мост открыт", "Новый мост через реку открыт в субботу.", "windows-1251").encode("cp1251"),
            None,
            "Мост открыт",
            "Новый мост через реку открыт в субботу.",
            id="cp1251-declared-in-xml",
        ),
        pytest.param(
            _iptc7901("Новая паромная линия", "Паром начнет ходить в мае, сообщила компания.").encode("cp1251"),
            "text/plain; charset=windows-1251",
            "Новая паромная линия",
            "Паром начнет ходить в мае, сообщила компания.",
            id="cp1251-declared-in-header",
        ),
        pytest.param(
            _nitf("“Price” of the €5 ticket", "Fares rise – again, said the operator.", "windows-1252").encode(
                "cp1252"
            ),
            None,
            "“Price” of the €5 ticket",
            "Fares rise – again, said the operator.",
            id="cp1252-declared-in-xml",
        ),
        pytest.param(
            _iptc7901("Fähre fährt wieder", "Die Fähre kostet 5 € – sagte die Reederei.").encode("cp1252"),
            None,
            "Fähre fährt wieder",
            "Die Fähre kostet 5 € – sagte die Reederei.",
            id="cp1252-undeclared-7901-convention",
        ),
        pytest.param(
            _nitf("Élection à Besançon", "Le maire a été réélu dimanche.", "ISO-8859-1").encode("latin-1"),
            None,
            "Élection à Besançon",
            "Le maire a été réélu dimanche.",
            id="latin1-declared-in-xml",
        ),
        pytest.param(
            _nitf("Élection à Besançon", "Le maire a été réélu dimanche.", None).encode("latin-1"),
            None,
            "Élection à Besançon",
            "Le maire a été réélu dimanche.",
            id="latin1-undeclared-xml",
        ),
        pytest.param(
            codecs.BOM_UTF16_LE + _g2("Überfahrt nach Süderoog", "Die Fähre legt um 7 Uhr ab.").encode("utf-16-le"),
            None,
            "Überfahrt nach Süderoog",
            "Die Fähre legt um 7 Uhr ab.",
            id="utf16le-bom-newsml-g2",
        ),
        pytest.param(
            codecs.BOM_UTF16_BE + _ninjs("Fête à Orléans", "La fête commence à midi.").encode("utf-16-be"),
            None,
            "Fête à Orléans",
            "La fête commence à midi.",
            id="utf16be-bom-ninjs",
        ),
        pytest.param(
            _nitf("Élection à Besançon", "Le maire a été réélu dimanche.", "ISO-8859-1").encode("utf-8"),
            None,
            "Élection à Besançon",
            "Le maire a été réélu dimanche.",
            id="mislabelled-latin1-declaration-over-utf8",
        ),
        pytest.param(
            _ninjs("Fête à Orléans", "La fête commence à midi.").encode("latin-1"),
            "application/json; charset=utf-8",
            "Fête à Orléans",
            "La fête commence à midi.",
            id="mislabelled-utf8-header-over-latin1",
        ),
        pytest.param(
            _nitf("Fête à Orléans", "La fête commence à midi.", "UTF-8").encode("utf-8").decode("latin-1").encode(),
            None,
            "Fête à Orléans",
            "La fête commence à midi.",
            id="mojibake-utf8-read-twice",
        ),
    ],
)
def test_text_is_decoded_or_repaired(raw: bytes, content_type: str | None, headline: str, body: str) -> None:
    """Declared, undeclared and mislabelled encodings all give the words as written."""
    (item,) = _parse(raw, content_type)
    assert item.headline == headline
    assert item.body_text() == body


def test_raw_byte_in_an_sgml_story_is_decoded_and_recorded() -> None:
    """A lone 0xFC in a Reuters-21578 story (as in reut2-017.sgm) reads as cp1252 "ü" and is noted."""
    story = (
        b'<REUTERS NEWID="900001"><DATE>2-JUN-1987 09:14:36.57</DATE><TOPICS></TOPICS>'
        b"<TEXT><TITLE>MILL OUTPUT RISES</TITLE><DATELINE>    ZURICH, June 2 - </DATELINE>"
        b"<BODY>The mill said output rose in M\xfcnchen and Basel.\n Reuter\n&#3;</BODY></TEXT></REUTERS>"
    )
    (item,) = _parse(story, "application/sgml")
    assert item.body_text() == "The mill said output rose in München and Basel."
    assert ("reuters21578:decoded", "cp1252, repaired") in item.extra


# --------------------------------------------------------------------------- refused with a reason


@pytest.mark.parametrize(
    ("raw", "error", "reason"),
    [
        pytest.param(
            _g2("Title", "Text.").encode("utf-16-le"),
            DecodeError,
            "binary data, not text",
            id="utf16-without-bom",
        ),
        pytest.param(
            codecs.BOM_UTF16_LE + _g2("Title", "Text.").encode("utf-16-le")[:-1],
            DecodeError,
            "bytes after the utf-16-le byte-order mark are not utf-16-le",
            id="truncated-utf16",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<nitf><body>\x00\x01\x02\x03' + bytes(range(256)) * 4,
            DecodeError,
            "not text: invalid UTF-8",
            id="binary-body-declared-xml",
        ),
        pytest.param(
            _nitf("Título", "Texto.", "no-such-charset").encode("utf-8")[:-20],
            ParseError,
            "malformed XML",
            id="unknown-charset-and-truncated",
        ),
    ],
)
def test_undecodable_bytes_are_refused_with_a_reason(raw: bytes, error: type[PipelineError], reason: str) -> None:
    """Bytes that are not text, or not what they claim, end as a PipelineError that says why."""
    with pytest.raises(error, match=reason):
        _parse(raw)
