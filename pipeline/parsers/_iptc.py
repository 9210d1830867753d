"""IPTC NewsCodes as the XML formats carry them: qcodes, bare subject codes, status codes.

NewsML-G2 writes concepts as qcodes (``subj:15054000``, ``medtop:20001065``,
``N2:SOCC``); NewsML 1.2 and NITF write bare eight-digit subject codes. Either way a
``Subject`` keeps the code and scheme as the source gives them and, for IPTC schemes,
the full ``http://cv.iptc.org/newscodes/...`` URI. The scheme URIs and the status
vocabulary are data (``data/iptc.json``).

Subject codes are the older vocabulary; IPTC's Media Topics replaced them, and a source
that codes subjects also says which media topics its item is about. ``with_mediatopics``
adds, for every IPTC subject code an item carries, the media topic IPTC maps it to
(``data/subject_mediatopics.json``: the exact matches IPTC publishes, else the topic of the
broader subject code), marked ``creator="mapped"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.records import Subject

DATA = Path(__file__).resolve().parent / "data"

#: the creator of a media topic derived from a source's subject code (ninjs ``creator``)
MAPPED = "mapped"

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


@cache
def _mediatopic_table() -> tuple[dict[str, str], dict[str, str]]:
    data = json.loads((DATA / "subject_mediatopics.json").read_text(encoding="utf-8"))
    return data["mapping"], data["names"]


def mediatopic_for(subject_code: str) -> str | None:
    """The media topic code an IPTC subject code maps to ("04008004" -> "20000349").

    The exact match IPTC publishes when there is one, else the media topic of the broader
    subject code (detail -> matter -> top-level subject); None for anything else.
    """
    code = subject_code.strip()
    if not is_subject_code(code):
        return None
    mapping, _ = _mediatopic_table()
    for candidate in (code, code[:5] + "000", code[:2] + "000000"):
        if candidate in mapping:
            return mapping[candidate]
    return None


def subject_code_of(subject: Subject) -> str | None:
    """The IPTC subject code a ``Subject`` carries (by scheme or by URI), else None."""
    subject_base = scheme_uri("subj") or ""
    if subject.uri and subject_base and subject.uri.startswith(subject_base):
        code = subject.uri[len(subject_base) :].strip("/")
        return code if is_subject_code(code) else None
    schemes = {s.casefold() for s in _data()["subject_schemes"]}
    if subject.code and (subject.scheme or "").casefold() in schemes:
        _, code = split_qcode(subject.code)
        return code if is_subject_code(code) else None
    return None


def _mediatopic_code(subject: Subject) -> str | None:
    base = scheme_uri("medtop") or ""
    if subject.uri and base and subject.uri.startswith(base):
        return subject.uri[len(base) :].strip("/") or None
    if subject.code and (subject.scheme or "").casefold() in {s.casefold() for s in _data()["mediatopic_schemes"]}:
        return split_qcode(subject.code)[1]
    return None


def with_mediatopics(subjects: Iterable[Subject]) -> tuple[Subject, ...]:
    """``subjects`` plus the media topic of each IPTC subject code among them, once each.

    A media topic the source already gives is not added again; added ones carry
    ``creator="mapped"`` so a consumer can tell them from the source's own coding.
    """
    given = list(subjects)
    present = {code for code in (_mediatopic_code(s) for s in given) if code}
    _, names = _mediatopic_table()
    base = scheme_uri("medtop") or ""
    added: list[Subject] = []
    for subject in given:
        code = subject_code_of(subject)
        topic = mediatopic_for(code) if code else None
        if topic is None or topic in present:
            continue
        present.add(topic)
        added.append(Subject(name=names.get(topic), uri=base + topic, code=topic, scheme="medtop", creator=MAPPED))
    return (*given, *added)
