"""Selecting listings by a filter: `status=active`, `sku-prefix=ABC`, `title=shirt`,
`created-by=feed`, `quantity=0..10`. A listing matches when it matches every filter given.

- status: active or inactive
- sku-prefix: SKUs that start with it (case-sensitive, as SKUs are)
- title: titles that contain it, in any case
- created-by: manual, file-import, order-import or feed
- quantity: on hand in a range, bounds included: 0..10, 5.. (5 or more), ..0 (0 or less), 7 (exactly)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from shared.domain.fields import FieldError
from shared.domain.listing import CreatedBy, Listing, ListingStatus

FORMS = "status=active, sku-prefix=ABC, title=shirt, created-by=feed or quantity=0..10"
_RANGE = re.compile(r"(-?[0-9]+)?\.\.(-?[0-9]+)?|(-?[0-9]+)")


class FilterError(FieldError):
    def __init__(self, expression: str, problem: str) -> None:
        super().__init__("filters", f"'{expression}': {problem}")


@dataclass(frozen=True)
class ListingFilter:
    expressions: tuple[str, ...]  # as given, checked
    status: ListingStatus | None = None
    sku_prefix: str = ""
    title: str = ""
    created_by: CreatedBy | None = None
    quantity_min: int | None = None
    quantity_max: int | None = None

    @classmethod
    def parse(cls, expressions: Sequence[str]) -> ListingFilter:
        """Check every `key=value`; a FilterError names the first bad one and the fix."""
        selection = cls(expressions=tuple(e.strip() for e in expressions))
        seen: set[str] = set()
        for expression in expressions:
            key, value = _key_and_value(expression, seen)
            seen.add(key)
            selection = _PARSERS[key](selection, expression, value)
        return selection

    def matches(self, listing: Listing) -> bool:
        return (
            (self.status is None or listing.status is self.status)
            and listing.sku.startswith(self.sku_prefix)
            and self.title.casefold() in listing.title.casefold()
            and (self.created_by is None or listing.created_by is self.created_by)
            and (self.quantity_min is None or listing.on_hand >= self.quantity_min)
            and (self.quantity_max is None or listing.on_hand <= self.quantity_max)
        )


def _key_and_value(expression: str, seen: set[str]) -> tuple[str, str]:
    """A filter's key and value, checked: a known key, not among those `seen`, with a value."""
    key, equals, value = (part.strip() for part in expression.partition("="))
    if not equals or not key:
        raise FilterError(expression, f"not key=value: use {FORMS}")
    if key not in _PARSERS:
        raise FilterError(expression, f"unknown filter '{key}': use {FORMS}")
    if key in seen:
        raise FilterError(expression, f"{key} is given twice: give each filter once")
    if not value:
        raise FilterError(expression, f"{key} has no value: use {FORMS}")
    return key, value


def _status(selection: ListingFilter, expression: str, value: str) -> ListingFilter:
    try:
        return replace(selection, status=ListingStatus(value.lower()))
    except ValueError:
        raise FilterError(expression, "status is active or inactive") from None


def _created_by(selection: ListingFilter, expression: str, value: str) -> ListingFilter:
    try:
        return replace(selection, created_by=CreatedBy(value.lower().replace("-", "_")))
    except ValueError:
        raise FilterError(expression, "created-by is manual, file-import, order-import or feed") from None


def _quantity(selection: ListingFilter, expression: str, value: str) -> ListingFilter:
    found = _RANGE.fullmatch(value.replace(" ", ""))
    if found is None or found.group(0) == "..":
        raise FilterError(expression, "quantity is a range of on hand: 0..10, 5.., ..0 or 7")
    low, high, exactly = found.groups()
    if exactly is not None:
        low = high = exactly
    lowest = int(low) if low is not None else None
    highest = int(high) if high is not None else None
    if lowest is not None and highest is not None and lowest > highest:
        raise FilterError(expression, f"{lowest}..{highest} holds no quantity: put the smaller bound first")
    return replace(selection, quantity_min=lowest, quantity_max=highest)


_PARSERS: dict[str, Callable[[ListingFilter, str, str], ListingFilter]] = {
    "status": _status,
    "sku-prefix": lambda selection, expression, value: replace(selection, sku_prefix=value),
    "title": lambda selection, expression, value: replace(selection, title=value),
    "created-by": _created_by,
    "quantity": _quantity,
}
