"""Quantity events: one change of one listing's on hand or committed, and files of them (a file
upload or an inventory feed), every row checked before anything is written.

A change sets on hand, moves it by a delta, or sets committed. Only a delta may take on hand
below 0 (an order can oversell); the balance pushed to channels never goes below 0.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, model_validator

from shared.domain.fields import FieldRule
from shared.domain.importing import MAX_QUANTITY, ImportRejected, RowError, SkuRow, parse_rows
from shared.domain.locations import NAME_FIX, NAME_PATTERN

OnHand = Annotated[
    int | None, Field(default=None, ge=0, le=MAX_QUANTITY, description="set on hand to this: 0 to 1e9")
]
Delta = Annotated[
    int | None,
    Field(
        default=None,
        ge=-MAX_QUANTITY,
        le=MAX_QUANTITY,
        description="add this to on hand (below 0 takes away; on hand may go below 0): -1e9 to 1e9",
    ),
]
Committed = Annotated[
    int | None, Field(default=None, ge=0, le=MAX_QUANTITY, description="set committed to this: 0 to 1e9")
]

LocationColumn = Annotated[
    str | None,
    Field(
        default=None,
        pattern=NAME_PATTERN,
        description="the master location the change is at (default: the listing's totals, `default` "
        "holding what other locations do not)",
    ),
]

QUANTITIES = ("on_hand", "delta", "committed")

# Rows one request applies: each is one conditional write, and the request must answer in time.
MAX_FILE_ROWS = 2000

_FIXES = {
    "sku": "give every row a SKU (1 to 255 characters)",
    "on_hand": f"use a whole number of 0 or more, at most {MAX_QUANTITY:,}",
    "delta": f"use a whole number, like -3 or 12, from -{MAX_QUANTITY:,} to {MAX_QUANTITY:,}",
    "committed": f"use a whole number of 0 or more, at most {MAX_QUANTITY:,}",
    "location": f"name a master location (tidemark locations list): {NAME_FIX}",
}


def one_quantity(change: BaseModel) -> None:
    """A change gives exactly one of on_hand, delta and committed."""
    given = [name for name in QUANTITIES if getattr(change, name) is not None]
    if not given:
        raise FieldRule("on_hand", "give one of on_hand, delta or committed")
    if len(given) > 1:
        raise FieldRule(given[1], f"give only one of on_hand, delta or committed (got {' and '.join(given)})")


class Adjustment(SkuRow):
    """One change of one listing; also one row of an adjustments file."""

    on_hand: OnHand
    delta: Delta
    committed: Committed
    location: LocationColumn
    ONE_ROW_A_LOCATION: ClassVar[bool] = True

    @model_validator(mode="after")
    def _one_quantity(self) -> Adjustment:
        one_quantity(self)
        return self

    @property
    def changes_nothing(self) -> bool:
        return self.delta == 0


def parse_adjustments(text: str) -> list[tuple[int, Adjustment]]:
    """A whole file (columns sku and one of on_hand, delta, committed a row), each row with its
    line; or ImportRejected naming every bad cell and its fix."""
    rows = parse_rows(text, Adjustment, _FIXES)
    if len(rows) > MAX_FILE_ROWS:
        raise ImportRejected(
            [
                RowError(
                    MAX_FILE_ROWS + 2,
                    "-",
                    f"at most {MAX_FILE_ROWS} rows a file: split it into smaller files",
                )
            ]
        )
    return rows
