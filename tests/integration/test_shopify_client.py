"""ShopifyClient against the Shopify sandbox over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.channels import shopify as shopify_client
from shared.channels.base import ChannelAuthError, ChannelError, PushOutcome, QuantityPush, VariantStatus
from shared.channels.shopify import ShopifyClient
from tests.fakes import FakeClock
from tidemark.sandbox.server import RunningServer, serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app

pytestmark = pytest.mark.integration

TOKEN = "shpat_sandbox_token"


class Recorder(httpx.BaseTransport):
    """The real HTTP transport, recording every answer; `before` can replace one."""

    def __init__(self, before: Callable[[httpx.Request], httpx.Response | None] | None = None) -> None:
        self._inner = httpx.HTTPTransport()
        self._before = before
        self.requests: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content or b"{}"))
        replaced = self._before(request) if self._before else None
        response = replaced or self._inner.handle_request(request)
        response.read()
        self.answers.append(
            response.json() if response.headers.get("content-type") == "application/json" else {}
        )
        return response

    def close(self) -> None:
        self._inner.close()

    def throttled(self) -> int:
        return sum(
            1
            for a in self.answers
            if (a.get("errors") or [{}])[0].get("extensions", {}).get("code") == "THROTTLED"
        )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> ShopifyStore:
    return ShopifyStore.generate(600, seed=7, location_count=2, clock=clock)


@pytest.fixture
def server(store: ShopifyStore) -> Iterator[RunningServer]:
    running = serve_in_thread(create_app(store, TOKEN))
    yield running
    running.stop()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(server: RunningServer, clock: FakeClock, recorder: Recorder) -> Iterator[ShopifyClient]:
    http = httpx.Client(transport=recorder, timeout=10)
    shopify = ShopifyClient(server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock)
    yield shopify
    shopify.close()
    http.close()


def push_for(store: ShopifyStore, sku: str, quantity: int, expected: Any = "current") -> QuantityPush:
    variant = next(v for v in store.variants() if v.sku == sku)
    return QuantityPush(
        sku=sku,
        inventory_item_id=variant.inventory_item_id,
        location_id=variant.location_id,
        quantity=quantity,
        expected=variant.quantity if expected == "current" else expected,
    )


def mutations(recorder: Recorder) -> list[dict[str, Any]]:
    return [r for r in recorder.requests if "inventorySetQuantities" in r.get("query", "")]


def test_check_access_returns_the_shop_name(client: ShopifyClient) -> None:
    assert client.check_access() == "Tidemark Sandbox"


def test_a_wrong_token_is_a_channel_auth_error_without_the_token(server: RunningServer) -> None:
    shopify = ShopifyClient(server.url, "shpat_wrong", sleep=lambda s: None)
    try:
        with pytest.raises(ChannelAuthError) as raised:
            shopify.check_access()
    finally:
        shopify.close()

    assert raised.value.message.startswith(f"Shopify refused the access token for {server.url}")
    assert "fix:" in raised.value.message and "shpat_wrong" not in raised.value.message
    assert raised.value.retryable is False


def test_the_catalog_pages_over_600_variants_without_being_throttled(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder, clock: FakeClock
) -> None:
    variants = []
    cursor = None
    pages = 0
    while True:
        page = client.read_catalog_page(cursor)
        variants += page.variants
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    in_store = {v.variant_id: v for v in store.variants()}
    assert pages == 5  # 124 a page: the most a query under 1000 points can read
    assert [v.sku for v in variants] == [v.sku for v in store.variants()]
    assert len({v.variant_id for v in variants}) == 600
    for variant in variants:
        expected = in_store[variant.variant_id]
        assert (variant.quantity, variant.location_id) == (expected.quantity, expected.location_id)
        assert variant.inventory_item_id == expected.inventory_item_id
        assert variant.price == expected.price and isinstance(variant.price, Decimal)
        assert variant.barcode == (expected.barcode or "")
        assert variant.status == (
            VariantStatus.ACTIVE if expected.status == "ACTIVE" else VariantStatus.HIDDEN
        )
    # 5 pages of 994 points against a 2000-point bucket: the client waited instead of being refused
    assert recorder.throttled() == 0
    assert sum(clock.sleeps) > 0


def test_push_then_read_back(client: ShopifyClient, store: ShopifyStore) -> None:
    pushes = [
        push_for(store, "SKU-00001", 17),
        push_for(store, "SKU-00002", 0),
        push_for(store, "SKU-00003", 50),
    ]

    results = client.push_quantities(pushes, "push-1")

    assert [(r.sku, r.outcome, r.observed) for r in results] == [
        ("SKU-00001", PushOutcome.PUSHED, 17),
        ("SKU-00002", PushOutcome.PUSHED, 0),
        ("SKU-00003", PushOutcome.PUSHED, 50),
    ]
    assert [store.quantity(sku) for sku in ("SKU-00001", "SKU-00002", "SKU-00003")] == [17, 0, 50]
    page = client.read_catalog_page(None)
    assert [v.quantity for v in page.variants[:3]] == [17, 0, 50]


def test_a_retry_after_a_lost_answer_is_not_applied_twice(server: RunningServer, store: ShopifyStore) -> None:
    lost: list[httpx.Response] = []

    def lose_the_first_mutation_answer(request: httpx.Request) -> httpx.Response | None:
        if b"inventorySetQuantities" in request.content and not lost:
            lost.append(httpx.HTTPTransport().handle_request(request))  # Shopify applies it...
            raise httpx.ReadTimeout("the answer was lost", request=request)  # ...we never hear back
        return None

    recorder = Recorder(before=lose_the_first_mutation_answer)
    clock = FakeClock()
    with httpx.Client(transport=recorder) as http:
        shopify = ShopifyClient(server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock)
        pushes = [push_for(store, "SKU-00010", 31)]
        results = shopify.push_quantities(pushes, "push-lost")
        again = shopify.push_quantities(pushes, "push-lost")  # the job itself delivered twice

    assert results[0].outcome == PushOutcome.PUSHED and again[0].outcome == PushOutcome.PUSHED
    assert store.quantity("SKU-00010") == 31
    assert store.adjustment_count == 1
    # the lost one, its retry after one backoff (replayed), and the second delivery (replayed)
    assert len(mutations(recorder)) == 3 and len(clock.sleeps) == 1
    assert {m["variables"]["key"] for m in mutations(recorder)} == {"push-lost"}


def test_a_stale_expected_is_re_read_and_retried_once(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder
) -> None:
    pushes = [push_for(store, "SKU-00020", 40), push_for(store, "SKU-00021", 41)]
    store.set_quantity_by_hand("SKU-00020", 3)  # a sale on Shopify since Tidemark last read

    results = client.push_quantities(pushes, "push-cas")

    assert [r.outcome for r in results] == [PushOutcome.PUSHED, PushOutcome.PUSHED]
    assert (store.quantity("SKU-00020"), store.quantity("SKU-00021")) == (40, 41)
    sent = mutations(recorder)
    assert [m["variables"]["key"] for m in sent] == ["push-cas", "push-cas-r1"]
    assert sent[1]["variables"]["input"]["quantities"][0]["changeFromQuantity"] == 3
    assert sent[1]["variables"]["input"]["referenceDocumentUri"] == "tidemark://push/push-cas-r1"


def test_still_stale_after_the_re_read_is_a_conflict(server: RunningServer, store: ShopifyStore) -> None:
    def another_sale_after_the_re_read(request: httpx.Request) -> httpx.Response | None:
        if b"TidemarkSetQuantities" in request.content and b"push-race-r1" in request.content:
            store.set_quantity_by_hand("SKU-00030", 1)
        return None

    clock = FakeClock()
    with httpx.Client(transport=Recorder(before=another_sale_after_the_re_read)) as http:
        shopify = ShopifyClient(server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock)
        pushes = [push_for(store, "SKU-00030", 25), push_for(store, "SKU-00031", 26)]
        store.set_quantity_by_hand("SKU-00030", 2)
        results = shopify.push_quantities(pushes, "push-race")

    assert (results[0].outcome, results[0].observed) == (PushOutcome.CONFLICT, 2)  # what the re-read saw
    assert "re-read it and push again" in results[0].message
    assert results[1].outcome == PushOutcome.PUSHED  # sent once more without the conflicting entry
    assert (store.quantity("SKU-00030"), store.quantity("SKU-00031")) == (1, 26)


def test_refused_entries_fail_with_the_fix_and_the_rest_is_written(
    client: ShopifyClient, store: ShopifyStore
) -> None:
    variants = store.variants()
    elsewhere = next(v.location_id for v in variants if v.location_id != variants[0].location_id)
    not_stocked = push_for(store, "SKU-00001", 5).model_copy(update={"location_id": elsewhere})
    gone = push_for(store, "SKU-00002", 6).model_copy(
        update={"inventory_item_id": "gid://shopify/InventoryItem/9"}
    )
    fine = push_for(store, "SKU-00003", 7)

    results = client.push_quantities([not_stocked, gone, fine], "push-errors")

    assert [r.outcome for r in results] == [PushOutcome.FAILED, PushOutcome.FAILED, PushOutcome.PUSHED]
    assert results[0].message == (
        f"SKU-00001: inventory item {not_stocked.inventory_item_id} is not stocked at location {elsewhere}: "
        "stock it there on Shopify, or unlink the listing"
    )
    assert "gid://shopify/InventoryItem/9 does not exist on Shopify" in results[1].message
    assert store.quantity("SKU-00003") == 7


def test_a_throttled_answer_is_waited_out_and_retried(server: RunningServer) -> None:
    clock = FakeClock()
    store_on_tiny_plan = ShopifyStore.generate(5, restore_rate=1, clock=clock)  # bucket: 20 points
    with serve_in_thread(create_app(store_on_tiny_plan, TOKEN)) as tiny:
        recorder = Recorder()
        with httpx.Client(transport=recorder) as http, httpx.Client() as other_app:
            shopify = ShopifyClient(tiny.url, TOKEN, http=http, sleep=clock.sleep, clock=clock)
            shopify.push_quantities([push_for(store_on_tiny_plan, "SKU-00001", 1, expected=None)], "a")
            # another worker spends the points this client believes it still has
            other = ShopifyClient(tiny.url, TOKEN, http=other_app, sleep=clock.sleep, clock=clock)
            other.push_quantities([push_for(store_on_tiny_plan, "SKU-00002", 2, expected=None)], "b")
            results = shopify.push_quantities(
                [push_for(store_on_tiny_plan, "SKU-00003", 3, expected=None)], "c"
            )

    assert results[0].outcome == PushOutcome.PUSHED
    assert store_on_tiny_plan.quantity("SKU-00003") == 3
    assert recorder.throttled() == 1
    assert clock.sleeps == [10.0]  # 10 points missing at 1 point a second


def test_a_429_honours_retry_after(server: RunningServer, clock: FakeClock) -> None:
    answered_429: list[bool] = []

    def once_429(request: httpx.Request) -> httpx.Response | None:
        if not answered_429:
            answered_429.append(True)
            return httpx.Response(429, headers={"Retry-After": "2.5"}, request=request)
        return None

    with httpx.Client(transport=Recorder(before=once_429)) as http:
        shopify = ShopifyClient(server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock)
        assert shopify.check_access() == "Tidemark Sandbox"

    assert clock.sleeps == [2.5]


def test_5xx_backs_off_five_times_then_is_a_retryable_error(clock: FakeClock) -> None:
    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, request=request)

    with httpx.Client(transport=httpx.MockTransport(unavailable)) as http:
        shopify = ShopifyClient(
            "https://example.myshopify.com", TOKEN, http=http, sleep=clock.sleep, clock=clock
        )
        with pytest.raises(ChannelError) as raised:
            shopify.check_access()

    assert raised.value.retryable is True and "HTTP 503" in raised.value.message
    assert len(clock.sleeps) == 4  # five attempts, four waits between them
    assert all(0.25 <= wait <= 8 for wait in clock.sleeps) and clock.sleeps[3] > clock.sleeps[0]


def test_max_cost_exceeded_is_not_retried(
    client: ShopifyClient, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shopify_client, "CATALOG_PAGE_SIZE", 250)  # the page size Shopify's cost refuses

    with pytest.raises(ChannelError) as raised:
        client.read_catalog_page(None)

    assert raised.value.retryable is False and "MAX_COST_EXCEEDED" in raised.value.message
    assert len(recorder.requests) == 1
    assert recorder.answers[0]["extensions"]["cost"]["requestedQueryCost"] == 2002


def test_close_leaves_an_injected_http_client_open(server: RunningServer) -> None:
    with httpx.Client() as http:
        ShopifyClient(server.url, TOKEN, http=http).close()
        assert not http.is_closed
    own = ShopifyClient(server.url, TOKEN)
    own.close()
    assert own._http.is_closed


def test_the_official_shopify_package_works_against_the_sandbox(server: RunningServer) -> None:
    shopify = pytest.importorskip("shopify")
    session = shopify.Session(server.url, "2026-10", TOKEN)
    # ShopifyAPI always builds https://<first label of the host>.myshopify.com/admin/api/<version>
    # (Session.protocol and Session.myshopify_domain are class settings), so a loopback sandbox
    # is reached by pointing ShopifyResource.site at it after activating the session.
    assert session.site == "https://127.myshopify.com/admin/api/2026-10"
    shopify.ShopifyResource.activate_session(session)
    try:
        shopify.ShopifyResource.site = f"{server.url}/admin/api/2026-10"
        graphql = shopify.GraphQL()
        shop = json.loads(graphql.execute("{ shop { name } }"))
        page = json.loads(
            graphql.execute(
                "query Page($first: Int!) { productVariants(first: $first) { nodes { sku } } }",
                variables={"first": 2},
                operation_name="Page",
            )
        )
    finally:
        shopify.ShopifyResource.clear_session()

    assert graphql.endpoint == f"{server.url}/admin/api/2026-10/graphql.json"
    assert shop["data"] == {"shop": {"name": "Tidemark Sandbox"}}
    assert page["data"]["productVariants"]["nodes"] == [{"sku": "SKU-00001"}, {"sku": "SKU-00002"}]
    assert page["extensions"]["cost"]["requestedQueryCost"] == 4
