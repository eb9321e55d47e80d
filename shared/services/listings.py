"""Importing listings: the whole file is checked first, then every row is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain.importing import parse_listings_csv
from shared.domain.job import JobKind
from shared.domain.listing import CreatedBy, Listing
from shared.services.jobs import JobRequest, start_job
from shared.storage import channels, links, listings, rules


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    link_jobs: list[str]  # the re-link jobs started for the new listings ("link after build")


def import_listings(csv_text: str, created_by: CreatedBy = CreatedBy.FILE_IMPORT) -> ImportSummary:
    """Create or update listings from CSV; links are kept, and a listing updated gets only the
    columns its row gives (a sale taken meanwhile is kept). Raises ImportRejected, writing nothing.
    New listings start with the auto-sync flag the rules give for `created_by` (unless their row
    sets it). When listings were created, every channel with "link after build" on gets a re-link
    job."""
    rows = parse_listings_csv(csv_text, created_by)
    now = datetime.now(UTC)
    current = listings.get_many(row.sku for row in rows)
    auto_sync = rules.get().default_for(created_by)
    after = [(row, row.apply_to(current.get(row.sku), now, created_by, auto_sync)) for row in rows]
    listings.put_many(listing for row, listing in after if row.sku not in current)
    listings.update_columns(
        (listing, row.given().keys() - {"sku"})
        for row, listing in after
        if row.sku in current and listing is not current[row.sku]
    )
    created = len(rows) - len(current)
    link_jobs = []
    if created:
        for channel in channels.list_all():
            if channel.link_after_build:
                job = start_job(JobRequest(channel=channel.name, kind=JobKind.RELINK))
                link_jobs.append(job.id)
    return ImportSummary(created=created, updated=len(current), link_jobs=link_jobs)


@dataclass(frozen=True)
class ListingView:
    listing: Listing
    links: list[dict[str, object]]


def show_listing(sku: str) -> ListingView | None:
    listing = listings.get(sku)
    if listing is None:
        return None
    return ListingView(listing, [link.model_dump(mode="json") for link in links.for_listing(sku)])
