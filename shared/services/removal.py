"""Removing a channel: its schedule stopped, its jobs cancelled, its items and its secret deleted.

In that order: no new job is scheduled, none left running pushes, and once the channel's item is
gone its webhooks are refused and its queued pushes skipped, before its credentials go.
"""

from __future__ import annotations

import contextlib

from pydantic import ConfigDict

from shared.domain.job import JobStatus
from shared.domain.model import Model
from shared.services import jobs
from shared.services.channels import UnknownChannel
from shared.storage import channel_items, channel_rules, channels, locations, schedules, secrets
from shared.storage import jobs as job_store


class Removed(Model):
    model_config = ConfigDict(frozen=True)

    name: str
    schedule_deleted: bool
    jobs_cancelled: list[str]
    links_deleted: int
    secret_deleted: bool


def remove_channel(name: str) -> Removed:
    if channels.get(name) is None:
        raise UnknownChannel(name)
    schedule_deleted = schedules.delete(name)
    cancelled = _cancel_jobs(name)
    channels.delete(name)
    links_deleted = channel_items.delete_all(name)
    channel_rules.delete_all(name)  # its allocation rules, overrides and guard
    locations.remove_map(name)
    return Removed(
        name=name,
        schedule_deleted=schedule_deleted,
        jobs_cancelled=cancelled,
        links_deleted=links_deleted,
        secret_deleted=secrets.delete(name),
    )


def _cancel_jobs(name: str) -> list[str]:
    """Cancel every queued and running job of the channel (one that ends meanwhile is left); the
    queued first, so that cancelling the running one starts none of them."""
    cancelled: list[str] = []
    tried: set[str] = set()
    while active := [
        job
        for status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.AWAITING_CONFIRMATION)
        for job in job_store.for_channel(name, 200, status)
        if job.id not in tried
    ]:
        for job in active:
            tried.add(job.id)
            with contextlib.suppress(jobs.JobConflict):  # it ended meanwhile
                jobs.cancel(job.id)
                cancelled.append(job.id)
    return cancelled
