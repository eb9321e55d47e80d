"""The reconcile job: read what the channel holds for every linked variant, one shard of SKUs at a
time, and mark each link whose channel values differ from master out of sync (what partial sync
then pushes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.channels.base import ChannelVariant
from shared.domain.allocation import of
from shared.domain.channel import HIDES_BY_QUANTITY, Channel, ChannelType
from shared.domain.job import JobFailure
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.domain.reconciling import reconciled
from shared.services import clients, locations
from shared.services.linking import ShardMatched, running
from shared.storage import channel_rules, jobs, links, listings

LINKS_PER_STEP = 500


def reconcile_shard(job_id: str, shard: int, after: str | None) -> ShardMatched:
    found = running(job_id)
    if found is None:
        return ShardMatched(job_id, shard, None)
    job, channel = found
    page, more_after = links.shard_page(channel.name, shard, after, LINKS_PER_STEP)
    checked = _check_links(channel, [link for link in page if link.status is LinkStatus.LINKED])
    links.write_changes(checked.changed)
    jobs.record_batch(
        job.id, f"reconcile:{shard}:{after or ''}", checked.counts, checked.at, failures=checked.failures
    )
    return ShardMatched(job_id, shard, more_after)


@dataclass
class _Checked:
    """What reconciling a page of links found (at `at`, once the channel was read): its counts,
    the links it changes, and what the merchant must act on."""

    at: datetime
    counts: Counter[str]
    changed: list[tuple[Link | None, Link]] = field(default_factory=list)
    failures: list[JobFailure] = field(default_factory=list)

    def variant_gone(self, link: Link, channel: str) -> None:
        reason = f"variant {link.variant_id} is gone from '{channel}'"
        unlinked = link.model_copy(
            update={"status": LinkStatus.UNLINKED, "unlinked_reason": reason, "updated_at": self.at}
        )
        self.changed.append((link, unlinked))
        self.counts["variant_gone"] += 1
        self.failures.append(JobFailure(sku=link.sku, message=f"{reason}: re-link once the variant is back"))

    def compared(self, link: Link, after_check: Link) -> None:
        if after_check.sync_state is SyncState.OUT_OF_SYNC:
            self.counts["out_of_sync"] += 1
        if after_check != link:
            self.changed.append((link, after_check))


def _check_links(channel: Channel, linked: list[Link]) -> _Checked:
    """Each link's channel values, read now, against what master allocates it. Shopify under a
    location map is compared at every mapped channel location some master location feeds: one read
    per variant still, holding its level at each of them."""
    skus = [link.sku for link in linked]
    masters = listings.get_many(skus)
    reads = locations.push_reads(channel.name, skus)
    master = _Master(
        rules=channel_rules.for_skus(channel.name, masters),
        reads=reads,
        quantities=locations.push_quantities(
            channel.name, skus, masters, {link.sku: link for link in linked}, reads
        ),
        per_location=channel.type is ChannelType.SHOPIFY and bool(reads.location_map),
        hides_by_quantity=channel.type in HIDES_BY_QUANTITY,
    )
    refs = [link.variant_ref(reads.fed if master.per_location else ()) for link in linked]
    held = clients.call(channel, lambda client: client.read_variants(refs)) if refs else []
    found = _Checked(datetime.now(UTC), Counter(checked=len(linked)))
    for link, variant in zip(linked, held, strict=True):
        listing = masters.get(link.sku)
        if variant is None:
            found.variant_gone(link, channel.name)
        elif listing is not None:  # None: the listing was removed from master meanwhile
            found.compared(link, master.reconciled(link, listing, variant, found.at))
    return found


@dataclass(frozen=True)
class _Master:
    """What master says a page of links should hold on the channel."""

    rules: channel_rules.ChannelRules
    reads: locations.PushReads
    quantities: dict[str, int | None]
    per_location: bool
    hides_by_quantity: bool

    def reconciled(self, link: Link, listing: Listing, variant: ChannelVariant, at: datetime) -> Link:
        allocated = of(
            self.rules.rules, self.rules.override(link.sku), listing, self.quantities.get(link.sku)
        )
        return reconciled(
            link,
            listing,
            variant,
            at,
            allocated,
            hides_by_quantity=self.hides_by_quantity,
            by_location=(
                locations.allocated_by_location(listing, self.reads, self.rules)
                if self.per_location
                else None
            ),
            names=self.reads.names,
        )
