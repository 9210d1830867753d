"""Which failures are worth retrying, which belong to one record, which stop the worker.

    RETRY    the broker is away or busy (connection refused or lost, timeouts, no leader,
             not enough replicas, coordinator moving): retry with backoff within a budget;
             when the budget is spent the worker stops, so its partitions move to a worker
             that can reach the broker (its offsets stay uncommitted: nothing is lost).
    RECORD   the broker will never take this record (too large, invalid): the dispatch
             gets a small dead letter that says so, and the partition moves on.
    FATAL    anything else from the client (authorisation, a closed producer): stop.

Faust wraps client errors in ``ProducerSendError``; the cause is what counts.
"""

from __future__ import annotations

import asyncio
from enum import Enum

from aiokafka import errors as kerr
from faust.exceptions import ProducerSendError


class Disposition(Enum):
    RETRY = "retry"
    RECORD = "record"
    FATAL = "fatal"


#: the broker refuses this record, whatever we do
RECORD_ERRORS: tuple[type[BaseException], ...] = (
    kerr.MessageSizeTooLargeError,
    kerr.RecordTooLargeError,
    kerr.RecordListTooLargeError,
    kerr.CorruptRecordException,
    kerr.InvalidTimestampError,
    kerr.UnsupportedForMessageFormatError,
)

#: the broker is away or busy; these have ``retriable`` unset in aiokafka but are transient
TRANSIENT: tuple[type[BaseException], ...] = (
    kerr.KafkaTimeoutError,
    kerr.KafkaConnectionError,
    kerr.NodeNotReadyError,
    kerr.NoBrokersAvailable,
    kerr.RequestTimedOutError,
    kerr.NotEnoughReplicasError,
    kerr.NotEnoughReplicasAfterAppendError,
    kerr.LeaderNotAvailableError,
    kerr.NotLeaderForPartitionError,
    kerr.UnknownTopicOrPartitionError,
    kerr.KafkaStorageError,
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
)


def cause(exc: BaseException) -> BaseException:
    """The client error behind Faust's wrapper, if any."""
    while isinstance(exc, ProducerSendError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def classify(exc: BaseException) -> Disposition | None:
    """How to treat a failure to publish; None when it is not a client error at all."""
    inner = cause(exc)
    if isinstance(inner, RECORD_ERRORS):
        return Disposition.RECORD
    if isinstance(inner, TRANSIENT) or getattr(inner, "retriable", False):
        return Disposition.RETRY
    if type(inner).__name__ == "NotReady":  # faust: producer (re)starting
        return Disposition.RETRY
    if isinstance(inner, (kerr.KafkaError, ProducerSendError)):
        return Disposition.FATAL
    return None
