"""The link job, one catalog page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.channels.factory import client_for
from shared.domain.job import JobFailure, JobKind, JobStatus
from shared.domain.link import LinkStatus
from shared.domain.linking import match_listings, new_link
from shared.storage import channels, jobs, links, listings, secrets


@dataclass(frozen=True)
class PageLinked:
    job_id: str
    cursor: str | None


def link_page(job_id: str, cursor: str | None) -> PageLinked:
    """Read one page of the channel's catalog and link the unlinked listings it matches by SKU."""
    job = jobs.get(job_id)
    if job.status is not JobStatus.RUNNING:
        return PageLinked(job_id, None)
    channel = channels.get(job.channel)
    if channel is None:
        raise LookupError(f"channel '{job.channel}' was removed while job {job_id} ran")
    page = client_for(channel, secrets.read(channel.name)).read_catalog_page(cursor)
    skus = [variant.sku.strip() for variant in page.variants if variant.sku.strip()]
    candidates = listings.get_many(skus)
    existing = links.get_many(channel.name, candidates)
    linked_before = {sku for sku, link in existing.items() if link.status is LinkStatus.LINKED}
    if job.kind is JobKind.RELINK:
        candidates = {sku: listing for sku, listing in candidates.items() if sku not in linked_before}
    matches = match_listings(channel.name, candidates.values(), page.variants, channel.priorities)
    now = datetime.now(UTC)
    new_links = [
        new_link(channel.name, sku, variant, now)
        for sku, variant in matches.linked.items()
        if sku not in linked_before or existing[sku].variant_id != variant.variant_id
    ]
    links.put_many(new_links)
    jobs.add_counts(
        job_id,
        {
            "linked": len(new_links),
            "already_linked": len(matches.linked) - len(new_links),
            "duplicate": len(matches.duplicates),
        },
    )
    if matches.duplicates:
        jobs.add_failures(job_id, [JobFailure(sku=d.value, message=d.fix) for d in matches.duplicates])
    return PageLinked(job_id, page.next_cursor)
