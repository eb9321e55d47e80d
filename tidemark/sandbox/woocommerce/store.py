"""The store's state: building a catalog, what tests and demos read of it, its items and webhook headers."""

from __future__ import annotations

import hmac
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from tidemark.sandbox.faults import Faults
from tidemark.sandbox.webhooks import WebhookSender
from tidemark.sandbox.woocommerce.records import (
    BATCH_LIMIT,
    DELIVERY_SALT,
    EPOCH,
    SIZES,
    USER_AGENT,
    Order,
    Post,
    WooVariant,
    ean13,
    ping_webhook,
    random_price,
    stock_status,
    stop_sender,
)


class StoreState:
    """One WooCommerce store's records, its catalog generation and its webhook sender; WooStore adds
    the views (views.py), the writes (writing.py), the merchant (merchant.py) and the REST API."""

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
        self._posts: dict[int, Post] = {}
        self._orders: dict[int, Order] = {}
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
    ) -> Self:
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
            created = EPOCH + timedelta(minutes=number)
            status = "draft" if rng.random() < 0.05 else "publish"
            remaining = products - position  # duplicates are always simple products
            size = min(rng.randint(2, 4), remaining) if remaining >= 2 and rng.random() < 0.35 else 1
            if size == 1:
                store._add_generated(
                    Post(
                        id=store._take_id(),
                        parent_id=0,
                        type="simple",
                        name=f"Product {number}",
                        status=status,
                        sku=skus[position],
                        global_unique_id="" if position in blank else ean13(400_000_000_000 + position),
                        regular_price=random_price(rng),
                        sale_price="",
                        manage_stock=True,
                        stock_quantity=(quantity := rng.randint(0, 50)),
                        stock_status=stock_status(True, quantity),
                        date_created=created,
                        date_modified=created,
                    )
                )
                position += 1
                continue
            parent = Post(
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
                variation = Post(
                    id=store._take_id(),
                    parent_id=parent.id,
                    type="variation",
                    name=f"Product {number} - {option}",
                    status="publish",
                    sku=skus[position],
                    global_unique_id="" if position in blank else ean13(400_000_000_000 + position),
                    regular_price=random_price(rng),
                    sale_price="",
                    manage_stock=True,
                    stock_quantity=(quantity := rng.randint(0, 50)),
                    stock_status=stock_status(True, quantity),
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

    def _add_generated(self, post: Post) -> None:
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
        ping_webhook(url, webhook_id)
        sender = WebhookSender(url, secret, self._webhook_headers, self.faults)
        with self._lock:
            previous, self.webhooks, self.webhook_id = self.webhooks, sender, webhook_id
        stop_sender(previous)

    def close(self) -> None:
        """Stop sending webhooks, once those queued went out."""
        with self._lock:
            previous, self.webhooks = self.webhooks, None
        stop_sender(previous)

    # -- items ----------------------------------------------------------------------------------

    def _first_sellable(self, sku: str) -> Post:
        for post in sorted(self._posts.values(), key=lambda p: p.id):
            if post.is_sellable and post.sku == sku:
                return post
        raise KeyError(f"no product or variation with SKU {sku!r} in the sandbox store")

    def _variant(self, post: Post) -> WooVariant:
        return WooVariant(
            sku=post.sku,
            quantity=post.stock_quantity or 0,
            product_id=post.parent_id or post.id,
            variation_id=post.id if post.parent_id else None,
            barcode=post.global_unique_id,
            price=post.regular_price,
            status=self._effective_status(post),
        )

    def _effective_status(self, post: Post) -> str:
        if post.parent_id and post.status == "publish":
            return self._posts[post.parent_id].status
        return post.status

    def _move_stock(self, post: Post, delta: int) -> None:
        post.stock_quantity = (post.stock_quantity or 0) + delta
        post.stock_status = stock_status(True, post.stock_quantity)
        post.date_modified = self._now()

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
