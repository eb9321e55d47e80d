"""The console's Overview ("needs attention"): per channel its listings by link state, its running
and next job and its schedule's next run; the dead letters; every problem by cause with its fix and
action; the stack's alarms. Nothing here reads the catalog: the linked counts are counters, the
the link job's notes (unlinked with no variant, duplicates) are counters, the other states are
counted from their sparse index (shared/storage/link_states.py)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger
from pydantic import Field

from shared.domain.channel import Channel, rate_minutes
from shared.domain.dlq import DeadLetterQueue
from shared.domain.job import FINISHED, Job, JobStatus
from shared.domain.link_state import IndexedState
from shared.domain.model import Model
from shared.domain.problems import Cause, Problem, dead_letter_problem, job_problem, link_problems
from shared.services.dlq import dead_letter_url
from shared.storage import channels as channel_store
from shared.storage import jobs, link_states, ops, queues, schedules

logger = Logger()
RECENT_JOBS = 20  # a channel's newest jobs read for failures still standing
INDEX_COUNTED = (IndexedState.OUT_OF_SYNC, IndexedState.ERROR, IndexedState.UNLINKED)
NO_COUNTS = link_states.ChannelCounts(linked=0, duplicate=0, unmatched=0)


class LinkCounts(Model):
    linked: int = Field(description="linked listings, in sync or not")
    unlinked: int = Field(
        description="unlinked: no variant matched, none to match by, or unlinked after a change"
    )
    duplicate: int = Field(description="unlinked because their value is on two or more variants")
    out_of_sync: int = Field(description="linked, the channel holds other values than master")
    failed: int = Field(description="linked, their last push failed")


class JobBrief(Model):
    id: str
    kind: str
    mode: str | None
    status: JobStatus
    created_at: datetime
    started_at: datetime | None


class ScheduleBrief(Model):
    enabled: bool
    rate: str
    mode: str
    next_run_at: datetime | None = Field(
        description="when it fires next (its rate counts from its last change)"
    )


class ChannelOverview(Model):
    name: str
    type: str
    counts: LinkCounts
    running_job: JobBrief | None
    next_job: JobBrief | None = Field(description="the head of its queue")
    last_job: JobBrief | None = Field(description="its newest finished job")
    schedule: ScheduleBrief | None


class DeadLetterCount(Model):
    queue: DeadLetterQueue
    messages: int


class AlarmState(Model):
    name: str
    state: str = Field(description="OK, ALARM or INSUFFICIENT_DATA")
    reason: str
    description: str
    changed_at: datetime | None


class Overview(Model):
    needs_attention: bool = Field(description="any problem, or any alarm in ALARM")
    channels: list[ChannelOverview]
    dead_letters: list[DeadLetterCount]
    problems: list[Problem]
    alarms: list[AlarmState] = Field(description="the stack's alarms; empty when they cannot be read")


def overview(now: datetime | None = None) -> Overview:
    now = now or datetime.now(UTC)
    counted = link_states.counts()
    channels, problems = [], []
    for channel in sorted(channel_store.list_all(), key=lambda c: c.name):
        shown, found = _channel(channel, counted.get(channel.name, NO_COUNTS), now)
        channels.append(shown)
        problems += found
    dead = [DeadLetterCount(queue=q, messages=_messages(q)) for q in DeadLetterQueue]
    problems += [dead_letter_problem(d.queue.value, d.messages) for d in dead if d.messages]
    alarms = _alarms()
    return Overview(
        needs_attention=bool(problems) or any(a.state == "ALARM" for a in alarms),
        channels=channels,
        dead_letters=dead,
        problems=problems,
        alarms=alarms,
    )


def _channel(
    channel: Channel, counted: link_states.ChannelCounts, now: datetime
) -> tuple[ChannelOverview, list[Problem]]:
    name = channel.name
    by_state = {state: link_states.count(name, state) for state in INDEX_COUNTED}
    by_state[IndexedState.DUPLICATE] = counted.duplicate
    by_state[IndexedState.UNMATCHED] = counted.unmatched
    counts = LinkCounts(
        linked=counted.linked,
        unlinked=by_state[IndexedState.UNLINKED] + by_state[IndexedState.UNMATCHED],
        duplicate=by_state[IndexedState.DUPLICATE],
        out_of_sync=by_state[IndexedState.OUT_OF_SYNC],
        failed=by_state[IndexedState.ERROR],
    )
    problems = link_problems(
        name,
        {
            Cause.DUPLICATE_SKU: counts.duplicate,
            Cause.UNLINKED_AFTER_CHANGE: by_state[IndexedState.UNLINKED],
            Cause.OUT_OF_SYNC: counts.out_of_sync,
            Cause.REJECTED: counts.failed,
        },
    )
    recent = jobs.for_channel(name, RECENT_JOBS)
    problems += _job_problems(name, recent)
    running_id = jobs.running(name)
    queued = jobs.queue_head(name)
    shown = ChannelOverview(
        name=name,
        type=channel.type.value,
        counts=counts,
        running_job=_brief(jobs.find(running_id)) if running_id else None,
        next_job=_brief(jobs.find(queued[0])) if queued else None,
        last_job=next((_brief(job) for job in recent if job.status in FINISHED), None),
        schedule=_schedule(channel, now),
    )
    return shown, problems


def _job_problems(channel: str, recent: list[Job]) -> list[Problem]:
    """The newest finished job of each kind and mode, when it failed or partly failed (a newer one
    that succeeded settles the older one's failures)."""
    newest: dict[tuple[str, str | None], Job] = {}
    for job in recent:  # newest first
        if job.status in FINISHED:
            newest.setdefault((job.kind.value, job.mode.value if job.mode else None), job)
    return [
        job_problem(channel, job.id, job.error, [f.message for f in job.failures], job.counts.failed)
        for job in newest.values()
        if job.status in (JobStatus.FAILED, JobStatus.COMPLETED_WITH_ERRORS)
    ]


def _brief(job: Job | None) -> JobBrief | None:
    if job is None:
        return None
    return JobBrief(
        id=job.id,
        kind=job.kind.value,
        mode=job.mode.value if job.mode else None,
        status=job.status,
        created_at=job.created_at,
        started_at=job.started_at,
    )


def _schedule(channel: Channel, now: datetime) -> ScheduleBrief | None:
    schedule = channel.schedule
    if schedule is None:
        return None
    next_run = None
    if schedule.enabled:
        changed = schedules.last_changed(channel.name)
        if changed is not None:
            every = timedelta(minutes=rate_minutes(schedule.rate))
            runs = max(1, math.ceil((now - changed) / every))
            next_run = changed + runs * every
    return ScheduleBrief(
        enabled=schedule.enabled, rate=schedule.rate, mode=schedule.mode.value, next_run_at=next_run
    )


def _messages(queue: DeadLetterQueue) -> int:
    counted = queues.counts(dead_letter_url(queue))
    return counted.visible + counted.in_flight


def _alarms() -> list[AlarmState]:
    """The stack's alarms; none when CloudWatch cannot be read (the Overview shows the rest)."""
    try:
        found = ops.alarms()
    except Exception:  # a page of problems must not fail on its alarms
        logger.exception("reading the alarms failed: the overview shows none")
        return []
    return [
        AlarmState(
            name=a.name, state=a.state, reason=a.reason, description=a.description, changed_at=a.changed_at
        )
        for a in found
    ]
