"""The store's state: building a catalog, its webhooks, and what tests and demos read of it."""

from __future__ import annotations

import hmac
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Self

from tidemark.sandbox.faults import Faults
from tidemark.sandbox.shopify.records import (
    API_VERSION,
    CENTS,
    DEFAULT_BASE_URL,
    PLAN_RESTORE_RATES,
    BulkOperation,
    IdempotentResult,
    LeakyBucket,
    Location,
    Order,
    Product,
    SandboxVariant,
    Variant,
    delivery_headers,
    ean13,
    gid,
    level_gid,
    now_iso,
    rest_time,
)
from tidemark.sandbox.shopify.schema import (
    SCHEMA,
)
from tidemark.sandbox.webhooks import WebhookSender


class StoreBase:
    """One Shopify store's records, its catalog generation and its webhooks; ShopifyStore adds the
    merchant (merchant.py), the views (views.py), the mutations (mutations.py) and the resolvers."""

    def __init__(
        self,
        *,
        name: str = "Tidemark Sandbox",
        plan: str = "standard",
        restore_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        faults: Faults | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        bulk_seconds: float = 0.0,
    ) -> None:
        if plan not in PLAN_RESTORE_RATES:
            raise ValueError(f"unknown Shopify plan {plan!r}: use one of {', '.join(PLAN_RESTORE_RATES)}")
        self.name = name
        self.faults = faults or Faults()
        self.webhooks: WebhookSender | None = None
        self._lock = threading.RLock()
        self._clock = clock
        self._bucket = LeakyBucket(restore_rate or PLAN_RESTORE_RATES[plan], clock)
        self._schema = SCHEMA
        self._base_url = DEFAULT_BASE_URL
        self._bulk_seconds = bulk_seconds
        self._locations: dict[int, Location] = {}
        self._products: dict[int, Product] = {}
        self._variants: dict[int, Variant] = {}
        self._variant_by_item: dict[int, int] = {}
        self._available: dict[tuple[int, int], int] = {}  # (inventory item, location) -> available
        self._updated_at: dict[tuple[int, int], str] = {}
        self._idempotent_results: dict[str, IdempotentResult] = {}
        self._adjustment_groups = 0
        self._bulk_operations: dict[int, BulkOperation] = {}
        self._orders: dict[int, Order] = {}

        if webhook_url:
            self.connect_webhooks(webhook_url, webhook_secret)

    @property
    def _root(self) -> dict[str, Any]:
        """The root resolvers graphql-core calls: ShopifyStore's (resolvers.py)."""
        raise NotImplementedError

    @property
    def domain(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "sandbox"
        return f"{slug}.myshopify.com"

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
        faults: Faults | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        bulk_seconds: float = 0.0,
    ) -> Self:
        """A repeatable catalog: `SKU-00001` .. `SKU-{variants:05d}` in order, then
        `duplicate_skus` more variants reusing some of those SKUs, on products of 1-3 variants.
        Building it sends no webhooks."""
        rng = random.Random(seed)
        store = cls(
            name=name,
            plan=plan,
            restore_rate=restore_rate,
            clock=clock,
            faults=faults,
            bulk_seconds=bulk_seconds,
        )
        for index in range(1, max(1, location_count) + 1):
            store._locations[60_000_000 + index] = Location(60_000_000 + index, f"Warehouse {index}")
        location_numbers = list(store._locations)

        skus = [f"SKU-{i:05d}" for i in range(1, variants + 1)]
        skus += [rng.choice(skus) for _ in range(duplicate_skus)] if skus else []
        blank = set(rng.sample(range(len(skus)), min(blank_barcodes, len(skus))))
        created = rest_time()
        position = 0
        while position < len(skus):
            product_number = 7_000_000_000 + len(store._products) + 1
            status = "DRAFT" if rng.random() < 0.05 else "ACTIVE"
            product = Product(product_number, f"Product {len(store._products) + 1}", status, created, created)
            store._products[product_number] = product
            location_number = location_numbers[len(store._products) % len(location_numbers)]
            for option in range(1, min(rng.randint(1, 3), len(skus) - position) + 1):
                variant_number = 41_000_000_000 + position + 1
                item_number = 43_000_000_000 + position + 1
                store._variants[variant_number] = Variant(
                    number=variant_number,
                    product_number=product_number,
                    inventory_item_number=item_number,
                    location_number=location_number,
                    title=f"Option {option}",
                    sku=skus[position],
                    barcode=None if position in blank else ean13(400_000_000_000 + position),
                    price=(Decimal(rng.randint(300, 19_999)) / 100).quantize(CENTS),
                    created_at=created,
                    updated_at=created,
                )
                product.variant_numbers.append(variant_number)
                store._variant_by_item[item_number] = variant_number
                store._available[(item_number, location_number)] = rng.randint(0, 50)
                store._updated_at[(item_number, location_number)] = now_iso()
                position += 1
        if webhook_url:
            store.connect_webhooks(webhook_url, webhook_secret)
        return store

    # -- webhooks -----------------------------------------------------------------------------

    def connect_webhooks(self, url: str, secret: str) -> None:
        """Send the webhooks to `url` from now on, signed with `secret` (the app's client secret)."""
        if not secret:
            raise ValueError(
                "Shopify signs every webhook with the app's client secret: give a webhook secret"
            )
        sender = WebhookSender(url, secret, self._webhook_headers, self.faults, delivery_headers)
        with self._lock:
            previous, self.webhooks = self.webhooks, sender
        if previous is not None:
            previous.close()

    def close(self) -> None:
        """Stop sending webhooks, once those queued went out."""
        with self._lock:
            previous, self.webhooks = self.webhooks, None
        if previous is not None:
            previous.flush()
            previous.close()

    def _webhook_headers(self, topic: str, body: bytes, signature: str) -> dict[str, str]:
        """The headers of one webhook: its duplicate deliveries share the event id."""
        return {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }

    def _emit(self, topic: str, payload: dict[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.send(topic, payload)

    def _level_changed(self, item: int, location: int) -> None:
        if self.webhooks is None:
            return
        self._emit(
            "inventory_levels/update",
            {
                "inventory_item_id": item,
                "location_id": location,
                "available": self._available[(item, location)],
                "updated_at": rest_time(),
                "admin_graphql_api_id": level_gid(item, location),
            },
        )

    def _product_changed(self, product: Product) -> None:
        if self.webhooks is not None:  # the payload is costly: build it only to send it
            self._emit("products/update", self._product_payload(product))

    def _product_payload(self, product: Product) -> dict[str, Any]:
        variants = [self._variants[number] for number in product.variant_numbers]
        return {
            "admin_graphql_api_id": gid("Product", product.number),
            "body_html": "",
            "created_at": product.created_at,
            "handle": re.sub(r"[^a-z0-9]+", "-", product.title.lower()).strip("-"),
            "id": product.number,
            "product_type": "",
            "published_at": product.created_at if product.status == "ACTIVE" else None,
            "template_suffix": None,
            "title": product.title,
            "updated_at": product.updated_at,
            "vendor": self.name,
            "status": product.status.lower(),
            "published_scope": "global",
            "tags": "",
            "variants": [self._variant_payload(v, position) for position, v in enumerate(variants, 1)],
            "options": [],
            "images": [],
            "image": None,
            "media": [],
            "variant_gids": [
                {"admin_graphql_api_id": gid("ProductVariant", v.number), "updated_at": v.updated_at}
                for v in variants
            ],
            "has_variants_that_requires_components": False,
            "category": None,
        }

    def _variant_payload(self, variant: Variant, position: int) -> dict[str, Any]:
        quantity = self._available.get((variant.inventory_item_number, variant.location_number), 0)
        compare_at = variant.compare_at_price
        return {
            "admin_graphql_api_id": gid("ProductVariant", variant.number),
            "barcode": variant.barcode,
            "compare_at_price": f"{compare_at:.2f}" if compare_at is not None else None,
            "created_at": variant.created_at,
            "id": variant.number,
            "inventory_policy": "deny",
            "position": position,
            "price": f"{variant.price:.2f}",
            "product_id": variant.product_number,
            "sku": variant.sku,
            "taxable": True,
            "title": variant.title,
            "updated_at": variant.updated_at,
            "option1": variant.title,
            "option2": None,
            "option3": None,
            "image_id": None,
            "inventory_item_id": variant.inventory_item_number,
            "inventory_quantity": quantity,
            "old_inventory_quantity": quantity,
        }

    # -- for tests and demos ------------------------------------------------------------------

    def quantity(self, sku: str) -> int:
        """The available quantity of the first variant with this SKU."""
        with self._lock:
            variant = self._first_variant(sku)
            return self._available[(variant.inventory_item_number, variant.location_number)]

    @property
    def adjustment_count(self) -> int:
        """How many inventorySetQuantities calls were applied (idempotent replays are not)."""
        with self._lock:
            return self._adjustment_groups

    def variants(self) -> list[SandboxVariant]:
        with self._lock:
            return [self._sandbox_variant(variant) for variant in self._variants.values()]

    def bulk_output(self, number: int, signature: str) -> bytes | None:
        """The JSONL of a completed bulk operation; None unless `signature` is the one its URL carries."""
        with self._lock:
            operation = self._bulk_operations.get(number)
            if operation is None or operation.output is None:
                return None
            return operation.output if hmac.compare_digest(operation.signature, signature) else None

    def _sandbox_variant(self, variant: Variant) -> SandboxVariant:
        return SandboxVariant(
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

    def _first_variant(self, sku: str) -> Variant:
        for variant in self._variants.values():
            if variant.sku == sku:
                return variant
        raise KeyError(f"no variant with SKU {sku!r} in the sandbox store")
