"""Listings imported from CSV: every row checked before anything is written.

A cell left empty keeps the listing's current value, so a file with only `sku,on_hand`
updates quantities and nothing else.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.domain.listing import CreatedBy, Listing, ListingStatus, Sku

COLUMNS = (
    "sku",
    "upc",
    "mpn",
    "title",
    "on_hand",
    "committed",
    "safety_buffer",
    "price",
    "status",
    "auto_sync",
)

_FIXES = {
    "sku": "give every row a SKU (1 to 255 characters)",
    "on_hand": "use a whole number of 0 or more",
    "committed": "use a whole number of 0 or more",
    "safety_buffer": "use a whole number of 0 or more",
    "price": "use a number of 0 or more with at most 2 decimals, like 19.99",
    "status": "use active or inactive",
    "auto_sync": "use true or false",
}


class ListingRow(BaseModel):
    """One CSV row; only the fields the row gives are set."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: Sku
    upc: str | None = None
    mpn: str | None = None
    title: str | None = None
    on_hand: int | None = Field(default=None, ge=0, strict=False)
    committed: int | None = Field(default=None, ge=0)
    safety_buffer: int | None = Field(default=None, ge=0)
    price: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    status: ListingStatus | None = None
    auto_sync: bool | None = None

    def apply_to(self, current: Listing | None, at: datetime, created_by: CreatedBy) -> Listing:
        given = self.model_dump(exclude_unset=True, exclude_none=True)
        if current is None:
            return Listing(**given, created_by=created_by, updated_at=at)
        updated = current.model_copy(update=given)
        # an unchanged row keeps its time: the change index (smart sync) holds real changes only
        return current if updated == current else updated.model_copy(update={"updated_at": at})


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportRejected(ValueError):
    """The whole file is refused; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"the file was not imported: {shown}{more}")


def parse_listings_csv(text: str) -> list[ListingRow]:
    """Parse and check a whole file, or raise ImportRejected naming every bad cell."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    errors = _header_errors(header)
    if errors:
        raise ImportRejected(errors)
    reader.fieldnames = header
    rows: list[ListingRow] = []
    first_line: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if None in raw:
            errors.append(RowError(line, "-", f"more cells than the {len(header)} columns of the header"))
            continue
        cells: dict[str, Any] = {k: v for k, v in raw.items() if v is not None and v.strip() != ""}
        try:
            row = ListingRow.model_validate(cells)
        except ValidationError as invalid:
            errors.extend(_row_errors(line, invalid))
            continue
        if row.sku in first_line:
            errors.append(
                RowError(line, "sku", f"SKU '{row.sku}' is also on line {first_line[row.sku]}: keep one row")
            )
            continue
        first_line[row.sku] = line
        rows.append(row)
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, "-", "the file has no rows: add one row per listing")])
    return rows


def _header_errors(header: list[str]) -> list[RowError]:
    allowed = ", ".join(COLUMNS)
    if "sku" not in header:
        return [RowError(1, "sku", f"the header has no sku column: add it (columns: {allowed})")]
    errors = [
        RowError(1, name, f"unknown column '{name}': use only {allowed}")
        for name in header
        if name not in COLUMNS
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, f"column '{name}' appears twice: keep one"))
        seen.add(name)
    return errors


def _row_errors(line: int, invalid: ValidationError) -> list[RowError]:
    errors = []
    for detail in invalid.errors():
        column = str(detail["loc"][0]) if detail["loc"] else "-"
        fix = _FIXES.get(column, "correct the value")
        got = detail.get("input")
        shown = f" (got '{got}')" if isinstance(got, str) else ""
        errors.append(RowError(line, column, f"{detail['msg'].lower()}{shown}: {fix}"))
    return errors
