"""WooStore: the REST API, one call each."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from tidemark.sandbox.woocommerce.merchant import MerchantStore
from tidemark.sandbox.woocommerce.params import (
    boolean_param,
    collection_args,
    id_list,
    invalid_params,
    not_in_enum,
    paginate,
    sorted_posts,
)
from tidemark.sandbox.woocommerce.records import POST_STATUSES, PRODUCT_TYPES, WooError, intval, invalid_id


class WooStore(MerchantStore):
    """One WooCommerce store in memory. Thread-safe: every read and write holds the store's lock.

    `url` is the store's home URL, as webhooks name it in X-WC-Webhook-Source and their resources'
    links: set it once the store is served. With `webhook_url` and `webhook_secret` (or a later
    `configure_webhook`), every change made through the REST API or the admin API is sent as the
    webhooks WooCommerce sends for it."""

    # -- the REST API, one call each ----------------------------------------------------------

    def list_products(
        self, params: Mapping[str, str], root: str = ""
    ) -> tuple[list[dict[str, Any]], int, int, int]:
        """GET /products: (items, total, total pages, page)."""
        with self._lock:
            per_page, page, orderby, order = collection_args(params)
            errors: dict[str, tuple[str, str]] = {}
            status = params.get("status", "any")
            if status != "any" and status not in POST_STATUSES:
                errors["status"] = not_in_enum("status", ("any", *POST_STATUSES))
            product_type = params.get("type")
            if product_type is not None and product_type not in PRODUCT_TYPES:
                errors["type"] = not_in_enum("type", PRODUCT_TYPES)
            include = id_list(params, "include", errors)
            if errors:
                raise invalid_params(errors)
            skus = {sku for sku in params.get("sku", "").split(",") if sku}
            if skus and "," in params.get("sku", ""):
                skus.add(params["sku"])  # WooCommerce matches the whole string as a SKU too
            posts = [
                post
                for post in self._posts.values()
                if (post.parent_id == 0 or skus)  # a SKU filter finds variations too
                and (post.sku in skus if skus else True)
                and (post.status != "trash" if status == "any" else post.status == status)
                and (product_type is None or post.type == product_type)
                and (not include or post.id in include)
            ]
            window, total, pages = paginate(sorted_posts(posts, orderby, order), per_page, page)
            return [self._product_view(post, root) for post in window], total, pages, page

    def get_product(self, product_id: int, root: str = "") -> dict[str, Any]:
        with self._lock:
            post = self._posts.get(product_id)
            if post is None or post.status == "trash":
                raise invalid_id("product", 404)
            return self._product_view(post, root)

    def update_product(self, product_id: int, fields: Mapping[str, Any], root: str = "") -> dict[str, Any]:
        """PUT /products/{id} (a variation's id works too, as wc_get_product reads both)."""
        with self._lock:
            post = self._posts.get(product_id)
            if post is None:
                raise invalid_id("product", 400)
            self._apply(post, fields)
            self._api_writes += 1
            self._product_updated(post)
            return self._product_view(post, root)

    def list_variations(
        self, product_id: int, params: Mapping[str, str], root: str = ""
    ) -> tuple[list[dict[str, Any]], int, int, int]:
        """GET /products/{id}/variations. An unknown product has no variations (an empty list)."""
        with self._lock:
            per_page, page, orderby, order = collection_args(params)
            errors: dict[str, tuple[str, str]] = {}
            include = id_list(params, "include", errors)
            if errors:
                raise invalid_params(errors)
            posts = [
                p
                for p in self._posts.values()
                if p.parent_id == product_id and p.status != "trash" and (not include or p.id in include)
            ]
            window, total, pages = paginate(sorted_posts(posts, orderby, order), per_page, page)
            return [self._variation_view(post, root) for post in window], total, pages, page

    def get_variation(self, product_id: int, variation_id: int, root: str = "") -> dict[str, Any]:
        with self._lock:
            post = self._posts.get(variation_id)
            if post is None or post.type != "variation" or post.parent_id != product_id:
                raise invalid_id("product_variation", 404)
            return self._variation_view(post, root)

    def update_variation(
        self, product_id: int, variation_id: int, fields: Mapping[str, Any], root: str = ""
    ) -> dict[str, Any]:
        with self._lock:
            post = self._variation_of(product_id, variation_id)
            self._apply(post, fields)
            self._api_writes += 1
            self._product_updated(post)
            return self._variation_view(post, root)

    def delete_product(self, product_id: int, params: Mapping[str, str], root: str = "") -> dict[str, Any]:
        """DELETE /products/{id} (a variation's id works too, as wc_get_product reads both);
        `force=true` deletes it, else it is trashed."""
        with self._lock:
            force = boolean_param(params, "force")
            post = self._posts.get(product_id)
            if post is None:
                raise invalid_id("product", 404)
            return self._remove(post, self._product_view(post, root), force=force, kind="product")

    def delete_variation(
        self, product_id: int, variation_id: int, params: Mapping[str, str], root: str = ""
    ) -> dict[str, Any]:
        """DELETE /products/{id}/variations/{variation_id}; `force=true` deletes it, else it is trashed."""
        with self._lock:
            force = boolean_param(params, "force")
            post = self._posts.get(variation_id)
            if post is None or post.type != "variation" or post.parent_id != product_id:
                raise invalid_id("product_variation", 404)
            return self._remove(post, self._variation_view(post, root), force=force, kind="product_variation")

    def get_order(self, order_id: int) -> dict[str, Any]:
        """GET /orders/{id}; 404 woocommerce_rest_shop_order_invalid_id for no such order."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise invalid_id("shop_order", 404)
            return self._order_view(order)

    def batch(self, product_id: int | None, body: Mapping[str, Any], root: str = "") -> dict[str, Any]:
        """POST /products/batch (product_id None) or /products/{id}/variations/batch."""
        with self._lock:
            groups = {
                name: body[name]
                for name in ("create", "update", "delete")
                if isinstance(body.get(name), list)
            }
            total = sum(len(items) for items in groups.values())
            if total > self.batch_limit:
                raise WooError(
                    413,
                    "woocommerce_rest_request_entity_too_large",
                    f"Unable to accept more than {self.batch_limit} items for this request.",
                )
            answer: dict[str, Any] = {}
            for item in groups.get("create", []):
                answer.setdefault("create", []).append(
                    self._batch_one(0, partial(self._create, product_id, item, root))
                )
            for item in groups.get("update", []):
                item_id = item.get("id") if isinstance(item, dict) else None
                answer.setdefault("update", []).append(
                    self._batch_one(item_id, partial(self._update_in_batch, product_id, item, root))
                )
            for raw_id in groups.get("delete", []):
                item_id = intval(raw_id)
                if item_id == 0:
                    continue
                answer.setdefault("delete", []).append(
                    self._batch_one(item_id, partial(self._delete_in_batch, product_id, item_id, root))
                )
            # one webhook per item and request, with the item as the request left it
            updated = [entry["id"] for entry in answer.get("update", []) if "error" not in entry]
            self._api_writes += len(updated)
            for item_id in dict.fromkeys(updated):
                if (post := self._posts.get(item_id)) is not None:  # not deleted by the same batch
                    self._product_updated(post)
            for entry in answer.get("delete", []):
                if "error" not in entry:
                    self._send("product.deleted", {"id": entry["id"]})
            return answer
