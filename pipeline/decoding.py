"""Bytes to text, or a clear reason why the bytes are not text.

Shared by the parsers (each decodes its own format) and the stages (which tell binary
garbage from text), so it lives below both.

Agencies send UTF-8, Latin-1/cp1252 (IPTC 7901, ANPA, old NITF), UTF-16 with a BOM, and
mislabelled mixtures. The order here: byte-order mark, the declared charset (header or
XML declaration, decided by the caller), strict UTF-8, then cp1252 (the WHATWG reading
of "latin-1"). Binary garbage is refused rather than decoded into nonsense, and mojibake
inside otherwise valid text ("Ã©" for "é") is repaired with ftfy.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import ftfy

from pipeline.errors import DecodeError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that mean cp1252 in practice (WHATWG Encoding Standard maps them all to it).
_CP1252_ALIASES = frozenset({"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "us-ascii", "ascii"})

# C0 controls that wire formats use on purpose: tab/newlines, and the IPTC 7901 / ANPA
# framing bytes SOH STX ETX EOT SYN ETB RS US, plus the DEL padding of old teletype.
_WIRE_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x01\x02\x03\x04\x16\x17\x1e\x1f\x7f")
# Bytes a text file in a single-byte code page almost never holds.
_SUSPECT = frozenset(b for b in range(0x20) if b not in _WIRE_CONTROLS) | {0x81, 0x8D, 0x8F, 0x90, 0x9D}
#: share of suspect bytes above which a non-UTF-8 dispatch is treated as binary
BINARY_THRESHOLD = 0.02


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str  # the codec that read the bytes
    repaired: bool = False  # mojibake or bad bytes were fixed on the way


def normalise_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _CP1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _cp1252_lenient(raw: bytes) -> str:
    # cp1252 leaves five bytes undefined; read those as Latin-1 so nothing is lost.
    return raw.decode("cp1252", errors="latin1fallback")


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    chunk = err.object[err.start : err.end]
    return bytes(chunk).decode("latin-1"), err.end


codecs.register_error("latin1fallback", _latin1_fallback)


def looks_binary(raw: bytes) -> bool:
    """True when the bytes are not plausibly text in a single-byte code page."""
    if not raw:
        return False
    sample = raw[:65536]
    if b"\x00" in sample:
        return True
    suspect = sum(1 for b in sample if b in _SUSPECT)
    return suspect / len(sample) > BINARY_THRESHOLD


def _text_is_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:65536]
    suspect = sum(1 for ch in sample if ord(ch) < 0x20 and ord(ch) not in _WIRE_CONTROLS)
    return "\x00" in sample or suspect / len(sample) > BINARY_THRESHOLD


# UTF-8 read as cp1252/latin-1 leaves a lead byte (Â..ô) followed by a continuation byte
# shown as its cp1252 character. ftfy is slow on large pages (0.4 s on 750 KB of HTML),
# so it only runs on text that shows this signature.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
    "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
    "\u0161\u203a\u0153\u017e\u0178]"
)


def _repair(text: str) -> tuple[str, bool]:
    if not _MOJIBAKE.search(text):
        return text, False
    fixed = ftfy.fix_encoding(text)
    return fixed, fixed != text


def decode_text(raw: bytes, declared: str | None = None) -> DecodedText:
    """Decode ``raw``; ``declared`` is the charset the source claims, if any.

    Raises ``DecodeError`` for bytes that are not text (NUL bytes without a UTF-16/32
    byte-order mark, or too many control bytes).
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    f"bytes after the {codec} byte-order mark are not {codec}: {exc.reason} at byte {exc.start}"
                ) from None
            fixed, repaired = _repair(text)
            return DecodedText(fixed, codec, repaired)

    declared_codec = normalise_charset(declared)
    if declared_codec and declared_codec not in ("utf-8", "cp1252"):
        try:
            text = raw.decode(declared_codec)
        except UnicodeDecodeError:
            pass  # mislabelled: fall through to the sniffing below
        else:
            if _text_is_binary(text):
                raise DecodeError(f"the bytes decode as {declared_codec} but are mostly control characters: not text")
            fixed, repaired = _repair(text)
            return DecodedText(fixed, declared_codec, repaired)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        if "\x00" in text:
            raise DecodeError("the bytes hold NUL characters: binary data, not text")
        fixed, repaired = _repair(text)
        return DecodedText(fixed, "utf-8", repaired)

    if looks_binary(raw):
        raise DecodeError(
            f"not text: invalid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
            f"and too many control bytes for a single-byte code page"
        )
    text = _cp1252_lenient(raw)
    fixed, _ = _repair(text)
    # Declared cp1252/latin-1 text is not a repair; undeclared non-UTF-8 bytes are.
    return DecodedText(fixed, "cp1252", repaired=declared_codec != "cp1252")
