"""Amazon's two push paths against the Amazon sandbox, for bench/push_throughput.py.

Patches: AmazonClient.push_quantities in batches of 50 (patchListingsItem, one listing a call) over
real loopback HTTP and the real clock; the ceiling is the usage plan over the same window, its full
burst at the start included: burst 5 + 5 a second x elapsed, one listing a call.

Feeds: AmazonClient.push_quantities of 25,000 listings a call (one JSON_LISTINGS_FEED each: document,
upload, createFeed, getFeed polls, the report) in process on a simulated clock: createFeed's plan is
0.0083 a second, so feeds come 120 s apart, which the fake clock sleeps at once (the CPU of building,
processing and reading each feed is real). The sandbox's and the client's createFeed burst is set
to 1 (Amazon's is 15: 375,000 listings before the rate shows); the ceiling is (1 + 0.0083 x
elapsed) x 25,000 listings.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from shared.channels.amazon import AmazonClient
from shared.channels.amazon.feeds import MAX_MESSAGES
from shared.channels.amazon.pacing import TokenBucket
from shared.channels.base import PushOutcome, QuantityPush
from tidemark.sandbox.amazon import US_MARKETPLACE, AmazonStore, create_app
from tidemark.sandbox.amazon.records import UsagePlan
from tidemark.sandbox.server import serve_in_thread

SELLER = "A1SANDBOXSELLER"
CLIENT_ID, CLIENT_SECRET, REFRESH = "amzn1.application-oa2-client.bench", "bench-secret", "Atzr|bench"
PATCH_PUSHES = 150
PATCH_BATCH = 50
PATCH_RATE, PATCH_BURST = 5.0, 5
FEEDS = 4
FEED_RATE = 0.0083


class FakeClock:
    """Simulated time: sleeping moves it on at once."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class InProcess(httpx.BaseTransport):
    """The sandbox's ASGI app answering in process, without a socket."""

    def __init__(self, app: object) -> None:
        self._asgi = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def answer() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run(answer())


@dataclass
class AmazonRun:
    pushed: int
    elapsed: float
    calls: int
    throttled: int
    ceiling: float


class Counting(httpx.BaseTransport):
    """A transport counting the calls and the 429s."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner
        self.calls = 0
        self.throttled = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        if "/admin/sandbox" not in request.url.path:
            self.calls += 1
            self.throttled += response.status_code == 429
        return response


def _pushes(count: int, offset: int = 0) -> list[QuantityPush]:
    return [
        QuantityPush(
            sku=f"SKU-{n + 1:05d}",
            inventory_item_id=f"SKU-{n + 1:05d}",
            location_id="DEFAULT",
            quantity=(n + offset) % 60,
        )
        for n in range(count)
    ]


def _client(url: str, http: httpx.Client, **options: object) -> AmazonClient:
    return AmazonClient(
        url,
        seller_id=SELLER,
        marketplace_id=US_MARKETPLACE,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH,
        lwa_url=f"{url}/auth/o2/token",
        http=http,
        **options,  # type: ignore[arg-type]
    )


def patches() -> AmazonRun:
    store = AmazonStore.generate(PATCH_PUSHES, seed=1)
    transport = Counting(httpx.HTTPTransport())
    with (
        serve_in_thread(create_app(store, CLIENT_ID, CLIENT_SECRET, REFRESH)) as server,
        httpx.Client(transport=transport) as http,
    ):
        client = _client(server.url, http)
        client.check_access()  # the token exchange, before the window
        transport.calls = transport.throttled = 0
        client.buckets["patchListingsItem"] = TokenBucket(PATCH_RATE, PATCH_BURST, time.monotonic, time.sleep)
        time.sleep(1.0)  # the sandbox's bucket full again, as the client's
        pushes = _pushes(PATCH_PUSHES)
        start = time.monotonic()
        pushed = 0
        for at in range(0, len(pushes), PATCH_BATCH):
            results = client.push_quantities(pushes[at : at + PATCH_BATCH], f"bench-{at}")
            pushed += sum(r.outcome is PushOutcome.PUSHED for r in results)
        elapsed = time.monotonic() - start
    return AmazonRun(
        pushed, elapsed, transport.calls, transport.throttled, PATCH_BURST + PATCH_RATE * elapsed
    )


def feeds() -> AmazonRun:
    clock = FakeClock()
    store = AmazonStore.generate(MAX_MESSAGES, seed=1)
    app = create_app(store, CLIENT_ID, CLIENT_SECRET, REFRESH, clock=clock, token_seconds=10**7)
    app.state.plans.plans["createFeed"] = UsagePlan(FEED_RATE, 1)
    transport = Counting(InProcess(app))
    with httpx.Client(transport=transport) as http:
        client = _client("http://amazon.bench", http, sleep=clock.sleep, clock=clock)
        client.buckets["createFeed"] = TokenBucket(FEED_RATE, 1, clock, clock.sleep)
        client.check_access()
        transport.calls = transport.throttled = 0
        start = clock()
        pushed = 0
        for number in range(FEEDS):
            results = client.push_quantities(_pushes(MAX_MESSAGES, number), f"bench-feed-{number}")
            pushed += sum(r.outcome is PushOutcome.PUSHED for r in results)
        elapsed = clock() - start
    return AmazonRun(
        pushed, elapsed, transport.calls, transport.throttled, (1 + FEED_RATE * elapsed) * MAX_MESSAGES
    )
