"""Applying Listings Items patches (JSON Patch on top-level attributes), as patchListingsItem and
a JSON_LISTINGS_FEED PATCH message do: the issues a patch raises, and the change it makes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tidemark.sandbox.amazon.records import ListingItem

OPS = ("add", "replace", "merge", "delete")
QUANTITY_ATTRIBUTE = "fulfillment_availability"
OFFER_ATTRIBUTE = "purchasable_offer"


def issue(code: str, message: str, attribute: str | None = None, severity: str = "ERROR") -> dict[str, Any]:
    found: dict[str, Any] = {"code": code, "message": message, "severity": severity}
    if attribute:
        found["attributeNames"] = [attribute]
    return found


def check_patches(patches: Any, marketplace: str, currency: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """The issues of these patches and, when there are none, the changes to apply."""
    if not isinstance(patches, list) or not patches:
        return [issue("4000001", "'patches' must hold one or more JSON Patch operations.")], []
    issues: list[dict[str, Any]] = []
    changes: list[Any] = []
    for number, patch in enumerate(patches):
        if (
            not isinstance(patch, dict)
            or patch.get("op") not in OPS
            or not isinstance(patch.get("path"), str)
        ):
            issues.append(
                issue("4000001", f"patches[{number}]: 'op' (add, replace, merge, delete) and 'path'.")
            )
            continue
        path = patch["path"]
        if not path.startswith("/attributes/") or path.count("/") != 2:
            issues.append(issue("4000002", f"Only top-level attributes can be patched: '{path}'."))
            continue
        name = path.removeprefix("/attributes/")
        if patch["op"] == "delete":
            changes.append((name, None))
            continue
        value = patch.get("value")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            issues.append(issue("4000001", f"'{name}' takes a list of objects as its value.", name))
            continue
        found, change = _checked(name, value, marketplace, currency)
        issues += found
        if not found:
            changes.append((name, change))
    return issues, changes if not issues else []


def _checked(
    name: str, value: list[dict[str, Any]], marketplace: str, currency: str
) -> tuple[list[dict[str, Any]], Any]:
    if name == QUANTITY_ATTRIBUTE:
        return _quantity(value)
    if name == OFFER_ATTRIBUTE:
        return _price(value, marketplace, currency)
    return [], value


def _quantity(value: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Any]:
    for entry in value:
        if entry.get("fulfillment_channel_code") != "DEFAULT":
            continue
        quantity = entry.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            return [
                issue(
                    "90244",
                    f"The value '{quantity}' for 'fulfillment_availability.quantity' is invalid: "
                    "a whole number 0 or more.",
                    QUANTITY_ATTRIBUTE,
                )
            ], None
        return [], quantity
    return [
        issue(
            "90220",
            "'fulfillment_availability' needs an entry with 'fulfillment_channel_code' DEFAULT "
            "(merchant fulfilled).",
            QUANTITY_ATTRIBUTE,
        )
    ], None


def _price(value: list[dict[str, Any]], marketplace: str, currency: str) -> tuple[list[dict[str, Any]], Any]:
    for entry in value:
        if entry.get("marketplace_id") != marketplace:
            continue
        if entry.get("currency") != currency:
            message = (
                f"The currency '{entry.get('currency')}' is not the currency of {marketplace} ({currency})."
            )
            return [issue("8560", message, OFFER_ATTRIBUTE)], None
        try:
            schedule = entry["our_price"][0]["schedule"][0]
            price = Decimal(str(schedule["value_with_tax"]))
        except (KeyError, IndexError, TypeError, InvalidOperation):
            message = (
                "The field 'prices' for the attribute 'purchasable_offer.our_price' does not have enough "
                "values. The required minimum is '1' value(s)."
            )
            return [issue("99022", message, f"{OFFER_ATTRIBUTE}.our_price")], None
        if not price.is_finite() or price <= 0:
            message = f"The price '{schedule['value_with_tax']}' must be greater than 0."
            return [issue("8541", message, f"{OFFER_ATTRIBUTE}.our_price")], None
        return [], price
    message = f"'purchasable_offer' needs an entry with 'marketplace_id' {marketplace}."
    return [issue("90220", message, OFFER_ATTRIBUTE)], None


def apply(item: ListingItem, changes: list[Any]) -> None:
    for name, change in changes:
        if name == QUANTITY_ATTRIBUTE:
            item.quantity = 0 if change is None else int(change)
        elif name == OFFER_ATTRIBUTE:
            item.price = change
        elif change is None:
            item.extra.pop(name, None)
        else:
            item.extra[name] = change
