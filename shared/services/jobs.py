"""The job queue: every job joins its channel's queue, one runs at a time per channel (highest
priority, then oldest), and the steps every job's state machine shares."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ConfigDict, Field, model_validator

from shared.domain.fields import FieldError, FieldRule
from shared.domain.guard import GuardPass
from shared.domain.job import LISTINGS_QUEUE, MAX_PRIORITY, RUN_SUFFIX, Job, JobKind, JobStatus, SyncMode
from shared.domain.model import Model
from shared.domain.syncing import PlannedChange, shard_of
from shared.metrics import emit
from shared.services import guard
from shared.services.channels import UnknownChannel
from shared.settings import settings
from shared.storage import channels, executions, items, jobs, listings, watermarks

# A push holds its lease this long at most (the push function's timeout is well inside it).
PUSH_LEASE = timedelta(seconds=90)
# How long a cancel waits for the pushes already in flight before it answers.
CANCEL_WAIT_S = 20.0
# A running job that records nothing for this long has stalled (its pushes went to the DLQ).
STALL_AFTER = timedelta(minutes=20)
MAX_CHECK_WAIT_S = 10
BATCHES_A_SECOND = 10  # about a Shopify standard plan's pace: 2,500 quantities a second
# Unknown SKUs named in an error, at most.
SHOWN_UNKNOWN = 10


# Jobs another request starts, and which one
STARTED_ELSEWHERE = {
    JobKind.AUTO_SYNC: "auto_sync jobs start from `tidemark listings auto-sync` (/v1/listings/auto-sync)",
    JobKind.RULES: "rules jobs start from `tidemark channels rules NAME` (PATCH /v1/channels/{name}/rules)",
}


class JobRequest(Model):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, description="the channel's name")
    kind: JobKind
    mode: SyncMode | None = Field(default=None, description="sync jobs: full, partial, smart or selected")
    dry_run: bool = Field(default=False, description="sync jobs: plan what would change, push nothing")
    relink: bool = Field(default=False, description="sync jobs: re-link the unlinked listings first")
    skus: list[str] = Field(default_factory=list, description="selected syncs: the SKUs to push")
    priority: int = Field(default=0, ge=0, le=MAX_PRIORITY, description="higher runs first")

    @model_validator(mode="after")
    def _fits_kind(self) -> JobRequest:
        if self.kind in STARTED_ELSEWHERE:
            raise FieldRule("kind", STARTED_ELSEWHERE[self.kind])
        if self.kind is JobKind.SYNC and self.mode is None:
            raise FieldRule("mode", "a sync needs a mode: full, partial, smart or selected")
        if self.kind is not JobKind.SYNC and (self.mode or self.dry_run or self.relink or self.skus):
            raise FieldRule(
                "mode", f"only sync jobs take a mode, dry_run, relink or skus, not {self.kind} jobs"
            )
        return self

    @model_validator(mode="after")
    def _fits_mode(self) -> JobRequest:
        if self.mode is SyncMode.SELECTED and not self.skus:
            raise FieldRule("skus", "a selected sync needs at least one SKU")
        if self.skus and self.mode is not SyncMode.SELECTED:
            raise FieldRule("skus", "only a selected sync takes SKUs: add --mode selected")
        return self


class UnknownSkus(FieldError):
    def __init__(self, unknown: list[str], field: str = "skus") -> None:
        shown = ", ".join(f"'{sku}'" for sku in unknown[:SHOWN_UNKNOWN])
        more = f" and {len(unknown) - SHOWN_UNKNOWN} more" if len(unknown) > SHOWN_UNKNOWN else ""
        super().__init__(field, f"no listing with SKU {shown}{more}: import them first, or leave them out")


class JobConflict(FieldError):
    """The job is not in a status that allows this."""


def start_job(request: JobRequest, job_id: str | None = None) -> Job:
    """Queue the job on its channel and start the channel's next job if none runs. With a `job_id`
    (made from what asked for it, e.g. a schedule's firing), asking again queues nothing more."""
    if channels.get(request.channel) is None:
        raise UnknownChannel(request.channel)
    selected = selected_by_shard(request.skus)
    job = Job(
        id=job_id or uuid.uuid4().hex,
        channel=request.channel,
        kind=request.kind,
        mode=request.mode,
        dry_run=request.dry_run,
        relink=request.relink,
        selected=sum(len(skus) for skus in selected.values()),
        priority=request.priority,
        created_at=datetime.now(UTC),
    )
    return enqueue(job, selected)


def selected_by_shard(skus: list[str]) -> dict[int, list[str]]:
    """The SKUs by shard, once each; UnknownSkus names those with no listing."""
    wanted = list(dict.fromkeys(sku.strip() for sku in skus))
    if not wanted:
        return {}
    known = listings.get_many(wanted)
    unknown = [sku for sku in wanted if sku not in known]
    if unknown:
        raise UnknownSkus(unknown)
    by_shard: dict[int, list[str]] = {}
    for sku in wanted:
        by_shard.setdefault(shard_of(sku, settings().push_shards), []).append(sku)
    return by_shard


def enqueue(job: Job, selected: dict[int, list[str]]) -> Job:
    """Queue a new job with its selected SKUs and start its queue's next job if none runs."""
    jobs.put_selected(job.id, selected)  # before the job: once it is queued, its SKUs are there
    with contextlib.suppress(jobs.JobExists):  # queued before: dispatch again, as a start may be lost
        jobs.create(job)
    dispatch(job.channel)
    return jobs.get(job.id)


def dispatch(channel: str) -> str | None:
    """Start the channel's next queued job unless one holds the channel; returns the one started.

    Safe to call any time and from anywhere: the channel is claimed with a conditional write, and a
    job's execution is named by its id, so a start lost between the claim and the execution is
    made again by the next call, never twice."""
    for _ in range(5):
        holder_id = jobs.running(channel)
        if holder_id is not None:
            holder = jobs.find(holder_id)
            if holder is None or holder.finished:
                jobs.release(channel, holder_id)
                continue
            if holder.status is JobStatus.QUEUED:
                _execute(holder)
            return None
        head = jobs.queue_head(channel)
        if not head:
            return None
        if jobs.claim(channel, head[0]):
            _execute(jobs.get(head[0]))
            return head[0]
    return None


def _execute(job: Job) -> None:
    executions.start_job(job.id, job.run_name)  # started before: the execution runs already


def prioritize(job_id: str) -> Job:
    """Move a queued job to the top of its channel's queue."""
    job = jobs.get(job_id)
    if job.status is not JobStatus.QUEUED:
        raise JobConflict("job_id", f"job {job_id} is {job.status}: only a queued job can be prioritized")
    head = jobs.queue_head(job.channel)
    top = jobs.get(head[0]).priority if head else 0
    if head and head[0] != job_id:
        try:
            jobs.set_priority(job, min(MAX_PRIORITY, top + 1))
        except jobs.JobChanged:
            raise JobConflict(
                "job_id", f"job {job_id} started meanwhile: it can no longer be prioritized"
            ) from None
    dispatch(job.channel)
    return jobs.get(job_id)


@dataclass(frozen=True)
class Cancelled:
    job: Job
    pushes_in_flight: int  # pushes sent before the cancel that had not finished when it answered


def cancel(job_id: str) -> Cancelled:
    """Cancel a queued or running job. No push is sent once this returns; a push already on its
    way is waited for (up to CANCEL_WAIT_S) and counted if it is still going."""
    job = jobs.get(job_id)
    if job.finished:
        raise JobConflict(
            "job_id", f"job {job_id} is already {job.status}: only a queued or running job can be cancelled"
        )
    try:
        jobs.save_status(job.transition(JobStatus.CANCELLED, datetime.now(UTC)), expected=job.status)
    except jobs.JobChanged:
        return cancel(job_id)  # it started or ended meanwhile: decide again on its new status
    in_flight = _wait_for_leases(job_id)
    jobs.release(job.channel, job_id)
    dispatch(job.channel)
    return Cancelled(jobs.get(job_id), in_flight)


def _wait_for_leases(job_id: str) -> int:
    deadline = time.monotonic() + CANCEL_WAIT_S
    while True:
        now = datetime.now(UTC)
        held = [until for until in jobs.leases(job_id) if until > now]
        if not held or time.monotonic() >= deadline:
            return len(held)
        time.sleep(0.05)


def rerun(job_id: str) -> Job:
    """Run a failed or partly failed job again, as a new job on current data."""
    job = jobs.get(job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.COMPLETED_WITH_ERRORS):
        raise JobConflict(
            "job_id",
            f"job {job_id} is {job.status}: only a failed or completed_with_errors job can be re-run",
        )
    again = Job(
        id=uuid.uuid4().hex,
        channel=job.channel,
        kind=job.kind,
        mode=job.mode,
        dry_run=job.dry_run,
        relink=job.relink,
        selected=job.selected,
        priority=job.priority,
        auto_sync=job.auto_sync,
        filters=job.filters,
        rules_before=job.rules_before,
        rules_after=job.rules_after,
        rerun_of=job.id,
        created_at=datetime.now(UTC),
    )
    return enqueue(again, jobs.all_selected(job.id))


def list_jobs(channel: str | None, status: JobStatus | None, kind: JobKind | None, limit: int) -> list[Job]:
    """Jobs newest first: of one queue (a channel's, or the listings' own) or of all."""
    if channel is not None and channel != LISTINGS_QUEUE and channels.get(channel) is None:
        raise UnknownChannel(channel)
    names = [channel] if channel else [*(c.name for c in channels.list_all()), LISTINGS_QUEUE]
    found = [job for name in names for job in jobs.for_channel(name, limit, status, kind)]
    found.sort(key=lambda job: job.created_at, reverse=True)
    return found[:limit]


class StartInput(Model):
    """What a job's state machine was started with."""

    job_id: str


def begin(start: StartInput) -> dict[str, object]:
    """Mark the job running and settle what it does; returns what its state machine branches on.
    A job cancelled before it began runs no step."""
    job = jobs.get(start.job_id)
    shards = list(range(settings().push_shards))
    if job.status is JobStatus.QUEUED:
        now = datetime.now(UTC)
        changes = {**_sync_start(job, now), **_guarded(job)} if job.kind is JobKind.SYNC else {}
        job = job.model_copy(update=changes).transition(JobStatus.RUNNING, now)
        jobs.save_status(job, expected=JobStatus.QUEUED)
    if job.status is not JobStatus.RUNNING:
        shards = []
    relink = job.kind in (JobKind.LINK, JobKind.RELINK) or job.relink
    return {"job_id": job.id, "kind": job.kind.value, "relink": relink, "shards": shards}


def _sync_start(job: Job, now: datetime) -> dict[str, object]:
    """A channel's first sync is full: a smart or partial sync before any full one runs as full.
    A smart sync plans the changes since the watermark, less the overlap window (SmartOverlapSeconds
    in template.yaml): a write stamped before the watermark but committed or indexed after it is
    still pushed."""
    mark = watermarks.get(job.channel)
    changes: dict[str, object] = {"as_of": now}
    if job.mode in (SyncMode.SMART, SyncMode.PARTIAL) and mark.full_sync_at is None:
        changes.update(ran_as=SyncMode.FULL, note=f"ran as full: the channel's first sync ({job.mode} asked)")
    elif job.mode is SyncMode.SMART and mark.changes_until is not None:
        changes["changes_since"] = mark.changes_until - timedelta(seconds=settings().smart_overlap_seconds)
    return changes


def _guarded(job: Job) -> dict[str, object]:
    """A sync that pushes, on a channel whose guard is on, first checks its plan (a dry run of
    itself); one that passed its check, or was confirmed, pushes."""
    if job.dry_run or job.guard is not GuardPass.NONE:
        return {}
    return {"guard": GuardPass.CHECKING if guard.is_on(job.channel) else GuardPass.OFF}


def mark_planned(job_id: str) -> None:
    jobs.complete_plan(job_id, datetime.now(UTC))


def check_progress(job_id: str) -> dict[str, object]:
    """Whether the pushes are done, and how long the state machine waits before it asks again:
    a second while few batches are left, up to MAX_CHECK_WAIT_S for a long job (each check is
    three billed state transitions)."""
    progress = jobs.progress(job_id)
    remaining = max(0, progress.planned - progress.done)
    wait = min(MAX_CHECK_WAIT_S, max(1, remaining // BATCHES_A_SECOND))
    return {"done": _pushes_done(job_id, progress), "wait_seconds": wait}


def pushes_done(job_id: str) -> bool:
    return _pushes_done(job_id, jobs.progress(job_id))


def _pushes_done(job_id: str, progress: jobs.Progress) -> bool:
    """Every planned push batch recorded, or the job ended, or it stalled."""
    if progress.planned_all and progress.done >= progress.planned:
        return True
    if progress.moved_at and datetime.now(UTC) - progress.moved_at > STALL_AFTER:
        return True
    return jobs.get(job_id).status is not JobStatus.RUNNING


def finish(job_id: str) -> Job:
    """End the job by its counts, move the watermark over what it pushed, start the next job."""
    job = jobs.get(job_id)
    if job.status is JobStatus.RUNNING and job.guard is GuardPass.CHECKING and _checked(job_id):
        return _after_check(job)
    if job.status is JobStatus.RUNNING:
        progress = jobs.progress(job_id)
        if progress.done < progress.planned:
            missing = progress.planned - progress.done
            error = (
                f"stalled: {missing} of {progress.planned} push batches never finished; "
                "see `tidemark dlq list`, then re-run the job"
            )
            done = job.transition(JobStatus.FAILED, datetime.now(UTC)).model_copy(update={"error": error})
        else:
            done = job.transition(job.outcome(), datetime.now(UTC))
            _advance_watermark(done)
        jobs.save_status(done, expected=JobStatus.RUNNING)
        job = done
        _count_ended(job)
    jobs.release(job.channel, job_id)
    dispatch(job.channel)
    return job


def _checked(job_id: str) -> bool:
    progress = jobs.progress(job_id)
    return progress.done >= progress.planned


def _after_check(job: Job) -> Job:
    """A guarded sync's check is done: past the guard it awaits confirmation (its channel runs its
    next job); within it, it is queued again, still holding its channel, and pushes at once."""
    now = datetime.now(UTC)
    stopped = guard.judge(job)
    if stopped is not None:
        waiting = job.transition(JobStatus.AWAITING_CONFIRMATION, now).model_copy(update={"note": stopped})
        jobs.save_status(waiting, expected=JobStatus.RUNNING)
        emit(job.channel, {"job_awaiting_confirmation": 1}, kind=job.kind.value)
        jobs.release(job.channel, job.id)
        dispatch(job.channel)
        return jobs.get(job.id)
    passed = job.transition(JobStatus.QUEUED, now).model_copy(update={"guard": GuardPass.PASSED})
    jobs.restart(passed, expected=JobStatus.RUNNING)
    dispatch(job.channel)  # the channel is still this job's: its pushing run starts
    return jobs.get(job.id)


def confirm(job_id: str) -> Job:
    """Run a sync the guard stopped: queued on its channel again, it pushes (its plan re-read from
    master as it is then)."""
    job = jobs.get(job_id)
    if job.status is not JobStatus.AWAITING_CONFIRMATION:
        raise JobConflict(
            "job_id", f"job {job_id} is {job.status}: only a job awaiting confirmation can be confirmed"
        )
    note = f"confirmed after the guard stopped it ({job.note})"
    confirmed = job.transition(JobStatus.QUEUED, datetime.now(UTC)).model_copy(
        update={"guard": GuardPass.CONFIRMED, "note": note}
    )
    try:
        jobs.restart(confirmed, expected=JobStatus.AWAITING_CONFIRMATION)
    except jobs.JobChanged:
        raise JobConflict("job_id", f"job {job_id} was confirmed or cancelled meanwhile") from None
    dispatch(job.channel)
    return jobs.get(job_id)


def _advance_watermark(job: Job) -> None:
    """A full or smart sync whose every batch was recorded covers every change before it began
    planning: each one was pushed, or its link was marked out of sync or in error, which the
    sparse index keeps for a partial sync."""
    covers_changes = job.effective_mode in (SyncMode.FULL, SyncMode.SMART)
    if job.kind is JobKind.SYNC and covers_changes and not job.dry_run and job.as_of is not None:
        watermarks.advance(job.channel, job.as_of, full=job.effective_mode is SyncMode.FULL)


def fail(job_id: str, error: str) -> Job:
    job = jobs.get(job_id)
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        failed = job.transition(JobStatus.FAILED, datetime.now(UTC)).model_copy(update={"error": error})
        jobs.save_status(failed, expected=job.status)
        job = failed
        _count_ended(job)
    jobs.release(job.channel, job_id)
    dispatch(job.channel)
    return job


def _count_ended(job: Job) -> None:
    """The dashboard's jobs per channel: one that ended (once: its status moved here), and how long
    it ran."""
    emit(job.channel, {f"job_{job.status.value}": 1}, kind=job.kind.value)
    if job.started_at is not None and job.finished_at is not None:
        seconds = (job.finished_at - job.started_at).total_seconds()
        emit(job.channel, {"job_seconds": seconds}, MetricUnit.Seconds, kind=job.kind.value)


def run_ended(job_id: str, status: str, reason: str) -> Job:
    """The job's execution ended outside its own steps (a step failed past its Catch, it timed out,
    it was aborted): a job it left queued or running fails, and its channel runs its next job."""
    return fail(
        job_id.removesuffix(RUN_SUFFIX),
        f"its run ended {status} ({reason}) before the job did: re-run the job",
    )


JobNotFound = jobs.JobNotFound  # what get_job and plan_page raise for an unknown id
BadCursor = items.BadCursor  # what plan_page (and history's page) raise for a cursor not given out


def get_job(job_id: str) -> Job:
    return jobs.get(job_id)


def plan_page(job_id: str, limit: int, cursor: str | None) -> tuple[list[PlannedChange], str | None]:
    """A dry run's planned changes, a page at a time: the page and the cursor of the next one (a
    BadCursor for one this API did not give out)."""
    jobs.get(job_id)
    changes, after = jobs.plan_page(job_id, limit, items.decode_cursor(cursor))
    return changes, items.encode_cursor(after)
