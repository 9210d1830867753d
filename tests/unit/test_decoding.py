"""Bytes to text: BOMs, declared charsets, cp1252 fallback, mojibake repair, binary refused."""

from __future__ import annotations

import random

import pytest

from pipeline.decoding import decode_text, looks_binary, normalise_charset
from pipeline.errors import DecodeError

TEXT = "Zürich: le président a déclaré « oui » — 5 €"


@pytest.mark.parametrize(
    ("raw", "declared", "encoding"),
    [
        (TEXT.encode("utf-8"), None, "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), None, "utf-8"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), None, "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), None, "utf-16-be"),
        (TEXT.encode("cp1252"), None, "cp1252"),
        (TEXT.encode("cp1252"), "ISO-8859-1", "cp1252"),
        (TEXT.encode("utf-16-le"), "utf-16-le", "utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "cp1252-undeclared", "latin1-declared", "utf16-declared"],
)
def test_text_decodes_to_the_same_string(raw: bytes, declared: str | None, encoding: str) -> None:
    """Every supported way of sending the same text gives the same string back."""
    decoded = decode_text(raw, declared)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


def test_cyrillic_declared_charset_is_honoured() -> None:
    """A cp1251 dispatch that says so is read as cp1251, not cp1252."""
    text = "Москва, 13 января"
    assert decode_text(text.encode("cp1251"), "windows-1251").text == text


def test_mojibake_is_repaired() -> None:
    """UTF-8 read as cp1252 somewhere upstream ("dÃ©clarÃ©") is put right and flagged."""
    broken = "Le président a déclaré".encode().decode("cp1252").encode("utf-8")
    decoded = decode_text(broken)
    assert decoded.text == "Le président a déclaré"
    assert decoded.repaired


def test_stray_latin1_byte_in_ascii_is_read_not_fatal() -> None:
    """One raw 0xFC in otherwise ASCII text (as in reut2-017.sgm) decodes as ü."""
    decoded = decode_text(b"growth.\xfc side")
    assert decoded.text == "growth.ü side"


def test_binary_garbage_is_refused_with_a_reason() -> None:
    """Random bytes and NUL-laden data are not text: DecodeError, stage decode."""
    garbage = random.Random(1).randbytes(4096)
    assert looks_binary(garbage)
    with pytest.raises(DecodeError) as info:
        decode_text(garbage)
    assert info.value.stage == "decode"
    assert "not text" in info.value.reason
    with pytest.raises(DecodeError, match="NUL"):
        decode_text(b"abc\x00def")


def test_wire_control_bytes_are_not_binary() -> None:
    """IPTC 7901 / ANPA framing (SOH, STX, ETX, EOT, SYN) is text, not garbage."""
    framed = b"\x16\x16\x01abc 0001\x02Headline\r\nBody text here.\r\n\x03\x04"
    assert not looks_binary(framed)
    assert decode_text(framed).text.startswith("\x16\x16\x01abc")


def test_charset_labels_normalise() -> None:
    """Labels in the wild map to Python codecs; unknown labels to None."""
    assert normalise_charset("ISO-8859-1") == "cp1252"
    assert normalise_charset('"UTF-8"') == "utf-8"
    assert normalise_charset("x-unknown") is None
