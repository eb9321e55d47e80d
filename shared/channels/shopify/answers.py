"""Reading Shopify's answers: variants, user errors, GraphQL error codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.channels.base import ChannelVariant, PricePush, StatusPush, VariantStatus


@dataclass(frozen=True)
class UserError:
    code: str
    field: list[str]
    message: str

    @classmethod
    def parse(cls, error: dict[str, Any]) -> UserError:
        return cls(
            str(error.get("code") or ""),
            [str(part) for part in error.get("field") or []],
            str(error["message"]),
        )

    def index_in(self, *path: str) -> int | None:
        """Which entry of the input list at `path` the error is about, if it is about one."""
        at = len(path)
        if len(self.field) > at and tuple(self.field[:at]) == path and self.field[at].isdigit():
            return int(self.field[at])
        return None

    @property
    def quantity_index(self) -> int | None:
        return self.index_in("input", "quantities")


# -- mapping Shopify's answers ------------------------------------------------------------------


def catalog_variant(node: dict[str, Any]) -> ChannelVariant:
    item = node["inventoryItem"]
    levels = item["inventoryLevels"]["nodes"] if item else []
    level = levels[0] if levels else None
    return channel_variant(node, level, str(level["location"]["id"]) if level else "")


def channel_variant(node: dict[str, Any], level: dict[str, Any] | None, location_id: str) -> ChannelVariant:
    """A variant from what a query read of it and of its inventory level at `location_id`."""
    item = node["inventoryItem"]
    available = available_quantity(level)
    return ChannelVariant(
        variant_id=str(node["id"]),
        product_id=str(node["product"]["id"]),
        sku=node.get("sku") or "",
        barcode=node.get("barcode") or "",
        inventory_item_id=str(item["id"]) if item else "",
        location_id=location_id,
        quantity=available if available is not None else int(node.get("inventoryQuantity") or 0),
        price=decimal_or_none(node.get("price")),
        status=VariantStatus.ACTIVE if node["product"]["status"] == "ACTIVE" else VariantStatus.HIDDEN,
    )


def stocked(locations: Sequence[str], levels: Sequence[dict[str, Any] | None]) -> dict[str, int]:
    """What is available at each location the item is stocked at (a level read), by location id."""
    found = {}
    for location_id, level in zip(locations, levels, strict=True):
        available = available_quantity(level)
        if location_id and available is not None:
            found[location_id] = available
    return found


def by_product(pushes: Sequence[PricePush | StatusPush]) -> dict[str, list[int]]:
    """The positions of the pushes, by product, in the order products first appear."""
    groups: dict[str, list[int]] = {}
    for index, push in enumerate(pushes):
        groups.setdefault(push.product_id, []).append(index)
    return groups


def available_quantity(level: dict[str, Any] | None) -> int | None:
    if not level:
        return None
    for quantity in level.get("quantities") or []:
        if quantity["name"] == "available":
            return int(quantity["quantity"])
    return None


def decimal_or_none(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def error_code(body: dict[str, Any]) -> str | None:
    """The code of the first top-level GraphQL error, e.g. THROTTLED or MAX_COST_EXCEEDED."""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = (errors[0].get("extensions") or {}).get("code")
        return str(code) if code is not None else None
    return None


def graphql_error_message(errors: Any) -> str:
    if isinstance(errors, list):
        text = "; ".join(
            f"{error.get('message', error)} ({(error.get('extensions') or {}).get('code', 'no code')})"
            if isinstance(error, dict)
            else str(error)
            for error in errors
        )
    else:
        text = str(errors)
    return f"Shopify rejected Tidemark's query: {text[:500]}; this is a Tidemark bug: report it"
