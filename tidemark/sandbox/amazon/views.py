"""How the sandbox answers reads: a listings item with its included data, and searchListingsItems'
filters, sorting and page tokens."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tidemark.sandbox.amazon.records import (
    SEARCH_PAGE_DEFAULT,
    SEARCH_PAGE_MAX,
    ListingItem,
    invalid_input,
    iso,
)

INCLUDED_DATA = ("summaries", "attributes", "issues", "offers", "fulfillmentAvailability")
IDENTIFIER_TYPES = ("SKU", "ASIN", "UPC", "EAN", "GTIN")
_IDENTIFIER_FIELD = {"SKU": "sku", "ASIN": "asin", "UPC": "upc", "EAN": "ean", "GTIN": "upc"}
_SORT_KEYS: dict[str, Callable[[ListingItem], Any]] = {
    "sku": lambda i: i.sku,
    "createdDate": lambda i: (i.created, i.sku),
    "lastUpdatedDate": lambda i: (i.updated, i.sku),
}


def item_view(
    item: ListingItem, included: tuple[str, ...], marketplace: str, currency: str
) -> dict[str, Any]:
    view: dict[str, Any] = {"sku": item.sku}
    if "summaries" in included:
        view["summaries"] = [
            {
                "marketplaceId": marketplace,
                "asin": item.asin,
                "productType": item.product_type,
                "conditionType": "new_new",
                "status": item.statuses(),
                "itemName": item.item_name,
                "createdDate": iso(item.created),
                "lastUpdatedDate": iso(item.updated),
            }
        ]
    if "attributes" in included:
        identifiers = [
            {"type": kind, "value": value, "marketplace_id": marketplace}
            for kind, value in (("upc", item.upc), ("ean", item.ean))
            if value
        ]
        view["attributes"] = {
            **item.extra,
            "externally_assigned_product_identifier": identifiers,
            "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": item.quantity}],
        }
    if "issues" in included:
        view["issues"] = []
    if "offers" in included:
        view["offers"] = (
            []
            if item.price is None
            else [
                {
                    "marketplaceId": marketplace,
                    "offerType": "B2C",
                    "price": {"currencyCode": currency, "amount": f"{item.price:.2f}"},
                }
            ]
        )
    if "fulfillmentAvailability" in included:
        view["fulfillmentAvailability"] = [{"fulfillmentChannelCode": "DEFAULT", "quantity": item.quantity}]
    return view


def filtered(items: list[ListingItem], params: Mapping[str, str]) -> list[ListingItem]:
    """The items a search's filters keep, in its order."""
    identifiers = [v for v in (params.get("identifiers") or "").split(",") if v]
    if identifiers:
        kind = params.get("identifiersType", "")
        if kind not in IDENTIFIER_TYPES:
            raise invalid_input(
                f"'identifiersType' must be one of {', '.join(IDENTIFIER_TYPES)} with 'identifiers'."
            )
        if len(identifiers) > 20:
            raise invalid_input("'identifiers' holds at most 20 values.")
        items = [i for i in items if getattr(i, _IDENTIFIER_FIELD[kind]) in identifiers]
    statuses = {s for s in (params.get("withStatus") or "").split(",") if s}
    if statuses:
        items = [i for i in items if statuses & set(i.statuses())]
    if params.get("createdAfter"):
        created = moment("createdAfter", params["createdAfter"])
        items = [i for i in items if i.created >= created]
    if params.get("lastUpdatedAfter"):
        updated = moment("lastUpdatedAfter", params["lastUpdatedAfter"])
        items = [i for i in items if i.updated >= updated]
    sort_by = params.get("sortBy", "lastUpdatedDate")
    if sort_by not in _SORT_KEYS:
        raise invalid_input("'sortBy' must be one of sku, createdDate, lastUpdatedDate.")
    order = params.get("sortOrder", "DESC")
    if order not in ("ASC", "DESC"):
        raise invalid_input("'sortOrder' must be ASC or DESC.")
    return sorted(items, key=_SORT_KEYS[sort_by], reverse=order == "DESC")


def included_data(given: str | None) -> tuple[str, ...]:
    names = tuple(part for part in (given or "summaries").split(",") if part)
    for name in names:
        if name not in (*INCLUDED_DATA, "procurement", "relationships", "productTypes"):
            raise invalid_input(f"Invalid 'includedData' value: {name}.")
    return names


def page_size(given: str | None) -> int:
    if given is None:
        return SEARCH_PAGE_DEFAULT
    if not given.isdigit() or not 1 <= int(given) <= SEARCH_PAGE_MAX:
        raise invalid_input(f"'pageSize' must be between 1 and {SEARCH_PAGE_MAX}.")
    return int(given)


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "t": int(time.time())}).encode()).decode()


def page_start(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["o"])
    except (ValueError, KeyError, TypeError) as error:
        raise invalid_input("Invalid 'pageToken'.") from error


def moment(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise invalid_input(f"'{name}' must be an ISO 8601 date-time.") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
