"""An in-memory Shopify store speaking the Admin GraphQL API 2026-10 over HTTP.

Every request is parsed, validated and executed by graphql-core against a subset of the real
Admin schema (real type, field and enum names), and answered with Shopify's limits and
semantics (see CHANNELS.md): calculated query cost, a leaky bucket per store, the 250-item
input limit, the required `@idempotent` directive and compare-and-set on
`inventorySetQuantities`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
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
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidemark.sandbox.admin import admin_routes

API_VERSION = "2026-10"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
MAX_QUERY_COST = 1000
MAX_INPUT_ARRAY = 250
MAX_PAGE_SIZE = 250
MUTATION_COST = 10
MAX_INVENTORY_QUANTITY = 1_000_000_000
PLAN_RESTORE_RATES = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
BUCKET_SECONDS = 20  # observed: the bucket holds 20 seconds of restore
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
}

type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
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

Info: TypeAlias = "GraphQLResolveInfo[Any]"  # what graphql-core passes every resolver

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
    """One Shopify store in memory. Thread-safe: every read and write holds the store's lock."""

    def __init__(
        self,
        *,
        name: str = "Tidemark Sandbox",
        plan: str = "standard",
        restore_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if plan not in PLAN_RESTORE_RATES:
            raise ValueError(f"unknown Shopify plan {plan!r}: use one of {', '.join(PLAN_RESTORE_RATES)}")
        self.name = name
        self._lock = threading.RLock()
        self._bucket = LeakyBucket(restore_rate or PLAN_RESTORE_RATES[plan], clock)
        self._schema = SCHEMA
        self._locations: dict[int, _Location] = {}
        self._products: dict[int, _Product] = {}
        self._variants: dict[int, _Variant] = {}
        self._variant_by_item: dict[int, int] = {}
        self._available: dict[tuple[int, int], int] = {}  # (inventory item, location) -> available
        self._updated_at: dict[tuple[int, int], str] = {}
        self._idempotent_results: dict[str, _IdempotentResult] = {}
        self._adjustment_groups = 0
        self._root = {
            "shop": self._resolve_shop,
            "node": self._resolve_node,
            "nodes": self._resolve_nodes,
            "productVariant": self._resolve_typed_node("ProductVariant"),
            "inventoryItem": self._resolve_typed_node("InventoryItem"),
            "productVariants": self._resolve_product_variants,
            "inventorySetQuantities": self._resolve_inventory_set_quantities,
        }

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
    ) -> ShopifyStore:
        """A repeatable catalog: `SKU-00001` .. `SKU-{variants:05d}` in order, then
        `duplicate_skus` more variants reusing some of those SKUs, on products of 1-3 variants."""
        rng = random.Random(seed)
        store = cls(name=name, plan=plan, restore_rate=restore_rate, clock=clock)
        for index in range(1, max(1, location_count) + 1):
            store._locations[60_000_000 + index] = _Location(60_000_000 + index, f"Warehouse {index}")
        location_numbers = list(store._locations)

        skus = [f"SKU-{i:05d}" for i in range(1, variants + 1)]
        skus += [rng.choice(skus) for _ in range(duplicate_skus)] if skus else []
        blank = set(rng.sample(range(len(skus)), min(blank_barcodes, len(skus))))
        position = 0
        while position < len(skus):
            product_number = 7_000_000_000 + len(store._products) + 1
            status = "DRAFT" if rng.random() < 0.05 else "ACTIVE"
            store._products[product_number] = _Product(
                product_number, f"Product {len(store._products) + 1}", status
            )
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
                    price=(Decimal(rng.randint(300, 19_999)) / 100).quantize(Decimal("0.01")),
                )
                store._variant_by_item[item_number] = variant_number
                store._available[(item_number, location_number)] = rng.randint(0, 50)
                store._updated_at[(item_number, location_number)] = _now_iso()
                position += 1
        return store

    # -- for tests and demos ------------------------------------------------------------------

    def quantity(self, sku: str) -> int:
        """The available quantity of the first variant with this SKU."""
        with self._lock:
            variant = self._first_variant(sku)
            return self._available[(variant.inventory_item_number, variant.location_number)]

    def set_quantity_by_hand(self, sku: str, quantity: int) -> None:
        """A merchant edit in the Shopify admin, on the first variant with this SKU."""
        with self._lock:
            variant = self._first_variant(sku)
            level = (variant.inventory_item_number, variant.location_number)
            self._available[level] = quantity
            self._updated_at[level] = _now_iso()

    @property
    def adjustment_count(self) -> int:
        """How many inventorySetQuantities calls were applied (idempotent replays are not)."""
        with self._lock:
            return self._adjustment_groups

    def variants(self) -> list[SandboxVariant]:
        with self._lock:
            return [
                SandboxVariant(
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
                for variant in self._variants.values()
            ]

    def _first_variant(self, sku: str) -> _Variant:
        for variant in self._variants.values():
            if variant.sku == sku:
                return variant
        raise KeyError(f"no variant with SKU {sku!r} in the sandbox store")

    # -- one GraphQL request ------------------------------------------------------------------

    def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Answer one Admin GraphQL request as Shopify would (the JSON body of an HTTP 200)."""
        with self._lock:
            prepared = self._prepare(query, dict(variables or {}), operation_name)
            if isinstance(prepared, list):
                return self._answer(errors=prepared, requested=0)
            document, operation, cost = prepared
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

            result = execute_sync(
                self._schema,
                document,
                root_value=self._root,
                variable_values=dict(variables or {}),
                operation_name=operation_name,
            )
            actual = requested if result.data is None else cost.actual(operation, result.data)
            self._bucket.refund(requested - actual)  # reserved up front, the unused part given back
            body: dict[str, Any] = {}
            if result.errors:
                body["errors"] = [error.formatted for error in result.errors]
            if result.data is not None:
                body["data"] = result.data
            return self._answer(body=body, requested=requested, actual=actual)

    def _prepare(
        self, query: str, variables: dict[str, Any], operation_name: str | None
    ) -> tuple[DocumentNode, OperationDefinitionNode, _QueryCost] | list[Any]:
        """Parse, validate and coerce the request; the errors to answer if it is not valid."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return [error.formatted]
        validation_errors = validate(self._schema, document)
        if validation_errors:
            return [error.formatted for error in validation_errors]
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return [{"message": "The request names no operation of its document."}]
        coerced = get_variable_values(self._schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return [error.formatted for error in coerced]
        return document, operation, _QueryCost(self._schema, document, coerced)

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
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "sandbox"
        return {
            "__typename": "Shop",
            "id": gid("Shop", 1),
            "name": self.name,
            "myshopifyDomain": f"{slug}.myshopify.com",
        }

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
        )

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
            field, _, value = term.partition(":")
            value = value.strip("'\"")
            if not value and term.lower() not in text:
                return False
            if value and field in filters and not filters[field](value):
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
        levels = sorted(location for (level_item, location) in self._available if level_item == item)

        def inventory_level(info: Info, locationId: str) -> dict[str, Any] | None:
            parsed = parse_gid(locationId)
            if parsed is None or parsed[0] != "Location" or (item, parsed[1]) not in self._available:
                return None
            return self._level_view(variant, parsed[1])

        def inventory_levels(info: Info, **arguments: Any) -> dict[str, Any]:
            return _paginate(
                levels,
                key=lambda location: location,
                view=lambda location: self._level_view(variant, location),
                first=arguments.get("first"),
                after=arguments.get("after"),
                last=arguments.get("last"),
                before=arguments.get("before"),
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
        level_id = f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"

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
            "id": level_id,
            "item": lambda info: self._item_view(variant),
            "location": lambda info: self._location_view(self._locations[location]),
            "quantities": quantities,
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
        now = _now_iso()
        for (item, location), quantity in writes.items():
            variant = self._variants[self._variant_by_item[item]]
            level = (item, location)
            delta = quantity - self._available[level]
            self._available[level] = quantity
            self._updated_at[level] = now
            if delta:
                for name in SETTABLE_QUANTITY_NAMES:  # setting one moves the other by as much
                    changes.append(
                        {
                            "name": name,
                            "delta": delta,
                            "quantityAfterChange": quantity,
                            "item": self._item_view(variant),
                            "location": self._location_view(self._locations[location]),
                        }
                    )
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


def _user_error(code: str, field: list[str] | None) -> dict[str, Any]:
    return {"code": code, "field": field, "message": USER_ERROR_MESSAGES[code]}


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
) -> dict[str, Any]:
    """One page of a connection over `items` (sorted by `key`), with opaque cursors."""
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

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues) -> None:
        self._schema = schema
        self._variables = variables
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

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
        if named.name.endswith("Connection") and isinstance(named, GraphQLObjectType):
            return self._connection_cost(named, field, arguments, value)
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
        # each way the query reaches the nodes: (node selection, nodes key, node key in an edge)
        selections: list[tuple[SelectionSetNode | None, str, str | None]] = []
        for child in self._fields(connection, field.selection_set):
            key = (child.alias or child.name).value
            if child.name.value == "nodes":
                selections.append((child.selection_set, key, None))
            elif child.name.value == "edges":
                edge_type = cast(GraphQLObjectType, get_named_type(connection.fields["edges"].type))
                selections += [
                    (edge_field.selection_set, key, (edge_field.alias or edge_field.name).value)
                    for edge_field in self._fields(edge_type, child.selection_set)
                    if edge_field.name.value == "node"
                ]
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
        """The fields a selection asks of one concrete type, fragments flattened."""
        fields: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                fields.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, object_type):
                    fields += self._fields(object_type, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None and self._applies(fragment.type_condition.name.value, object_type):
                    fields += self._fields(object_type, fragment.selection_set)
        return fields

    @staticmethod
    def _applies(type_condition: str, object_type: GraphQLObjectType) -> bool:
        return type_condition == object_type.name or any(
            i.name == type_condition for i in object_type.interfaces
        )

    def _arguments(self, parent: GraphQLObjectType, field: FieldNode) -> dict[str, Any]:
        arguments = get_argument_values(parent.fields[field.name.value], field, self._variables)
        for name, value in arguments.items():
            _check_input_arrays(value, [field.name.value, name])
        return arguments


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
# HTTP


def create_app(store: ShopifyStore, token: str) -> Starlette:
    """The store over HTTP: Admin GraphQL at GRAPHQL_PATH, plus a small sandbox admin API."""

    async def graphql_endpoint(request: Request) -> Response:
        sent_token = request.headers.get("X-Shopify-Access-Token", "")
        if not hmac.compare_digest(sent_token.encode(), token.encode()):
            return JSONResponse({"errors": UNAUTHORIZED_MESSAGE}, status_code=401)
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/graphql"):
            return JSONResponse(store.graphql(raw.decode()))
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
        return JSONResponse(store.graphql(payload["query"], variables, operation_name))

    def variants() -> list[dict[str, Any]]:
        return [
            {
                "sku": v.sku,
                "quantity": v.quantity,
                "inventory_item_id": v.inventory_item_id,
                "location_id": v.location_id,
                "variant_id": v.variant_id,
            }
            for v in store.variants()
        ]

    return Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql_endpoint, methods=["POST"]),
            *admin_routes(variants, store.set_quantity_by_hand),
        ]
    )
