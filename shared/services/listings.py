"""Importing listings: the whole file is checked first, then every row is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain.importing import ImportRejected, ListingRow, RowError, listing_lines
from shared.domain.job import JobKind
from shared.domain.listing import CreatedBy, Listing
from shared.domain.locations import DEFAULT_LOCATION
from shared.services.jobs import JobRequest, start_job
from shared.storage import channels, links, listings, rules
from shared.storage import locations as location_store


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    link_jobs: list[str]  # the re-link jobs started for the new listings ("link after build")


class ImportPartlyWritten(Exception):
    """The import's writes stopped part way: `written` holds the SKUs written for certain; the
    others may or may not be. Sending the same file again sets the same values: it is safe."""

    def __init__(self, written: list[str], rows: int, cause: BaseException) -> None:
        super().__init__(
            f"the import stopped part way ({cause}): {len(written)} of its {rows} listings were "
            "written (errors name them), the others were not or may not have been: send the same "
            "file again (it sets the same values)"
        )
        self.written = written


def import_listings(
    csv_text: str, created_by: CreatedBy = CreatedBy.FILE_IMPORT, *, limited: bool = False
) -> ImportSummary:
    """Create or update listings from CSV; links are kept, and a listing updated gets only the
    columns its row gives (a sale taken meanwhile is kept). Raises ImportRejected (or, `limited`,
    ImportTooLarge), writing nothing; ImportPartlyWritten naming what was written when a write
    failed. New listings start with the auto-sync flag the rules give for `created_by` (unless
    their row sets it). When listings were created, every channel with "link after build" on gets
    a re-link job."""
    lines = listing_lines(csv_text, created_by, limited=limited)
    _known_locations(lines)
    rows = [row for _, row in lines]
    now = datetime.now(UTC)
    current = listings.get_many(row.sku for row in rows)
    auto_sync = rules.get().default_for(created_by)
    after = [(row, row.apply_to(current.get(row.sku), now, created_by, auto_sync)) for row in rows]
    # noted before the listings are written: a location is never removed while one holds stock there
    location_store.note_held(
        [(r.location, r.sku) for r in rows if r.location and r.location != DEFAULT_LOCATION]
    )
    new, updates = _new_and_updated(after, current)
    _write(new, updates, len(rows))
    created = len(rows) - len(current)
    return ImportSummary(
        created=created, updated=len(current), link_jobs=_start_link_after_build() if created else []
    )


def _new_and_updated(
    after: list[tuple[ListingRow, Listing]], current: dict[str, Listing]
) -> tuple[list[Listing], list[tuple[Listing, set[str]]]]:
    """The listings to create, and the ones to update with the columns their rows give (a row that
    changes nothing writes nothing)."""
    new = [listing for row, listing in after if row.sku not in current]
    updates = [
        (listing, row.columns())
        for row, listing in after
        if row.sku in current and listing is not current[row.sku]
    ]
    return new, updates


def _start_link_after_build() -> list[str]:
    """A re-link job on every channel with "link after build" on: their ids."""
    return [
        start_job(JobRequest(channel=channel.name, kind=JobKind.RELINK)).id
        for channel in channels.list_all()
        if channel.link_after_build
    ]


def _known_locations(lines: list[tuple[int, ListingRow]]) -> None:
    """The whole file refused, naming each line, when a row names a location that does not exist."""
    named = {row.location for _, row in lines if row.location and row.location != DEFAULT_LOCATION}
    missing = {name for name in named if location_store.get(name) is None}
    if missing:
        errors = [
            RowError(
                line,
                "location",
                f"no location '{row.location}': add it first (tidemark locations add {row.location})",
            )
            for line, row in lines
            if row.location in missing
        ]
        raise ImportRejected(errors)


NEW_PER_WRITE = 25  # one BatchWriteItem: what is known written when a later one fails


def _write(new: list[Listing], updates: list[tuple[Listing, set[str]]], rows: int) -> None:
    written: list[str] = []
    try:
        for start in range(0, len(new), NEW_PER_WRITE):
            chunk = new[start : start + NEW_PER_WRITE]
            listings.put_many(chunk)
            written += [listing.sku for listing in chunk]
        listings.update_columns(updates)
    except listings.PartlyWritten as stopped:
        raise ImportPartlyWritten(written + stopped.written, rows, stopped.cause) from stopped.cause
    except Exception as error:  # an AWS call that failed: say what had been written before it
        raise ImportPartlyWritten(written, rows, error) from error


@dataclass(frozen=True)
class ListingView:
    listing: Listing
    links: list[dict[str, object]]


def show_listing(sku: str) -> ListingView | None:
    listing = listings.get(sku)
    if listing is None:
        return None
    return ListingView(listing, [link.model_dump(mode="json") for link in links.for_listing(sku)])
