"""Timestamps as wire formats print them, read into ``When`` with their time zone.

The XML formats write ISO 8601 in every variant: extended (``2018-10-21T16:25:32-05:00``),
basic (``20140829T135002Z``, NewsML 1.2 and NITF ``norm``), offsets without a colon
(``+0100``), fractions (``.000Z``), a space instead of ``T`` (BusinessDesk), and dates
with no offset at all (STT, Ritzau, AAP, NTB). An offset printed by the source is kept
as printed (``When.zone`` is then ""); without one, the agency's home zone is applied
(``When.zone`` names it) - the zone comes from the agency table, never from a guess here.
Unparseable values (CP's ``YYYYMMDD000000-HHMM`` template) yield None, not an error:
a bad date must not cost the article.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.records import When

log = logging.getLogger(__name__)

_ISO = re.compile(
    r"""^(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})
        (?:[T\s]+(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?
        \s*(?P<tz>Z|UTC|GMT|(?:GMT|UTC)?[+-]\d{2}(?::?\d{2})?)?$""",
    re.X | re.I,
)


def zone_info(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC when absent or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown time zone %r; using UTC", name)
    return ZoneInfo("UTC")


def _offset(text: str) -> timezone:
    text = text.upper().removeprefix("GMT").removeprefix("UTC")
    if text in ("", "Z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_when(text: str | None, default_zone: str | None = None) -> When | None:
    """``text`` as a ``When``; ``default_zone`` (IANA) applies when the text has no offset."""
    if text is None:
        return None
    original = " ".join(text.split())
    if not original:
        return None
    match = _ISO.match(original)
    if not match:
        log.debug("unparseable timestamp %r", original)
        return None
    g = match.groupdict()
    try:
        if g["H"] is None:
            zone = zone_info(default_zone)
            value = datetime(int(g["y"]), int(g["m"]), int(g["d"]), tzinfo=zone)
            return When(value, "day", zone.key, original)
        fraction = int((g["f"] or "0")[:6].ljust(6, "0"))
        naive = datetime(int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0), fraction)
    except ValueError:
        log.debug("impossible timestamp %r", original)
        return None
    if g["tz"]:
        return When(naive.replace(tzinfo=_offset(g["tz"])), "second", "", original)
    zone = zone_info(default_zone)
    return When(naive.replace(tzinfo=zone), "second", zone.key, original)
