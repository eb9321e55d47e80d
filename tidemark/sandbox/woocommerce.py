"""An in-memory WooCommerce store speaking the REST API v3 (wc/v3) over HTTP.

What it emulates, read off the WooCommerce source (plugins/woocommerce/includes) and the REST API
docs, see CHANNELS.md:

- Products and their variations as WordPress posts: one id sequence, simple and variable products,
  the fields the docs list (sku, global_unique_id, regular_price as a string, manage_stock,
  stock_quantity, stock_status, status, date_modified/_gmt...).
- Collections: `per_page` 1..100 (else 400 `rest_invalid_param`), `page`, `orderby` / `order`
  (default date, desc), `include` (ids, comma separated), `status`, `type`, `sku` (comma
  separated, exact; it finds variations too), the X-WP-Total / X-WP-TotalPages headers and a Link
  header with rel prev / next, as WC_REST_CRUD_Controller::get_items builds it.
- Batches (WC_REST_Controller::batch_items): create / update / delete, at most 100 objects in all
  (else 413 `woocommerce_rest_request_entity_too_large`), HTTP 200 with one entry per item: the
  resource, or `{"id", "error": {"code", "message", "data"}}`.
- Authentication (WC_REST_Authentication): OAuth 1.0a one-legged, parameters in the query,
  HMAC-SHA1 or HMAC-SHA256 verified with oauthlib, the timestamp within 15 minutes, a nonce used
  once; HTTP Basic with the consumer key and secret; the key's read / write permission; and the
  answers WooCommerce gives without valid credentials (`woocommerce_rest_authentication_error`,
  `woocommerce_rest_cannot_view`...). Deviation: real WooCommerce reads Basic credentials only on
  an HTTPS request; the sandbox serves plain HTTP and accepts them anyway.
- An optional host rate limit (token bucket, `rate` requests a second): 429 with Retry-After, as
  hosts and WAFs answer; WooCommerce itself documents no limit.
- The sandbox admin API (admin.py): a merchant's edits and deletions in wp-admin, a shopper's orders
  (stock taken and given back as wc_reduce_stock_levels / wc_increase_stock_levels do for items
  that manage stock), and the faults of faults.py on the REST API.
- Webhooks as WC_Webhook::deliver sends them, signed with the webhook's secret: order.created,
  order.updated, product.updated (variations too) and product.deleted, with the resource as
  `GET /wc/v3/{orders,products}/{id}` answers it (`{"id"}` for a deletion), and the activation ping
  (a form body `webhook_id=N`, unsigned) when the webhook is configured. Deviation: one webhook
  delivers the four topics, where WooCommerce has one webhook (and id) per topic.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import random
import re
import secrets
import threading
import time
from base64 import b64decode
from binascii import Error as BinasciiError
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from oauthlib.common import Request as OAuthRequest  # type: ignore[import-untyped]
from oauthlib.oauth1.rfc5849 import signature as oauth_signature  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidemark.sandbox.admin import VariantEdit, admin_routes
from tidemark.sandbox.faults import FaultMiddleware, Faults
from tidemark.sandbox.webhooks import WebhookSender

log = logging.getLogger(__name__)

API_NAMESPACE = "wc/v3"
API_ROOT = f"/wp-json/{API_NAMESPACE}"
BATCH_LIMIT = 100  # the default of the woocommerce_rest_batch_items_limit filter
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
OAUTH_WINDOW_SECONDS = 15 * 60
POST_STATUSES = ("draft", "pending", "private", "publish", "future", "trash")
PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
ORDERBY = (
    "date",
    "modified",
    "id",
    "include",
    "title",
    "slug",
    "price",
    "popularity",
    "rating",
    "menu_order",
)
NAMESPACES = ["oembed/1.0", "wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wp/v2"]
SIZES = ("S", "M", "L", "XL")
WC_VERSION = "9.9.5"
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/6.8.2)"
# wp_hash's salt, which makes a Delivery-ID a hash of (webhook id, second) on a given site
DELIVERY_SALT = b"tidemark-sandbox"
OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class WooError(Exception):
    """A WP_Error: answered as `{"code", "message", "data": {"status", ...}}`."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def _invalid_id(kind: str, status: int) -> WooError:
    return WooError(status, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")


# ---------------------------------------------------------------------------------------------
# The catalog


@dataclass
class _Post:
    """A product or a variation (both are posts in WordPress, numbered from one sequence)."""

    id: int
    parent_id: int  # 0 for a product
    type: str  # simple | variable | variation (grouped / external can be created, not generated)
    name: str
    status: str
    sku: str
    global_unique_id: str
    regular_price: str
    sale_price: str
    manage_stock: bool
    stock_quantity: int | None
    stock_status: str
    date_created: datetime
    date_modified: datetime
    option: str = ""  # a variation's Size
    variation_ids: list[int] = field(default_factory=list)

    @property
    def is_sellable(self) -> bool:
        return self.type != "variable"


@dataclass(frozen=True)
class WooVariant:
    """One sellable item (a simple product or a variation) as the sandbox holds it."""

    sku: str
    quantity: int
    product_id: int
    variation_id: int | None
    barcode: str
    price: str
    status: str  # the product's status (a variation's own when it is not "publish")

    @property
    def inventory_item_id(self) -> str:
        """How Tidemark's WooCommerce client names the item: `<product>` or `<product>/<variation>`."""
        if self.variation_id is None:
            return str(self.product_id)
        return f"{self.product_id}/{self.variation_id}"


@dataclass
class _OrderLine:
    id: int
    post_id: int  # the simple product or the variation sold
    product_id: int
    variation_id: int  # 0 for a simple product, as WooCommerce writes it
    sku: str
    name: str
    quantity: int
    price: Decimal
    reduced: int  # the stock taken (WooCommerce's _reduced_stock): 0 when stock is not managed


@dataclass
class _Order:
    id: int
    key: str
    status: str
    lines: list[_OrderLine]
    date_created: datetime
    date_modified: datetime


class WooStore:
    """One WooCommerce store in memory. Thread-safe: every read and write holds the store's lock.

    `url` is the store's home URL, as webhooks name it in X-WC-Webhook-Source and their resources'
    links: set it once the store is served. With `webhook_url` and `webhook_secret` (or a later
    `configure_webhook`), every change made through the REST API or the admin API is sent as the
    webhooks WooCommerce sends for it."""

    def __init__(
        self,
        *,
        name: str = "Tidemark Sandbox",
        url: str = "http://127.0.0.1",
        batch_limit: int = BATCH_LIMIT,
        faults: Faults | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        webhook_id: int = 1,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.url = url
        self.batch_limit = batch_limit
        self.faults = faults or Faults()
        self._now = now
        self._lock = threading.RLock()
        self._posts: dict[int, _Post] = {}
        self._orders: dict[int, _Order] = {}
        self._next_id = 100
        self._next_item_id = 0
        self._api_writes = 0
        self.webhooks: WebhookSender | None = None
        self.webhook_id = webhook_id
        if webhook_url:
            self.configure_webhook(webhook_url, webhook_secret, webhook_id)

    # -- building a catalog -------------------------------------------------------------------

    @classmethod
    def generate(
        cls, products: int, seed: int = 0, duplicate_skus: int = 0, blank_barcodes: int = 0, **options: Any
    ) -> WooStore:
        """A repeatable catalog of `products` sellable items (simple products and variations)
        with SKUs `SKU-00001` .. `SKU-{products:05d}` in id order, then `duplicate_skus` simple
        products reusing some of those SKUs. About a third of the products are variable, with 2-4
        variations each; about one product in twenty is a draft. `options` go to the constructor;
        building the catalog sends no webhooks."""
        rng = random.Random(seed)
        store = cls(**options)
        skus = [f"SKU-{i:05d}" for i in range(1, products + 1)]
        skus += [rng.choice(skus) for _ in range(duplicate_skus)] if skus else []
        blank = set(rng.sample(range(len(skus)), min(blank_barcodes, len(skus))))
        position = 0
        number = 0
        while position < len(skus):
            number += 1
            created = _EPOCH + timedelta(minutes=number)
            status = "draft" if rng.random() < 0.05 else "publish"
            remaining = products - position  # duplicates are always simple products
            size = min(rng.randint(2, 4), remaining) if remaining >= 2 and rng.random() < 0.35 else 1
            if size == 1:
                store._add_generated(
                    _Post(
                        id=store._take_id(),
                        parent_id=0,
                        type="simple",
                        name=f"Product {number}",
                        status=status,
                        sku=skus[position],
                        global_unique_id="" if position in blank else _ean13(400_000_000_000 + position),
                        regular_price=_price(rng),
                        sale_price="",
                        manage_stock=True,
                        stock_quantity=(quantity := rng.randint(0, 50)),
                        stock_status=_stock_status(True, quantity),
                        date_created=created,
                        date_modified=created,
                    )
                )
                position += 1
                continue
            parent = _Post(
                id=store._take_id(),
                parent_id=0,
                type="variable",
                name=f"Product {number}",
                status=status,
                sku="",
                global_unique_id="",
                regular_price="",
                sale_price="",
                manage_stock=False,
                stock_quantity=None,
                stock_status="instock",
                date_created=created,
                date_modified=created,
            )
            store._add_generated(parent)
            for option in SIZES[:size]:
                variation = _Post(
                    id=store._take_id(),
                    parent_id=parent.id,
                    type="variation",
                    name=f"Product {number} - {option}",
                    status="publish",
                    sku=skus[position],
                    global_unique_id="" if position in blank else _ean13(400_000_000_000 + position),
                    regular_price=_price(rng),
                    sale_price="",
                    manage_stock=True,
                    stock_quantity=(quantity := rng.randint(0, 50)),
                    stock_status=_stock_status(True, quantity),
                    date_created=created,
                    date_modified=created,
                    option=option,
                )
                store._add_generated(variation)
                parent.variation_ids.append(variation.id)
                position += 1
        return store

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _add_generated(self, post: _Post) -> None:
        self._posts[post.id] = post

    # -- for tests and demos ------------------------------------------------------------------

    def quantity(self, sku: str) -> int:
        """The stock quantity of the first sellable item with this SKU."""
        with self._lock:
            return self._first_sellable(sku).stock_quantity or 0

    @property
    def api_write_count(self) -> int:
        """How many item updates the REST API applied (a batch counts each item it updated)."""
        with self._lock:
            return self._api_writes

    def variants(self) -> list[WooVariant]:
        """Every sellable item, in id order (the order of the SKUs `generate` numbers)."""
        with self._lock:
            return [
                self._variant(post)
                for post in sorted(self._posts.values(), key=lambda p: p.id)
                if post.is_sellable
            ]

    def configure_webhook(self, url: str, secret: str, webhook_id: int = 1) -> None:
        """Deliver the webhooks to `url` from now on, signed with `secret`, after the activation
        ping WooCommerce sends when a webhook is saved."""
        if not secret:
            raise ValueError("a WooCommerce webhook needs a secret: every delivery is signed with it")
        _ping(url, webhook_id)
        sender = WebhookSender(url, secret, self._webhook_headers, self.faults)
        with self._lock:
            previous, self.webhooks, self.webhook_id = self.webhooks, sender, webhook_id
        _stop(previous)

    def close(self) -> None:
        """Stop sending webhooks, once those queued went out."""
        with self._lock:
            previous, self.webhooks = self.webhooks, None
        _stop(previous)

    # -- the sandbox admin API (admin.SandboxAdmin) --------------------------------------------

    def variant_rows(self) -> list[dict[str, Any]]:
        return [_row(variant) for variant in self.variants()]

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
            return _row(self._variant(post))

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
            order = _Order(self._take_id(), f"wc_order_{secrets.token_hex(6)}", "processing", [], now, now)
            taken: dict[int, _Post] = {}
            for post, (sku, quantity) in zip(posts, lines, strict=True):
                self._next_item_id += 1
                line = _OrderLine(
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
            restocked: dict[int, _Post] = {}
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

    # -- items ----------------------------------------------------------------------------------

    def _first_sellable(self, sku: str) -> _Post:
        for post in sorted(self._posts.values(), key=lambda p: p.id):
            if post.is_sellable and post.sku == sku:
                return post
        raise KeyError(f"no product or variation with SKU {sku!r} in the sandbox store")

    def _variant(self, post: _Post) -> WooVariant:
        return WooVariant(
            sku=post.sku,
            quantity=post.stock_quantity or 0,
            product_id=post.parent_id or post.id,
            variation_id=post.id if post.parent_id else None,
            barcode=post.global_unique_id,
            price=post.regular_price,
            status=self._effective_status(post),
        )

    def _effective_status(self, post: _Post) -> str:
        if post.parent_id and post.status == "publish":
            return self._posts[post.parent_id].status
        return post.status

    def _move_stock(self, post: _Post, delta: int) -> None:
        post.stock_quantity = (post.stock_quantity or 0) + delta
        post.stock_status = _stock_status(True, post.stock_quantity)
        post.date_modified = self._now()

    # -- webhooks -----------------------------------------------------------------------------

    def _send(self, topic: str, payload: Mapping[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.send(topic, payload)

    def _product_updated(self, post: _Post) -> None:
        """product.updated, with the item as GET /products/{id} answers it (a variation too)."""
        if self.webhooks is not None:
            self.webhooks.send("product.updated", self._product_view(post, self.url.rstrip("/")))

    def _webhook_headers(self, topic: str, body: bytes, signature: str) -> dict[str, str]:
        resource, _, event = topic.partition(".")
        # wp_hash(webhook id . current second): two deliveries in one second share it
        second = f"{self.webhook_id}{int(self._now().timestamp())}".encode()
        return {
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": f"{self.url.rstrip('/')}/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-ID": str(self.webhook_id),
            "X-WC-Webhook-Delivery-ID": hmac.new(DELIVERY_SALT, second, "md5").hexdigest(),
        }

    # -- the REST API, one call each ----------------------------------------------------------

    def list_products(
        self, params: Mapping[str, str], root: str = ""
    ) -> tuple[list[dict[str, Any]], int, int, int]:
        """GET /products: (items, total, total pages, page)."""
        with self._lock:
            per_page, page, orderby, order = _collection_args(params)
            errors: dict[str, tuple[str, str]] = {}
            status = params.get("status", "any")
            if status != "any" and status not in POST_STATUSES:
                errors["status"] = _not_in_enum("status", ("any", *POST_STATUSES))
            product_type = params.get("type")
            if product_type is not None and product_type not in PRODUCT_TYPES:
                errors["type"] = _not_in_enum("type", PRODUCT_TYPES)
            include = _id_list(params, "include", errors)
            if errors:
                raise _invalid_params(errors)
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
            window, total, pages = _paginate(_sorted(posts, orderby, order), per_page, page)
            return [self._product_view(post, root) for post in window], total, pages, page

    def get_product(self, product_id: int, root: str = "") -> dict[str, Any]:
        with self._lock:
            post = self._posts.get(product_id)
            if post is None or post.status == "trash":
                raise _invalid_id("product", 404)
            return self._product_view(post, root)

    def update_product(self, product_id: int, fields: Mapping[str, Any], root: str = "") -> dict[str, Any]:
        """PUT /products/{id} (a variation's id works too, as wc_get_product reads both)."""
        with self._lock:
            post = self._posts.get(product_id)
            if post is None:
                raise _invalid_id("product", 400)
            self._apply(post, fields)
            self._api_writes += 1
            self._product_updated(post)
            return self._product_view(post, root)

    def list_variations(
        self, product_id: int, params: Mapping[str, str], root: str = ""
    ) -> tuple[list[dict[str, Any]], int, int, int]:
        """GET /products/{id}/variations. An unknown product has no variations (an empty list)."""
        with self._lock:
            per_page, page, orderby, order = _collection_args(params)
            errors: dict[str, tuple[str, str]] = {}
            include = _id_list(params, "include", errors)
            if errors:
                raise _invalid_params(errors)
            posts = [
                p
                for p in self._posts.values()
                if p.parent_id == product_id and p.status != "trash" and (not include or p.id in include)
            ]
            window, total, pages = _paginate(_sorted(posts, orderby, order), per_page, page)
            return [self._variation_view(post, root) for post in window], total, pages, page

    def get_variation(self, product_id: int, variation_id: int, root: str = "") -> dict[str, Any]:
        with self._lock:
            post = self._posts.get(variation_id)
            if post is None or post.type != "variation" or post.parent_id != product_id:
                raise _invalid_id("product_variation", 404)
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
                item_id = _intval(raw_id)
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
                raise _invalid_id("product", 404)  # not sourced: what WooCommerce answers here
        product_type = "variation" if product_id is not None else str(fields.get("type") or "simple")
        if product_type not in (*PRODUCT_TYPES, "variation"):
            product_type = "simple"
        post = _Post(
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
        item_id = _intval(fields.get("id"))
        if product_id is None:
            post = self._posts.get(item_id)
            if post is None:
                raise _invalid_id("product", 400)
            self._apply(post, fields)
            return self._product_view(post, root)
        post = self._variation_of(product_id, item_id)
        self._apply(post, fields)
        return self._variation_view(post, root)

    def _delete_in_batch(self, product_id: int | None, item_id: int, root: str) -> dict[str, Any]:
        post = self._posts.get(item_id)
        if product_id is None:
            if post is None:
                raise _invalid_id("product", 404)
            view = self._product_view(post, root)
        else:
            if post is None or post.type != "variation" or post.parent_id != product_id:
                raise _invalid_id("product_variation", 404)
            view = self._variation_view(post, root)
        self._delete(post)
        return view

    def _variation_of(self, product_id: int, variation_id: int) -> _Post:
        post = self._posts.get(variation_id)
        if post is None or post.type != "variation" or post.parent_id != product_id:
            raise _invalid_id("product_variation", 400)
        return post

    def _delete(self, post: _Post) -> None:
        for child in post.variation_ids:
            self._posts.pop(child, None)
        self._posts.pop(post.id, None)
        parent = self._posts.get(post.parent_id)
        if parent is not None and post.id in parent.variation_ids:
            parent.variation_ids.remove(post.id)

    def _apply(self, post: _Post, fields: Mapping[str, Any], *, touch: bool = True) -> None:
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

    def _check_unique(self, post: _Post, fields: Mapping[str, Any]) -> None:
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
    def _apply_stock(post: _Post, fields: Mapping[str, Any]) -> None:
        """The stock quantity counts only while the item manages stock, as in WooCommerce."""
        if fields.get("manage_stock") is not None:
            post.manage_stock = bool(fields["manage_stock"])
        if not post.manage_stock:
            post.stock_quantity = None
            if fields.get("stock_status") in ("instock", "outofstock", "onbackorder"):
                post.stock_status = str(fields["stock_status"])
            return
        if fields.get("stock_quantity") is not None:
            post.stock_quantity = _intval(fields["stock_quantity"])
        elif fields.get("inventory_delta") is not None:
            post.stock_quantity = (post.stock_quantity or 0) + _intval(fields["inventory_delta"])
        post.stock_quantity = post.stock_quantity or 0
        post.stock_status = _stock_status(True, post.stock_quantity)

    def _holder(self, value: str, own_id: int, attribute: str) -> _Post | None:
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

    # -- views --------------------------------------------------------------------------------

    def _common_view(self, post: _Post) -> dict[str, Any]:
        price = post.sale_price or post.regular_price
        return {
            "id": post.id,
            "date_created": _local(post.date_created),
            "date_created_gmt": _local(post.date_created),  # the site's timezone is UTC
            "date_modified": _local(post.date_modified),
            "date_modified_gmt": _local(post.date_modified),
            "sku": post.sku,
            "global_unique_id": post.global_unique_id,
            "price": price,
            "regular_price": post.regular_price,
            "sale_price": post.sale_price,
            "on_sale": bool(post.sale_price),
            "status": post.status,
            "purchasable": post.type != "variable" and bool(price),
            "virtual": False,
            "downloadable": False,
            "tax_status": "taxable",
            "tax_class": "",
            "manage_stock": post.manage_stock,
            "stock_quantity": post.stock_quantity,
            "stock_status": post.stock_status,
            "backorders": "no",
            "backorders_allowed": False,
            "backordered": False,
            "menu_order": 0,
            "meta_data": [],
        }

    def _product_view(self, post: _Post, root: str) -> dict[str, Any]:
        view = {
            "id": post.id,
            "name": post.name,
            "slug": _slug(post.name),
            "permalink": f"{root}/product/{_slug(post.name)}/",
            "type": post.type,
            "featured": False,
            "catalog_visibility": "visible",
            "description": "",
            "short_description": "",
            **self._common_view(post),
            "total_sales": 0,
            "parent_id": post.parent_id,
            "attributes": self._attributes(post),
            "default_attributes": [],
            "variations": list(post.variation_ids),
            "grouped_products": [],
        }
        view["_links"] = {
            "self": [{"href": f"{root}{API_ROOT}/products/{post.id}"}],
            "collection": [{"href": f"{root}{API_ROOT}/products"}],
        }
        return view

    def _variation_view(self, post: _Post, root: str) -> dict[str, Any]:
        parent = self._posts.get(post.parent_id)
        base = f"{root}{API_ROOT}/products/{post.parent_id}"
        view = {
            "id": post.id,
            "description": "",
            "permalink": f"{root}/product/{_slug(parent.name if parent else post.name)}/"
            f"?attribute_size={post.option}",
            **self._common_view(post),
            "attributes": [{"id": 0, "name": "Size", "option": post.option}],
        }
        view["_links"] = {
            "self": [{"href": f"{base}/variations/{post.id}"}],
            "collection": [{"href": f"{base}/variations"}],
            "up": [{"href": base}],
        }
        return view

    def _attributes(self, post: _Post) -> list[dict[str, Any]]:
        if post.type == "variation":
            return [{"id": 0, "name": "Size", "option": post.option}]
        if post.type != "variable":
            return []
        options = [self._posts[child].option for child in post.variation_ids if child in self._posts]
        return [
            {"id": 0, "name": "Size", "position": 0, "visible": True, "variation": True, "options": options}
        ]

    def _order_view(self, order: _Order) -> dict[str, Any]:
        """An order as GET /wc/v3/orders/{id} answers it: a guest's, paid cash on delivery, no tax."""
        root = self.url.rstrip("/")
        total = sum((line.price * line.quantity for line in order.lines), Decimal(0))
        created, modified = _local(order.date_created), _local(order.date_modified)
        address = {
            "first_name": "Sandbox",
            "last_name": "Shopper",
            "company": "",
            "address_1": "1 Harbour Road",
            "address_2": "",
            "city": "Portsmouth",
            "state": "",
            "postcode": "PO1 1AA",
            "country": "GB",
        }
        return {
            "id": order.id,
            "parent_id": 0,
            "number": str(order.id),
            "order_key": order.key,
            "created_via": "checkout",
            "version": WC_VERSION,
            "status": order.status,
            "currency": "USD",
            "date_created": created,
            "date_created_gmt": created,
            "date_modified": modified,
            "date_modified_gmt": modified,
            "discount_total": "0.00",
            "discount_tax": "0.00",
            "shipping_total": "0.00",
            "shipping_tax": "0.00",
            "cart_tax": "0.00",
            "total": f"{total:.2f}",
            "total_tax": "0.00",
            "prices_include_tax": False,
            "customer_id": 0,
            "customer_note": "",
            "billing": {**address, "email": "shopper@example.com", "phone": ""},
            "shipping": address,
            "payment_method": "cod",
            "payment_method_title": "Cash on delivery",
            "transaction_id": "",
            "date_paid": created,
            "date_paid_gmt": created,
            "date_completed": None,
            "date_completed_gmt": None,
            "meta_data": [],
            "line_items": [
                {
                    "id": line.id,
                    "name": line.name,
                    "product_id": line.product_id,
                    "variation_id": line.variation_id,
                    "quantity": line.quantity,
                    "tax_class": "",
                    "subtotal": f"{line.price * line.quantity:.2f}",
                    "subtotal_tax": "0.00",
                    "total": f"{line.price * line.quantity:.2f}",
                    "total_tax": "0.00",
                    "taxes": [],
                    "meta_data": [],
                    "sku": line.sku,
                    "price": float(line.price),
                }
                for line in order.lines
            ],
            "tax_lines": [],
            "shipping_lines": [],
            "fee_lines": [],
            "coupon_lines": [],
            "refunds": [],
            "_links": {
                "self": [{"href": f"{root}{API_ROOT}/orders/{order.id}"}],
                "collection": [{"href": f"{root}{API_ROOT}/orders"}],
            },
        }


# ---------------------------------------------------------------------------------------------
# Helpers


def _row(variant: WooVariant) -> dict[str, Any]:
    """One variant as the sandbox admin API lists it."""
    return {
        "sku": variant.sku,
        "quantity": variant.quantity,
        "price": variant.price,
        "status": "active" if variant.status == "publish" else "hidden",
        "product_id": variant.product_id,
        "variation_id": variant.variation_id,
        "inventory_item_id": variant.inventory_item_id,
    }


def _stop(sender: WebhookSender | None) -> None:
    if sender is not None:
        sender.flush()
        sender.close()


def _ping(url: str, webhook_id: int) -> None:
    """WC_Webhook::deliver_ping: a form body, no signature. WooCommerce shows an error for an answer
    other than 200 and saves the webhook anyway."""
    headers = {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"}
    try:
        status = httpx.post(url, content=f"webhook_id={webhook_id}", headers=headers, timeout=5.0).status_code
    except httpx.HTTPError as error:
        log.warning("webhook ping: the delivery URL %s cannot be reached (%s); check it is up", url, error)
        return
    if status != 200:
        log.warning(
            "webhook ping: the delivery URL %s answered HTTP %d; it must answer a ping 200", url, status
        )


def _price(rng: random.Random) -> str:
    return f"{rng.randint(300, 19_999) / 100:.2f}"


def _stock_status(managed: bool, quantity: int | None) -> str:
    if not managed:
        return "instock"
    return "instock" if (quantity or 0) > 0 else "outofstock"


def _ean13(twelve_digits: int) -> str:
    digits = f"{twelve_digits:012d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _intval(value: Any) -> int:
    """PHP's intval, as wc_stock_amount applies it: 12, "12", 12.7 and "12.7" are 12; "abc" is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    match = re.match(r"^\s*([+-]?\d+)", str(value)) if value is not None else None
    return int(match.group(1)) if match else 0


def _sorted(posts: list[_Post], orderby: str, order: str) -> list[_Post]:
    keys: dict[str, Callable[[_Post], Any]] = {
        "date": lambda p: (p.date_created, p.id),
        "modified": lambda p: (p.date_modified, p.id),
        "title": lambda p: (p.name, p.id),
        "slug": lambda p: (_slug(p.name), p.id),
        "price": lambda p: (float(p.sale_price or p.regular_price or 0), p.id),
    }
    return sorted(posts, key=keys.get(orderby, lambda p: p.id), reverse=order == "desc")


def _paginate(posts: list[_Post], per_page: int, page: int) -> tuple[list[_Post], int, int]:
    total = len(posts)
    start = (page - 1) * per_page
    return posts[start : start + per_page], total, math.ceil(total / per_page)


def _id_list(params: Mapping[str, str], name: str, errors: dict[str, tuple[str, str]]) -> set[int]:
    """An array of ids, given as a comma separated list (wp_parse_id_list)."""
    values = [value for value in re.split(r"[\s,]+", params.get(name, "")) if value]
    for position, value in enumerate(values):
        if not value.isdigit():
            errors[name] = ("rest_invalid_type", f"{name}[{position}] is not of type integer.")
            return set()
    return {int(value) for value in values}


def _collection_args(params: Mapping[str, str]) -> tuple[int, int, str, str]:
    """per_page, page, orderby and order, validated as WordPress validates them."""
    errors: dict[str, tuple[str, str]] = {}
    per_page = _integer_param(
        params, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE, errors=errors
    )
    page = _integer_param(params, "page", 1, minimum=1, maximum=None, errors=errors)
    orderby = params.get("orderby", "date")
    if orderby not in ORDERBY:
        errors["orderby"] = _not_in_enum("orderby", ORDERBY)
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        errors["order"] = _not_in_enum("order", ("asc", "desc"))
    if errors:
        raise _invalid_params(errors)
    return per_page, page, orderby, order


def _integer_param(
    params: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None,
    errors: dict[str, tuple[str, str]],
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?\d+", raw.strip()):
        errors[name] = ("rest_invalid_type", f"{name} is not of type integer.")
        return default
    value = int(raw)
    if maximum is not None and not minimum <= value <= maximum:
        errors[name] = (
            "rest_out_of_bounds",
            f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)",
        )
    elif value < minimum:
        errors[name] = ("rest_out_of_bounds", f"{name} must be greater than or equal to {minimum}")
    return value


def _not_in_enum(name: str, options: tuple[str, ...]) -> tuple[str, str]:
    listed = ", ".join(options[:-1]) + f", and {options[-1]}" if len(options) > 2 else " and ".join(options)
    return "rest_not_in_enum", f"{name} is not one of {listed}."


def _invalid_params(errors: dict[str, tuple[str, str]]) -> WooError:
    """WP_REST_Request::has_valid_params' error: 400 rest_invalid_param with params and details."""
    return WooError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {', '.join(errors)}",
        params={name: message for name, (_, message) in errors.items()},
        details={
            name: {"code": code, "message": message, "data": None} for name, (code, message) in errors.items()
        },
    )


# ---------------------------------------------------------------------------------------------
# Authentication and the host's rate limit


class _TokenBucket:
    """`rate` requests a second, bursts of up to one second's worth (at least one request)."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self._clock = clock
        self._updated_at = clock()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """Take a token; None when one was there, else the seconds until one will be."""
        with self._lock:
            now = self._clock()
            self.tokens = min(self.capacity, self.tokens + (now - self._updated_at) * self.rate)
            self._updated_at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return None
            return (1 - self.tokens) / self.rate


@dataclass
class _Credentials:
    key: str
    secret: str
    permissions: str  # read | write | read_write
    wall_clock: Callable[[], float]
    nonces: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authenticate(self, request: Request) -> WooError | bool:
        """WC_REST_Authentication::authenticate: True for the key's user, False for nobody (the
        route then refuses), or the error WooCommerce sets."""
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None:
            key, secret = basic
            if hmac.compare_digest(key.encode(), self.key.encode()):
                if hmac.compare_digest(secret.encode(), self.secret.encode()):
                    return True
                return _auth_error("Consumer secret is invalid.")
            # an unknown key: not authenticated by Basic, WooCommerce goes on to OAuth
        return self._oauth(request)

    def _oauth(self, request: Request) -> WooError | bool:
        # PHP's $_GET: the last of duplicated parameters wins (the official Python client sends
        # its query twice: in the signed URL and again as `params`)
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        present = [name for name in OAUTH_REQUIRED if params.get(name)]
        if not present:
            return False
        missing = [name for name in OAUTH_REQUIRED if not params.get(name)]
        if missing:
            plural = "parameters" if len(missing) > 1 else "parameter"
            return WooError(
                401,
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {plural} {', '.join(missing)}",
            )
        if not hmac.compare_digest(params["oauth_consumer_key"].encode(), self.key.encode()):
            return _auth_error("Consumer key is invalid.")
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _auth_error("Invalid signature - signature method is invalid.")
        signed = OAuthRequest(str(request.url), request.method, "", {})
        signed.signature = params["oauth_signature"].replace(" ", "+")
        signed.params = [(name, value) for name, value in params.items() if name != "oauth_signature"]
        verify = (
            oauth_signature.verify_hmac_sha1 if method == "HMAC-SHA1" else oauth_signature.verify_hmac_sha256
        )
        if not verify(signed, client_secret=self.secret):
            return _auth_error("Invalid signature - provided signature does not match.")
        return self._check_timestamp_and_nonce(params["oauth_timestamp"], params["oauth_nonce"])

    def _check_timestamp_and_nonce(self, raw_timestamp: str, nonce: str) -> WooError | bool:
        now = self.wall_clock()
        try:
            timestamp = float(raw_timestamp)
        except ValueError:
            return _auth_error("Invalid timestamp.")
        if not now - OAUTH_WINDOW_SECONDS <= timestamp <= now + OAUTH_WINDOW_SECONDS:
            return _auth_error("Invalid timestamp.")
        with self.lock:
            if nonce in self.nonces:
                return _auth_error("Invalid nonce - nonce has already been used.")
            self.nonces[nonce] = timestamp
            for used, at in list(self.nonces.items()):
                if at < now - OAUTH_WINDOW_SECONDS:
                    del self.nonces[used]
        return True

    def allows(self, method: str) -> WooError | None:
        """WC_REST_Authentication::check_permissions: the key's read / write permission."""
        if method in ("GET", "HEAD") and self.permissions not in ("read", "read_write"):
            return _auth_error("The API key provided does not have read permissions.")
        if method in ("POST", "PUT", "PATCH", "DELETE") and self.permissions not in ("write", "read_write"):
            return _auth_error("The API key provided does not have write permissions.")
        return None


def _auth_error(message: str) -> WooError:
    return WooError(401, "woocommerce_rest_authentication_error", message)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = b64decode(encoded.strip(), validate=True).decode()
    except (BinasciiError, UnicodeDecodeError):
        return None
    key, separator, secret = decoded.partition(":")
    return (key, secret) if separator and key and secret else None


# ---------------------------------------------------------------------------------------------
# HTTP

Handler = Callable[[Request, Mapping[str, str], str], Awaitable[Response]]


@dataclass(frozen=True)
class _Endpoint:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: Handler
    refusal: tuple[str, str]  # what WooCommerce answers a request without credentials


_READ = ("GET", "HEAD")
_EDIT = ("POST", "PUT", "PATCH")
_CANNOT_LIST = ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
_CANNOT_VIEW = ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")
_CANNOT_EDIT = ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
_CANNOT_BATCH = (
    "woocommerce_rest_cannot_batch",
    "Sorry, you are not allowed to batch manipulate this resource.",
)
_NO_ROUTE = {
    "code": "rest_no_route",
    "message": "No route was found matching the URL and request method.",
    "data": {"status": 404},
}


class _RestApi:
    """The /wp-json routes: the host's rate limit, routing, authentication, then the store."""

    def __init__(self, store: WooStore, credentials: _Credentials, bucket: _TokenBucket | None) -> None:
        self.store = store
        self.credentials = credentials
        self.bucket = bucket
        pattern = r"wc/v3/products"
        item = rf"{pattern}/(?P<id>\d+)"
        variation = rf"{item}/variations/(?P<variation>\d+)"
        self.endpoints = [
            self._endpoint(_READ, pattern, self.list_products, _CANNOT_LIST),
            self._endpoint(_EDIT, rf"{pattern}/batch", self.batch_products, _CANNOT_BATCH),
            self._endpoint(_READ, item, self.get_product, _CANNOT_VIEW),
            self._endpoint(_EDIT, item, self.update_product, _CANNOT_EDIT),
            self._endpoint(_READ, rf"{item}/variations", self.list_variations, _CANNOT_LIST),
            self._endpoint(_EDIT, rf"{item}/variations/batch", self.batch_variations, _CANNOT_BATCH),
            self._endpoint(_READ, variation, self.get_variation, _CANNOT_VIEW),
            self._endpoint(_EDIT, variation, self.update_variation, _CANNOT_EDIT),
        ]

    @staticmethod
    def _endpoint(
        methods: tuple[str, ...], pattern: str, handler: Handler, refusal: tuple[str, str]
    ) -> _Endpoint:
        return _Endpoint(methods, re.compile(f"^{pattern}$"), handler, refusal)

    async def handle(self, request: Request) -> Response:
        if self.bucket is not None and (wait := self.bucket.take()) is not None:
            return JSONResponse(
                {"code": "too_many_requests", "message": "Too many requests.", "data": {"status": 429}},
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        route = request.path_params.get("route", "").strip("/")
        root = f"{request.url.scheme}://{request.url.netloc}"
        if route == "" and request.method in _READ:
            return self.index(request, root)
        for endpoint in self.endpoints:
            match = endpoint.pattern.match(route)
            if match is None or request.method not in endpoint.methods:
                continue
            try:
                self._authorize(request, endpoint)
                return await endpoint.handler(request, match.groupdict(), root)
            except WooError as error:
                return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(_NO_ROUTE, status_code=404)

    def _authorize(self, request: Request, endpoint: _Endpoint) -> None:
        user = self.credentials.authenticate(request)
        if isinstance(user, WooError):
            raise user
        if user is False:
            code, message = endpoint.refusal
            raise WooError(401, code, message)  # rest_authorization_required_code(): nobody logged in
        refused = self.credentials.allows(request.method)
        if refused is not None:
            raise refused

    def index(self, request: Request, root: str) -> Response:
        site = {
            "name": self.store.name,
            "description": "A WooCommerce store in memory",
            "url": root,
            "home": root,
            "gmt_offset": "0",
            "timezone_string": "",
            "namespaces": NAMESPACES,
            "authentication": {},
            "routes": {f"/{API_NAMESPACE}": {"namespace": API_NAMESPACE, "methods": ["GET"]}},
        }
        return JSONResponse(_fields(site, request.query_params.get("_fields"), keep_id=False))

    # -- the endpoints ------------------------------------------------------------------------

    async def list_products(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _collection(*self.store.list_products(request.query_params, root), request)

    async def get_product(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.get_product(int(match["id"]), root), request)

    async def update_product(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.update_product(int(match["id"]), await _body_of(request), root), request)

    async def batch_products(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return JSONResponse(self.store.batch(None, await _body_of(request), root) or [])

    async def list_variations(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _collection(*self.store.list_variations(int(match["id"]), request.query_params, root), request)

    async def get_variation(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.get_variation(int(match["id"]), int(match["variation"]), root), request)

    async def update_variation(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        fields = await _body_of(request)
        return _single(
            self.store.update_variation(int(match["id"]), int(match["variation"]), fields, root), request
        )

    async def batch_variations(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return JSONResponse(self.store.batch(int(match["id"]), await _body_of(request), root) or [])


async def _body_of(request: Request) -> dict[str, Any]:
    """The JSON body's parameters, as WP_REST_Request::parse_json_params reads them."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise WooError(
            400,
            "rest_invalid_json",
            "Invalid JSON body passed.",
            json_error_code=4,
            json_error_message=str(error),
        ) from error
    return payload if isinstance(payload, dict) else {}


def _collection(items: list[dict[str, Any]], total: int, pages: int, page: int, request: Request) -> Response:
    """A page of a collection with WooCommerce's headers: X-WP-Total, X-WP-TotalPages and Link."""
    response = JSONResponse(_fields(items, request.query_params.get("_fields"), keep_id=True))
    response.headers["X-WP-Total"] = str(total)
    response.headers["X-WP-TotalPages"] = str(pages)
    # WooCommerce repeats every query parameter in the links, OAuth ones too; the sandbox leaves
    # those out (a signature and nonce can't be used twice anyway)
    query = {k: v for k, v in request.query_params.items() if not k.startswith("oauth_")}
    base = str(request.url).split("?")[0]
    links = []
    if page > 1:
        links.append(f'<{base}?{urlencode({**query, "page": min(page - 1, max(pages, 1))})}>; rel="prev"')
    if pages > page:
        links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _single(item: dict[str, Any], request: Request) -> Response:
    return JSONResponse(_fields(item, request.query_params.get("_fields"), keep_id=True))


def _fields(payload: Any, requested: str | None, *, keep_id: bool) -> Any:
    """The `_fields` global parameter: only the top-level fields named (WooCommerce keeps `id`)."""
    if not requested:
        return payload
    names = {name.strip() for name in requested.split(",") if name.strip()}
    if keep_id:
        names.add("id")
    if isinstance(payload, list):
        return [_fields(item, requested, keep_id=keep_id) for item in payload]
    if isinstance(payload, dict):
        return {name: value for name, value in payload.items() if name in names}
    return payload


def create_app(
    store: WooStore,
    key: str,
    secret: str,
    rate: float | None = None,
    *,
    permissions: str = "read_write",
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> Starlette:
    """The store over HTTP: the wc/v3 routes under /wp-json, the site index at /wp-json/, and the
    sandbox admin API; the store's faults apply to all but the admin API. `rate` (requests a
    second, measured with `clock`) turns on a host rate limit; `permissions` is the API key's
    (read, write or read_write); OAuth timestamps are checked against `wall_clock`."""
    if permissions not in ("read", "write", "read_write"):
        raise ValueError(f"unknown key permissions {permissions!r}: use read, write or read_write")
    rest = _RestApi(
        store, _Credentials(key, secret, permissions, wall_clock), _TokenBucket(rate, clock) if rate else None
    )

    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/wp-json", rest.handle, methods=every_method),
            Route("/wp-json/{route:path}", rest.handle, methods=every_method),
            *admin_routes(store),
        ],
        middleware=[Middleware(FaultMiddleware, faults=store.faults)],
    )
