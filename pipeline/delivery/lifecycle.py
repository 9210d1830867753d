"""Stopping a worker on purpose, promptly, with an exit code that says why.

A worker stops itself when it cannot do its job safely -- the broker stayed away longer
than the retry budget, or a failure it cannot get past -- so that the group gives its
partitions to another worker. Offsets are committed only as far as outcomes are
acknowledged (the ledger), so stopping never loses a record; it only hands it over.

SIGTERM (and Ctrl-C) start Faust's graceful stop; a watchdog thread ends the process
``grace`` seconds later whatever is still waiting (a producer flush to an unreachable
broker, a stage that does not return), because "nothing lost" does not need a clean exit.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

import faust

log = logging.getLogger(__name__)

#: exit codes (sysexits.h): the broker was unreachable for longer than the budget; a
#: failure the worker cannot get past
EXIT_BROKER_UNAVAILABLE = 75
EXIT_FATAL = 70

_state: dict[str, Any] = {"code": None, "grace": 20.0, "armed": False}


def configure(grace: float) -> None:
    _state["grace"] = grace


def exit_code() -> int | None:
    """The code a deliberate stop asked for (None: an ordinary stop)."""
    code = _state["code"]
    return int(code) if code is not None else None


def request_stop(code: int, reason: str) -> None:
    """Stop this worker: graceful (commits what is done), then forced after the grace time."""
    if _state["code"] is None:
        _state["code"] = code
        log.critical("stopping the worker (exit %d): %s", code, reason)
    arm_watchdog()
    os.kill(os.getpid(), signal.SIGTERM)


def arm_watchdog() -> None:
    if _state["armed"]:
        return
    _state["armed"] = True
    grace = float(_state["grace"])

    def _force() -> None:
        code = exit_code()
        sys.stderr.write(f"wirefeed worker: still stopping after {grace:.0f} s; exiting now\n")
        sys.stderr.flush()
        os._exit(code if code is not None else 0)

    timer = threading.Timer(grace, _force)
    timer.daemon = True
    timer.start()


class Worker(faust.Worker):
    """Faust's worker; a stop signal also arms the watchdog. No progress spinner."""

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        # Faust's spinner turns with every log record: it sets the root logger to DEBUG, so that
        # each debug call of aiokafka and Faust (several per record sent) built a record that no
        # handler wanted -- ~4% of a busy worker's CPU. The root logger keeps the level asked for.
        self.spinner = None

    def _on_sigterm(self) -> None:
        arm_watchdog()
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        arm_watchdog()
        super()._on_sigint()
