"""A job: one unit of queued work on one channel, and the lifecycle of its status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from shared.domain.allocation import Rules
from shared.domain.guard import GuardPass
from shared.domain.model import Model

RUN_SUFFIX = "_run"  # a guarded sync's pushing execution: its name is the job's id and this


class JobKind(StrEnum):
    LINK = "link"
    RELINK = "relink"
    RECONCILE = "reconcile"
    SYNC = "sync"
    AUTO_SYNC = "auto_sync"  # auto sync on or off over a large selection of listings
    RULES = "rules"  # a channel's rule change: each linked listing it moves, planned and pushed


# Jobs over master listings rather than a channel (auto_sync) queue here, one at a time. No channel
# can take the name: channel names start with a letter or a digit.
LISTINGS_QUEUE = "_listings"


class SyncMode(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    SMART = "smart"
    SELECTED = "selected"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # a sync the channel's guard stopped before its first push: its plan is readable, confirm runs
    # it, cancel drops it (shared.domain.guard)
    AWAITING_CONFIRMATION = "awaiting_confirmation"


FINISHED = frozenset(
    {JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.FAILED, JobStatus.CANCELLED}
)

_NEXT: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED}),
    # a guarded sync's check ends awaiting confirmation, or queued again to push (guard passed)
    JobStatus.RUNNING: FINISHED | {JobStatus.AWAITING_CONFIRMATION, JobStatus.QUEUED},
    JobStatus.AWAITING_CONFIRMATION: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED}),
}


class InvalidTransition(ValueError):
    def __init__(self, job_id: str, current: JobStatus, wanted: JobStatus) -> None:
        super().__init__(f"job {job_id} is {current} and cannot become {wanted}")


class JobCounts(Model):
    model_config = ConfigDict(frozen=True)

    planned: int = 0
    pushed: int = 0
    skipped: int = 0
    failed: int = 0
    conflicts: int = 0
    # link and re-link jobs: the catalog's variants read, and one count per LinkOutcome
    read: int = 0
    linked: int = 0
    already_linked: int = 0
    no_match: int = 0
    duplicate: int = 0
    empty_value: int = 0
    variant_gone: int = 0
    value_changed: int = 0
    # reconcile jobs: links checked against the channel, and those found out of sync
    checked: int = 0
    out_of_sync: int = 0
    # dry runs: the linked listings compared with master, the values a push would change, and the
    # listings it would leave as they are
    compared: int = 0
    changes: int = 0
    unchanged: int = 0
    # a dry run (and a guarded sync's check): the listings it would send 0, and those whose quantity
    # it would change, from what was sent each last (or, never sent, held): shared.domain.guard
    zeroed: int = 0
    moved: int = 0
    # auto_sync jobs: the listings matching the selection, and those whose flag was changed
    # (`checked` counts the listings read)
    matched: int = 0
    flags_changed: int = 0
    # rules jobs: `checked` the linked listings read, `moved` those whose values the change moves,
    # `changes` the values; the moved ones queued to push at once (their auto sync on)
    auto_pushed: int = 0


class JobFailure(Model):
    model_config = ConfigDict(frozen=True)

    sku: str
    message: str


MAX_PRIORITY = 1_000_000

# A job keeps its first failures; the rest are counted and are in each listing's history.
MAX_RECORDED_FAILURES = 100


class Job(Model):
    model_config = ConfigDict(frozen=True)

    id: str
    channel: str
    kind: JobKind
    mode: SyncMode | None = None
    status: JobStatus = JobStatus.QUEUED
    priority: int = Field(default=0, ge=0, le=MAX_PRIORITY)
    dry_run: bool = False
    # sync jobs: re-link the unlinked listings first; the SKUs of a selected sync (kept as items
    # of their own, so any number fit); the mode the job ran as (a first smart sync runs full)
    relink: bool = False
    selected: int = 0
    ran_as: SyncMode | None = None
    # smart syncs: changes from this moment on are planned; as_of: when planning began
    changes_since: datetime | None = None
    as_of: datetime | None = None
    # auto_sync jobs: the flag set, and the filters selecting the listings (or `selected` SKUs)
    auto_sync: bool | None = None
    filters: tuple[str, ...] = ()
    rerun_of: str = ""
    # rules jobs: the channel's rules before the change and after it (saved when the job began,
    # unless a dry run)
    rules_before: Rules | None = None
    rules_after: Rules | None = None
    # sync jobs: where the job is with its channel's guard (its check is a dry run of itself)
    guard: GuardPass = GuardPass.NONE
    note: str = ""
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: JobCounts = Field(default_factory=JobCounts)
    failures: tuple[JobFailure, ...] = ()
    error: str = ""

    def transition(self, wanted: JobStatus, at: datetime) -> Job:
        if wanted not in _NEXT.get(self.status, frozenset()):
            raise InvalidTransition(self.id, self.status, wanted)
        changes: dict[str, object] = {"status": wanted}
        if wanted is JobStatus.RUNNING:
            changes["started_at"] = at
        elif wanted in FINISHED:
            changes["finished_at"] = at
        return self.model_copy(update=changes)

    @property
    def plans_only(self) -> bool:
        """Whether its pushes are planned and recorded, not sent: a dry run, or a guard's check."""
        return self.dry_run or self.guard is GuardPass.CHECKING

    @property
    def run_name(self) -> str:
        """Its state machine execution's name: a guarded sync runs a second execution to push."""
        return f"{self.id}{RUN_SUFFIX}" if self.guard in (GuardPass.PASSED, GuardPass.CONFIRMED) else self.id

    @property
    def batch_prefix(self) -> str:
        """Its push batches' ids start with this: the pushing run's differ from its check's."""
        return "run" if self.guard in (GuardPass.PASSED, GuardPass.CONFIRMED) else ""

    @property
    def effective_mode(self) -> SyncMode | None:
        return self.ran_as or self.mode

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def outcome(self) -> JobStatus:
        """How a job whose work is done ends: with errors when any item failed or stayed in conflict."""
        errors = self.counts.failed + self.counts.conflicts
        return JobStatus.COMPLETED_WITH_ERRORS if errors else JobStatus.COMPLETED
