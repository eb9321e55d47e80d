"""A channel's rule change on in-memory fakes of its storage ports (tests/fakes.py): the request
checks and saves the rules and queues a rules job, reading none of the channel's links; the job's
steps find, plan and push what the change moves, a page at a time, counted once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from shared.domain.allocation import Override, Rules
from shared.domain.channel import Channel, ChannelType
from shared.domain.fields import FieldError
from shared.domain.job import Job, JobKind, JobStatus
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing
from shared.domain.syncing import PlannedChange
from shared.services import allocation, rule_changes
from shared.services.allocation import RulesEdit
from tests.fakes import InMemoryChannelRules, InMemoryChannels, InMemoryJobs, InMemoryLinks, InMemoryListings

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SHOP = Channel(name="shop", type=ChannelType.SHOPIFY, store_url="https://shop.example.com", created_at=NOW)


class NotRead:
    """A storage port the request must not touch."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the request read {name}: a channel's links are read by its rules job")


def link(sku: str, status: LinkStatus = LinkStatus.LINKED) -> Link:
    return Link(sku=sku, channel="shop", status=status, variant_id=f"v-{sku}", updated_at=NOW)


@pytest.fixture
def rules() -> InMemoryChannelRules:
    return InMemoryChannelRules(
        rules={"shop": Rules(reserve=1)}, overrides={("shop", "B"): Override(max_price=Decimal("20"))}
    )


def test_a_channel_rule_change_saves_the_rules_and_queues_its_job_reading_no_link(monkeypatch, rules):
    started: list[tuple[str, Rules, Rules, bool]] = []

    def start(channel: str, before: Rules, after: Rules, *, dry_run: bool) -> Job:
        started.append((channel, before, after, dry_run))
        return Job(id="J1", channel=channel, kind=JobKind.RULES, created_at=NOW)

    monkeypatch.setattr(allocation, "channels", InMemoryChannels(SHOP))
    monkeypatch.setattr(allocation, "channel_rules", rules)
    monkeypatch.setattr(allocation, "links", NotRead())
    monkeypatch.setattr(allocation, "listings", NotRead())
    monkeypatch.setattr(allocation, "rule_changes", SimpleNamespace(start=start))

    change = allocation.set_channel_rules("shop", RulesEdit(percent=50), dry_run=True)
    assert (change.job.id, rules.rules["shop"]) == ("J1", Rules(reserve=1))  # a dry run saves nothing
    change = allocation.set_channel_rules("shop", RulesEdit(percent=50), dry_run=False)
    assert rules.rules["shop"] == Rules(reserve=1, percent=50) == change.rules
    assert started == [
        ("shop", Rules(reserve=1), Rules(reserve=1, percent=50), True),
        ("shop", Rules(reserve=1), Rules(reserve=1, percent=50), False),
    ]
    with pytest.raises(FieldError) as refused:  # over listing B's override's maximum price
        allocation.set_channel_rules("shop", RulesEdit(min_price=Decimal("25")), dry_run=False)
    assert refused.value.field == "min_price" and len(started) == 2
    assert rules.rules["shop"] == Rules(reserve=1, percent=50)


def test_a_rules_step_plans_each_value_moved_and_pushes_the_auto_synced_once(monkeypatch, rules):
    job = Job(
        id="R1",
        channel="shop",
        kind=JobKind.RULES,
        status=JobStatus.RUNNING,
        rules_before=Rules(reserve=1),
        rules_after=Rules(reserve=1, max_quantity=5),
        created_at=NOW,
    )
    stored = InMemoryJobs(job)
    master = InMemoryListings(
        Listing(sku="A", on_hand=20, auto_sync=True, updated_at=NOW),  # 19 -> 5
        Listing(sku="B", on_hand=3, updated_at=NOW),  # 2: under the ceiling, unmoved
        Listing(sku="C", on_hand=9, updated_at=NOW),  # 8 -> 5, auto sync off
        Listing(sku="D", on_hand=50, auto_sync=True, updated_at=NOW),  # unlinked: not the channel's
    )
    queued: list[tuple[list[str], str | None]] = []
    monkeypatch.setattr(rule_changes, "jobs", stored)
    monkeypatch.setattr(rule_changes, "listings", master)
    monkeypatch.setattr(rule_changes, "channel_rules", rules)
    monkeypatch.setattr(
        rule_changes, "links", InMemoryLinks(link("A"), link("B"), link("C"), link("D", LinkStatus.UNLINKED))
    )
    monkeypatch.setattr(
        rule_changes.autosync,
        "queue_pushes",
        lambda skus, origin, *, channel, source: queued.append((list(skus), source)) or len(skus),
    )
    monkeypatch.setattr(rule_changes, "PAGE_SIZE", 2)

    first = rule_changes.rule_change_page("R1", 0, None)
    assert first.after == "B"  # a full page: more may follow
    rule_changes.rule_change_page("R1", 0, None)  # the step run again
    second = rule_changes.rule_change_page("R1", 0, first.after)
    assert second.after == "D" and rule_changes.rule_change_page("R1", 0, "D").after is None

    assert sorted(stored.plans["R1"].values(), key=lambda c: c.sku) == [
        PlannedChange("A", "quantity", "19", "5"),
        PlannedChange("C", "quantity", "8", "5"),
    ]
    counts = stored.get("R1").counts
    assert (counts.checked, counts.moved, counts.changes, counts.auto_pushed) == (3, 2, 2, 1)
    assert queued == [(["A"], "R1-0-"), (["A"], "R1-0-")]  # the same messages again: the queue drops them
    assert {sku for sku, listing in master.listings.items() if listing.updated_at > NOW} == {"A", "C"}


def test_a_rules_step_of_a_job_no_longer_running_reads_nothing(monkeypatch):
    cancelled = Job(id="R2", channel="shop", kind=JobKind.RULES, status=JobStatus.CANCELLED, created_at=NOW)
    monkeypatch.setattr(rule_changes, "jobs", InMemoryJobs(cancelled))
    monkeypatch.setattr(rule_changes, "links", NotRead())
    assert rule_changes.rule_change_page("R2", 0, None).after is None
