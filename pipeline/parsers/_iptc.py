"""IPTC NewsCodes as the XML formats carry them: qcodes, bare subject codes, status codes.

NewsML-G2 writes concepts as qcodes (``subj:15054000``, ``medtop:20001065``,
``N2:SOCC``); NewsML 1.2 and NITF write bare eight-digit subject codes. Either way a
``Subject`` keeps the code and scheme as the source gives them and, for IPTC schemes,
the full ``http://cv.iptc.org/newscodes/...`` URI. The scheme URIs and the status
vocabulary are data (``data/iptc.json``).

``top_mediatopic`` maps a subject code to the media topic of its top-level branch (the
17 top-level subject codes and media topics share their numbers); finer mappings need
IPTC's full mapping table, which the project does not ship.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.records import Subject

DATA = Path(__file__).resolve().parent / "data"

_SUBJECT_CODE = re.compile(r"^\d{8}$")


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "iptc.json").read_text(encoding="utf-8"))
    return data


def split_qcode(qcode: str) -> tuple[str | None, str]:
    """("subj", "15054000") for "subj:15054000"; (None, text) when there is no scheme."""
    scheme, sep, code = qcode.strip().partition(":")
    if not sep or not scheme or not code:
        return None, qcode.strip()
    return scheme, code


def scheme_uri(scheme: str | None) -> str | None:
    """The URI of an IPTC scheme alias ("subj" -> ".../subjectcode/"), None for others."""
    if not scheme:
        return None
    uris: dict[str, str] = _data()["scheme_uris"]
    return uris.get(scheme) or uris.get(scheme.lower())


def qcode_uri(qcode: str) -> str | None:
    """The full URI of a qcode in a known scheme, else None."""
    scheme, code = split_qcode(qcode)
    base = scheme_uri(scheme)
    return base + code if base else None


def subject_from_qcode(
    qcode: str, name: str | None = None, *, rel: str | None = None, creator: str | None = None
) -> Subject:
    """A ``Subject`` for a G2 qcode, keeping its scheme and code as written."""
    scheme, code = split_qcode(qcode)
    return Subject(name=name, uri=qcode_uri(qcode), code=code, scheme=scheme, rel=rel, creator=creator)


def is_subject_code(code: str) -> bool:
    """True for an eight-digit IPTC subject code ("04011002")."""
    return bool(_SUBJECT_CODE.match(code.strip()))


def is_subject_scheme_name(name: str | None) -> bool:
    """True for the scheme names NewsML 1.2 uses for IPTC subject codes ("IptcSubjectCodes")."""
    if not name:
        return True  # NewsML 1.2 SubjectCode without Scheme: IPTC by definition of the element
    return name.casefold() in {n.casefold() for n in _data()["subject_scheme_names"]}


def iptc_subject(code: str, name: str | None = None) -> Subject:
    """A ``Subject`` for a bare IPTC subject code (NewsML 1.2, NITF ``tobject.subject``)."""
    code = code.strip()
    return Subject(name=name, uri=qcode_uri(f"subj:{code}"), code=code, scheme="subj")


def top_mediatopic(subject_code: str) -> str | None:
    """``medtop:NN000000`` for an IPTC subject code in top-level branch NN (01-17)."""
    if not is_subject_code(subject_code):
        return None
    branch = int(subject_code[:2])
    return f"medtop:{branch:02d}000000" if 1 <= branch <= 17 else None


def pub_status(code: str | None) -> str | None:
    """ninjs pubStatus for a status code of any XML format ("stat:usable", "Usable", "canceled")."""
    if not code:
        return None
    _, value = split_qcode(code)
    mapping: dict[str, str] = _data()["pub_status"]
    return mapping.get(value.strip().casefold())
