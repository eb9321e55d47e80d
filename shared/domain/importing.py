"""CSV files keyed by SKU, every row checked before anything is written: listing imports here,
quantity adjustments (shared/domain/adjusting.py) through the same parser.

A cell left empty keeps the listing's current value, so a file with only `sku,on_hand`
updates quantities and nothing else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from pydantic import ConfigDict, Field, ValidationError

from shared.domain.fields import FieldError
from shared.domain.listing import CreatedBy, Listing, ListingStatus, Sku
from shared.domain.locations import NAME_FIX, NAME_PATTERN, with_location_stock
from shared.domain.model import Model

# What a channel takes as a quantity (Shopify refuses more than 1e9: INVALID_QUANTITY_TOO_HIGH),
# and far inside what DynamoDB stores (38 digits): a bigger number never reaches AWS.
MAX_QUANTITY = 1_000_000_000
# A console request's import: what it can write well inside the API's 30 s (bigger files: split).
MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_WHOLE = f"use a whole number of 0 or more, at most {MAX_QUANTITY:,}"
_FIXES = {
    "sku": "give every row a SKU (1 to 255 characters)",
    "upc": "use at most 64 characters",
    "mpn": "use at most 128 characters",
    "title": "use at most 2,000 characters",
    "on_hand": _WHOLE,
    "committed": _WHOLE,
    "safety_buffer": _WHOLE,
    "price": f"use a number of 0 or more with at most 2 decimals, like 19.99, at most {MAX_QUANTITY:,}",
    "status": "use active or inactive",
    "auto_sync": "use true or false",
    "location": f"name a master location (tidemark locations list): {NAME_FIX}",
}


class SkuRow(Model):
    """One CSV row of a listing; its fields are the file's columns, only the cells given are set."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    # a file holds a SKU once; or once a location (an adjustments file: its rows apply one by one)
    ONE_ROW_A_LOCATION: ClassVar[bool] = False

    sku: Sku


R = TypeVar("R", bound=SkuRow)


class ListingRow(SkuRow):
    """One row of a listings import."""

    upc: str | None = Field(default=None, max_length=64)
    mpn: str | None = Field(default=None, max_length=128)
    title: str | None = Field(default=None, max_length=2000)
    on_hand: int | None = Field(default=None, ge=0, le=MAX_QUANTITY, strict=False)
    committed: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    safety_buffer: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    price: Decimal | None = Field(default=None, ge=0, le=MAX_QUANTITY, decimal_places=2)
    status: ListingStatus | None = None
    auto_sync: bool | None = None
    location: str | None = Field(default=None, pattern=NAME_PATTERN)  # on_hand, committed are there

    def given(self) -> dict[str, Any]:
        """The cells this row gives (an empty cell gives nothing), by column."""
        return self.model_dump(exclude_unset=True, exclude_none=True)

    def columns(self) -> set[str]:
        """The listing's attributes the row writes (a location's quantities: the totals and stock)."""
        given = self.given().keys() - {"sku"}
        return given - {"location"} | {"on_hand", "committed", "stock"} if "location" in given else given

    def apply_to(
        self, current: Listing | None, at: datetime, created_by: CreatedBy, auto_sync: bool = False
    ) -> Listing:
        """The listing after this row: a new one takes how it was created and, unless the row sets
        it, the auto-sync flag the rules give (`auto_sync`). With a location, on_hand and committed
        are the listing's there."""
        given = self.given()
        location = given.pop("location", None)
        located = {name: given.pop(name) for name in ("on_hand", "committed") if location and name in given}
        if current is None:
            created = Listing(**{"auto_sync": auto_sync, **given}, created_by=created_by, updated_at=at)
            return with_location_stock(created, location, **located) if location else created
        updated = current.model_copy(update=given)
        if location:
            updated = with_location_stock(updated, location, **located)
        # an unchanged row keeps its time: the change index (smart sync) holds real changes only
        return current if updated == current else updated.model_copy(update={"updated_at": at})


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportTooLarge(FieldError):
    """A console import past MAX_IMPORT_ROWS or MAX_IMPORT_BYTES: nothing was imported."""

    def __init__(self, limit: str) -> None:
        super().__init__("csv", f"a file imports at most {limit}: split it into smaller files")


class ImportRejected(ValueError):
    """The whole file is refused; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"the file was refused and nothing changed: {shown}{more}")


def parse_listings_csv(
    text: str, created_by: CreatedBy = CreatedBy.FILE_IMPORT, *, limited: bool = False
) -> list[ListingRow]:
    """Parse and check a whole listings file, or raise ImportRejected naming every bad cell."""
    return [row for _, row in listing_lines(text, created_by, limited=limited)]


def listing_lines(
    text: str, created_by: CreatedBy = CreatedBy.FILE_IMPORT, *, limited: bool = False
) -> list[tuple[int, ListingRow]]:
    """Parse and check a whole listings file, each row with its line, or raise ImportRejected naming
    every bad cell. An order import creates listings at 0 on hand: it sets no on_hand. `limited`: a
    console request's, refused (ImportTooLarge) past MAX_IMPORT_BYTES or MAX_IMPORT_ROWS."""
    if limited and len(text.encode()) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"{MAX_IMPORT_BYTES:,} bytes")
    rows = parse_rows(text, ListingRow, _FIXES)
    if limited and len(rows) > MAX_IMPORT_ROWS:
        raise ImportTooLarge(f"{MAX_IMPORT_ROWS:,} rows")
    if created_by is CreatedBy.ORDER_IMPORT:
        fix = "an order import creates listings at 0 on hand: leave it out, then `tidemark listings adjust`"
        errors = [RowError(line, "on_hand", fix) for line, row in rows if row.on_hand is not None]
        if errors:
            raise ImportRejected(errors)
    return rows


def parse_rows(text: str, model: type[R], fixes: Mapping[str, str]) -> list[tuple[int, R]]:
    """Parse and check a whole file whose columns are `model`'s fields, or raise ImportRejected
    naming every bad cell with its fix; each row comes with its line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    errors = _header_errors(header, tuple(model.model_fields))
    if errors:
        raise ImportRejected(errors)
    reader.fieldnames = header
    rows: list[tuple[int, R]] = []
    first_line: dict[str, int] = {}  # by SKU (and location, where the rows name one)
    for line, raw in _rows(reader):
        if None in raw:
            errors.append(RowError(line, "-", f"more cells than the {len(header)} columns of the header"))
            continue
        try:
            row = model.model_validate(_filled(raw))
        except ValidationError as invalid:
            errors.extend(_row_errors(line, invalid, fixes))
            continue
        key, at = _row_key(row)
        if key in first_line:
            errors.append(
                RowError(line, "sku", f"SKU '{row.sku}'{at} is also on line {first_line[key]}: keep one row")
            )
            continue
        first_line[key] = line
        rows.append((line, row))
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, "-", "the file has no rows: add one row per listing")])
    return rows


def _filled(raw: dict[str, Any]) -> dict[str, Any]:
    """A row's cells that hold a value (an empty or blank cell is a field left out)."""
    return {k: v for k, v in raw.items() if v is not None and v.strip() != ""}


def _row_key(row: SkuRow) -> tuple[str, str]:
    """What no two rows of a file may share: the SKU, and the location where each row names one;
    with the words that place it after the SKU in an error."""
    where = getattr(row, "location", None) if row.ONE_ROW_A_LOCATION else None
    if where is None:
        return row.sku, ""
    return f"{row.sku}\x00{where}", f" at location {where}"


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The file's rows with their lines; ImportRejected where the reader cannot go on (a cell past
    its field size limit, a quote never closed)."""
    line = 1
    try:
        for raw in reader:
            line += 1
            yield line, raw
    except csv.Error as error:
        fix = "check its quotes, and that no cell is over 128 KiB"
        raise ImportRejected([RowError(line + 1, "-", f"not readable as CSV ({error}): {fix}")]) from error


def _header_errors(header: list[str], columns: tuple[str, ...]) -> list[RowError]:
    allowed = ", ".join(columns)
    if "sku" not in header:
        return [RowError(1, "sku", f"the header has no sku column: add it (columns: {allowed})")]
    errors = [
        RowError(1, name, f"unknown column '{name}': use only {allowed}")
        for name in header
        if name not in columns
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, f"column '{name}' appears twice: keep one"))
        seen.add(name)
    return errors


def _row_errors(line: int, invalid: ValidationError, fixes: Mapping[str, str]) -> list[RowError]:
    errors = []
    for detail in invalid.errors():
        column = str(detail["loc"][0]) if detail["loc"] else "-"
        if detail["type"] == "value_error":  # a row's own rule: its message names the fix
            rule = detail["ctx"]["error"]
            if isinstance(rule, FieldError):
                errors.append(RowError(line, rule.field, rule.fix))
            else:
                errors.append(RowError(line, column, str(rule)))
            continue
        fix = fixes.get(column, "correct the value")
        got = detail.get("input")
        shown = f" (got '{got}')" if isinstance(got, str) else ""
        errors.append(RowError(line, column, f"{detail['msg'].lower()}{shown}: {fix}"))
    return errors
