"""The link job's catalog read on moto: the links made do not depend on how the catalog was paged
or in what order the pages came, a duplicated value never links, and re-importing keeps links."""

import random
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.channels.base import ChannelVariant
from shared.domain.channel import Channel, ChannelType, LinkPriority
from shared.domain.job import Job, JobKind, JobStatus
from shared.domain.link import LinkStatus
from shared.domain.syncing import shard_of
from shared.services.linking import match_shard
from shared.services.listings import import_listings
from shared.settings import settings as app_settings
from shared.storage import catalog, channels, jobs, links

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, tzinfo=UTC)
PRIORITIES = (
    LinkPriority(listing_field="sku", channel_field="sku"),
    LinkPriority(listing_field="upc", channel_field="barcode"),
)
SKUS = [f"P-{i}" for i in range(8)]
UPCS = ["", "0001", "0002", "0003"]

catalogs = st.lists(st.tuples(st.sampled_from([*SKUS, ""]), st.sampled_from(UPCS)), max_size=14)


def variants_of(pairs):
    return [
        ChannelVariant(
            variant_id=f"v{n}",
            product_id="p",
            sku=sku,
            barcode=upc,
            inventory_item_id=f"i{n}",
            location_id="l",
            quantity=n,
        )
        for n, (sku, upc) in enumerate(pairs)
    ]


def link_channel(variants, page_size, seed, kind=JobKind.LINK, name=None):
    """What a link job leaves behind, its catalog read from these pages, in this order."""
    name = name or f"ch-{uuid.uuid4().hex[:10]}"
    if channels.get(name) is None:
        channels.create(
            Channel(
                name=name,
                type=ChannelType.SHOPIFY,
                store_url="https://x",
                priorities=PRIORITIES,
                link_after_build=False,
                created_at=NOW,
            )
        )
    job = Job(id=uuid.uuid4().hex, channel=name, kind=kind, status=JobStatus.RUNNING, created_at=NOW)
    jobs.create(job)
    pages = [variants[i : i + page_size] for i in range(0, len(variants), page_size)]
    random.Random(seed).shuffle(pages)
    for page in pages:
        catalog.record_page(job.id, page, ("sku", "barcode"), NOW)
    for shard in {shard_of(sku, app_settings().push_shards) for sku in SKUS}:  # the others are empty
        after = None
        while (after := match_shard(job.id, shard, after).after) is not None:
            pass
    return name, jobs.get(job.id)


def made_links(channel):
    found = links.get_many(channel, SKUS)
    return {
        sku: (link.status, link.variant_id, link.matched_field)
        for sku, link in found.items()
        if link.status is LinkStatus.LINKED
    }


@pytest.fixture(scope="module")
def listed(stack):
    rows = "\n".join(f"{sku},{UPCS[n % len(UPCS)]},{n}" for n, sku in enumerate(SKUS))
    import_listings(f"sku,upc,on_hand\n{rows}\n")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=catalogs, page_size=st.integers(1, 5), seed=st.integers(0, 1000))
def test_links_do_not_depend_on_page_size_or_order(listed, pairs, page_size, seed):
    variants = variants_of(pairs)
    in_one_page, _ = link_channel(variants, max(1, len(variants)), seed=0)
    paged, _ = link_channel(variants, page_size, seed)
    assert made_links(paged) == made_links(in_one_page)
    for sku, (_, variant_id, field) in made_links(paged).items():
        value = sku if field == "sku" else UPCS[SKUS.index(sku) % len(UPCS)]
        holders = [v for v in variants if (v.sku if field == "sku" else v.barcode) == value]
        assert [v.variant_id for v in holders] == [variant_id]  # a duplicated value never links


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=catalogs)
def test_relink_after_link_and_reimport_change_no_link(listed, pairs):
    variants = variants_of(pairs)
    channel, _ = link_channel(variants, 3, seed=1)
    linked = {sku: link for sku, link in links.get_many(channel, SKUS).items()}
    _, relink = link_channel(variants, 2, seed=2, kind=JobKind.RELINK, name=channel)
    assert relink.counts.linked == 0
    rows = "\n".join(f"{sku},{UPCS[n % len(UPCS)]},{n + 5}" for n, sku in enumerate(SKUS))
    import_listings(f"sku,upc,on_hand\n{rows}\n")
    assert links.get_many(channel, SKUS) == linked
