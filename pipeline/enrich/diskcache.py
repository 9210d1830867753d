"""A disk cache for data that is slow to build and never changes between runs.

Building the place gazetteer (GeoNames + CLDR names of every babel locale, compiled into
an Aho-Corasick automaton) takes 10-15 s; every worker and every ``wirefeed process`` would
pay it. Its result depends only on the installed data files, the library versions and our
own build code, so it is pickled once under a name made from a hash of all of those:

- a file is written atomically (a temporary file in the same directory, then
  ``os.replace``), so a reader never sees half a file and two processes building at once
  simply both write the same content;
- a stale cache is never read (any change to the inputs changes the name); an unreadable
  one (truncated, another Python, a library that pickles differently) is rebuilt;
- the directory is ours: pickles are only ever read from it, never from the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: bump when the pickled shape changes in a way the source hashes would not show
FORMAT = 1


def fingerprint(files: Iterable[Path], packages: Iterable[str], extra: Iterable[str] = ()) -> str:
    """A short hash of the files' bytes, the packages' versions, the Python version and ``extra``."""
    digest = hashlib.sha256(f"format={FORMAT};python={sys.version_info[:2]}".encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for package in packages:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f";{package}={version}".encode())
    for value in extra:
        digest.update(f";{value}".encode())
    return digest.hexdigest()[:20]


def read(path: Path) -> object | None:
    """The object pickled at ``path``, or None when it is absent or cannot be read."""
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    # Unpickling can fail in many ways on a damaged or foreign file (EOFError,
    # UnpicklingError, AttributeError, ImportError, ValueError...): all mean "rebuild".
    except Exception as exc:
        log.warning("cache %s unreadable (%s: %s); rebuilding it", path, type(exc).__name__, exc)
        return None


def write(path: Path, value: object) -> bool:
    """Pickle ``value`` to ``path`` atomically; False (logged) when the directory is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError as exc:
        log.warning("cannot write cache %s (%s); continuing without it", path, exc)
        return False
    return True


def cached(
    directory: Path | None, name: str, key: str, build: Callable[[], T], check: type[T], *, elsewhere: bool = False
) -> T:
    """``build()``'s result, read from ``directory/name-key.pickle`` when there, written when not.

    ``check`` is the type the cached object must have; anything else is rebuilt. Older
    files of the same ``name`` (other keys) are removed after a successful write.

    ``elsewhere``: build it in a forked child process, which writes the file, and read that
    here -- so a long-lived process (a stage process) never holds the build's peak memory,
    which the allocator would keep: the parse-clean stage process stayed at 312 MB after
    building the place names on a fresh machine (84 MB when it reads them), enrich-emit at
    334 MB (222). Only where that is safe and possible: Linux, a single-threaded process
    (a fork copies no other thread, and could copy a lock one of them holds), a directory;
    otherwise, or when the child fails, it is built here.
    """
    if directory is None:
        return build()
    path = directory / f"{name}-{key}.pickle"
    found = read(path)
    if isinstance(found, check):
        log.info("loaded %s from cache %s", name, path)
        return found
    if found is not None:
        log.warning("cache %s holds a %s, not a %s; rebuilding it", path, type(found).__name__, check.__name__)
    if elsewhere and _built_in_child(path, build, name):
        found = read(path)
        if isinstance(found, check):
            log.info("built %s in a child process; loaded it from %s", name, path)
            _remove_others(directory, name, path)
            return found
    value = build()
    if write(path, value):
        _remove_others(directory, name, path)
    return value


def _remove_others(directory: Path, name: str, path: Path) -> None:
    for old in directory.glob(f"{name}-*.pickle"):
        if old != path:
            # another process may be reading or removing it: harmless either way
            with contextlib.suppress(OSError):
                old.unlink()


def _built_in_child(path: Path, build: Callable[[], object], name: str) -> bool:
    """Run ``build`` in a forked child that writes ``path``; True when it did."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    pid = os.fork()
    if pid == 0:  # the child: build, write, and leave without running the parent's exit handlers
        code = 1
        try:
            code = 0 if write(path, build()) else 1
        except BaseException:
            log.exception("building %s in a child process failed", name)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        log.warning("building %s in a child process failed (exit %d); building it here", name, code)
    return code == 0
