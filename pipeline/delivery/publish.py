"""Publishing a batch's outcomes: all acknowledged by the broker, or an exception.

``publish`` returns only when the broker has acknowledged every record (acks=all); only
then may the batch's raw offsets count as done. Failures are handled by kind
(``pipeline.delivery.failures``):

* the broker refuses one record (too large for it, invalid): that record is replaced by a
  small dead letter for the same dispatch, saying what was refused and why, without the
  original bytes (they stay in ``wire.raw``, at the coordinates the dead letter names);
* the broker is away: everything from the first failed record on is sent again, in the
  original order (so per-story order holds; at-least-once, ids are deterministic), with
  backoff, until ``budget`` seconds have passed since the first failure -- then
  ``BrokerUnavailable``;
* anything else: ``PublishFailed``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pipeline.delivery import failpoints
from pipeline.delivery.failures import Disposition, cause, classify
from pipeline.errors import RefusedError
from pipeline.records import Outcome
from pipeline.stages.outcome import dead_letter
from pipeline.topics import TopicNames

log = logging.getLogger(__name__)

#: send(topic, key, value, headers) -> awaitable of the broker's acknowledgement
Send = Callable[[str, bytes | None, bytes | None, list[tuple[str, bytes]]], Awaitable[Awaitable[Any]]]


class BrokerUnavailable(Exception):
    """The broker stayed away for longer than the retry budget."""


class PublishFailed(Exception):
    """A failure that retrying cannot fix (authorisation, a refused dead letter, ...)."""


class Publisher:
    def __init__(
        self,
        send: Send,
        names: TopicNames,
        *,
        budget: float = 300.0,
        attempt_timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        faults: failpoints.Failpoints = failpoints.NONE,
    ) -> None:
        self.faults = faults
        self.send = send
        self.names = names
        self.budget = budget
        self.attempt_timeout = attempt_timeout
        self.clock = clock
        self.sleep = sleep
        self.refused = 0  # records replaced by a dead letter since start
        self.retries = 0

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        self.faults.hit("publish")
        pending = list(outcomes)
        first_failure: float | None = None
        delay = 0.25
        while pending:
            failed = await self._attempt(pending)
            if not failed:
                return
            retry: list[int] = []
            for index in sorted(failed):
                exc = failed[index]
                kind = classify(exc)
                if kind is Disposition.RECORD:
                    pending[index] = self._replacement(pending[index], exc)
                elif kind is Disposition.RETRY:
                    retry.append(index)
                else:
                    raise PublishFailed(f"publishing to {pending[index].topic} failed: {cause(exc)!r}") from exc
            if not retry:
                # only refused records: send their replacements (another topic: no order to keep)
                pending = [pending[i] for i in sorted(failed)]
                continue
            now = self.clock()
            first_failure = now if first_failure is None else first_failure
            if now - first_failure > self.budget:
                raise BrokerUnavailable(
                    f"the broker has not taken {len(retry)} records for {now - first_failure:.0f} s "
                    f"(last error: {cause(failed[retry[0]])!r})"
                ) from failed[retry[0]]
            self.retries += 1
            log.warning(
                "publishing failed for %d of %d records (%r); sending again from #%d in %.2f s",
                len(retry),
                len(pending),
                cause(failed[retry[0]]),
                min(failed),
                delay,
            )
            await self.sleep(delay)
            delay = min(delay * 2, 5.0)
            # the records before the first failure are stored; send the rest again, in order
            pending = pending[min(failed) :]

    async def _attempt(self, outcomes: Sequence[Outcome]) -> dict[int, BaseException]:
        """Send every record, then await every acknowledgement; the failures by index."""
        failed: dict[int, BaseException] = {}
        acks: list[tuple[int, Awaitable[Any]]] = []
        index = 0
        try:
            # One deadline for queueing them all, not a task per record (``wait_for``): the
            # records are queued without yielding to the loop, so the producer sends them in
            # as few requests as it can -- a request per record cost the worker more CPU than
            # any stage on its loop.
            async with asyncio.timeout(self.attempt_timeout):
                for index, outcome in enumerate(outcomes):
                    try:
                        ack = await self.send(outcome.topic, outcome.key, outcome.value, list(outcome.headers))
                    except Exception as exc:
                        if classify(exc) is None:
                            raise
                        failed[index] = exc
                        if classify(exc) is Disposition.RETRY:
                            break  # the broker is away: do not queue the rest behind it
                        continue
                    acks.append((index, ack))
        except TimeoutError as exc:  # queueing record ``index`` did not end in time
            failed[index] = exc
        if acks:
            results = await asyncio.wait_for(
                asyncio.gather(*(ack for _, ack in acks), return_exceptions=True), timeout=self.attempt_timeout
            )
            for (index, _), result in zip(acks, results, strict=True):
                if isinstance(result, BaseException):
                    if classify(result) is None:
                        raise result
                    failed[index] = result
        if failed and any(classify(e) is Disposition.RETRY for e in failed.values()):
            # a record after a retriable failure may have been sent or not: resend it too
            first = min(i for i, e in failed.items() if classify(e) is Disposition.RETRY)
            for index in range(first + 1, len(outcomes)):
                failed.setdefault(index, failed[first])
        return failed

    def _replacement(self, outcome: Outcome, exc: BaseException) -> Outcome:
        """The small dead letter that stands for a record the broker refused."""
        already_small = outcome.topic == self.names.deadletter and outcome.header("wf_error_class") == "RefusedError"
        if outcome.source is None or already_small:
            raise PublishFailed(
                f"the broker refused {outcome.topic} record of {len(outcome.value or b'')} bytes and there is no "
                f"smaller record to send instead: {cause(exc)!r}"
            ) from exc
        self.refused += 1
        kind = self.names.logical(outcome.topic)
        error = RefusedError(
            f"the broker refused the {kind} record of this dispatch ({len(outcome.value or b''):,} bytes value, "
            f"{sum(len(k) + len(v) for k, v in outcome.headers):,} bytes headers): {type(cause(exc)).__name__}: "
            f"{cause(exc)}; the original stays in the raw topic at the coordinates above"
        )
        small = dead_letter(
            outcome.source, error, part=outcome.part, parts=outcome.parts, omitted="left out to keep this record small"
        )
        log.error("%s part %d/%d: %s", outcome.source.where(), outcome.part, outcome.parts, error.reason)
        return self.names.outcome(small)


def faust_send(app: Any) -> Send:
    """``Send`` through the Faust app's producer (acks=all, its connection and batching)."""

    async def send(
        topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        return await app.producer.send(topic, key, value, None, None, headers)

    return send
