"""The sandbox's limits, its records (locations, products, variants, orders, bulk operations),
GIDs and its leaky bucket."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeAlias

from graphql import (
    GraphQLResolveInfo,
)

API_VERSION = "2026-10"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
MAX_QUERY_COST = 1000
MAX_INPUT_ARRAY = 250
MAX_PAGE_SIZE = 250
MUTATION_COST = 10
MAX_INVENTORY_QUANTITY = 1_000_000_000
PLAN_RESTORE_RATES = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
BUCKET_SECONDS = 20  # observed: the bucket holds 20 seconds of restore
MAX_BULK_QUERIES = 5  # running at once per shop, since API version 2026-01
MAX_BULK_CONNECTIONS = 5
MAX_BULK_NESTING = 2
BULK_LIMIT_MESSAGE = "Bulk operations limit reached. Please try again later."
DEFAULT_BASE_URL = "http://127.0.0.1"
JSONL_TYPE = "application/jsonl"
SIGNATURE_REFUSED = (
    "<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
    "signature we calculated does not match the signature you provided.</Message></Error>"
)
CENTS = Decimal("0.01")
UNAUTHORIZED_MESSAGE = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming", "reserved", "damaged", "safety_stock")
SETTABLE_QUANTITY_NAMES = ("available", "on_hand")
# The reasons Shopify accepts for inventory changes.
INVENTORY_REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)


Info: TypeAlias = "GraphQLResolveInfo[Any]"  # what graphql-core passes every resolver
BULK_CONTEXT = object()  # the context of a bulk operation's query: its connections are read whole

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<number>\d+)(?:\?.*)?$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def gid(type_name: str, number: int) -> str:
    return f"gid://shopify/{type_name}/{number}"


def parse_gid(value: str) -> tuple[str, int] | None:
    match = _GID.match(value)
    if match is None:
        return None
    return match["type"], int(match["number"])


def gid_number(value: str, type_name: str | None = None) -> int:
    """The number of a GID (of `type_name` when given), or -1 when it is not one."""
    parsed = parse_gid(value)
    if parsed is None or (type_name is not None and parsed[0] != type_name):
        return -1
    return parsed[1]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def graphql_time(rest: str) -> str:
    """A REST time (`2026-01-05T09:00:00+00:00`) as Admin GraphQL writes a DateTime."""
    return datetime.fromisoformat(rest).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rest_time() -> str:
    """Now, as Shopify's REST resources and webhook payloads write times."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def level_gid(item: int, location: int) -> str:
    return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


def delivery_headers() -> dict[str, str]:
    return {"X-Shopify-Webhook-Id": str(uuid.uuid4())}


# ---------------------------------------------------------------------------------------------
# The catalog


@dataclass
class Location:
    number: int
    name: str


@dataclass
class Product:
    number: int
    title: str
    status: str
    created_at: str
    updated_at: str
    variant_numbers: list[int] = field(default_factory=list)


@dataclass
class Variant:
    number: int
    product_number: int
    inventory_item_number: int
    location_number: int  # the one location the item is stocked at
    title: str
    sku: str
    barcode: str | None
    price: Decimal
    created_at: str
    updated_at: str
    compare_at_price: Decimal | None = None


@dataclass(frozen=True)
class SandboxVariant:
    """A variant as the sandbox holds it, for tests and demos."""

    sku: str
    barcode: str | None
    price: Decimal
    quantity: int
    status: str
    variant_id: str
    product_id: str
    inventory_item_id: str
    location_id: str


@dataclass(frozen=True)
class IdempotentResult:
    fingerprint: str
    payload: dict[str, Any]


@dataclass
class BulkOperation:
    number: int
    query: str
    signature: str  # what makes the URL of its output a signed one
    created_at: str
    done_at: float  # on the store's clock
    output: bytes | None = None  # the JSONL, written when the operation completes
    objects: int = 0
    roots: int = 0
    completed_at: str | None = None
    error_code: str | None = None


@dataclass
class Order:
    lines: list[tuple[int, int]]  # (variant number, quantity)
    payload: dict[str, Any]  # as the REST API and the webhooks show it
    location_number: int | None = None  # where it was fulfilled from (None: each variant's own)


class LeakyBucket:
    """Shopify's per app-and-store bucket of cost points, refilled continuously."""

    def __init__(self, restore_rate: float, clock: Callable[[], float]) -> None:
        self.restore_rate = restore_rate
        self.maximum = restore_rate * BUCKET_SECONDS
        self.available = self.maximum
        self._clock = clock
        self._updated_at = clock()

    def refill(self) -> None:
        now = self._clock()
        self.available = min(self.maximum, self.available + (now - self._updated_at) * self.restore_rate)
        self._updated_at = now

    def take(self, cost: int) -> bool:
        self.refill()
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def refund(self, points: int) -> None:
        self.available = min(self.maximum, self.available + points)

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": float(self.maximum),
            "currentlyAvailable": int(self.available),
            "restoreRate": float(self.restore_rate),
        }


def admin_row(variant: SandboxVariant) -> dict[str, Any]:
    """A variant as the sandbox admin API shows it."""
    return {
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": f"{variant.price:.2f}",
        "quantity": variant.quantity,
        "status": "active" if variant.status == "ACTIVE" else "hidden",
        "variant_id": variant.variant_id,
        "product_id": variant.product_id,
        "inventory_item_id": variant.inventory_item_id,
        "location_id": variant.location_id,
    }


def user_errors_payload(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": None, "userErrors": errors}


def max_cost_error(requested: int) -> dict[str, Any]:
    return {
        "message": (
            f"Query cost is {requested}, which exceeds the single query max cost limit "
            f"({MAX_QUERY_COST}).\n\n"
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
            "cost of a query is calculated.\n\n"
            "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
            "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
        ),
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST},
    }


def ean13(twelve_digits: int) -> str:
    digits = f"{twelve_digits:012d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return digits + str((10 - total % 10) % 10)
