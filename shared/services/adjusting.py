"""Quantity events: every kind of change to on hand or committed (sales, purchase and work orders,
by hand, a file upload, an inventory feed), one listing or a whole file, each a conditional write
on the listing. A request carrying an Idempotency-Key is applied once however often it is sent."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field, model_validator

from shared.domain.adjusting import (
    MAX_FILE_ROWS,
    Adjustment,
    Committed,
    Delta,
    LocationColumn,
    OnHand,
    one_quantity,
    parse_adjustments,
)
from shared.domain.fields import FieldRule
from shared.domain.importing import ImportRejected, RowError
from shared.domain.listing import AdjustReason, Listing, Sku
from shared.domain.model import Model
from shared.services import locations
from shared.services.jobs import UnknownSkus
from shared.services.once import apply_once
from shared.storage import bundles, listings


class AdjustRequest(Model):
    """One listing's change (sku and one of on_hand, delta, committed), or a file of changes (csv)."""

    model_config = ConfigDict(extra="forbid")

    reason: AdjustReason = Field(
        description="sales_order, purchase_order, work_order, manual, file_upload or feed"
    )
    sku: Sku | None = Field(default=None, description="the listing to change")
    on_hand: OnHand
    delta: Delta
    committed: Committed
    location: LocationColumn
    csv: str | None = Field(
        default=None,
        description=f"a file of changes instead: columns sku, one of on_hand, delta, committed a row, "
        "and optionally location; "
        f"at most {MAX_FILE_ROWS} rows",
    )

    @model_validator(mode="after")
    def _one_form(self) -> AdjustRequest:
        if self.csv is not None:
            if self.sku is not None or any(v is not None for v in (self.on_hand, self.delta, self.committed)):
                raise FieldRule("csv", "send a csv, or one sku with its change, not both")
        elif self.sku is None:
            raise FieldRule("sku", "give the listing's sku and one of on_hand, delta or committed (or a csv)")
        else:
            one_quantity(self)
        return self


class AdjustSummary(Model):
    changed: int
    unchanged: int
    listing: Listing | None = None  # one listing's change: the listing after it


def adjust(
    request: AdjustRequest, idempotency_key: str | None = None, context: LambdaContext | None = None
) -> AdjustSummary:
    """Apply the change or the file; with an Idempotency-Key, once (shared/services/once.py)."""
    return apply_once("adjust", idempotency_key, request, _apply, AdjustSummary, context)


def _apply(request: AdjustRequest) -> AdjustSummary:
    now = datetime.now(UTC)
    if request.csv is None:
        assert request.sku is not None  # the request's validator
        change = Adjustment(
            sku=request.sku,
            on_hand=request.on_hand,
            delta=request.delta,
            committed=request.committed,
            location=request.location,
        )
        if change.location is not None:
            locations.known(change.location, "location")
        locations.refuse_bundle_adjustment(change.sku)
        try:
            listing, moved = _adjust_one(change, request.reason, now)
        except listings.ListingNotFound:
            raise UnknownSkus([change.sku], field="sku") from None
        return AdjustSummary(changed=int(moved), unchanged=int(not moved), listing=listing)
    rows = parse_adjustments(request.csv)
    _check_rows(rows)
    changed = sum(_adjust_one(row, request.reason, now)[1] for _, row in rows)
    return AdjustSummary(changed=changed, unchanged=len(rows) - changed)


def _adjust_one(change: Adjustment, reason: AdjustReason, at: datetime) -> tuple[Listing, bool]:
    if change.location is None:
        return listings.adjust(change, reason, at)
    return listings.adjust_at(change.location, change, reason, at)


def _check_rows(rows: list[tuple[int, Adjustment]]) -> None:
    """The whole file refused, naming each line, when a row names an unknown listing or location,
    or a bundle (it has no stock of its own)."""
    known = listings.get_many(row.sku for _, row in rows)
    held = bundles.get_many(known)
    missing = _unknown_locations({row.location for _, row in rows if row.location is not None})
    errors = []
    for line, row in rows:
        if row.sku not in known:
            errors.append(
                RowError(line, "sku", f"no listing with SKU '{row.sku}': import it first, or remove the row")
            )
        elif row.sku in held:
            errors.append(
                RowError(
                    line, "sku", f"'{row.sku}' is a bundle, with no stock of its own: adjust its components"
                )
            )
        if row.location in missing:
            errors.append(
                RowError(
                    line,
                    "location",
                    f"no location '{row.location}': add it first (tidemark locations add {row.location})",
                )
            )
    if errors:
        raise ImportRejected(errors)


def _unknown_locations(named: set[str]) -> set[str]:
    missing = set()
    for name in named:
        try:
            locations.known(name, "location")
        except locations.LocationNotFound:
            missing.add(name)
    return missing
