"""The push service on in-memory fakes of its storage ports (tests/fakes.py), beside the moto tests
of the same paths: fast, and about the service's own decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.allocation import Override, Rules
from shared.domain.channel import Channel, ChannelType
from shared.domain.job import Job, JobKind, JobStatus, SyncMode
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing
from shared.domain.messages import PushMessage
from shared.services import locations, pushing
from tests.fakes import (
    InMemoryBundles,
    InMemoryChannelRules,
    InMemoryChannels,
    InMemoryJobs,
    InMemoryLinks,
    InMemoryListings,
    InMemoryLocationMaps,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
SHOP = Channel(name="shop", type=ChannelType.SHOPIFY, store_url="https://shop.example.com", created_at=NOW)


def job(status: JobStatus = JobStatus.RUNNING) -> Job:
    return Job(
        id="J1",
        channel="shop",
        kind=JobKind.SYNC,
        mode=SyncMode.FULL,
        status=status,
        dry_run=True,
        created_at=NOW,
    )


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch, rules: InMemoryChannelRules) -> InMemoryJobs:
    jobs = InMemoryJobs(job())
    linked = Link(
        sku="A",
        channel="shop",
        status=LinkStatus.LINKED,
        variant_id="gid://shopify/ProductVariant/1",
        product_id="gid://shopify/Product/1",
        inventory_item_id="gid://shopify/InventoryItem/1",
        location_id="gid://shopify/Location/1",
        last_observed_quantity=3,
        updated_at=NOW,
    )
    monkeypatch.setattr(pushing, "jobs", jobs)
    monkeypatch.setattr(pushing, "channels", InMemoryChannels(SHOP))
    master = InMemoryListings(Listing(sku="A", on_hand=9, updated_at=NOW))
    monkeypatch.setattr(pushing, "listings", master)
    monkeypatch.setattr(locations, "listings", master)
    monkeypatch.setattr(locations, "locations", InMemoryLocationMaps())
    monkeypatch.setattr(locations, "bundles", InMemoryBundles())
    monkeypatch.setattr(pushing, "links", InMemoryLinks(linked))
    monkeypatch.setattr(pushing, "channel_rules", rules)
    return jobs


@pytest.fixture
def rules() -> InMemoryChannelRules:
    return InMemoryChannelRules()


def test_a_dry_run_batch_plans_and_records_its_counts_and_failures_once(storage: InMemoryJobs) -> None:
    message = PushMessage(job_id="J1", channel="shop", batch_id="0-0", skus=["A", "GONE"])

    first = pushing.push_batch(message)
    pushing.push_batch(message)  # delivered again

    recorded = storage.get("J1")
    assert (first["compared"], first["skipped"]) == (1, 1)
    assert (recorded.counts.skipped, [f.sku for f in recorded.failures]) == (1, ["GONE"])
    assert {sku for sku, _ in storage.plans["J1"]} == {"A"}


def test_a_dry_run_batch_plans_the_channels_allocation_of_master_read_at_send_time(
    storage: InMemoryJobs, rules: InMemoryChannelRules
) -> None:
    rules.rules["shop"] = Rules(reserve=2, max_quantity=100)
    rules.overrides[("shop", "A")] = Override(max_quantity=5)

    pushing.push_batch(PushMessage(job_id="J1", channel="shop", batch_id="0-0", skus=["A"]))

    # on hand 9, reserve 2 (the channel's): 7, at most 5 (the listing's override): 5
    change = storage.plans["J1"][("A", "quantity")]
    assert (change.from_value, change.to_value) == ("3", "5")


def test_a_batch_of_a_job_no_longer_running_skips_everything(storage: InMemoryJobs) -> None:
    storage.jobs["J1"] = job(JobStatus.CANCELLED)

    counts = pushing.push_batch(PushMessage(job_id="J1", channel="shop", batch_id="0-0", skus=["A"]))

    assert counts == {"skipped": 1}
    assert storage.get("J1").counts.skipped == 1 and storage.get("J1").failures == ()
