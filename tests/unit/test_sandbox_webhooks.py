"""The sandboxes' webhook senders deliver as the channels do (issue 23): several deliveries in flight
at once, every one signed, the faults still injected, and the sender's backlog reported."""

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.domain.webhooks import signature_is_valid
from tidemark.sandbox import webhooks
from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app
from tidemark.sandbox.webhooks import WebhookSender

pytestmark = pytest.mark.unit
SECRET = "sender-secret"


@dataclass
class SlowReceiver:
    """An endpoint that takes `delay` seconds to answer, or waits while `gate` is closed, and counts
    how many deliveries it held at once."""

    url: str = ""
    delay: float = 0.0
    gate: threading.Event = field(default_factory=threading.Event)
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    holding: int = 0
    most_at_once: int = 0

    async def hook(self, request: Request) -> Response:
        self.holding += 1  # one event loop: no lock needed
        self.most_at_once = max(self.most_at_once, self.holding)
        body = await request.body()
        await asyncio.sleep(self.delay)
        while not self.gate.is_set():
            await asyncio.sleep(0.01)
        self.deliveries.append((dict(request.headers), body))
        self.holding -= 1
        return Response(status_code=200)


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    slow = SlowReceiver()
    slow.gate.set()
    with serve_in_thread(Starlette(routes=[Route("/hooks", slow.hook, methods=["POST"])])) as server:
        slow.url = f"{server.url}/hooks"
        yield slow


def headers(topic: str, body: bytes, signature: str) -> dict[str, str]:
    return {"X-Topic": topic, "X-Signature": signature}


def sender(receiver: SlowReceiver, faults: Faults | None = None) -> WebhookSender:
    return WebhookSender(receiver.url, SECRET, headers, faults or Faults())


def test_the_senders_deliver_concurrently_and_sign_every_delivery(receiver: SlowReceiver) -> None:
    receiver.delay = 0.3
    hooks = sender(receiver)
    started = time.monotonic()
    try:
        for n in range(12):
            hooks.send(f"topic/{n % 3}", {"id": n})
        hooks.flush(timeout=10)
    finally:
        hooks.close()
    took = time.monotonic() - started

    assert receiver.most_at_once == webhooks.SENDER_WORKERS
    assert took < 12 * 0.3 / 2, f"12 deliveries of 0.3 s each took {took:.2f} s"
    assert sorted(json.loads(body)["id"] for _, body in receiver.deliveries) == list(range(12))
    for sent_headers, body in receiver.deliveries:
        assert signature_is_valid(SECRET, body, sent_headers["x-signature"])
        assert sent_headers["x-topic"] == f"topic/{json.loads(body)['id'] % 3}"
        assert sent_headers["content-type"] == "application/json"


def test_drops_duplicates_and_reorders_still_happen_and_every_webhook_arrives(receiver: SlowReceiver) -> None:
    receiver.delay = 0.01
    rates = FaultRates(
        webhook_drop=0.2, webhook_duplicate=0.2, webhook_reorder=0.2, webhook_retry_seconds=0.1
    )
    faults = Faults(rates, seed=5)
    hooks = sender(receiver, faults)
    try:
        for n in range(100):
            hooks.send("inventory_levels/update", {"id": n})
        hooks.flush(timeout=20)
    finally:
        hooks.close()

    injected = faults.counts()
    arrived = Counter(json.loads(body)["id"] for _, body in receiver.deliveries)
    assert set(arrived) == set(range(100))  # the dropped ones too, on their retry
    assert sum(arrived.values()) == 100 + injected["webhook_duplicate"]
    assert min(injected[kind] for kind in ("webhook_drop", "webhook_duplicate", "webhook_reorder")) > 5
    assert {sent.attempt for sent in hooks.sent} >= {1, 2}


def test_the_backlog_is_reported_by_the_admin_api(receiver: SlowReceiver) -> None:
    receiver.gate.clear()  # the receiver holds every delivery until the gate opens
    store = ShopifyStore.generate(3, seed=4, webhook_url=receiver.url, webhook_secret=SECRET)
    try:
        with serve_in_thread(create_app(store, "shpat_x")) as server, httpx.Client() as http:
            for _ in range(3):
                store.place_order([("SKU-00001", 1)])  # an order, a level and a product update each
            time.sleep(0.5)
            held = http.get(f"{server.url}/admin/sandbox/metrics").json()["webhooks"]
            receiver.gate.set()
            assert store.webhooks is not None
            store.webhooks.flush(timeout=10)
            drained = http.get(f"{server.url}/admin/sandbox/metrics").json()["webhooks"]
    finally:
        receiver.gate.set()
        store.close()

    assert held["in_flight"] == webhooks.SENDER_WORKERS and held["queued"] == 9 - webhooks.SENDER_WORKERS
    assert held["oldest_s"] >= 0.4 and held["retrying"] == 0
    assert drained == {"queued": 0, "in_flight": 0, "retrying": 0, "oldest_s": 0.0, "sent": 9}
