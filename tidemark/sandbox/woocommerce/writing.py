"""Writing items: creating, updating and deleting them, with WooCommerce's checks, and the webhooks
those writes send."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tidemark.sandbox.woocommerce.records import (
    POST_STATUSES,
    PRODUCT_TYPES,
    Post,
    WooError,
    intval,
    invalid_id,
    stock_status,
)
from tidemark.sandbox.woocommerce.views import StoreViews


class StoreWrites(StoreViews):
    """The store's writes, as WooCommerce applies them."""

    # -- webhooks -----------------------------------------------------------------------------

    def _send(self, topic: str, payload: Mapping[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.send(topic, payload)

    def _product_updated(self, post: Post) -> None:
        """product.updated, with the item as GET /products/{id} answers it (a variation too)."""
        if self.webhooks is not None:
            self.webhooks.send("product.updated", self._product_view(post, self.url.rstrip("/")))

    # -- writing ------------------------------------------------------------------------------

    @staticmethod
    def _batch_one(item_id: Any, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return run()
        except WooError as error:
            return {
                "id": item_id,
                "error": {"code": error.code, "message": error.message, "data": error.body()["data"]},
            }

    def _create(self, product_id: int | None, fields: Any, root: str) -> dict[str, Any]:
        if not isinstance(fields, dict):
            fields = {}
        if fields.get("id"):
            kind = "product" if product_id is None else "product_variation"
            raise WooError(400, f"woocommerce_rest_{kind}_exists", f"Cannot create existing {kind}.")
        now = self._now()
        if product_id is not None:
            parent = self._posts.get(product_id)
            if parent is None or parent.type != "variable":
                raise invalid_id("product", 404)  # not sourced: what WooCommerce answers here
        product_type = "variation" if product_id is not None else str(fields.get("type") or "simple")
        if product_type not in (*PRODUCT_TYPES, "variation"):
            product_type = "simple"
        post = Post(
            id=0,
            parent_id=product_id or 0,
            type=product_type,
            name=str(fields.get("name") or ""),
            status="publish",
            sku="",
            global_unique_id="",
            regular_price="",
            sale_price="",
            manage_stock=False,
            stock_quantity=None,
            stock_status="instock",
            date_created=now,
            date_modified=now,
        )
        self._apply(post, fields, touch=False)  # raises before the post exists when a field is refused
        post.id = self._take_id()
        self._posts[post.id] = post
        if product_id is not None:
            self._posts[product_id].variation_ids.append(post.id)
            return self._variation_view(post, root)
        return self._product_view(post, root)

    def _update_in_batch(self, product_id: int | None, fields: Any, root: str) -> dict[str, Any]:
        if not isinstance(fields, dict):
            fields = {}
        item_id = intval(fields.get("id"))
        if product_id is None:
            post = self._posts.get(item_id)
            if post is None:
                raise invalid_id("product", 400)
            self._apply(post, fields)
            return self._product_view(post, root)
        post = self._variation_of(product_id, item_id)
        self._apply(post, fields)
        return self._variation_view(post, root)

    def _delete_in_batch(self, product_id: int | None, item_id: int, root: str) -> dict[str, Any]:
        post = self._posts.get(item_id)
        if product_id is None:
            if post is None:
                raise invalid_id("product", 404)
            view = self._product_view(post, root)
        else:
            if post is None or post.type != "variation" or post.parent_id != product_id:
                raise invalid_id("product_variation", 404)
            view = self._variation_view(post, root)
        self._delete(post)
        return view

    def _variation_of(self, product_id: int, variation_id: int) -> Post:
        post = self._posts.get(variation_id)
        if post is None or post.type != "variation" or post.parent_id != product_id:
            raise invalid_id("product_variation", 400)
        return post

    def _delete(self, post: Post) -> None:
        for child in post.variation_ids:
            self._posts.pop(child, None)
        self._posts.pop(post.id, None)
        parent = self._posts.get(post.parent_id)
        if parent is not None and post.id in parent.variation_ids:
            parent.variation_ids.remove(post.id)

    def _remove(self, post: Post, view: dict[str, Any], *, force: bool, kind: str) -> dict[str, Any]:
        """WC_REST_CRUD_Controller::delete_item: with force, the item (a variable product with its
        variations) is deleted for good; without, it is moved to the trash, once. Either way the
        answer is the item as it was, and product.deleted is sent."""
        if force:
            self._delete(post)
        elif post.status == "trash":
            raise WooError(410, "woocommerce_rest_already_trashed", f"The {kind} has already been deleted.")
        else:
            for item in [post, *(self._posts[child] for child in post.variation_ids if child in self._posts)]:
                item.status = "trash"
                item.date_modified = self._now()
        self._send("product.deleted", {"id": post.id})
        return view

    def _apply(self, post: Post, fields: Mapping[str, Any], *, touch: bool = True) -> None:
        """Set the fields WooCommerce's prepare_object_for_database reads; others are ignored.
        A refused SKU or GTIN raises before anything is written, as WC_Data_Exception does."""
        self._check_unique(post, fields)
        for text in ("sku", "global_unique_id"):
            if fields.get(text) is not None:
                setattr(post, text, str(fields[text]).strip())
        if fields.get("name") is not None and post.type != "variation":
            post.name = str(fields["name"])
        if fields.get("status") is not None:
            post.status = str(fields["status"]) if fields["status"] in POST_STATUSES else "draft"
        for price in ("regular_price", "sale_price"):
            if fields.get(price) is not None:
                setattr(post, price, str(fields[price]))
        self._apply_stock(post, fields)
        if touch:
            post.date_modified = self._now()

    def _check_unique(self, post: Post, fields: Mapping[str, Any]) -> None:
        sku = str(fields.get("sku") or "").strip()
        holder = self._holder(sku, post.id, "sku")
        if holder is not None:
            raise WooError(
                400,
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                resource_id=holder.id,
                unique_sku=self._unique_sku(sku),
            )
        holder = self._holder(str(fields.get("global_unique_id") or "").strip(), post.id, "global_unique_id")
        if holder is not None:
            # the code is WooCommerce's; the message is not sourced
            raise WooError(
                400,
                "product_invalid_global_unique_id",
                "Invalid or duplicated GTIN, UPC, EAN or ISBN.",
                resource_id=holder.id,
            )

    @staticmethod
    def _apply_stock(post: Post, fields: Mapping[str, Any]) -> None:
        """The stock quantity counts only while the item manages stock, as in WooCommerce."""
        if fields.get("manage_stock") is not None:
            post.manage_stock = bool(fields["manage_stock"])
        if not post.manage_stock:
            post.stock_quantity = None
            if fields.get("stock_status") in ("instock", "outofstock", "onbackorder"):
                post.stock_status = str(fields["stock_status"])
            return
        if fields.get("stock_quantity") is not None:
            post.stock_quantity = intval(fields["stock_quantity"])
        elif fields.get("inventory_delta") is not None:
            post.stock_quantity = (post.stock_quantity or 0) + intval(fields["inventory_delta"])
        post.stock_quantity = post.stock_quantity or 0
        post.stock_status = stock_status(True, post.stock_quantity)

    def _holder(self, value: str, own_id: int, attribute: str) -> Post | None:
        if not value:
            return None
        for post in self._posts.values():
            if post.id != own_id and getattr(post, attribute) == value and post.status != "trash":
                return post
        return None

    def _unique_sku(self, sku: str) -> str:
        number = 1
        while self._holder(f"{sku}-{number}", 0, "sku") is not None:
            number += 1
        return f"{sku}-{number}"
