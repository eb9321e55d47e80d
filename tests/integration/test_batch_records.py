"""A step's counts and its failures are one write (issue 18, part 8b): a crash right after the first
write to the job must not lose the failures, which a redelivery (its batch already recorded) would
never add again. On moto, the whole local stack."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.job import Job, JobFailure, JobKind, JobStatus, SyncMode
from shared.domain.messages import PushMessage
from shared.services import pushing
from shared.storage import jobs

pytestmark = pytest.mark.integration

CHANNEL = "records-shop"


class CrashAfterFirstWrite:
    """The jobs table, crashing the function on the second update of one job's item (as a Lambda
    timed out between two writes would)."""

    def __init__(self, table: Any, job_id: str) -> None:
        self._table = table
        self._key = jobs.key(job_id)
        self.updates = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def update_item(self, **kwargs: Any) -> Any:
        if kwargs.get("Key") == self._key:
            self.updates += 1
            if self.updates == 2:
                raise RuntimeError("the function was cut off here")
        return self._table.update_item(**kwargs)


@pytest.fixture(scope="module")
def channel(stack, api) -> str:
    sandbox = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": CHANNEL,
            "type": sandbox.channel_type,
            "store_url": sandbox.url,
            "allow_insecure_url": True,
            **sandbox.credentials,
        }
    )
    return CHANNEL


def test_a_push_batch_keeps_its_failures_through_a_crash_and_a_redelivery(
    channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = Job(
        id=f"records-{uuid.uuid4().hex[:8]}",
        channel=channel,
        kind=JobKind.SYNC,
        mode=SyncMode.FULL,
        status=JobStatus.RUNNING,
        dry_run=True,
        created_at=datetime.now(UTC),
    )
    jobs.create(job)
    message = PushMessage(job_id=job.id, channel=channel, batch_id="0-0", skus=["NOT-IN-MASTER"])
    real_table = jobs.table
    crashing = CrashAfterFirstWrite(real_table(), job.id)

    monkeypatch.setattr(jobs, "table", lambda: crashing)
    with contextlib.suppress(RuntimeError):  # the delivery failed: SQS delivers the message again
        pushing.push_batch(message)
    monkeypatch.setattr(jobs, "table", real_table)
    pushing.push_batch(message)

    recorded = jobs.get(job.id)
    assert recorded.counts.skipped == 1
    assert [failure.sku for failure in recorded.failures] == ["NOT-IN-MASTER"]
    assert "no longer in master" in recorded.failures[0].message


def test_failures_past_the_cap_are_only_counted_and_a_redelivery_adds_nothing(channel: str) -> None:
    job = Job(
        id=f"records-{uuid.uuid4().hex[:8]}", channel=channel, kind=JobKind.LINK, created_at=datetime.now(UTC)
    )
    jobs.create(job)
    many = [JobFailure(sku=f"S{i}", message="fix it") for i in range(jobs.MAX_RECORDED_FAILURES)]
    at = datetime.now(UTC)

    assert jobs.record_batch(job.id, "a", {"failed": len(many)}, at, failures=many)
    assert jobs.record_batch(job.id, "b", {"failed": 1}, at, failures=[JobFailure(sku="LATE", message="x")])
    assert not jobs.record_batch(
        job.id, "b", {"failed": 1}, at, failures=[JobFailure(sku="LATE", message="x")]
    )

    recorded = jobs.get(job.id)
    assert recorded.counts.failed == len(many) + 1
    assert [f.sku for f in recorded.failures] == [f.sku for f in many]
