from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.domain.channel_values import QuantityPush
from shared.domain.guard import Guard, GuardPass, PlanShape, baseline, verdict, weighed
from shared.domain.job import RUN_SUFFIX, InvalidTransition, Job, JobKind, JobStatus, SyncMode
from shared.domain.link import Link, LinkStatus

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def link(sku: str, pushed: int | None, observed: int | None) -> Link:
    return Link(
        sku=sku,
        channel="shop",
        status=LinkStatus.LINKED,
        last_pushed_quantity=pushed,
        last_observed_quantity=observed,
        updated_at=NOW,
    )


def push(sku: str, quantity: int) -> QuantityPush:
    return QuantityPush(sku=sku, inventory_item_id="i", location_id="l", quantity=quantity)


def test_the_guard_is_on_by_default_at_50_and_80_percent():
    assert Guard() == Guard(on=True, max_zeroed=Decimal(50), max_changed=Decimal(80))


@pytest.mark.parametrize(
    ("shape", "stops"),
    [
        (PlanShape(linked=10, zeroed=5, changed=5), None),  # 50 %: not over
        (PlanShape(linked=10, zeroed=6, changed=6), "send 0 to 6 of 10"),
        (PlanShape(linked=10, zeroed=0, changed=8), None),
        (PlanShape(linked=10, zeroed=0, changed=9), "change 9 of 10"),
        (PlanShape(linked=0, zeroed=0, changed=0), None),
    ],
)
def test_verdict_stops_past_either_share_and_names_the_numbers_and_the_fix(shape, stops):
    said = verdict(Guard(), shape)
    if stops is None:
        assert said is None
    else:
        assert said is not None and stops in said and "tidemark jobs confirm" in said


def test_a_guard_that_is_off_never_stops():
    assert verdict(Guard(on=False), PlanShape(linked=10, zeroed=10, changed=10)) is None


def test_a_plan_is_weighed_against_what_was_sent_last_or_else_what_the_channel_holds():
    links = {
        "RESET": link("RESET", pushed=7, observed=0),  # a plugin reset it: sending 7 again moves nothing
        "FEED": link("FEED", pushed=7, observed=7),  # a feed zeroed it: sending 0 zeroes it
        "NEW": link("NEW", pushed=None, observed=3),  # never sent: judged against what it holds
        "UNKNOWN": link("UNKNOWN", pushed=None, observed=None),
    }
    assert baseline(links["RESET"]) == 7 and baseline(links["NEW"]) == 3
    plan = [push("RESET", 7), push("FEED", 0), push("NEW", 5), push("UNKNOWN", 0)]
    assert weighed(plan, links) == (2, 3)


def sync_job(guard: GuardPass = GuardPass.NONE) -> Job:
    return Job(id="J1", channel="shop", kind=JobKind.SYNC, mode=SyncMode.FULL, guard=guard, created_at=NOW)


def test_a_guarded_job_checks_as_a_dry_run_then_pushes_in_a_run_of_its_own():
    checking = sync_job(GuardPass.CHECKING)
    assert checking.plans_only and checking.run_name == "J1" and checking.batch_prefix == ""
    for passed in (GuardPass.PASSED, GuardPass.CONFIRMED):
        job = sync_job(passed)
        assert not job.plans_only and job.run_name == f"J1{RUN_SUFFIX}" and job.batch_prefix == "run"


def test_awaiting_confirmation_goes_to_queued_or_cancelled_only():
    running = sync_job().transition(JobStatus.RUNNING, NOW)
    waiting = running.transition(JobStatus.AWAITING_CONFIRMATION, NOW)
    assert not waiting.finished
    assert waiting.transition(JobStatus.QUEUED, NOW).status is JobStatus.QUEUED
    assert waiting.transition(JobStatus.CANCELLED, NOW).finished
    with pytest.raises(InvalidTransition):
        waiting.transition(JobStatus.COMPLETED, NOW)
