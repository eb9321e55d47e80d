"""`tidemark dlq list` and `tidemark dlq redrive`: what each dead letter was, why it failed, and
moving it back.

Listing reads every dead-letter queue without consuming it (shared/storage/queues.py: received,
then made visible again at once) and describes each message from its body and the error its
handler recorded (shared/services/failures.py).

Redrive moves messages back to the queue they came from, by hand: receive from the dead-letter
queue, send to the source queue in the same message group with a fresh deduplication id, then
delete from the dead-letter queue. Not SQS's StartMessageMoveTask: moto 5.2.5 does not implement
it (NotImplementedError), and it moves a whole queue, never the messages an operator names. The
deduplication id is `redrive-<dead letter's id>`: a redrive retried before it deleted the dead
letter is dropped by the FIFO queue within its 5-minute window, and past it each handler applies
a message once anyway (a push batch is recorded on its job once, an order line is taken once, a
push sets absolute values). A message that fails again comes back under the id its redrive got.

A push batch goes back whatever its job's state, if the job exists: while the job runs it is
pushed and counted; once the job ended (failed as stalled, cancelled) push_batch records it as
skipped, once
(jobs.record_batch keeps a set of recorded batches), and pushes nothing, so the job's counts stay
whole and a cancel's promise holds. The report says so, and what pushes them now. Left where they
are, and reported: a message its handler cannot read, and a push batch whose job is gone (both
would only fail again).

The stream's failures are replayed, not moved: Lambda's on-failure record holds the failed
batch's stream position (sequence numbers), not its listings, and a stream keeps its records 24
hours while the failure queue keeps 14 days. Redrive queues an auto-sync push of every listing
with auto sync on whose change is at or after the batch's first record (less the smart-sync
overlap, for a write stamped before it committed), read from the change index
(GSI3 CHANGES#<shard>). Each listing is there once, at its latest change, so every listing of the
batch is found even if it changed again since; the extra ones cost a push each and change nothing,
since a push sends master's value as it is then (absolute, never a delta). When the record has no
arrival time, the window starts 24 hours (the stream's retention) before the failure was sent.
The pushes' message ids derive from the dead letter's id, as a stream change's derive from its
sequence number: a replay retried is deduplicated like a redelivered change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import ConfigDict, Field

from shared.domain.dlq import DeadLetter, DeadLetterQueue, describe, parse_stream_batch, why
from shared.domain.job import JobStatus
from shared.domain.messages import PushMessage, PushOrigin
from shared.domain.model import Model
from shared.services.autosync import queue_pushes
from shared.settings import settings
from shared.storage import failures, jobs, listings, queues
from shared.storage.queues import QueuedMessage

LIST_LIMIT = 100  # messages read from each queue by one listing
REDRIVE_LIMIT = 200  # messages moved by one redrive (the console API answers within 30 s)


class QueueSummary(Model):
    queue: DeadLetterQueue
    messages: int  # in the queue (SQS's approximate count, visible and in flight)
    shown: int


class DeadLetters(Model):
    queues: list[QueueSummary]
    messages: list[DeadLetter]


class RedriveRequest(Model):
    """Which dead letters to move back: of one queue or of all, every one or the ids given."""

    model_config = ConfigDict(extra="forbid")

    queue: DeadLetterQueue | None = Field(default=None, description="push, webhooks, auto-push or stream")
    ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=100, description="message ids (`dlq list`); none: every message"
    )


class Redriven(Model):
    queue: DeadLetterQueue
    id: str
    what: str
    result: str
    new_id: str | None = None  # the message's id on its source queue


class RedriveSummary(Model):
    redriven: list[Redriven]
    left: list[Redriven]  # found but not moved, with why
    not_found: list[str]


def dead_letter_url(queue: DeadLetterQueue) -> str:
    s = settings()
    return {
        DeadLetterQueue.PUSH: s.push_dead_letter_queue_url,
        DeadLetterQueue.WEBHOOKS: s.webhook_dead_letter_queue_url,
        DeadLetterQueue.AUTO_PUSH: s.auto_push_dead_letter_queue_url,
        DeadLetterQueue.STREAM: s.stream_failure_queue_url,
    }[queue]


def _source_url(queue: DeadLetterQueue) -> str:
    s = settings()
    return {
        DeadLetterQueue.PUSH: s.push_queue_url,
        DeadLetterQueue.WEBHOOKS: s.webhook_queue_url,
        DeadLetterQueue.AUTO_PUSH: s.auto_push_queue_url,
    }[queue]


def list_dead_letters(queue: DeadLetterQueue | None = None) -> DeadLetters:
    """Every dead-letter queue's messages (or one queue's), described, oldest received first."""
    summaries, shown = [], []
    for q in [queue] if queue else list(DeadLetterQueue):
        url = dead_letter_url(q)
        count = queues.counts(url)
        messages = queues.receive_all(url, LIST_LIMIT)
        try:
            letters = _describe_all(q, messages)
        finally:
            queues.release(url, messages)
        summaries.append(QueueSummary(queue=q, messages=count.visible + count.in_flight, shown=len(letters)))
        shown += letters
    return DeadLetters(queues=summaries, messages=shown)


def _describe_all(queue: DeadLetterQueue, messages: list[QueuedMessage]) -> list[DeadLetter]:
    described = {m.id: describe(queue, m.body) for m in messages}
    keys = {m.id: described[m.id].failure_key or m.id for m in messages}
    recorded = failures.get_many(queue, keys.values())
    letters = []
    for m in messages:
        d, failure = described[m.id], recorded.get(keys[m.id])
        if failure and failure.receive_count:
            received = failure.receive_count
        else:  # SQS's count, less this read's own receive
            received = d.receive_count or max(0, m.receive_count - 1)
        letters.append(
            DeadLetter(
                queue=queue,
                id=m.id,
                what=d.what,
                why=why(d, failure),
                receive_count=received,
                sent_at=m.sent_at,
                failed_at=failure.at if failure else None,
                channel=d.channel,
                job_id=d.job_id,
            )
        )
    return letters


def redrive(request: RedriveRequest) -> RedriveSummary:
    """Move the dead letters asked for back (see the module); each one is reported."""
    wanted = set(request.ids) or None
    summary = RedriveSummary(redriven=[], left=[], not_found=[])
    for q in [request.queue] if request.queue else list(DeadLetterQueue):
        _redrive_queue(q, wanted, summary)
        if _all_seen(wanted, {r.id for r in [*summary.redriven, *summary.left]}):
            break
    found = {r.id for r in [*summary.redriven, *summary.left]}
    summary.not_found = [i for i in request.ids if i not in found]
    return summary


def _redrive_queue(queue: DeadLetterQueue, wanted: set[str] | None, summary: RedriveSummary) -> None:
    """Move this queue's wanted messages, round after round: in a FIFO queue the messages of a group
    behind those in flight are received only once those are deleted."""
    url = dead_letter_url(queue)
    held: list[QueuedMessage] = []
    seen: set[str] = set()
    try:
        while len(summary.redriven) < REDRIVE_LIMIT:
            received = queues.receive_all(url, REDRIVE_LIMIT - len(summary.redriven))
            fresh = [m for m in received if m.id not in seen]
            held += [m for m in received if m.id in seen]  # held twice: a timed-out hold, received again
            if not fresh:
                break
            for message in fresh:
                seen.add(message.id)
                if not _redriven(queue, url, message, wanted, summary):
                    held.append(message)
            if _all_seen(wanted, seen):
                break
    finally:
        queues.release(url, held)


def _all_seen(wanted: set[str] | None, seen: set[str]) -> bool:
    """Whether every message asked for by id was seen (None asks for every message: never)."""
    return wanted is not None and wanted <= seen


def _redriven(
    queue: DeadLetterQueue, url: str, message: QueuedMessage, wanted: set[str] | None, summary: RedriveSummary
) -> bool:
    """Move the message when it is wanted, and report it; False: it stays held in the queue."""
    if wanted is not None and message.id not in wanted:
        return False
    report, moved = _move(queue, url, message)
    (summary.redriven if moved else summary.left).append(report)
    return moved


def _move(queue: DeadLetterQueue, url: str, message: QueuedMessage) -> tuple[Redriven, bool]:
    """The message sent back (or replayed), then deleted; False: left where it is."""
    described = describe(queue, message.body)
    report = Redriven(queue=queue, id=message.id, what=described.what, result="")
    if not described.readable:
        report.result = "left in the dead-letter queue: its handler cannot read it either"
        return report, False
    note = _job_note(message.body) if queue is DeadLetterQueue.PUSH else ""
    if note is None:
        report.result = (
            f"left in the dead-letter queue: no job {described.job_id} to push it under;"
            f" `tidemark sync {described.channel} --mode selected --sku ...` pushes its listings"
        )
        return report, False
    if queue is DeadLetterQueue.STREAM:
        report.result = _replay_stream_batch(message)
    else:
        report.new_id = queues.send(
            _source_url(queue), message.body, message.group_id, f"redrive-{message.id}"
        )
        report.result = f"back on the {queue} queue{note}"
    queues.delete(url, message)
    return report, True


def _job_note(body: str) -> str | None:
    """What becomes of a push batch sent back, by its job; None: its job is gone (it would only fail)."""
    job_id = PushMessage.model_validate_json(body).job_id
    job = jobs.find(job_id)
    if job is None:
        return None
    if job.status is JobStatus.RUNNING:
        return f"; job {job_id} is running: it pushes and counts the batch"
    again = (
        f"`tidemark jobs rerun {job_id}`"
        if job.status in (JobStatus.FAILED, JobStatus.COMPLETED_WITH_ERRORS)
        else f"a new sync of {job.channel}"
    )
    return (
        f"; job {job_id} is {job.status}: the batch is recorded on it as skipped, once, and nothing is"
        f" pushed; {again} pushes its listings"
    )


def _replay_stream_batch(message: QueuedMessage) -> str:
    batch = parse_stream_batch(message.body)
    since = batch.changes_since(message.sent_at or datetime.now(UTC)) - timedelta(
        seconds=settings().smart_overlap_seconds
    )
    flagged: list[str] = []
    for shard in range(settings().push_shards):
        for page in listings.changed_skus(shard, since):
            flagged += [sku for sku, listing in listings.get_many(page).items() if listing.auto_sync]
    queued = queue_pushes(flagged, PushOrigin.AUTO_SYNC, source=f"redrive-{message.id}") if flagged else 0
    return (
        f"replayed: {queued} auto-sync pushes queued for the {len(flagged)} listings with auto sync on"
        f" changed since {since.isoformat()}"
    )
