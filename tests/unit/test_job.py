from datetime import UTC, datetime

import pytest

from shared.domain.job import InvalidTransition, Job, JobCounts, JobKind, JobStatus, SyncMode

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def job(**changes: object) -> Job:
    return Job(id="j1", channel="shop", kind=JobKind.SYNC, mode=SyncMode.FULL, created_at=NOW).model_copy(
        update=changes
    )


def test_lifecycle_sets_timestamps():
    running = job().transition(JobStatus.RUNNING, NOW)
    assert running.started_at == NOW and running.finished_at is None
    done = running.transition(JobStatus.COMPLETED, NOW)
    assert done.status is JobStatus.COMPLETED and done.finished_at == NOW


@pytest.mark.parametrize(
    ("start", "wanted"),
    [
        (JobStatus.QUEUED, JobStatus.COMPLETED),
        (JobStatus.COMPLETED, JobStatus.RUNNING),
        (JobStatus.CANCELLED, JobStatus.RUNNING),
        (JobStatus.FAILED, JobStatus.COMPLETED),
    ],
)
def test_a_finished_or_unstarted_job_cannot_jump(start, wanted):
    with pytest.raises(InvalidTransition, match=f"is {start} and cannot become {wanted}"):
        job(status=start).transition(wanted, NOW)


def test_failures_or_conflicts_end_with_errors():
    assert job().outcome() is JobStatus.COMPLETED
    assert job(counts=JobCounts(failed=1)).outcome() is JobStatus.COMPLETED_WITH_ERRORS
    assert job(counts=JobCounts(conflicts=2)).outcome() is JobStatus.COMPLETED_WITH_ERRORS
