"""The sandbox admin API: what a merchant or a shopper does in the store."""

from __future__ import annotations

from typing import Any

from tidemark.sandbox.admin import VariantEdit
from tidemark.sandbox.shopify.records import (
    CENTS,
    Order,
    Product,
    Variant,
    admin_row,
    gid,
    now_iso,
    rest_time,
)
from tidemark.sandbox.shopify.store import StoreBase


class MerchantStore(StoreBase):
    """The store as its merchant and its shoppers change it: hand edits, deletions, orders."""

    def set_quantity_by_hand(self, sku: str, quantity: int) -> None:
        """A merchant edit in the Shopify admin, on the first variant with this SKU."""
        self.edit_by_hand(sku, {"quantity": quantity})

    def variant_rows(self) -> list[dict[str, Any]]:
        return [admin_row(variant) for variant in self.variants()]

    def edit_by_hand(self, sku: str, edit: VariantEdit) -> dict[str, Any]:
        """An edit in the Shopify admin; a status applies to the variant's product, as Shopify keeps it.
        A quantity is set at the variant's own location, or at `location`, where it must be stocked."""
        with self._lock:
            variant = self._first_variant(sku)
            product = self._products[variant.product_number]
            if "quantity" in edit:
                level = (variant.inventory_item_number, edit.get("location", variant.location_number))
                if level not in self._available:
                    raise ValueError(f"{sku!r} is not stocked at location {level[1]}: stock it there first")
                self._available[level] = edit["quantity"]
                self._updated_at[level] = now_iso()
                self._level_changed(*level)
            if "sku" in edit:
                variant.sku = edit["sku"]
            if "price" in edit:
                variant.price = edit["price"].quantize(CENTS)
            if "status" in edit:
                product.status = "ACTIVE" if edit["status"] == "active" else "DRAFT"
            variant.updated_at = product.updated_at = rest_time()
            self._product_changed(product)
            return admin_row(self._sandbox_variant(variant))

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
                product.updated_at = rest_time()
                self._product_changed(product)
            else:
                del self._products[product.number]
                self._emit("products/delete", {"id": product.number})

    def place_order(self, lines: list[tuple[str, int]], location: int | None = None) -> dict[str, Any]:
        """A paid order, which takes each line's quantity off what is available at its variant's
        location, or at `location` (a location number) where each item must be stocked; each line
        names the location as `origin_location`."""
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
            if location is not None:
                for variant, _ in ordered:
                    if (variant.inventory_item_number, location) not in self._available:
                        raise ValueError(
                            f"{variant.sku!r} is not stocked at location {location}: stock it there first"
                        )
            order = self._new_order(ordered, location)
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
            now = rest_time()
            order.payload.update(
                cancelled_at=now, cancel_reason="customer", financial_status="refunded", updated_at=now
            )
            self._emit("orders/cancelled", order.payload)
            self._move_stock(order, +1)
            return order.payload

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [order.payload for order in self._orders.values()]

    def _origin(self, location: int) -> dict[str, Any]:
        return {"id": location, "name": self._locations[location].name}

    def stock_at(self, sku: str, location: int, available: int) -> dict[str, Any]:
        """Stock the SKU's variant at another of the store's locations (as inventoryActivate does)."""
        with self._lock:
            if location not in self._locations:
                raise ValueError(f"no location {location} in the sandbox store")
            variant = self._first_variant(sku)
            self._available[(variant.inventory_item_number, location)] = available
            self._updated_at[(variant.inventory_item_number, location)] = now_iso()
            return {"sku": sku, "location_id": location, "available": available}

    def available_at(self, sku: str, location: int) -> int | None:
        """What is available of the SKU's variant at the location (None: not stocked there)."""
        with self._lock:
            return self._available.get((self._first_variant(sku).inventory_item_number, location))

    def _new_order(self, ordered: list[tuple[Variant, int]], location: int | None = None) -> Order:
        number = len(self._orders) + 1
        order_id = 5_500_000_000 + number
        now = rest_time()
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
                    "origin_location": self._origin(location or variant.location_number),
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
        order = self._orders[order_id] = Order([(v.number, q) for v, q in ordered], payload, location)
        return order

    def _move_stock(self, order: Order, sign: int) -> None:
        """Take the order's quantities off what is available (sign -1), or put them back (+1)."""
        changed: dict[int, Product] = {}
        for variant_number, quantity in order.lines:
            variant = self._variants.get(variant_number)
            if variant is None:  # deleted since: nothing to restock
                continue
            level = (variant.inventory_item_number, order.location_number or variant.location_number)
            self._available[level] += sign * quantity
            self._updated_at[level] = now_iso()
            self._level_changed(*level)
            changed[variant.product_number] = self._products[variant.product_number]
        for product in changed.values():
            product.updated_at = rest_time()
            self._product_changed(product)
