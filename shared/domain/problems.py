"""What needs attention on the console's Overview: each problem by its cause, with its fix and the
one action that applies it, as a request the page (or the CLI) sends as is."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field

from shared.domain.model import Model


class Cause(StrEnum):
    DUPLICATE_SKU = "duplicate_sku"  # a listing's value is on two or more variants of the channel
    UNLINKED_AFTER_CHANGE = "unlinked_after_change"  # its variant went, or its SKU changed there
    OUT_OF_SYNC = "out_of_sync"  # linked, the channel holds other values than master
    BAD_CREDENTIALS = "bad_credentials"  # the channel refused the stored credentials
    THROTTLED = "throttled"  # the channel kept throttling the calls
    REJECTED = "rejected"  # the channel refused pushes (a job's failures, links in error)
    DEAD_LETTERS = "dead_letters"  # messages that failed every retry


class Action(Model):
    """The one request that applies a fix: send `body` (JSON; none when null) to `path` with `method`."""

    label: str
    method: str
    path: str
    body: dict[str, Any] | None = None


class Problem(Model):
    cause: Cause
    channel: str | None = Field(description="the channel it is on; null: not one channel's")
    count: int = Field(description="how many listings, jobs or messages it holds")
    message: str
    fix: str
    action: Action | None = Field(description="what applies the fix; null: the fix is outside Tidemark")
    job_id: str | None = Field(default=None, description="the job whose failures these are, if any")


def relink(channel: str) -> Action:
    body = {"channel": channel, "kind": "relink"}
    return Action(label="Re-link", method="POST", path="/v1/jobs", body=body)


def partial_sync(channel: str) -> Action:
    return Action(
        label="Partial sync",
        method="POST",
        path="/v1/jobs",
        body={"channel": channel, "kind": "sync", "mode": "partial"},
    )


def rerun(job_id: str) -> Action:
    return Action(label="Re-run", method="POST", path=f"/v1/jobs/{job_id}/rerun")


def redrive(queue: str) -> Action:
    return Action(label="Redrive", method="POST", path="/v1/dlq/redrive", body={"queue": queue})


def edit_channel(channel: str) -> Action:
    """The credentials are set by the operator: the page opens the channel's form; the request it
    sends there is PATCH /v1/channels/<name> with the new ones (checked by a test call)."""
    return Action(label="Enter new credentials", method="PATCH", path=f"/v1/channels/{channel}")


_CREDENTIALS = re.compile(r"refused the (access token|consumer key)|denied access|HTTP 40[13]\b", re.I)
_THROTTLED = re.compile(r"throttl|HTTP 429\b|rate limit", re.I)


def cause_of(message: str) -> Cause:
    """The cause a failed job's error or failure message names."""
    if _CREDENTIALS.search(message):
        return Cause.BAD_CREDENTIALS
    if _THROTTLED.search(message):
        return Cause.THROTTLED
    return Cause.REJECTED


# Each problem of a channel's links: what it is (of N listings on the channel), its fix, its action.
_LINK_PROBLEMS = {
    Cause.DUPLICATE_SKU: (
        "{n} listing(s) match two or more variants on '{channel}', so none was linked",
        "make each value unique on the channel (the listing's page names the variants), then re-link",
        relink,
    ),
    Cause.UNLINKED_AFTER_CHANGE: (
        "{n} listing(s) were unlinked on '{channel}': their variant is gone or its SKU changed",
        "undo the change on the channel, or give the listing the new value; then re-link",
        relink,
    ),
    Cause.OUT_OF_SYNC: (
        "{n} linked listing(s) on '{channel}' hold other values than master",
        "push master's values to them: a partial sync",
        partial_sync,
    ),
    Cause.REJECTED: (
        "the last push of {n} listing(s) to '{channel}' failed",
        "read why in the listing's history, fix what the channel refused, then run a partial sync",
        partial_sync,
    ),
}


def link_problems(channel: str, counts: dict[Cause, int]) -> list[Problem]:
    """The problems of a channel's links, from its counts by cause (none for a count of 0)."""
    return [
        Problem(
            cause=cause,
            channel=channel,
            count=n,
            message=message.format(n=n, channel=channel),
            fix=fix,
            action=action(channel),
        )
        for cause, (message, fix, action) in _LINK_PROBLEMS.items()
        if (n := counts.get(cause, 0))
    ]


def job_problem(channel: str, job_id: str, error: str, failures: list[str], failed: int) -> Problem:
    """A failed (or partly failed) job, by the cause its error or first failure names."""
    first = error or (failures[0] if failures else "")
    cause = cause_of(first)
    fixes = {
        Cause.BAD_CREDENTIALS: "give the channel working credentials, then re-run the job",
        Cause.THROTTLED: "the channel kept throttling: let other apps' syncs finish, then re-run the job",
        Cause.REJECTED: "fix what the channel refused (each failure says what), then re-run the job",
    }
    action = edit_channel(channel) if cause is Cause.BAD_CREDENTIALS else rerun(job_id)
    return Problem(
        cause=cause,
        channel=channel,
        count=max(failed, 1),
        message=f"job {job_id} on '{channel}': {first or 'failed'}",
        fix=fixes[cause],
        action=action,
        job_id=job_id,
    )


def dead_letter_problem(queue: str, messages: int) -> Problem:
    return Problem(
        cause=Cause.DEAD_LETTERS,
        channel=None,
        count=messages,
        message=f"{messages} message(s) on the {queue} dead-letter queue failed every retry",
        fix="read why each failed (Dead letters); once the cause is fixed, move them back to their queue",
        action=redrive(queue),
    )
