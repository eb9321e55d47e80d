"""The mutations: inventorySetQuantities, productVariantsBulkUpdate and productUpdate."""

from __future__ import annotations

import json
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    GraphQLError,
)
from graphql.execution.values import get_directive_values

from tidemark.sandbox.shopify.records import (
    CENTS,
    INVENTORY_REASONS,
    MAX_INVENTORY_QUANTITY,
    SETTABLE_QUANTITY_NAMES,
    URI,
    IdempotentResult,
    Info,
    Product,
    Variant,
    gid,
    gid_number,
    now_iso,
    rest_time,
    user_errors_payload,
)
from tidemark.sandbox.shopify.schema import (
    user_error,
    variants_error,
)
from tidemark.sandbox.shopify.views import StoreViews


class StoreMutations(StoreViews):
    """The store's mutations, with Shopify's checks and user errors."""

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
            return user_errors_payload([user_error("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", None)])
        payload = self._set_quantities(input)
        self._idempotent_results[key] = IdempotentResult(fingerprint, payload)
        return payload

    def _set_quantities(self, input: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        if input["name"] not in SETTABLE_QUANTITY_NAMES:
            errors.append(user_error("INVALID_NAME", ["input", "name"]))
        if input["reason"] not in INVENTORY_REASONS:
            errors.append(user_error("INVALID_REASON", ["input", "reason"]))
        uri = input.get("referenceDocumentUri")
        if uri is not None and not URI.match(uri):
            errors.append(user_error("INVALID_REFERENCE_DOCUMENT", ["input", "referenceDocumentUri"]))

        writes: dict[tuple[int, int], int] = {}  # (inventory item, location) -> quantity
        for index, entry in enumerate(input["quantities"]):
            problem = self._quantity_problem(entry, already_set=writes.keys())
            if problem is not None:
                code, field_name = problem
                errors.append(user_error(code, ["input", "quantities", str(index), field_name]))
            else:
                where = (gid_number(entry["inventoryItemId"]), gid_number(entry["locationId"]))
                writes[where] = entry["quantity"]
        if errors:
            return user_errors_payload(errors)  # all or nothing: one bad entry writes none

        changes: list[dict[str, Any]] = []
        changed: dict[int, Product] = {}
        now = now_iso()
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
        updated_at = rest_time()
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

    def _change_view(self, name: str, delta: int, variant: Variant, location: int) -> dict[str, Any]:
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
        item = gid_number(entry["inventoryItemId"], "InventoryItem")
        location = gid_number(entry["locationId"], "Location")
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
        product = self._products.get(gid_number(productId, "Product"))
        if product is None:
            return {
                "product": None,
                "productVariants": None,
                "userErrors": [variants_error("PRODUCT_DOES_NOT_EXIST", ["productId"])],
            }
        errors: list[dict[str, Any]] = []
        writes: list[tuple[Variant, dict[str, Any]]] = []
        for index, entry in enumerate(variants):
            problem = self._variant_input_problem(product, entry)
            if problem is None:
                writes.append((self._variants[gid_number(entry["id"])], entry))
            else:
                code, field_name = problem
                errors.append(variants_error(code, ["variants", str(index), field_name]))
        if errors and not allowPartialUpdates:
            return {"product": self._product_view(product), "productVariants": None, "userErrors": errors}
        now = rest_time()
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

    def _variant_input_problem(self, product: Product, entry: dict[str, Any]) -> tuple[str, str] | None:
        """The user error code and input field at fault for one variants entry, if any."""
        if entry.get("id") is None:
            return "PRODUCT_VARIANT_ID_MISSING", "id"
        variant = self._variants.get(gid_number(entry["id"], "ProductVariant"))
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
        target = self._products.get(gid_number(fields.get("id") or "", "Product"))
        if target is None:
            return {"product": None, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}
        title = fields.get("title")
        if title is not None and not title.strip():
            return {"product": None, "userErrors": [{"field": ["title"], "message": "Title can't be blank"}]}
        if title is not None:
            target.title = title.strip()
        if fields.get("status") is not None:
            target.status = fields["status"]
        target.updated_at = rest_time()
        self._product_changed(target)
        return {"product": self._product_view(target), "userErrors": []}
