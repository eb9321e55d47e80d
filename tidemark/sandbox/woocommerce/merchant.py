"""The sandbox admin API (admin.SandboxAdmin): what a merchant or a shopper does in the store."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from tidemark.sandbox.admin import VariantEdit
from tidemark.sandbox.woocommerce.records import Order, OrderLine, Post, WooError, admin_row
from tidemark.sandbox.woocommerce.writing import StoreWrites


class MerchantStore(StoreWrites):
    """The store as its merchant and its shoppers change it: hand edits, deletions, orders."""

    def variant_rows(self) -> list[dict[str, Any]]:
        return [admin_row(variant) for variant in self.variants()]

    def edit_by_hand(self, sku: str, edit: VariantEdit) -> dict[str, Any]:
        """A merchant's edit in wp-admin of the first sellable item with this SKU. Showing or hiding
        sets the item's own status, publish or private (for a variation, its "Enabled" box)."""
        fields: dict[str, Any] = {}
        if "quantity" in edit:
            fields.update(manage_stock=True, stock_quantity=edit["quantity"])
        if "sku" in edit:
            fields["sku"] = edit["sku"]
        if "price" in edit:
            fields["regular_price"] = format(edit["price"], "f")
        if "status" in edit:
            fields["status"] = "publish" if edit["status"] == "active" else "private"
        with self._lock:
            post = self._first_sellable(sku)
            try:
                self._apply(post, fields)
            except WooError as error:
                holder = error.data.get("resource_id")
                raise ValueError(
                    f"sku: {edit.get('sku')!r} is taken by item {holder} ({error.code}: {error.message}); "
                    "choose another"
                ) from error
            self._product_updated(post)
            return admin_row(self._variant(post))

    def delete_by_hand(self, sku: str) -> None:
        """A merchant deleting the first sellable item with this SKU in wp-admin."""
        with self._lock:
            post = self._first_sellable(sku)
            self._delete(post)
            self._send("product.deleted", {"id": post.id})

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """A shopper's paid order (processing) for the first sellable item of each SKU. Its stock is
        taken as wc_reduce_stock_levels takes it: only from items that manage stock, and below zero
        too, as for an order entered in wp-admin (the storefront would refuse to oversell)."""
        with self._lock:
            posts = []
            for sku, _ in lines:
                try:
                    posts.append(self._first_sellable(sku))
                except KeyError:
                    raise ValueError(
                        f"no product or variation has SKU {sku!r}: order one of GET /admin/sandbox/variants"
                    ) from None
            now = self._now()
            order = Order(self._take_id(), f"wc_order_{secrets.token_hex(6)}", "processing", [], now, now)
            taken: dict[int, Post] = {}
            for post, (sku, quantity) in zip(posts, lines, strict=True):
                self._next_item_id += 1
                line = OrderLine(
                    id=self._next_item_id,
                    post_id=post.id,
                    product_id=post.parent_id or post.id,
                    variation_id=post.id if post.parent_id else 0,
                    sku=sku,
                    name=post.name,
                    quantity=quantity,
                    price=Decimal(post.sale_price or post.regular_price or "0"),
                    reduced=quantity if post.manage_stock else 0,
                )
                order.lines.append(line)
                if line.reduced:
                    self._move_stock(post, -line.reduced)
                    taken[post.id] = post
            self._orders[order.id] = order
            self._send("order.created", self._order_view(order))
            for post in taken.values():
                self._product_updated(post)
            return self._order_view(order)

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """The merchant cancelling an order: the stock it took comes back to the items that still
        exist, as wc_maybe_increase_stock_levels gives it back."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise KeyError(f"no order {order_id}: see GET /admin/sandbox/orders")
            if order.status == "cancelled":
                raise ValueError(f"order {order_id} is already cancelled")
            order.status = "cancelled"
            order.date_modified = self._now()
            restocked: dict[int, Post] = {}
            for line in order.lines:
                post = self._posts.get(line.post_id)
                if post is not None and line.reduced:
                    self._move_stock(post, line.reduced)
                    restocked[post.id] = post
                line.reduced = 0
            self._send("order.updated", self._order_view(order))
            for post in restocked.values():
                self._product_updated(post)
            return self._order_view(order)

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._order_view(order) for order in self._orders.values()]
