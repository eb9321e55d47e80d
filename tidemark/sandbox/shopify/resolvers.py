"""ShopifyStore: one GraphQL request, its root resolvers, and bulk operations."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Mapping
from typing import Any, cast

from graphql.execution import ExecutionResult, Executor
from graphql.execution.execute import assume_not_async_iterable, assume_not_awaitable

from tidemark.sandbox.shopify.bulk import (
    bulk_query_problem,
)
from tidemark.sandbox.shopify.cost import (
    InputArrayTooLarge,
    QueryCost,
)
from tidemark.sandbox.shopify.mutations import StoreMutations
from tidemark.sandbox.shopify.paging import paginate
from tidemark.sandbox.shopify.records import (
    BULK_CONTEXT,
    BULK_LIMIT_MESSAGE,
    DEFAULT_BASE_URL,
    MAX_BULK_QUERIES,
    MAX_QUERY_COST,
    RATE_LIMITS_DOC,
    BulkOperation,
    Info,
    Variant,
    gid,
    max_cost_error,
    now_iso,
)
from tidemark.sandbox.shopify.schema import (
    checked_query,
)


class ShopifyStore(StoreMutations):
    """One Shopify store in memory. Thread-safe: every read and write holds the store's lock.

    With `webhook_url` and `webhook_secret` (or a later `connect_webhooks`), every change made through
    the API or the sandbox admin API sends the webhooks Shopify sends for it. A bulk operation
    completes `bulk_seconds` after it was created, on the store's clock."""

    @functools.cached_property
    def _root(self) -> dict[str, Any]:
        """The root resolvers graphql-core calls, by field of Query and Mutation."""
        return {
            "shop": self._resolve_shop,
            "node": self._resolve_node,
            "nodes": self._resolve_nodes,
            "productVariant": self._resolve_typed_node("ProductVariant"),
            "inventoryItem": self._resolve_typed_node("InventoryItem"),
            "order": self._resolve_typed_node("Order"),
            "productVariants": self._resolve_product_variants,
            "productVariantsCount": self._resolve_product_variants_count,
            "locations": self._resolve_locations,
            "bulkOperation": self._resolve_typed_node("BulkOperation"),
            "currentBulkOperation": self._resolve_current_bulk_operation,
            "inventorySetQuantities": self._resolve_inventory_set_quantities,
            "productVariantsBulkUpdate": self._resolve_product_variants_bulk_update,
            "productUpdate": self._resolve_product_update,
            "bulkOperationRunQuery": self._resolve_bulk_operation_run_query,
        }

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
            cost = QueryCost(self._schema, executor.fragment_definitions, executor.variable_values)
            try:
                requested = cost.requested(operation)
            except InputArrayTooLarge as error:
                return self._answer(errors=[error.formatted()], requested=0)
            if requested > MAX_QUERY_COST:
                return self._answer(errors=[max_cost_error(requested)], requested=requested)
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
        document = checked_query(query)
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
        return paginate(
            variants,
            key=lambda variant: variant.number,
            view=self._variant_view,
            first=arguments.get("first"),
            after=arguments.get("after"),
            last=arguments.get("last"),
            before=arguments.get("before"),
            everything=info.context is BULK_CONTEXT,
        )

    def _resolve_locations(self, info: Info, **arguments: Any) -> dict[str, Any]:
        """The store's locations in id order, a page at a time (every one is active in the sandbox)."""
        return paginate(
            sorted(self._locations.values(), key=lambda location: location.number),
            key=lambda location: location.number,
            view=self._location_view,
            first=arguments.get("first"),
            after=arguments.get("after"),
            last=arguments.get("last"),
            before=arguments.get("before"),
            everything=False,
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

    def _matches(self, variant: Variant, search: str) -> bool:
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

    # -- bulk operations -----------------------------------------------------------------------

    def _resolve_bulk_operation_run_query(self, info: Info, query: str, groupObjects: bool) -> dict[str, Any]:
        problem = bulk_query_problem(self._schema, query)
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
        operation = BulkOperation(
            number, query, secrets.token_urlsafe(16), now_iso(), now + self._bulk_seconds
        )
        self._bulk_operations[number] = operation
        return {"bulkOperation": self._bulk_view(operation, created=True), "userErrors": []}
