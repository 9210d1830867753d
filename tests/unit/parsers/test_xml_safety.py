"""Safe XML reading: attack payloads become UnsafeXMLError with a clear reason; odd bytes decode or fail cleanly."""

from __future__ import annotations

import codecs
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from pipeline.errors import DecodeError, ParseError, UnsafeXMLError
from pipeline.parsers import _xml
from pipeline.parsers._xml import parse_xml, root_name
from pipeline.parsers.newsml12 import NewsML12Parser
from pipeline.parsers.nitf import NitfParser

FIXTURES = Path(__file__).parent / "fixtures" / "xml"

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<nitf><body><body.content><p>&xxe;</p></body.content></body></nitf>"""

#: the classic billion laughs: ten levels of ten references (3 * 10**9 characters)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n'
        % (n, b"".join(b"&lol%s;" % (b"" if n == 1 else str(n - 1).encode()) for _ in range(10)))
        for n in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)

#: quadratic blowup: one entity of 9,000 characters, referenced 200 times (1.8 million)
QUADRATIC = b'<!DOCTYPE kaboom [<!ENTITY a "' + b"x" * 9000 + b'">]>\n<kaboom>' + b"&a;" * 200 + b"</kaboom>"

PARAMETER_ENTITY_DECLARATIONS = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY % build "<!ENTITY leak SYSTEM 'file:///etc/hostname'>"> %build;]>
<data>&leak;</data>"""


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(XXE_FILE, "external entity &xxe;", id="xxe-file"),
        pytest.param(BILLION_LAUGHS, "deeper than 3 levels", id="billion-laughs"),
        pytest.param(QUADRATIC, "quadratic blowup", id="quadratic-blowup"),
        pytest.param(
            b'<!DOCTYPE a [<!ENTITY big "' + b"y" * 20000 + b'">]><a>&big;</a>',
            "expands to more than 10000 characters",
            id="one-huge-entity",
        ),
        pytest.param(
            b'<!DOCTYPE a [<!ENTITY self "x&self;">]><a>&self;</a>', "deeper than 3 levels", id="recursive-entity"
        ),
        pytest.param(PARAMETER_ENTITY_DECLARATIONS, "parameter entity %build;", id="parameter-entity-text"),
        pytest.param(
            b'<!DOCTYPE a [<!ENTITY e "%p;">]><a>&e;</a>', "refers to a parameter entity", id="parameter-in-value"
        ),
        pytest.param(
            b"<!-- " + b"x" * 70000 + b' --><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>',
            "external entity",
            id="xxe-behind-padding",
        ),
        pytest.param(
            b'<a>text</a><!DOCTYPE b [<!ENTITY e "boom">]>', "outside its prolog", id="declaration-after-the-root"
        ),
        pytest.param(b"<!DOCTYPE a [<!ENTITY broken >]><a/>", "unreadable DTD", id="unreadable-subset"),
        pytest.param(
            b"<!DOCTYPE a [" + b"".join(b'<!ENTITY e%d "x">' % n for n in range(2001)) + b"]><a/>",
            "more than 2000 entities",
            id="too-many-declarations",
        ),
    ],
)
def test_entity_and_dtd_payloads_are_refused(payload: bytes, reason: str) -> None:
    """Every entity/DTD attack ends as UnsafeXMLError naming what was refused."""
    with pytest.raises(UnsafeXMLError, match=re.escape(reason)):
        parse_xml(payload)


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET with an entity definition, and remembers that it was asked."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'<!ENTITY exfil "fetched"><!ENTITY secret "fetched">'
        self.send_response(200)
        self.send_header("Content-Type", "application/xml-dtd")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def dtd_server() -> Iterator[str]:
    """A real HTTP server on localhost that serves a DTD and records every fetch."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_xxe_over_http_is_refused_and_never_fetched(dtd_server: str) -> None:
    """An external entity on a web server: refused, and the server is never asked."""
    payload = f'<!DOCTYPE a [<!ENTITY xxe SYSTEM "{dtd_server}/passwd">]><a>&xxe;</a>'.encode()
    with pytest.raises(UnsafeXMLError, match="XXE"):
        parse_xml(payload)
    assert _Recorder.requests == []


def test_out_of_band_parameter_entity_payload_is_refused_and_never_fetched(dtd_server: str) -> None:
    """The exfiltration shape (remote DTD part, then an entity only it defines): refused, nothing fetched."""
    payload = (
        f'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY % remote SYSTEM "{dtd_server}/evil.dtd"> %remote;]>'
        "<data>&exfil;</data>"
    ).encode()
    with pytest.raises(UnsafeXMLError, match=r"&exfil;.*never fetched"):
        parse_xml(payload)
    assert _Recorder.requests == []


def test_external_dtd_part_is_ignored_not_fetched(dtd_server: str) -> None:
    """AFP's shape (an external parameter entity that pulls a public DTD in): read, nothing fetched."""
    payload = (
        f'<!DOCTYPE NewsML PUBLIC "urn:example:newsml" "{dtd_server}/newsml.dtd" '
        f'[<!ENTITY % nitf SYSTEM "{dtd_server}/nitf.dtd"> %nitf; ]><NewsML><p>caf&eacute;</p></NewsML>'
    ).encode()
    root = parse_xml(payload)
    assert root[0].text == "café"
    assert _Recorder.requests == []


def test_external_dtd_entity_is_refused_and_never_fetched(dtd_server: str) -> None:
    """A plain external DTD whose entity the text uses: refused, the DTD never fetched."""
    payload = f'<!DOCTYPE a SYSTEM "{dtd_server}/a.dtd"><a>x&secret;y</a>'.encode()
    with pytest.raises(UnsafeXMLError, match="&secret;"):
        parse_xml(payload)
    assert _Recorder.requests == []


def test_internal_entities_are_expanded() -> None:
    """Character and name entities of an internal subset, nested two deep, expand as XML says."""
    root = parse_xml(
        b'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY name "Beispiel">\n<!ENTITY full "&name; AG">\n'
        b'<!ENTITY oe "&#246;">\n<!ENTITY amp2 "&#38;#38;">\n<!ATTLIST a kind CDATA "news">\n]>\n'
        b'<a label="&name;">Gr&oe;&szlig;e &full; &amp2; Co<![CDATA[ &name; ]]></a>'
    )
    assert root.text == "Größe Beispiel AG & Co &name; "
    assert root.get("label") == "Beispiel"
    assert root.get("kind") is None  # attribute defaults of the DTD are not applied


def test_entity_with_markup_becomes_elements() -> None:
    """Replacement text is parsed as content: an entity holding markup gives elements."""
    root = parse_xml(b'<!DOCTYPE a [<!ENTITY b "&#60;b&#62;fett&#60;/b&#62;">]><a>x &b; y</a>')
    assert [(c.tag, c.text) for c in root] == [("b", "fett")]


def test_newsml12_with_internal_entities_parses() -> None:
    """A NewsML 1.2 item whose DOCTYPE declares its characters and credit: every text is read."""
    raw = (FIXTURES / "newsml12_internal_entities.xml").read_bytes()
    (item,) = NewsML12Parser().parse(raw, ())
    assert item.headline == "Brückenfest in Musterstadt – Tausende feiern am Fluss"
    assert item.body[0].text.endswith("meldet die Beispiel-Nachrichtenagentur.")
    assert item.body[1].text == "Der Eintritt war frei & das Wetter blieb trocken."
    assert item.body[2].text == "Im Programmheft stand wörtlich: &agency; lädt ein."
    assert ("creditline", "Beispiel-Nachrichtenagentur (BNA)") in item.extra


def test_bare_ampersands_are_repaired() -> None:
    """An unescaped query string in an attribute (dpa's NITF image URLs) is read, not refused."""
    root = parse_xml(b'<nitf><media-reference source="https://x.invalid/i.jpg?a=1&b=2"/><p>A &amp; B</p></nitf>')
    assert root[0].get("source") == "https://x.invalid/i.jpg?a=1&b=2"
    assert root[1].text == "A & B"


def test_refusal_through_a_parser_names_the_format() -> None:
    """Through a parser the error carries its format, for the dead letter."""
    with pytest.raises(UnsafeXMLError) as caught:
        NitfParser().parse(XXE_FILE, ())
    assert caught.value.format == "nitf"
    assert caught.value.stage == "parse"
    assert "refused" in str(caught.value)


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


def test_html5_and_iso_entity_names_decode_without_the_dtd() -> None:
    """Names of the HTML 5 table (&hyphen;, &LT;) are characters; an &LT; does not become markup."""
    root = parse_xml(b'<!DOCTYPE a SYSTEM "x.dtd"><a>x&hyphen;y &LT;b&GT;</a>')
    assert root.text == "x\u2010y <b>"
    assert len(root) == 0


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
    """An entity defined only in a local external DTD is refused; the file is never read."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "loaded">', encoding="utf-8")
    with pytest.raises(UnsafeXMLError, match="never fetched") as caught:
        parse_xml(f'<!DOCTYPE a SYSTEM "{dtd.as_uri()}"><a>x&secret;y</a>'.encode())
    assert "loaded" not in str(caught.value)
    # the same DTD with text that needs none of it: the document is read, the DTD ignored
    assert parse_xml(f'<!DOCTYPE a SYSTEM "{dtd.as_uri()}"><a>x&amp;y</a>'.encode()).text == "x&y"


@pytest.mark.parametrize("label", ["UTF-16", "x-unknown-charset", "windows-1252"])
def test_wrong_or_unknown_declarations_fall_back_to_the_bytes(label: str) -> None:
    """A declaration the bytes contradict (or an unknown label) does not garble UTF-8 text."""
    raw = f'<?xml version="1.0" encoding="{label}"?><a>Årsrapport €</a>'.encode()
    assert parse_xml(raw).text == "Årsrapport €"
