"""An in-memory Shopify store speaking the Admin GraphQL API 2026-10 over HTTP.

Every request is parsed, validated and executed by graphql-core against a subset of the real
Admin schema (real type, field and enum names), and answered with Shopify's limits and
semantics (see CHANNELS.md): calculated query cost, a leaky bucket per store, the 250-item
input limit, the required `@idempotent` directive and compare-and-set on
`inventorySetQuantities`, prices with `productVariantsBulkUpdate`, statuses with `productUpdate`,
and bulk operations whose JSONL output is served at a signed URL that honours Range requests.

The store also plays the merchant and the shoppers (the sandbox admin API of admin.py), sends the
webhooks Shopify sends for every change, in Shopify's REST webhook shape, and injects faults.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias, TypeVar, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_schema,
    execute_sync,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.execution import ExecutionResult, Executor
from graphql.execution.execute import assume_not_async_iterable, assume_not_awaitable
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tidemark.sandbox.admin import VariantEdit, admin_routes
from tidemark.sandbox.faults import FaultMiddleware, Faults
from tidemark.sandbox.webhooks import WebhookSender

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

SCHEMA_SDL = """
directive @idempotent(key: String!) on FIELD

schema {
  query: QueryRoot
  mutation: Mutation
}

scalar DateTime
scalar Money
scalar URL
scalar UnsignedInt64

interface Node {
  id: ID!
}

type QueryRoot {
  shop: Shop!
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  productVariant(id: ID!): ProductVariant
  inventoryItem(id: ID!): InventoryItem
  productVariants(
    first: Int, after: String, last: Int, before: String, query: String
  ): ProductVariantConnection!
  productVariantsCount(query: String, limit: Int = 10000): Count
  bulkOperation(id: ID!): BulkOperation
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
}

type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  productVariantsBulkUpdate(
    productId: ID!, variants: [ProductVariantsBulkInput!]!, allowPartialUpdates: Boolean = false
  ): ProductVariantsBulkUpdatePayload
  productUpdate(product: ProductUpdateInput): ProductUpdatePayload
  bulkOperationRunQuery(query: String!, groupObjects: Boolean! = false): BulkOperationRunQueryPayload
}

type Count {
  count: Int!
  precision: CountPrecision!
}

enum CountPrecision {
  AT_LEAST
  EXACT
}

type Shop implements Node {
  id: ID!
  name: String!
  myshopifyDomain: String!
}

enum ProductStatus {
  ACTIVE
  ARCHIVED
  DRAFT
  UNLISTED
}

type Product implements Node {
  id: ID!
  title: String!
  status: ProductStatus!
  updatedAt: DateTime!
  variants(first: Int, after: String, last: Int, before: String): ProductVariantConnection!
}

type ProductVariant implements Node {
  id: ID!
  title: String!
  displayName: String!
  sku: String
  barcode: String
  price: Money!
  inventoryQuantity: Int
  inventoryItem: InventoryItem!
  product: Product!
}

type InventoryItem implements Node {
  id: ID!
  sku: String
  tracked: Boolean!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(first: Int, after: String, last: Int, before: String): InventoryLevelConnection!
}

type InventoryLevel implements Node {
  id: ID!
  item: InventoryItem!
  location: Location!
  quantities(names: [String!]!): [InventoryQuantity!]!
}

type InventoryQuantity implements Node {
  id: ID!
  name: String!
  quantity: Int!
  updatedAt: DateTime
}

type Location implements Node {
  id: ID!
  name: String!
  isActive: Boolean!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type ProductVariantConnection {
  nodes: [ProductVariant!]!
  edges: [ProductVariantEdge!]!
  pageInfo: PageInfo!
}

type ProductVariantEdge {
  cursor: String!
  node: ProductVariant!
}

type InventoryLevelConnection {
  nodes: [InventoryLevel!]!
  edges: [InventoryLevelEdge!]!
  pageInfo: PageInfo!
}

type InventoryLevelEdge {
  cursor: String!
  node: InventoryLevel!
}

input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  quantities: [InventoryQuantityInput!]!
}

input InventoryQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  changeFromQuantity: Int
}

type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}

type InventoryAdjustmentGroup implements Node {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: String
  changes: [InventoryChange!]!
}

type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  item: InventoryItem
  location: Location
}

type InventorySetQuantitiesUserError {
  code: InventorySetQuantitiesUserErrorCode
  field: [String!]
  message: String!
}

enum InventorySetQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE
  COMPARE_QUANTITY_REQUIRED
  COMPARE_QUANTITY_STALE
  IDEMPOTENCY_CONCURRENT_REQUEST
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
  INVALID_INVENTORY_ITEM
  INVALID_LOCATION
  INVALID_NAME
  INVALID_QUANTITY_NEGATIVE
  INVALID_QUANTITY_TOO_HIGH
  INVALID_QUANTITY_TOO_LOW
  INVALID_REASON
  INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION
  NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
  NON_MUTABLE_INVENTORY_ITEM
}

input ProductVariantsBulkInput {
  id: ID
  price: Money
  compareAtPrice: Money
}

type ProductVariantsBulkUpdatePayload {
  product: Product
  productVariants: [ProductVariant!]
  userErrors: [ProductVariantsBulkUpdateUserError!]!
}

type ProductVariantsBulkUpdateUserError {
  code: ProductVariantsBulkUpdateUserErrorCode
  field: [String!]
  message: String!
}

enum ProductVariantsBulkUpdateUserErrorCode {
  GREATER_THAN_OR_EQUAL_TO
  INVALID_INPUT
  MUST_BE_FOR_THIS_PRODUCT
  NEGATIVE_PRICE_VALUE
  PRODUCT_DOES_NOT_EXIST
  PRODUCT_VARIANT_DOES_NOT_EXIST
  PRODUCT_VARIANT_ID_MISSING
}

input ProductUpdateInput {
  id: ID
  title: String
  status: ProductStatus
}

type ProductUpdatePayload {
  product: Product
  userErrors: [UserError!]!
}

type UserError {
  field: [String!]
  message: String!
}

type BulkOperation implements Node {
  id: ID!
  status: BulkOperationStatus!
  errorCode: BulkOperationErrorCode
  objectCount: UnsignedInt64!
  rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64
  url: URL
  partialDataUrl: URL
  query: String!
  type: BulkOperationType!
  createdAt: DateTime!
  completedAt: DateTime
}

enum BulkOperationStatus {
  CANCELED
  CANCELING
  COMPLETED
  CREATED
  EXPIRED
  FAILED
  RUNNING
}

enum BulkOperationErrorCode {
  ACCESS_DENIED
  INTERNAL_SERVER_ERROR
  TIMEOUT
}

enum BulkOperationType {
  MUTATION
  QUERY
}

type BulkOperationRunQueryPayload {
  bulkOperation: BulkOperation
  userErrors: [BulkOperationUserError!]!
}

type BulkOperationUserError {
  code: BulkOperationUserErrorCode
  field: [String!]
  message: String!
}

enum BulkOperationUserErrorCode {
  INVALID
  LIMIT_REACHED
  OPERATION_IN_PROGRESS
}
"""

SCHEMA = build_schema(SCHEMA_SDL)

USER_ERROR_MESSAGES = {
    "CHANGE_FROM_QUANTITY_STALE": "The changeFromQuantity value does not match persisted value.",
    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": (
        "The same idempotency key cannot be used with different operation parameters."
    ),
    "INVALID_INVENTORY_ITEM": "The specified inventory item could not be found.",
    "INVALID_LOCATION": "The specified location could not be found.",
    "INVALID_NAME": "The quantity name must be either 'available' or 'on_hand'.",
    "INVALID_QUANTITY_NEGATIVE": "The quantity can't be negative.",
    "INVALID_QUANTITY_TOO_HIGH": "The total quantity can't be higher than 1,000,000,000.",
    "INVALID_REASON": "The specified reason is invalid.",
    "INVALID_REFERENCE_DOCUMENT": "The specified reference document is invalid.",
    "ITEM_NOT_STOCKED_AT_LOCATION": "The specified inventory item is not stocked at the location.",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
        "The combination of inventoryItemId and locationId must be unique."
    ),
}
VARIANTS_ERROR_MESSAGES = {
    "INVALID_INPUT": "Input is invalid.",
    "MUST_BE_FOR_THIS_PRODUCT": "Input must be for this product.",
    "NEGATIVE_PRICE_VALUE": "Price cannot take a negative value.",
    "PRODUCT_DOES_NOT_EXIST": "Product does not exist",
    "PRODUCT_VARIANT_DOES_NOT_EXIST": "Product variant does not exist",
    "PRODUCT_VARIANT_ID_MISSING": "Product variant is missing ID attribute.",
}


Info: TypeAlias = "GraphQLResolveInfo[Any]"  # what graphql-core passes every resolver
_BULK = object()  # the context of a bulk operation's query: its connections are read whole

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<number>\d+)(?:\?.*)?$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def gid(type_name: str, number: int) -> str:
    return f"gid://shopify/{type_name}/{number}"


def parse_gid(value: str) -> tuple[str, int] | None:
    match = _GID.match(value)
    if match is None:
        return None
    return match["type"], int(match["number"])


def _number(value: str, type_name: str | None = None) -> int:
    """The number of a GID (of `type_name` when given), or -1 when it is not one."""
    parsed = parse_gid(value)
    if parsed is None or (type_name is not None and parsed[0] != type_name):
        return -1
    return parsed[1]


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rest_time() -> str:
    """Now, as Shopify's REST resources and webhook payloads write times."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _level_gid(item: int, location: int) -> str:
    return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


def _delivery_headers() -> dict[str, str]:
    return {"X-Shopify-Webhook-Id": str(uuid.uuid4())}


# ---------------------------------------------------------------------------------------------
# The catalog


@dataclass
class _Location:
    number: int
    name: str


@dataclass
class _Product:
    number: int
    title: str
    status: str
    created_at: str
    updated_at: str
    variant_numbers: list[int] = field(default_factory=list)


@dataclass
class _Variant:
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
class _IdempotentResult:
    fingerprint: str
    payload: dict[str, Any]


@dataclass
class _BulkOperation:
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
class _Order:
    lines: list[tuple[int, int]]  # (variant number, quantity)
    payload: dict[str, Any]  # as the REST API and the webhooks show it


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


class ShopifyStore:
    """One Shopify store in memory. Thread-safe: every read and write holds the store's lock.

    With `webhook_url` and `webhook_secret` (or a later `connect_webhooks`), every change made through
    the API or the sandbox admin API sends the webhooks Shopify sends for it. A bulk operation
    completes `bulk_seconds` after it was created, on the store's clock."""

    def __init__(
        self,
        *,
        name: str = "Tidemark Sandbox",
        plan: str = "standard",
        restore_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        faults: Faults | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        bulk_seconds: float = 0.0,
    ) -> None:
        if plan not in PLAN_RESTORE_RATES:
            raise ValueError(f"unknown Shopify plan {plan!r}: use one of {', '.join(PLAN_RESTORE_RATES)}")
        self.name = name
        self.faults = faults or Faults()
        self.webhooks: WebhookSender | None = None
        self._lock = threading.RLock()
        self._clock = clock
        self._bucket = LeakyBucket(restore_rate or PLAN_RESTORE_RATES[plan], clock)
        self._schema = SCHEMA
        self._base_url = DEFAULT_BASE_URL
        self._bulk_seconds = bulk_seconds
        self._locations: dict[int, _Location] = {}
        self._products: dict[int, _Product] = {}
        self._variants: dict[int, _Variant] = {}
        self._variant_by_item: dict[int, int] = {}
        self._available: dict[tuple[int, int], int] = {}  # (inventory item, location) -> available
        self._updated_at: dict[tuple[int, int], str] = {}
        self._idempotent_results: dict[str, _IdempotentResult] = {}
        self._adjustment_groups = 0
        self._bulk_operations: dict[int, _BulkOperation] = {}
        self._orders: dict[int, _Order] = {}
        self._root = {
            "shop": self._resolve_shop,
            "node": self._resolve_node,
            "nodes": self._resolve_nodes,
            "productVariant": self._resolve_typed_node("ProductVariant"),
            "inventoryItem": self._resolve_typed_node("InventoryItem"),
            "productVariants": self._resolve_product_variants,
            "productVariantsCount": self._resolve_product_variants_count,
            "bulkOperation": self._resolve_typed_node("BulkOperation"),
            "currentBulkOperation": self._resolve_current_bulk_operation,
            "inventorySetQuantities": self._resolve_inventory_set_quantities,
            "productVariantsBulkUpdate": self._resolve_product_variants_bulk_update,
            "productUpdate": self._resolve_product_update,
            "bulkOperationRunQuery": self._resolve_bulk_operation_run_query,
        }
        if webhook_url:
            self.connect_webhooks(webhook_url, webhook_secret)

    @property
    def domain(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "sandbox"
        return f"{slug}.myshopify.com"

    # -- building a catalog -------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        variants: int,
        seed: int = 0,
        duplicate_skus: int = 0,
        blank_barcodes: int = 0,
        location_count: int = 1,
        *,
        name: str = "Tidemark Sandbox",
        plan: str = "standard",
        restore_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        faults: Faults | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        bulk_seconds: float = 0.0,
    ) -> ShopifyStore:
        """A repeatable catalog: `SKU-00001` .. `SKU-{variants:05d}` in order, then
        `duplicate_skus` more variants reusing some of those SKUs, on products of 1-3 variants.
        Building it sends no webhooks."""
        rng = random.Random(seed)
        store = cls(
            name=name,
            plan=plan,
            restore_rate=restore_rate,
            clock=clock,
            faults=faults,
            bulk_seconds=bulk_seconds,
        )
        for index in range(1, max(1, location_count) + 1):
            store._locations[60_000_000 + index] = _Location(60_000_000 + index, f"Warehouse {index}")
        location_numbers = list(store._locations)

        skus = [f"SKU-{i:05d}" for i in range(1, variants + 1)]
        skus += [rng.choice(skus) for _ in range(duplicate_skus)] if skus else []
        blank = set(rng.sample(range(len(skus)), min(blank_barcodes, len(skus))))
        created = _rest_time()
        position = 0
        while position < len(skus):
            product_number = 7_000_000_000 + len(store._products) + 1
            status = "DRAFT" if rng.random() < 0.05 else "ACTIVE"
            product = _Product(
                product_number, f"Product {len(store._products) + 1}", status, created, created
            )
            store._products[product_number] = product
            location_number = location_numbers[len(store._products) % len(location_numbers)]
            for option in range(1, min(rng.randint(1, 3), len(skus) - position) + 1):
                variant_number = 41_000_000_000 + position + 1
                item_number = 43_000_000_000 + position + 1
                store._variants[variant_number] = _Variant(
                    number=variant_number,
                    product_number=product_number,
                    inventory_item_number=item_number,
                    location_number=location_number,
                    title=f"Option {option}",
                    sku=skus[position],
                    barcode=None if position in blank else _ean13(400_000_000_000 + position),
                    price=(Decimal(rng.randint(300, 19_999)) / 100).quantize(CENTS),
                    created_at=created,
                    updated_at=created,
                )
                product.variant_numbers.append(variant_number)
                store._variant_by_item[item_number] = variant_number
                store._available[(item_number, location_number)] = rng.randint(0, 50)
                store._updated_at[(item_number, location_number)] = _now_iso()
                position += 1
        if webhook_url:
            store.connect_webhooks(webhook_url, webhook_secret)
        return store

    # -- webhooks -----------------------------------------------------------------------------

    def connect_webhooks(self, url: str, secret: str) -> None:
        """Send the webhooks to `url` from now on, signed with `secret` (the app's client secret)."""
        if not secret:
            raise ValueError(
                "Shopify signs every webhook with the app's client secret: give a webhook secret"
            )
        sender = WebhookSender(url, secret, self._webhook_headers, self.faults, _delivery_headers)
        with self._lock:
            previous, self.webhooks = self.webhooks, sender
        if previous is not None:
            previous.close()

    def close(self) -> None:
        """Stop sending webhooks, once those queued went out."""
        with self._lock:
            previous, self.webhooks = self.webhooks, None
        if previous is not None:
            previous.flush()
            previous.close()

    def _webhook_headers(self, topic: str, body: bytes, signature: str) -> dict[str, str]:
        """The headers of one webhook: its duplicate deliveries share the event id."""
        return {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }

    def _emit(self, topic: str, payload: dict[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.send(topic, payload)

    def _level_changed(self, item: int, location: int) -> None:
        if self.webhooks is None:
            return
        self._emit(
            "inventory_levels/update",
            {
                "inventory_item_id": item,
                "location_id": location,
                "available": self._available[(item, location)],
                "updated_at": _rest_time(),
                "admin_graphql_api_id": _level_gid(item, location),
            },
        )

    def _product_changed(self, product: _Product) -> None:
        if self.webhooks is not None:  # the payload is costly: build it only to send it
            self._emit("products/update", self._product_payload(product))

    def _product_payload(self, product: _Product) -> dict[str, Any]:
        variants = [self._variants[number] for number in product.variant_numbers]
        return {
            "admin_graphql_api_id": gid("Product", product.number),
            "body_html": "",
            "created_at": product.created_at,
            "handle": re.sub(r"[^a-z0-9]+", "-", product.title.lower()).strip("-"),
            "id": product.number,
            "product_type": "",
            "published_at": product.created_at if product.status == "ACTIVE" else None,
            "template_suffix": None,
            "title": product.title,
            "updated_at": product.updated_at,
            "vendor": self.name,
            "status": product.status.lower(),
            "published_scope": "global",
            "tags": "",
            "variants": [self._variant_payload(v, position) for position, v in enumerate(variants, 1)],
            "options": [],
            "images": [],
            "image": None,
            "media": [],
            "variant_gids": [
                {"admin_graphql_api_id": gid("ProductVariant", v.number), "updated_at": v.updated_at}
                for v in variants
            ],
            "has_variants_that_requires_components": False,
            "category": None,
        }

    def _variant_payload(self, variant: _Variant, position: int) -> dict[str, Any]:
        quantity = self._available.get((variant.inventory_item_number, variant.location_number), 0)
        compare_at = variant.compare_at_price
        return {
            "admin_graphql_api_id": gid("ProductVariant", variant.number),
            "barcode": variant.barcode,
            "compare_at_price": f"{compare_at:.2f}" if compare_at is not None else None,
            "created_at": variant.created_at,
            "id": variant.number,
            "inventory_policy": "deny",
            "position": position,
            "price": f"{variant.price:.2f}",
            "product_id": variant.product_number,
            "sku": variant.sku,
            "taxable": True,
            "title": variant.title,
            "updated_at": variant.updated_at,
            "option1": variant.title,
            "option2": None,
            "option3": None,
            "image_id": None,
            "inventory_item_id": variant.inventory_item_number,
            "inventory_quantity": quantity,
            "old_inventory_quantity": quantity,
        }

    # -- for tests and demos ------------------------------------------------------------------

    def quantity(self, sku: str) -> int:
        """The available quantity of the first variant with this SKU."""
        with self._lock:
            variant = self._first_variant(sku)
            return self._available[(variant.inventory_item_number, variant.location_number)]

    def set_quantity_by_hand(self, sku: str, quantity: int) -> None:
        """A merchant edit in the Shopify admin, on the first variant with this SKU."""
        self.edit_by_hand(sku, {"quantity": quantity})

    @property
    def adjustment_count(self) -> int:
        """How many inventorySetQuantities calls were applied (idempotent replays are not)."""
        with self._lock:
            return self._adjustment_groups

    def variants(self) -> list[SandboxVariant]:
        with self._lock:
            return [self._sandbox_variant(variant) for variant in self._variants.values()]

    def bulk_output(self, number: int, signature: str) -> bytes | None:
        """The JSONL of a completed bulk operation; None unless `signature` is the one its URL carries."""
        with self._lock:
            operation = self._bulk_operations.get(number)
            if operation is None or operation.output is None:
                return None
            return operation.output if hmac.compare_digest(operation.signature, signature) else None

    def _sandbox_variant(self, variant: _Variant) -> SandboxVariant:
        return SandboxVariant(
            sku=variant.sku,
            barcode=variant.barcode,
            price=variant.price,
            quantity=self._available[(variant.inventory_item_number, variant.location_number)],
            status=self._products[variant.product_number].status,
            variant_id=gid("ProductVariant", variant.number),
            product_id=gid("Product", variant.product_number),
            inventory_item_id=gid("InventoryItem", variant.inventory_item_number),
            location_id=gid("Location", variant.location_number),
        )

    def _first_variant(self, sku: str) -> _Variant:
        for variant in self._variants.values():
            if variant.sku == sku:
                return variant
        raise KeyError(f"no variant with SKU {sku!r} in the sandbox store")

    # -- the sandbox admin API: what a merchant or a shopper does in the store ------------------

    def variant_rows(self) -> list[dict[str, Any]]:
        return [_row(variant) for variant in self.variants()]

    def edit_by_hand(self, sku: str, edit: VariantEdit) -> dict[str, Any]:
        """An edit in the Shopify admin; a status applies to the variant's product, as Shopify keeps it."""
        with self._lock:
            variant = self._first_variant(sku)
            product = self._products[variant.product_number]
            if "quantity" in edit:
                level = (variant.inventory_item_number, variant.location_number)
                self._available[level] = edit["quantity"]
                self._updated_at[level] = _now_iso()
                self._level_changed(*level)
            if "sku" in edit:
                variant.sku = edit["sku"]
            if "price" in edit:
                variant.price = edit["price"].quantize(CENTS)
            if "status" in edit:
                product.status = "ACTIVE" if edit["status"] == "active" else "DRAFT"
            variant.updated_at = product.updated_at = _rest_time()
            self._product_changed(product)
            return _row(self._sandbox_variant(variant))

    def delete_by_hand(self, sku: str) -> None:
        """Delete the variant; its product too when it was the last one (Shopify keeps no empty product)."""
        with self._lock:
            variant = self._first_variant(sku)
            product = self._products[variant.product_number]
            del self._variants[variant.number]
            del self._variant_by_item[variant.inventory_item_number]
            level = (variant.inventory_item_number, variant.location_number)
            self._available.pop(level, None)
            self._updated_at.pop(level, None)
            product.variant_numbers.remove(variant.number)
            if product.variant_numbers:
                product.updated_at = _rest_time()
                self._product_changed(product)
            else:
                del self._products[product.number]
                self._emit("products/delete", {"id": product.number})

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """A paid order, which takes each line's quantity off what is available at its variant's location."""
        with self._lock:
            ordered = []
            for sku, quantity in lines:
                try:
                    ordered.append((self._first_variant(sku), quantity))
                except KeyError:
                    raise ValueError(
                        f"no variant with SKU {sku!r} in the sandbox store: order one that GET "
                        "/admin/sandbox/variants lists"
                    ) from None
            order = self._new_order(ordered)
            self._emit("orders/create", order.payload)
            self._move_stock(order, -1)
            return order.payload

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """Cancel the order, refunded and restocked."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise KeyError(f"no order {order_id} in the sandbox store")
            if order.payload["cancelled_at"] is not None:
                raise ValueError(f"order {order_id} is already cancelled")
            now = _rest_time()
            order.payload.update(
                cancelled_at=now, cancel_reason="customer", financial_status="refunded", updated_at=now
            )
            self._emit("orders/cancelled", order.payload)
            self._move_stock(order, +1)
            return order.payload

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [order.payload for order in self._orders.values()]

    def _new_order(self, ordered: list[tuple[_Variant, int]]) -> _Order:
        number = len(self._orders) + 1
        order_id = 5_500_000_000 + number
        now = _rest_time()
        line_items = []
        for position, (variant, quantity) in enumerate(ordered, 1):
            product = self._products[variant.product_number]
            line_id = 16_000_000_000 + number * 1000 + position
            line_items.append(
                {
                    "id": line_id,
                    "admin_graphql_api_id": gid("LineItem", line_id),
                    "variant_id": variant.number,
                    "product_id": product.number,
                    "sku": variant.sku,
                    "title": product.title,
                    "variant_title": variant.title,
                    "name": f"{product.title} - {variant.title}",
                    "quantity": quantity,
                    "current_quantity": quantity,
                    "fulfillable_quantity": quantity,
                    "price": f"{variant.price:.2f}",
                    "fulfillment_status": None,
                    "requires_shipping": True,
                    "taxable": True,
                    "gift_card": False,
                    "grams": 0,
                    "product_exists": True,
                    "vendor": self.name,
                }
            )
        total = f"{sum(variant.price * quantity for variant, quantity in ordered):.2f}"
        payload = {
            "id": order_id,
            "admin_graphql_api_id": gid("Order", order_id),
            "name": f"#{1000 + number}",
            "order_number": 1000 + number,
            "number": number,
            "email": f"shopper{number}@example.com",
            "created_at": now,
            "updated_at": now,
            "processed_at": now,
            "cancelled_at": None,
            "cancel_reason": None,
            "closed_at": None,
            "confirmed": True,
            "test": False,
            "currency": "USD",
            "presentment_currency": "USD",
            "financial_status": "paid",
            "fulfillment_status": None,
            "subtotal_price": total,
            "total_price": total,
            "total_tax": "0.00",
            "source_name": "web",
            "line_items": line_items,
        }
        order = self._orders[order_id] = _Order([(v.number, q) for v, q in ordered], payload)
        return order

    def _move_stock(self, order: _Order, sign: int) -> None:
        """Take the order's quantities off what is available (sign -1), or put them back (+1)."""
        changed: dict[int, _Product] = {}
        for variant_number, quantity in order.lines:
            variant = self._variants.get(variant_number)
            if variant is None:  # deleted since: nothing to restock
                continue
            level = (variant.inventory_item_number, variant.location_number)
            self._available[level] += sign * quantity
            self._updated_at[level] = _now_iso()
            self._level_changed(*level)
            changed[variant.product_number] = self._products[variant.product_number]
        for product in changed.values():
            product.updated_at = _rest_time()
            self._product_changed(product)

    # -- one GraphQL request ------------------------------------------------------------------

    def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
    ) -> dict[str, Any]:
        """Answer one Admin GraphQL request as Shopify would (the JSON body of an HTTP 200).
        `base_url` is where the store is served, for the URLs it hands out."""
        with self._lock:
            self._base_url = base_url.rstrip("/")
            executor = self._executor(query, dict(variables or {}), operation_name)
            if isinstance(executor, list):
                return self._answer(errors=executor, requested=0)
            operation = executor.operation
            cost = _QueryCost(self._schema, executor.fragment_definitions, executor.variable_values)
            try:
                requested = cost.requested(operation)
            except _InputArrayTooLarge as error:
                return self._answer(errors=[error.formatted()], requested=0)
            if requested > MAX_QUERY_COST:
                return self._answer(errors=[_max_cost_error(requested)], requested=requested)
            if not self._bucket.take(requested):
                throttled = {
                    "message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOC},
                }
                return self._answer(errors=[throttled], requested=requested)

            result = cast(ExecutionResult, executor.execute_operation())
            actual = requested if result.data is None else cost.actual(operation, result.data)
            self._bucket.refund(requested - actual)  # reserved up front, the unused part given back
            body: dict[str, Any] = {}
            if result.errors:
                body["errors"] = [error.formatted for error in result.errors]
            if result.data is not None:
                body["data"] = result.data
            return self._answer(body=body, requested=requested, actual=actual)

    def _executor(
        self, query: str, variables: dict[str, Any], operation_name: str | None
    ) -> Executor[Any] | list[Any]:
        """The request parsed, validated and its variables coerced (once, for the cost and the run
        both), ready to run; else the errors to answer."""
        document = _checked(query)
        if isinstance(document, list):
            return document
        executor = Executor.build(
            self._schema,
            document,
            root_value=self._root,
            raw_variable_values=variables,
            operation_name=operation_name,
            is_awaitable=assume_not_awaitable,  # every resolver is synchronous, as with execute_sync
            is_async_iterable=assume_not_async_iterable,
        )
        if isinstance(executor, list):
            return [error.formatted for error in executor]
        return executor

    def _answer(
        self,
        *,
        requested: int,
        actual: int | None = None,
        errors: list[Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        answer = dict(body or {})
        if errors is not None:
            answer["errors"] = errors
        self._bucket.refill()
        answer["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self._bucket.status(),
            }
        }
        return answer

    # -- resolvers: graphql-core calls these with (info, **arguments) -------------------------

    def _resolve_shop(self, info: Info) -> dict[str, Any]:
        return {"__typename": "Shop", "id": gid("Shop", 1), "name": self.name, "myshopifyDomain": self.domain}

    def _resolve_node(self, info: Info, id: str) -> dict[str, Any] | None:
        return self._node_view(id)

    def _resolve_nodes(self, info: Info, ids: list[str]) -> list[dict[str, Any] | None]:
        return [self._node_view(node_id) for node_id in ids]

    def _resolve_typed_node(self, type_name: str) -> Callable[..., dict[str, Any] | None]:
        def resolve(info: Info, id: str) -> dict[str, Any] | None:
            view = self._node_view(id)
            return view if view is not None and view["__typename"] == type_name else None

        return resolve

    def _resolve_product_variants(self, info: Info, **arguments: Any) -> dict[str, Any]:
        search = arguments.get("query")
        variants = [v for v in self._variants.values() if search is None or self._matches(v, search)]
        variants.sort(key=lambda variant: variant.number)
        return _paginate(
            variants,
            key=lambda variant: variant.number,
            view=self._variant_view,
            first=arguments.get("first"),
            after=arguments.get("after"),
            last=arguments.get("last"),
            before=arguments.get("before"),
            everything=info.context is _BULK,
        )

    def _resolve_product_variants_count(
        self, info: Info, limit: int | None, query: str | None = None
    ) -> dict[str, Any]:
        total = sum(1 for v in self._variants.values() if query is None or self._matches(v, query))
        capped = limit is not None and total > limit
        return {"count": limit if capped else total, "precision": "AT_LEAST" if capped else "EXACT"}

    def _resolve_current_bulk_operation(self, info: Info, type: str) -> dict[str, Any] | None:
        if type != "QUERY" or not self._bulk_operations:
            return None
        return self._bulk_view(self._bulk_operations[max(self._bulk_operations)])

    def _matches(self, variant: _Variant, search: str) -> bool:
        """The subset of Shopify's search syntax the sandbox knows: `sku:`, `barcode:`,
        `product_status:` and `product_id:` terms (ANDed); bare words match SKU or title;
        other filters are ignored."""
        product = self._products[variant.product_number]
        filters: dict[str, Callable[[str], bool]] = {
            "sku": lambda value: variant.sku == value,
            "barcode": lambda value: variant.barcode == value,
            "product_status": lambda value: product.status in value.upper().split(","),
            "product_id": lambda value: str(product.number) == value,
        }
        text = f"{variant.sku} {product.title} {variant.title}".lower()
        for term in search.split():
            field_name, _, value = term.partition(":")
            value = value.strip("'\"")
            if not value and term.lower() not in text:
                return False
            if value and field_name in filters and not filters[field_name](value):
                return False
        return True

    # -- views: what graphql-core reads, with callables for fields that take arguments --------

    def _node_view(self, node_id: str) -> dict[str, Any] | None:
        parsed = parse_gid(node_id)
        if parsed is None:
            return None
        type_name, number = parsed
        if type_name == "ProductVariant" and number in self._variants:
            return self._variant_view(self._variants[number])
        if type_name == "InventoryItem" and number in self._variant_by_item:
            return self._item_view(self._variants[self._variant_by_item[number]])
        if type_name == "Product" and number in self._products:
            return self._product_view(self._products[number])
        if type_name == "Location" and number in self._locations:
            return self._location_view(self._locations[number])
        if type_name == "BulkOperation" and number in self._bulk_operations:
            return self._bulk_view(self._bulk_operations[number])
        return None

    def _variant_view(self, variant: _Variant) -> dict[str, Any]:
        product = self._products[variant.product_number]
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", variant.number),
            "title": variant.title,
            "displayName": f"{product.title} - {variant.title}",
            "sku": variant.sku,
            "barcode": variant.barcode,
            "price": f"{variant.price:.2f}",
            "inventoryQuantity": self._available[(variant.inventory_item_number, variant.location_number)],
            "inventoryItem": lambda info: self._item_view(variant),
            "product": lambda info: self._product_view(product),
        }

    def _product_view(self, product: _Product) -> dict[str, Any]:
        return {
            "__typename": "Product",
            "id": gid("Product", product.number),
            "title": product.title,
            "status": product.status,
            "updatedAt": product.updated_at,
            "variants": lambda info, **arguments: _paginate(
                sorted(
                    (v for v in self._variants.values() if v.product_number == product.number),
                    key=lambda variant: variant.number,
                ),
                key=lambda variant: variant.number,
                view=self._variant_view,
                first=arguments.get("first"),
                after=arguments.get("after"),
                last=arguments.get("last"),
                before=arguments.get("before"),
                everything=info.context is _BULK,
            ),
        }

    def _location_view(self, location: _Location) -> dict[str, Any]:
        return {
            "__typename": "Location",
            "id": gid("Location", location.number),
            "name": location.name,
            "isActive": True,
        }

    def _item_view(self, variant: _Variant) -> dict[str, Any]:
        item = variant.inventory_item_number

        def inventory_level(info: Info, locationId: str) -> dict[str, Any] | None:
            parsed = parse_gid(locationId)
            if parsed is None or parsed[0] != "Location" or (item, parsed[1]) not in self._available:
                return None
            return self._level_view(variant, parsed[1])

        def inventory_levels(info: Info, **arguments: Any) -> dict[str, Any]:
            return _paginate(
                [location for location in self._locations if (item, location) in self._available],
                key=lambda location: location,
                view=lambda location: self._level_view(variant, location),
                first=arguments.get("first"),
                after=arguments.get("after"),
                last=arguments.get("last"),
                before=arguments.get("before"),
                everything=info.context is _BULK,
            )

        return {
            "__typename": "InventoryItem",
            "id": gid("InventoryItem", item),
            "sku": variant.sku,
            "tracked": True,
            "variant": lambda info: self._variant_view(variant),
            "inventoryLevel": inventory_level,
            "inventoryLevels": inventory_levels,
        }

    def _level_view(self, variant: _Variant, location: int) -> dict[str, Any]:
        item = variant.inventory_item_number

        def quantities(info: Info, names: list[str]) -> list[dict[str, Any]]:
            # The sandbox has no committed or reserved units: on hand is what is available.
            available = self._available[(item, location)]
            amounts = {"available": available, "on_hand": available}
            return [
                {
                    "__typename": "InventoryQuantity",
                    "id": f"gid://shopify/InventoryQuantity/{location}?inventory_item_id={item}&name={name}",
                    "name": name,
                    "quantity": amounts.get(name, 0),
                    "updatedAt": self._updated_at.get((item, location)),
                }
                for name in names
                if name in QUANTITY_NAMES
            ]

        return {
            "__typename": "InventoryLevel",
            "id": _level_gid(item, location),
            "item": lambda info: self._item_view(variant),
            "location": lambda info: self._location_view(self._locations[location]),
            "quantities": quantities,
        }

    def _bulk_view(self, operation: _BulkOperation, *, created: bool = False) -> dict[str, Any]:
        """A bulk operation as it stands now; it completes (and writes its output) once its time came."""
        done = not created and self._clock() >= operation.done_at
        if done and operation.completed_at is None:
            self._complete(operation)
        if not done:
            status = "CREATED" if created else "RUNNING"
        else:
            status = "FAILED" if operation.error_code else "COMPLETED"
        url = f"{self._base_url}/bulk-operation-outputs/bulk-{operation.number}.jsonl"
        return {
            "__typename": "BulkOperation",
            "id": gid("BulkOperation", operation.number),
            "status": status,
            "errorCode": operation.error_code,
            "objectCount": str(operation.objects if done else 0),
            "rootObjectCount": str(operation.roots if done else 0),
            "fileSize": str(len(operation.output)) if done and operation.output else None,
            # a signed URL, as Shopify hands out; none when the query found nothing
            "url": f"{url}?Signature={operation.signature}"
            if status == "COMPLETED" and operation.objects
            else None,
            "partialDataUrl": None,
            "query": operation.query,
            "type": "QUERY",
            "createdAt": operation.created_at,
            "completedAt": operation.completed_at if done else None,
        }

    # -- inventorySetQuantities ---------------------------------------------------------------

    def _resolve_inventory_set_quantities(self, info: Info, input: dict[str, Any]) -> dict[str, Any]:
        directive = info.schema.get_directive("idempotent")
        assert directive is not None
        idempotent = get_directive_values(directive, info.field_nodes[0], info.variable_values)
        if idempotent is None:
            raise GraphQLError(
                "The @idempotent directive is required for this mutation: add "
                '@idempotent(key: "<a unique key>") to the inventorySetQuantities field.',
                extensions={"code": "BAD_REQUEST"},
            )
        for index, entry in enumerate(input["quantities"]):
            # graphql-core leaves an input field out of the coerced value when the request
            # omits it, and keeps it as None when the request sends an explicit null.
            if "changeFromQuantity" not in entry:
                raise GraphQLError(
                    f"input.quantities.{index}.changeFromQuantity is required: pass the quantity you "
                    "expect Shopify to hold, or an explicit null to skip the compare-and-set check.",
                    extensions={"code": "BAD_REQUEST"},
                )

        key = str(idempotent["key"])
        fingerprint = json.dumps(input, sort_keys=True)
        previous = self._idempotent_results.get(key)
        if previous is not None:
            if previous.fingerprint == fingerprint:
                return previous.payload
            return _user_errors_payload([_user_error("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", None)])
        payload = self._set_quantities(input)
        self._idempotent_results[key] = _IdempotentResult(fingerprint, payload)
        return payload

    def _set_quantities(self, input: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        if input["name"] not in SETTABLE_QUANTITY_NAMES:
            errors.append(_user_error("INVALID_NAME", ["input", "name"]))
        if input["reason"] not in INVENTORY_REASONS:
            errors.append(_user_error("INVALID_REASON", ["input", "reason"]))
        uri = input.get("referenceDocumentUri")
        if uri is not None and not _URI.match(uri):
            errors.append(_user_error("INVALID_REFERENCE_DOCUMENT", ["input", "referenceDocumentUri"]))

        writes: dict[tuple[int, int], int] = {}  # (inventory item, location) -> quantity
        for index, entry in enumerate(input["quantities"]):
            problem = self._quantity_problem(entry, already_set=writes.keys())
            if problem is not None:
                code, field_name = problem
                errors.append(_user_error(code, ["input", "quantities", str(index), field_name]))
            else:
                writes[(_number(entry["inventoryItemId"]), _number(entry["locationId"]))] = entry["quantity"]
        if errors:
            return _user_errors_payload(errors)  # all or nothing: one bad entry writes none

        changes: list[dict[str, Any]] = []
        changed: dict[int, _Product] = {}
        now = _now_iso()
        for (item, location), quantity in writes.items():
            variant = self._variants[self._variant_by_item[item]]
            level = (item, location)
            delta = quantity - self._available[level]
            self._available[level] = quantity
            self._updated_at[level] = now
            if delta:
                self._level_changed(item, location)  # Shopify sends it for API writes too
                changed[variant.product_number] = self._products[variant.product_number]
                # setting one moves the other by as much
                changes += [
                    self._change_view(name, delta, variant, location) for name in SETTABLE_QUANTITY_NAMES
                ]
        updated_at = _rest_time()
        for product in changed.values():
            product.updated_at = updated_at
            self._product_changed(product)
        self._adjustment_groups += 1
        group = {
            "__typename": "InventoryAdjustmentGroup",
            "id": gid("InventoryAdjustmentGroup", 90_000_000 + self._adjustment_groups),
            "createdAt": now,
            "reason": input["reason"],
            "referenceDocumentUri": uri,
            "changes": changes,
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _change_view(self, name: str, delta: int, variant: _Variant, location: int) -> dict[str, Any]:
        return {
            "name": name,
            "delta": delta,
            "quantityAfterChange": self._available[(variant.inventory_item_number, location)],
            "item": lambda info: self._item_view(variant),
            "location": lambda info: self._location_view(self._locations[location]),
        }

    def _quantity_problem(
        self, entry: dict[str, Any], already_set: Collection[tuple[int, int]]
    ) -> tuple[str, str] | None:
        """The user error code and input field at fault for one quantities entry, if any."""
        item = _number(entry["inventoryItemId"], "InventoryItem")
        location = _number(entry["locationId"], "Location")
        if item not in self._variant_by_item:
            return "INVALID_INVENTORY_ITEM", "inventoryItemId"
        if location not in self._locations:
            return "INVALID_LOCATION", "locationId"
        if entry["quantity"] < 0:
            return "INVALID_QUANTITY_NEGATIVE", "quantity"
        if entry["quantity"] > MAX_INVENTORY_QUANTITY:
            return "INVALID_QUANTITY_TOO_HIGH", "quantity"
        if (item, location) not in self._available:
            return "ITEM_NOT_STOCKED_AT_LOCATION", "locationId"
        if (item, location) in already_set:
            return "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", "inventoryItemId"
        expected = entry["changeFromQuantity"]
        if expected is not None and expected != self._available[(item, location)]:
            return "CHANGE_FROM_QUANTITY_STALE", "changeFromQuantity"
        return None

    # -- productVariantsBulkUpdate and productUpdate --------------------------------------------

    def _resolve_product_variants_bulk_update(
        self,
        info: Info,
        productId: str,
        variants: list[dict[str, Any]],
        allowPartialUpdates: bool,
    ) -> dict[str, Any]:
        """All of one product's variants at once; with allowPartialUpdates the valid ones are written
        even when others are refused, else nothing is written while any is."""
        product = self._products.get(_number(productId, "Product"))
        if product is None:
            return {
                "product": None,
                "productVariants": None,
                "userErrors": [_variants_error("PRODUCT_DOES_NOT_EXIST", ["productId"])],
            }
        errors: list[dict[str, Any]] = []
        writes: list[tuple[_Variant, dict[str, Any]]] = []
        for index, entry in enumerate(variants):
            problem = self._variant_input_problem(product, entry)
            if problem is None:
                writes.append((self._variants[_number(entry["id"])], entry))
            else:
                code, field_name = problem
                errors.append(_variants_error(code, ["variants", str(index), field_name]))
        if errors and not allowPartialUpdates:
            return {"product": self._product_view(product), "productVariants": None, "userErrors": errors}
        now = _rest_time()
        for variant, entry in writes:
            if entry.get("price") is not None:
                variant.price = Decimal(str(entry["price"])).quantize(CENTS)
            if "compareAtPrice" in entry:
                compare_at = entry["compareAtPrice"]
                variant.compare_at_price = (
                    None if compare_at is None else Decimal(str(compare_at)).quantize(CENTS)
                )
            variant.updated_at = now
        if writes:
            product.updated_at = now
            self._product_changed(product)
        return {
            "product": self._product_view(product),
            "productVariants": [self._variant_view(variant) for variant, _ in writes],
            "userErrors": errors,
        }

    def _variant_input_problem(self, product: _Product, entry: dict[str, Any]) -> tuple[str, str] | None:
        """The user error code and input field at fault for one variants entry, if any."""
        if entry.get("id") is None:
            return "PRODUCT_VARIANT_ID_MISSING", "id"
        variant = self._variants.get(_number(entry["id"], "ProductVariant"))
        if variant is None:
            return "PRODUCT_VARIANT_DOES_NOT_EXIST", "id"
        if variant.product_number != product.number:
            return "MUST_BE_FOR_THIS_PRODUCT", "id"
        for name in ("price", "compareAtPrice"):
            if entry.get(name) is None:
                continue
            try:
                amount = Decimal(str(entry[name]))
            except InvalidOperation:
                return "INVALID_INPUT", name
            if not amount.is_finite():
                return "INVALID_INPUT", name
            if amount < 0:
                return "NEGATIVE_PRICE_VALUE", name
        return None

    def _resolve_product_update(self, info: Info, product: dict[str, Any] | None = None) -> dict[str, Any]:
        fields = product or {}
        target = self._products.get(_number(fields.get("id") or "", "Product"))
        if target is None:
            return {"product": None, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}
        title = fields.get("title")
        if title is not None and not title.strip():
            return {"product": None, "userErrors": [{"field": ["title"], "message": "Title can't be blank"}]}
        if title is not None:
            target.title = title.strip()
        if fields.get("status") is not None:
            target.status = fields["status"]
        target.updated_at = _rest_time()
        self._product_changed(target)
        return {"product": self._product_view(target), "userErrors": []}

    # -- bulk operations -----------------------------------------------------------------------

    def _resolve_bulk_operation_run_query(self, info: Info, query: str, groupObjects: bool) -> dict[str, Any]:
        problem = _bulk_query_problem(self._schema, query)
        if problem is not None:
            return {
                "bulkOperation": None,
                "userErrors": [{"code": "INVALID", "field": ["query"], "message": problem}],
            }
        now = self._clock()
        if sum(operation.done_at > now for operation in self._bulk_operations.values()) >= MAX_BULK_QUERIES:
            return {
                "bulkOperation": None,
                "userErrors": [{"code": "LIMIT_REACHED", "field": None, "message": BULK_LIMIT_MESSAGE}],
            }
        number = 5_000_000_000 + len(self._bulk_operations) + 1
        operation = _BulkOperation(
            number, query, secrets.token_urlsafe(16), _now_iso(), now + self._bulk_seconds
        )
        self._bulk_operations[number] = operation
        return {"bulkOperation": self._bulk_view(operation, created=True), "userErrors": []}

    def _complete(self, operation: _BulkOperation) -> None:
        """Run the operation's query over the whole catalog and write its JSONL."""
        document = parse(operation.query)
        result = execute_sync(self._schema, document, root_value=self._root, context_value=_BULK)
        operation.completed_at = _now_iso()
        if result.errors or result.data is None:
            operation.error_code = "INTERNAL_SERVER_ERROR"
            return
        lines = _jsonl_lines(self._schema, document, result.data)
        operation.output = b"".join(
            json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines
        )
        operation.objects = len(lines)
        operation.roots = sum("__parentId" not in line for line in lines)


def _user_error(code: str, field: list[str] | None) -> dict[str, Any]:
    return {"code": code, "field": field, "message": USER_ERROR_MESSAGES[code]}


@functools.lru_cache(maxsize=256)
def _checked(query: str) -> DocumentNode | list[Any]:
    """The parsed query, or the errors that make it invalid. Cached: clients send the same few
    queries over and over, and parsing and validating one costs more than running it."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.formatted]
    errors = validate(SCHEMA, document)
    return [error.formatted for error in errors] if errors else document


def _variants_error(code: str, field: list[str]) -> dict[str, Any]:
    return {"code": code, "field": field, "message": VARIANTS_ERROR_MESSAGES[code]}


def _row(variant: SandboxVariant) -> dict[str, Any]:
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


def _user_errors_payload(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": None, "userErrors": errors}


def _max_cost_error(requested: int) -> dict[str, Any]:
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


def _ean13(twelve_digits: int) -> str:
    digits = f"{twelve_digits:012d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


# ---------------------------------------------------------------------------------------------
# Cursor pagination


_Item = TypeVar("_Item")


def encode_cursor(last_id: int) -> str:
    return base64.b64encode(json.dumps({"last_id": last_id}).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor, validate=True))["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise GraphQLError("Invalid cursor for current pagination sort.") from error


def _paginate(
    items: list[_Item],
    *,
    key: Callable[[_Item], int],
    view: Callable[[_Item], dict[str, Any]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    everything: bool = False,
) -> dict[str, Any]:
    """One page of a connection over `items` (sorted by `key`), with opaque cursors; `everything`
    (a bulk operation) reads the whole connection, whatever page it asks for."""
    window, has_next, has_previous = (
        (items, False, False) if everything else _window(items, key, first, after, last, before)
    )
    cursors = [encode_cursor(key(item)) for item in window]
    nodes = [view(item) for item in window]
    return {
        "nodes": nodes,
        "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _window(
    items: list[_Item],
    key: Callable[[_Item], int],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> tuple[list[_Item], bool, bool]:
    """The page's items, whether there is a next page and whether there is a previous one."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for size in (first, last):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"first and last must be between 0 and {MAX_PAGE_SIZE}")
    start, end = 0, len(items)
    if after is not None:
        after_key = _decode_cursor(after)
        start = next((i for i, item in enumerate(items) if key(item) > after_key), len(items))
    if before is not None:
        before_key = _decode_cursor(before)
        end = next((i for i, item in enumerate(items) if key(item) >= before_key), len(items))
    window = items[start:end]
    has_next, has_previous = end < len(items), start > 0
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_previous = has_previous or len(window) > last
        window = window[len(window) - last :] if last else []
    return window, has_next, has_previous


# ---------------------------------------------------------------------------------------------
# Calculated query cost


class _InputArrayTooLarge(Exception):
    def __init__(self, path: list[str], size: int) -> None:
        super().__init__(path, size)
        self.path = path
        self.size = size

    def formatted(self) -> dict[str, Any]:
        return {
            "message": (
                f"The input array size of {self.size} is greater than the maximum allowed of "
                f"{MAX_INPUT_ARRAY}."
            ),
            "path": self.path,
            "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
        }


_REQUESTED = object()  # stands for "no data yet": cost the query as requested


class _QueryCost:
    """Shopify's calculated cost: scalars and enums 0, objects 1, a connection 2 plus its page
    size times the cost of one node, every mutation field 10. `requested` reads the query;
    `actual` reads the answer too, so that a short page is charged for what it returned."""

    def __init__(self, schema: GraphQLSchema, fragments: Fragments, variables: VariableValues) -> None:
        self._schema = schema
        self._variables = variables
        self._fragments = fragments

    def requested(self, operation: OperationDefinitionNode) -> int:
        return self._operation_cost(operation, _REQUESTED)

    def actual(self, operation: OperationDefinitionNode, data: dict[str, Any]) -> int:
        return self._operation_cost(operation, data)

    def _operation_cost(self, operation: OperationDefinitionNode, data: Any) -> int:
        if operation.operation == OperationType.MUTATION:
            mutation_type = self._schema.mutation_type
            assert mutation_type is not None
            fields = self._fields(mutation_type, operation.selection_set)
            for field in fields:
                self._arguments(mutation_type, field)  # checks the input limits
            return MUTATION_COST * len(fields)
        query_type = self._schema.query_type
        assert query_type is not None
        return self._selection_cost(query_type, operation.selection_set, data)

    def _selection_cost(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, data: Any
    ) -> int:
        """An interface costs the most expensive of the types it may turn out to be."""
        if isinstance(parent, GraphQLObjectType):
            candidates = [parent]
        elif is_abstract_type(parent):
            typename = data.get("__typename") if isinstance(data, dict) else None
            possible = self._schema.get_possible_types(parent)
            candidates = [t for t in possible if typename in (None, t.name)]
        else:
            return 0
        return max(
            (
                sum(
                    self._field_cost(object_type, field, data)
                    for field in self._fields(object_type, selection_set)
                )
                for object_type in candidates
            ),
            default=0,
        )

    def _field_cost(self, parent: GraphQLObjectType, field: FieldNode, data: Any) -> int:
        definition = parent.fields.get(field.name.value)  # None for __typename
        if definition is None:
            return 0
        arguments = self._arguments(parent, field)
        named = get_named_type(definition.type)
        value = data.get((field.alias or field.name).value) if isinstance(data, dict) else data
        if is_leaf_type(named) or value is None:
            return 0
        if _is_connection(named):
            return self._connection_cost(cast(GraphQLObjectType, named), field, arguments, value)
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            return 1 + self._selection_cost(named, field.selection_set, value)
        if value is _REQUESTED:
            # sized by the list its arguments name (nodes(ids:), quantities(names:)), else 1
            size = next((len(v) for v in arguments.values() if isinstance(v, list)), 1)
            return size * (1 + self._selection_cost(named, field.selection_set, _REQUESTED))
        return sum(1 + self._selection_cost(named, field.selection_set, e) for e in value if e is not None)

    def _connection_cost(
        self, connection: GraphQLObjectType, field: FieldNode, arguments: dict[str, Any], value: Any
    ) -> int:
        node_type = get_named_type(connection.fields["nodes"].type)
        selections = _node_paths(connection, field, self._fragments)
        if value is _REQUESTED:
            size = arguments.get("first") or arguments.get("last") or 0
            per_node = max(
                (1 + self._selection_cost(node_type, s, _REQUESTED) for s, _, _ in selections), default=0
            )
            return 2 + size * per_node
        return 2 + max(
            (
                sum(
                    1 + self._selection_cost(node_type, s, node) for node in _page_nodes(value, key, node_key)
                )
                for s, key, node_key in selections
            ),
            default=0,
        )

    def _fields(
        self, object_type: GraphQLObjectType, selection_set: SelectionSetNode | None
    ) -> list[FieldNode]:
        return _selected_fields(object_type, selection_set, self._fragments)

    def _arguments(self, parent: GraphQLObjectType, field: FieldNode) -> dict[str, Any]:
        arguments = get_argument_values(parent.fields[field.name.value], field, self._variables)
        for name, value in arguments.items():
            _check_input_arrays(value, [field.name.value, name])
        return arguments


# ---------------------------------------------------------------------------------------------
# Reading a query's selections


Fragments: TypeAlias = dict[str, FragmentDefinitionNode]


def _fragments(document: DocumentNode) -> Fragments:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _selected_fields(
    object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, fragments: Fragments
) -> list[FieldNode]:
    """The fields a selection asks of one concrete type, fragments flattened."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or _applies(condition.name.value, object_type):
                fields += _selected_fields(object_type, selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _applies(fragment.type_condition.name.value, object_type):
                fields += _selected_fields(object_type, fragment.selection_set, fragments)
    return fields


def _applies(type_condition: str, object_type: GraphQLObjectType) -> bool:
    return type_condition == object_type.name or any(i.name == type_condition for i in object_type.interfaces)


def _is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")


def _node_paths(
    connection: GraphQLObjectType, field: FieldNode, fragments: Fragments
) -> list[tuple[SelectionSetNode | None, str, str | None]]:
    """Each way a connection field reaches its nodes: (node selection, nodes key, node key in an edge)."""
    paths: list[tuple[SelectionSetNode | None, str, str | None]] = []
    for child in _selected_fields(connection, field.selection_set, fragments):
        key = (child.alias or child.name).value
        if child.name.value == "nodes":
            paths.append((child.selection_set, key, None))
        elif child.name.value == "edges":
            edge_type = cast(GraphQLObjectType, get_named_type(connection.fields["edges"].type))
            paths += [
                (edge_field.selection_set, key, (edge_field.alias or edge_field.name).value)
                for edge_field in _selected_fields(edge_type, child.selection_set, fragments)
                if edge_field.name.value == "node"
            ]
    return paths


def _page_nodes(page: dict[str, Any], key: str, node_key: str | None) -> list[Any]:
    entries = page.get(key) or []
    return list(entries) if node_key is None else [edge[node_key] for edge in entries]


def _check_input_arrays(value: Any, path: list[str]) -> None:
    if isinstance(value, list):
        if len(value) > MAX_INPUT_ARRAY:
            raise _InputArrayTooLarge(path, len(value))
        for element in value:
            _check_input_arrays(element, path)
    elif isinstance(value, dict):
        for key, element in value.items():
            _check_input_arrays(element, [*path, key])


# ---------------------------------------------------------------------------------------------
# Bulk operations


class _InvalidBulkQuery(Exception):
    pass


def _bulk_query_problem(schema: GraphQLSchema, query: str) -> str | None:
    """Why Shopify would refuse this bulk query, if it would."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return f"Invalid bulk query: {error.message}"
    errors = validate(schema, document)
    if errors:
        return f"Invalid bulk query: {errors[0].message}"
    operation = get_operation_ast(document)
    if operation is None or operation.operation is not OperationType.QUERY:
        return "Invalid bulk query: send one query operation (run mutations with bulkOperationRunMutation)"
    query_type = schema.query_type
    assert query_type is not None
    fragments = _fragments(document)
    top = _selected_fields(query_type, operation.selection_set, fragments)
    if any(field.name.value in ("node", "nodes") for field in top):
        return "Bulk queries cannot contain a top level `node` or `nodes` field."
    try:
        depths = _connection_depths(query_type, operation.selection_set, fragments, 0)
    except _InvalidBulkQuery as error:
        return str(error)
    if not depths:
        return "Bulk queries must contain at least one connection."
    if len(depths) > MAX_BULK_CONNECTIONS:
        return f"Bulk queries cannot contain more than {MAX_BULK_CONNECTIONS} connections."
    if max(depths) > MAX_BULK_NESTING:
        return (
            f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_BULK_NESTING}."
        )
    return None


def _connection_depths(
    object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, fragments: Fragments, depth: int
) -> list[int]:
    """The nesting depth of each connection the selection reaches."""
    depths: list[int] = []
    for selected in _selected_fields(object_type, selection_set, fragments):
        definition = object_type.fields.get(selected.name.value)
        named = get_named_type(definition.type) if definition else None
        if not isinstance(named, GraphQLObjectType):
            continue
        if not _is_connection(named):
            depths += _connection_depths(named, selected.selection_set, fragments, depth)
            continue
        depths.append(depth + 1)
        node_type = get_named_type(named.fields["nodes"].type)
        if not isinstance(node_type, GraphQLObjectType):
            continue
        for node_selection, _, _ in _node_paths(named, selected, fragments):
            nested = _connection_depths(node_type, node_selection, fragments, depth + 1)
            selects_id = any(
                f.name.value == "id" for f in _selected_fields(node_type, node_selection, fragments)
            )
            if nested and not selects_id:
                raise _InvalidBulkQuery(
                    "The parent 'node' field for a nested connection must select the 'id' field: add id "
                    f"to the nodes of `{selected.name.value}`."
                )
            depths += nested
    return depths


def _jsonl_lines(schema: GraphQLSchema, document: DocumentNode, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A bulk query's answer as Shopify writes it: each node of a connection on a line of its own, the
    nodes of a nested connection right after their parent's line with its id as `__parentId`, every
    other object inline."""
    fragments = _fragments(document)
    operation = get_operation_ast(document)
    query_type = schema.query_type
    assert operation is not None and query_type is not None
    lines: list[dict[str, Any]] = []
    # the nodes a line's connections hold: (node type, node selection, nodes)
    Children: TypeAlias = list[tuple[GraphQLObjectType, SelectionSetNode | None, list[Any]]]

    def inline(
        object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, value: Any, children: Children
    ) -> dict[str, Any]:
        line: dict[str, Any] = {}
        for selected in _selected_fields(object_type, selection_set, fragments):
            key = (selected.alias or selected.name).value
            item = value.get(key)
            definition = object_type.fields.get(selected.name.value)  # None for __typename
            named = get_named_type(definition.type) if definition else None
            if not isinstance(named, GraphQLObjectType) or item is None:
                line[key] = item
            elif _is_connection(named):
                node_type = cast(GraphQLObjectType, get_named_type(named.fields["nodes"].type))
                children += [
                    (node_type, node_selection, _page_nodes(item, nodes_key, node_key))
                    for node_selection, nodes_key, node_key in _node_paths(named, selected, fragments)
                ]
            elif isinstance(item, list):
                line[key] = [inline(named, selected.selection_set, entry, children) for entry in item]
            else:
                line[key] = inline(named, selected.selection_set, item, children)
        return line

    def write(children: Children, parent_id: str | None) -> None:
        for node_type, selection_set, nodes in children:
            for node in nodes:
                grandchildren: Children = []
                line = inline(node_type, selection_set, node, grandchildren)
                if parent_id is not None:
                    line["__parentId"] = parent_id
                lines.append(line)
                write(grandchildren, line.get("id"))

    roots: Children = []
    inline(query_type, operation.selection_set, data, roots)
    write(roots, None)
    return lines


# ---------------------------------------------------------------------------------------------
# HTTP


def create_app(store: ShopifyStore, token: str) -> ASGIApp:
    """The store over HTTP: Admin GraphQL at GRAPHQL_PATH, the output of bulk operations at signed
    URLs, and the sandbox admin API; the store's faults are injected into all but the admin API."""

    async def graphql_endpoint(request: Request) -> Response:
        sent_token = request.headers.get("X-Shopify-Access-Token", "")
        if not hmac.compare_digest(sent_token.encode(), token.encode()):
            return JSONResponse({"errors": UNAUTHORIZED_MESSAGE}, status_code=401)
        raw = await request.body()
        base_url = str(request.base_url)
        if request.headers.get("content-type", "").startswith("application/graphql"):
            return JSONResponse(store.graphql(raw.decode(), base_url=base_url))
        try:
            payload = json.loads(raw)
        except ValueError:
            return JSONResponse({"errors": "The request body is not valid JSON."}, status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400
            )
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return JSONResponse({"errors": {"variables": "must be a JSON object"}}, status_code=400)
        operation_name = payload.get("operationName")
        return JSONResponse(store.graphql(payload["query"], variables, operation_name, base_url=base_url))

    async def bulk_output(request: Request) -> Response:
        output = store.bulk_output(
            int(request.path_params["number"]), request.query_params.get("Signature", "")
        )
        if output is None:
            return Response(SIGNATURE_REFUSED, status_code=403, media_type="application/xml")
        return _ranged(output, request.headers.get("Range"))

    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql_endpoint, methods=["POST"]),
            Route("/bulk-operation-outputs/bulk-{number:int}.jsonl", bulk_output, methods=["GET"]),
            *admin_routes(store),
        ]
    )
    return FaultMiddleware(app, store.faults)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _ranged(data: bytes, range_header: str | None) -> Response:
    """The file, or the one byte range asked for with 206, as a storage service serves it."""
    total = len(data)
    match = _RANGE.match(range_header.strip()) if range_header else None
    if match is None or match.groups() == ("", ""):  # no Range, or one it does not understand
        return Response(data, media_type=JSONL_TYPE, headers={"Accept-Ranges": "bytes"})
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    else:  # the last N bytes
        start, end = max(0, total - int(last)), total - 1
    if start >= total or end < start:
        return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{total}"})
    return Response(
        data[start : end + 1],
        status_code=206,
        media_type=JSONL_TYPE,
        headers={"Content-Range": f"bytes {start}-{end}/{total}", "Accept-Ranges": "bytes"},
    )
