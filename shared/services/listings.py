"""Importing listings: the whole file is checked first, then every row is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain.importing import parse_listings_csv
from shared.domain.listing import CreatedBy, Listing
from shared.storage import links, listings


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int


def import_listings(csv_text: str, created_by: CreatedBy = CreatedBy.FILE_IMPORT) -> ImportSummary:
    """Create or update listings from CSV; links are kept. Raises ImportRejected, writing nothing."""
    rows = parse_listings_csv(csv_text)
    now = datetime.now(UTC)
    current = listings.get_many(row.sku for row in rows)
    listings.put_many(row.apply_to(current.get(row.sku), now, created_by) for row in rows)
    return ImportSummary(created=len(rows) - len(current), updated=len(current))


@dataclass(frozen=True)
class ListingView:
    listing: Listing
    links: list[dict[str, object]]


def show_listing(sku: str) -> ListingView | None:
    listing = listings.get(sku)
    if listing is None:
        return None
    return ListingView(listing, [link.model_dump(mode="json") for link in links.for_listing(sku)])
