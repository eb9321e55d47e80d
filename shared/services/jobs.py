"""Starting jobs and the steps every job's state machine shares."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.job import Job, JobKind, JobStatus, SyncMode
from shared.settings import settings
from shared.storage import channels, jobs
from shared.storage.aws import client


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str
    kind: JobKind
    mode: SyncMode | None = Field(default=None, description="sync jobs: full, partial, smart or selected")
    dry_run: bool = False
    skus: list[str] = Field(default_factory=list, description="selected syncs: the SKUs to push")
    priority: int = 0

    @model_validator(mode="after")
    def _mode_fits_kind(self) -> JobRequest:
        if self.kind is JobKind.SYNC and self.mode is None:
            raise ValueError("mode: a sync needs a mode: full, partial, smart or selected")
        if self.kind is not JobKind.SYNC and self.mode is not None:
            raise ValueError(f"mode: only sync jobs take a mode, not {self.kind.value} jobs")
        if self.mode is SyncMode.SELECTED and not self.skus:
            raise ValueError("skus: a selected sync needs at least one SKU")
        return self


class UnknownChannel(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no channel named '{name}': see `tidemark channels list`")


class NotAvailable(ValueError):
    """A valid request this release cannot carry out yet."""


AVAILABLE = {
    (JobKind.LINK, None),
    (JobKind.RELINK, None),
    (JobKind.RECONCILE, None),
    (JobKind.SYNC, SyncMode.FULL),
}


def start_job(request: JobRequest) -> Job:
    """Queue the job and start its state machine, named by the job id (a retry starts nothing twice)."""
    if (request.kind, request.mode) not in AVAILABLE:
        wanted = f"{request.mode.value} {request.kind.value}" if request.mode else request.kind.value
        raise NotAvailable(f"kind: {wanted} jobs are not available yet: start a link or a full sync")
    if channels.get(request.channel) is None:
        raise UnknownChannel(request.channel)
    job = Job(
        id=uuid.uuid4().hex,
        channel=request.channel,
        kind=request.kind,
        mode=request.mode,
        dry_run=request.dry_run,
        skus=tuple(request.skus),
        priority=request.priority,
        created_at=datetime.now(UTC),
    )
    jobs.create(job)
    machine = (
        settings().sync_state_machine_arn if job.kind is JobKind.SYNC else settings().link_state_machine_arn
    )
    client("stepfunctions").start_execution(
        stateMachineArn=machine, name=job.id, input=json.dumps({"job_id": job.id})
    )
    return job


class StartInput(BaseModel):
    """What a job's state machine was started with: a job id, or (from a schedule) channel and mode."""

    job_id: str | None = None
    channel: str | None = None
    mode: SyncMode = SyncMode.SMART


def begin(start: StartInput, execution_name: str) -> dict[str, object]:
    """Mark the job running; a scheduled start creates its job first. Returns the shards to plan."""
    if start.job_id is None:
        if start.channel is None:
            raise ValueError("a scheduled sync names its channel")
        job = Job(
            id=execution_name,
            channel=start.channel,
            kind=JobKind.SYNC,
            mode=start.mode,
            created_at=datetime.now(UTC),
        )
        jobs.create(job)
    else:
        job = jobs.get(start.job_id)
    if job.status is JobStatus.QUEUED:
        jobs.save_status(job.transition(JobStatus.RUNNING, datetime.now(UTC)), expected=JobStatus.QUEUED)
    return {"job_id": job.id, "kind": job.kind.value, "shards": list(range(settings().push_shards))}


def mark_planned(job_id: str) -> None:
    jobs.complete_plan(job_id)


def pushes_done(job_id: str) -> bool:
    planned_all, planned, recorded = jobs.progress(job_id)
    if planned_all and recorded >= planned:
        return True
    job = jobs.get(job_id)
    return job.status is not JobStatus.RUNNING


def finish(job_id: str) -> Job:
    job = jobs.get(job_id)
    if job.status is not JobStatus.RUNNING:
        return job
    done = job.transition(job.outcome(), datetime.now(UTC))
    jobs.save_status(done, expected=JobStatus.RUNNING)
    return done


def fail(job_id: str, error: str) -> Job:
    job = jobs.get(job_id)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return job
    failed = job.transition(JobStatus.FAILED, datetime.now(UTC)).model_copy(update={"error": error})
    jobs.save_status(failed, expected=job.status)
    return failed
