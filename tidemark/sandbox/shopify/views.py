"""What graphql-core reads of the store's records, with callables for fields that take arguments."""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    execute_sync,
    parse,
)

from tidemark.sandbox.shopify.bulk import jsonl_lines
from tidemark.sandbox.shopify.merchant import MerchantStore
from tidemark.sandbox.shopify.paging import paginate
from tidemark.sandbox.shopify.records import (
    BULK_CONTEXT,
    QUANTITY_NAMES,
    BulkOperation,
    Info,
    Location,
    Order,
    Product,
    Variant,
    gid,
    graphql_time,
    level_gid,
    now_iso,
    parse_gid,
)


class StoreViews(MerchantStore):
    """The store's records as GraphQL objects."""

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
        if type_name == "Order" and number in self._orders:
            return self._order_view(self._orders[number])
        if type_name == "BulkOperation" and number in self._bulk_operations:
            return self._bulk_view(self._bulk_operations[number])
        return None

    def _variant_view(self, variant: Variant) -> dict[str, Any]:
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

    def _product_view(self, product: Product) -> dict[str, Any]:
        return {
            "__typename": "Product",
            "id": gid("Product", product.number),
            "title": product.title,
            "status": product.status,
            "updatedAt": product.updated_at,
            "variants": lambda info, **arguments: paginate(
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
                everything=info.context is BULK_CONTEXT,
            ),
        }

    def _order_view(self, order: Order) -> dict[str, Any]:
        """An order as Admin GraphQL shows it: its REST payload's times in GraphQL's form."""
        payload = order.payload
        reason = payload["cancel_reason"]
        return {
            "__typename": "Order",
            "id": payload["admin_graphql_api_id"],
            "name": payload["name"],
            "createdAt": graphql_time(payload["created_at"]),
            "updatedAt": graphql_time(payload["updated_at"]),
            "cancelledAt": graphql_time(payload["cancelled_at"]) if payload["cancelled_at"] else None,
            "cancelReason": reason.upper() if reason else None,
        }

    def _location_view(self, location: Location) -> dict[str, Any]:
        return {
            "__typename": "Location",
            "id": gid("Location", location.number),
            "name": location.name,
            "isActive": True,
        }

    def _item_view(self, variant: Variant) -> dict[str, Any]:
        item = variant.inventory_item_number

        def inventory_level(info: Info, locationId: str) -> dict[str, Any] | None:
            parsed = parse_gid(locationId)
            if parsed is None or parsed[0] != "Location" or (item, parsed[1]) not in self._available:
                return None
            return self._level_view(variant, parsed[1])

        def inventory_levels(info: Info, **arguments: Any) -> dict[str, Any]:
            return paginate(
                [location for location in self._locations if (item, location) in self._available],
                key=lambda location: location,
                view=lambda location: self._level_view(variant, location),
                first=arguments.get("first"),
                after=arguments.get("after"),
                last=arguments.get("last"),
                before=arguments.get("before"),
                everything=info.context is BULK_CONTEXT,
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

    def _level_view(self, variant: Variant, location: int) -> dict[str, Any]:
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
            "id": level_gid(item, location),
            "item": lambda info: self._item_view(variant),
            "location": lambda info: self._location_view(self._locations[location]),
            "quantities": quantities,
        }

    def _bulk_view(self, operation: BulkOperation, *, created: bool = False) -> dict[str, Any]:
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

    def _complete(self, operation: BulkOperation) -> None:
        """Run the operation's query over the whole catalog and write its JSONL."""
        document = parse(operation.query)
        result = execute_sync(self._schema, document, root_value=self._root, context_value=BULK_CONTEXT)
        operation.completed_at = now_iso()
        if result.errors or result.data is None:
            operation.error_code = "INTERNAL_SERVER_ERROR"
            return
        lines = jsonl_lines(self._schema, document, result.data)
        operation.output = b"".join(
            json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines
        )
        operation.objects = len(lines)
        operation.roots = sum("__parentId" not in line for line in lines)
