"""ShopifyClient against the Shopify sandbox over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.channels.base import (
    CatalogPage,
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    PricePush,
    PushOutcome,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)
from shared.channels.shopify import ShopifyClient
from shared.channels.shopify import bulk as shopify_bulk
from shared.channels.shopify import client as shopify_client
from tests.fakes import FakeClock
from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.server import RunningServer, serve_in_thread
from tidemark.sandbox.shopify import SandboxVariant, ShopifyStore, create_app

pytestmark = pytest.mark.integration

TOKEN = "shpat_sandbox_token"


class Recorder(httpx.BaseTransport):
    """The real HTTP transport, recording every answer; `before` can replace one."""

    def __init__(self, before: Callable[[httpx.Request], httpx.Response | None] | None = None) -> None:
        self._inner = httpx.HTTPTransport()
        self._before = before
        self.requests: list[dict[str, Any]] = []
        self.ranges: list[str] = []  # the Range of each download
        self.answers: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.ranges.append(request.headers.get("Range", ""))
        else:
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
    assert ["productVariantsCount" in r["query"] for r in recorder.requests] == [True, False]  # no retry
    assert recorder.answers[1]["extensions"]["cost"]["requestedQueryCost"] == 2002


def test_close_leaves_an_injected_http_client_open(server: RunningServer) -> None:
    with httpx.Client() as http:
        ShopifyClient(server.url, TOKEN, http=http).close()
        assert not http.is_closed
    own = ShopifyClient(server.url, TOKEN)
    own.close()
    assert own._http.is_closed


def test_the_official_shopify_package_works_against_the_sandbox(
    server: RunningServer, store: ShopifyStore
) -> None:
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
        order = store.place_order([("SKU-00001", 1)])
        store.cancel_order(order["id"])
        read = json.loads(
            graphql.execute(
                "query Order($id: ID!) { order(id: $id) { name cancelledAt cancelReason } }",
                variables={"id": order["admin_graphql_api_id"]},
                operation_name="Order",
            )
        )
    finally:
        shopify.ShopifyResource.clear_session()

    assert graphql.endpoint == f"{server.url}/admin/api/2026-10/graphql.json"
    assert shop["data"] == {"shop": {"name": "Tidemark Sandbox"}}
    assert page["data"]["productVariants"]["nodes"] == [{"sku": "SKU-00001"}, {"sku": "SKU-00002"}]
    assert page["extensions"]["cost"]["requestedQueryCost"] == 4
    assert (
        read["data"]["order"]["name"] == order["name"] and read["data"]["order"]["cancelReason"] == "CUSTOMER"
    )
    assert read["data"]["order"]["cancelledAt"].endswith("Z")


# -- current values, prices and statuses ---------------------------------------------------------


def siblings(store: ShopifyStore, skip: int = 0) -> list[SandboxVariant]:
    """The variants of a product that has two or more (the `skip`-th such product)."""
    by_product: dict[str, list[SandboxVariant]] = {}
    for variant in store.variants():
        by_product.setdefault(variant.product_id, []).append(variant)
    return [group for group in by_product.values() if len(group) >= 2][skip]


def ref_for(variant: SandboxVariant) -> VariantRef:
    return VariantRef(
        sku=variant.sku,
        variant_id=variant.variant_id,
        product_id=variant.product_id,
        inventory_item_id=variant.inventory_item_id,
        location_id=variant.location_id,
    )


def named(recorder: Recorder, operation: str) -> list[dict[str, Any]]:
    return [
        r
        for r in recorder.requests
        if f"query {operation}" in r["query"] or f"mutation {operation}" in r["query"]
    ]


def test_read_variants_returns_current_values_in_order_and_none_for_gone_ones(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shopify_client, "READ_VARIANTS_CHUNK", 2)
    here = [v for v in store.variants() if v.location_id == store.variants()[0].location_id]
    variants = here[:5]
    gone = next(v for v in here[5:] if sum(s.product_id == v.product_id for s in here) >= 2)
    store.set_quantity_by_hand(variants[1].sku, 33)
    store.delete_by_hand(gone.sku)

    read = client.read_variants([ref_for(v) for v in [*variants, gone]])

    assert read[-1] is None
    for variant, current in zip(variants, read[:-1], strict=True):
        held = next(v for v in store.variants() if v.variant_id == variant.variant_id)
        assert current is not None
        assert (current.sku, current.quantity, current.price) == (held.sku, held.quantity, held.price)
        assert (current.inventory_item_id, current.location_id) == (held.inventory_item_id, held.location_id)
    assert read[1] is not None and read[1].quantity == 33
    # one query per chunk of two, each costing 5 points a variant
    assert [len(call["variables"]["ids"]) for call in named(recorder, "TidemarkReadVariants")] == [2, 2, 2]
    assert [a["extensions"]["cost"]["requestedQueryCost"] for a in recorder.answers] == [10, 10, 10]


def test_read_variants_reads_every_location_asked_for_in_the_same_query(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder
) -> None:
    here = [v for v in store.variants() if v.location_id == store.variants()[0].location_id][:3]
    own = here[0].location_id
    other_number = next(n for n in (60_000_001, 60_000_002) if f"gid://shopify/Location/{n}" != own)
    other = f"gid://shopify/Location/{other_number}"
    store.stock_at(here[0].sku, other_number, 7)
    store.stock_at(here[1].sku, other_number, 8)
    store.edit_by_hand(here[1].sku, {"quantity": 9, "location": other_number})  # a hand edit there

    read = client.read_variants([ref_for(v).model_copy(update={"locations": (own, other)}) for v in here])

    assert [r.quantity if r else None for r in read] == [v.quantity for v in here]  # at their own
    assert [r.quantities if r else None for r in read] == [
        {own: here[0].quantity, other: 7},
        {own: here[1].quantity, other: 9},
        {own: here[2].quantity},  # not stocked at the other location
    ]
    # one query for the three, each variant 3 points and 2 a location read
    assert len(named(recorder, "TidemarkReadVariants")) == 1
    assert [a["extensions"]["cost"]["requestedQueryCost"] for a in recorder.answers] == [3 * (3 + 2 * 2)]


def test_prices_go_in_one_call_per_product_and_a_refused_variant_fails_with_the_fix(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder
) -> None:
    a1, a2 = siblings(store, 0)[:2]
    b1 = siblings(store, 1)[0]
    c_gone, c_kept = siblings(store, 2)[:2]
    store.delete_by_hand(c_gone.sku)
    pushes = [
        PricePush(sku=v.sku, variant_id=v.variant_id, product_id=v.product_id, price=Decimal(price))
        for v, price in [(a1, "10.00"), (b1, "11.5"), (a2, "12"), (c_gone, "13"), (c_kept, "14.25")]
    ]

    results = client.push_prices(pushes, "prices-1")

    assert [r.outcome for r in results] == [PushOutcome.PUSHED] * 3 + [PushOutcome.FAILED, PushOutcome.PUSHED]
    assert results[3].message == (
        f"{c_gone.sku}: variant {c_gone.variant_id} no longer exists on Shopify: link the listing again to "
        "pick up the variant that replaced it, or unlink it"
    )
    prices = {v.variant_id: v.price for v in store.variants()}
    assert [prices[v.variant_id] for v in (a1, b1, a2, c_kept)] == [
        Decimal("10.00"),
        Decimal("11.50"),
        Decimal("12.00"),
        Decimal("14.25"),
    ]
    calls = named(recorder, "TidemarkSetPrices")
    assert [(c["variables"]["productId"], len(c["variables"]["variants"])) for c in calls] == [
        (a1.product_id, 2),
        (b1.product_id, 1),
        (c_kept.product_id, 2),
    ]
    assert calls[0]["variables"]["variants"] == [
        {"id": a1.variant_id, "price": "10.00"},
        {"id": a2.variant_id, "price": "12"},
    ]


def test_statuses_go_in_one_call_per_product_active_while_any_pushed_variant_is(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder
) -> None:
    a1, a2 = siblings(store, 0)[:2]
    b1 = siblings(store, 1)[0]
    gone = StatusPush(
        sku="GONE",
        variant_id="gid://shopify/ProductVariant/1",
        product_id="gid://shopify/Product/1",
        status=VariantStatus.ACTIVE,
    )
    pushes = [
        StatusPush(
            sku=a1.sku, variant_id=a1.variant_id, product_id=a1.product_id, status=VariantStatus.HIDDEN
        ),
        StatusPush(
            sku=b1.sku, variant_id=b1.variant_id, product_id=b1.product_id, status=VariantStatus.HIDDEN
        ),
        StatusPush(
            sku=a2.sku, variant_id=a2.variant_id, product_id=a2.product_id, status=VariantStatus.ACTIVE
        ),
        gone,
    ]

    results = client.push_statuses(pushes, "statuses-1")

    assert [r.outcome for r in results] == [
        PushOutcome.FAILED,
        PushOutcome.PUSHED,
        PushOutcome.PUSHED,
        PushOutcome.FAILED,
    ]
    assert results[0].message == (
        f"{a1.sku}: product {a1.product_id} stays active on Shopify, which shows or hides whole products, "
        f"because {a2.sku} on it is active: hide {a2.sku} too, or move {a1.sku} to a product of its own on "
        "Shopify"
    )
    assert results[3].message == (
        "GONE: product gid://shopify/Product/1 no longer exists on Shopify: link the listing again, "
        "or unlink it"
    )
    statuses = {v.product_id: v.status for v in store.variants()}
    assert (statuses[a1.product_id], statuses[b1.product_id]) == ("ACTIVE", "DRAFT")
    calls = named(recorder, "TidemarkSetStatus")
    assert [c["variables"]["product"] for c in calls] == [
        {"id": a1.product_id, "status": "ACTIVE"},
        {"id": b1.product_id, "status": "DRAFT"},
        {"id": "gid://shopify/Product/1", "status": "ACTIVE"},
    ]


# -- orders -----------------------------------------------------------------------------------


def test_read_order_says_whether_shopify_holds_the_order_cancelled(
    client: ShopifyClient, store: ShopifyStore, recorder: Recorder
) -> None:
    order = store.place_order([("SKU-00001", 1)])
    number, gid = str(order["id"]), order["admin_graphql_api_id"]
    reads = [client.read_order(number)]
    store.cancel_order(order["id"])
    reads += [client.read_order(number), client.read_order(gid)]  # its GID reads the same

    assert reads == [ChannelOrder(order_id=number, cancelled=c) for c in (False, True, True)]
    assert [r["variables"] for r in named(recorder, "TidemarkReadOrder")] == [{"id": gid}] * 3
    assert {a["extensions"]["cost"]["requestedQueryCost"] for a in recorder.answers} == {1}


def test_read_order_is_none_for_an_order_shopify_does_not_know(
    client: ShopifyClient, recorder: Recorder
) -> None:
    assert client.read_order("5500999999") is None
    assert recorder.answers[0]["data"] == {"order": None}
    assert client.read_order("gid://shopify/Product/1") is None and len(recorder.requests) == 1


# -- the catalog in bulk -------------------------------------------------------------------------


def read_all(shopify: ShopifyClient) -> list[CatalogPage]:
    pages = [shopify.read_catalog_page(None)]
    while pages[-1].next_cursor is not None:
        pages.append(shopify.read_catalog_page(pages[-1].next_cursor))
    return pages


def test_a_catalog_past_the_threshold_is_read_in_bulk_a_byte_range_a_page(
    server: RunningServer, store: ShopifyStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shopify_bulk, "BULK_PAGE_BYTES", 16 * 1024)
    recorder = Recorder()
    with httpx.Client(transport=recorder) as http:
        shopify = ShopifyClient(
            server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock, bulk_threshold=599
        )
        pages = read_all(shopify)
        paged = ShopifyClient(
            server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock, bulk_threshold=600
        )
        expected = [v for page in read_all(paged) for v in page.variants]

    variants = [v for page in pages for v in page.variants]
    assert variants == expected  # the same variants, levels included, as paging through them
    assert len(pages) > 10 and all(page.variants for page in pages)
    offsets = [int(page.next_cursor.split(":")[1]) for page in pages[:-1] if page.next_cursor]
    assert recorder.ranges == [f"bytes={o}-{o + 16 * 1024 - 1}" for o in [0, *offsets]]
    assert pages[0].next_cursor is not None and pages[0].next_cursor.startswith("bulk:")
    assert len(named(recorder, "TidemarkBulkCatalog")) == 1


def test_a_variant_longer_than_a_page_is_read_with_a_wider_range(
    server: RunningServer, clock: FakeClock, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shopify_bulk, "BULK_PAGE_BYTES", 100)  # shorter than one variant's lines
    with httpx.Client(transport=recorder) as http:
        shopify = ShopifyClient(
            server.url, TOKEN, http=http, sleep=clock.sleep, clock=clock, bulk_threshold=10
        )
        first = shopify.read_catalog_page(None)

    assert len(first.variants) == 1 and first.variants[0].sku == "SKU-00001"
    assert recorder.ranges == ["bytes=0-99", "bytes=0-199", "bytes=0-399", "bytes=0-799"]


def test_a_bulk_read_waits_for_the_operation_and_a_timeout_is_retryable_then_resumed(
    server: RunningServer,
) -> None:
    clock = FakeClock()
    slow = ShopifyStore.generate(30, clock=clock, bulk_seconds=300)
    recorder = Recorder()
    with serve_in_thread(create_app(slow, TOKEN)) as running, httpx.Client(transport=recorder) as http:
        shopify = ShopifyClient(
            running.url, TOKEN, http=http, sleep=clock.sleep, clock=clock, bulk_threshold=10, bulk_timeout=200
        )
        with pytest.raises(ChannelError) as raised:
            shopify.read_catalog_page(None)
        waited = list(clock.sleeps)
        pages = read_all(shopify)

    assert raised.value.retryable is True and "did not complete within 200 s" in raised.value.message
    assert waited == [1, 2, 4, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    assert [v.sku for page in pages for v in page.variants] == [v.sku for v in slow.variants()]
    assert len(named(recorder, "TidemarkBulkCatalog")) == 1  # the retry followed the running operation


def test_the_bulk_read_of_a_catalog_past_25000_variants(clock: FakeClock) -> None:
    big = ShopifyStore.generate(25_001, seed=3)
    with serve_in_thread(create_app(big, TOKEN)) as running:
        shopify = ShopifyClient(running.url, TOKEN, sleep=clock.sleep, clock=clock)
        try:
            pages = read_all(shopify)
        finally:
            shopify.close()

    variants = [v for page in pages for v in page.variants]
    assert len(variants) == 25_001 and len(pages) > 10
    assert [v.sku for v in variants] == [f"SKU-{i:05d}" for i in range(1, 25_002)]
    held = big.variants()[-1]
    assert (variants[-1].quantity, variants[-1].location_id) == (held.quantity, held.location_id)


# -- faults the sandbox injects ------------------------------------------------------------------


def faulty(rates: FaultRates, seed: int = 3) -> tuple[ShopifyStore, FakeClock]:
    clock = FakeClock()
    return ShopifyStore.generate(300, seed=7, clock=clock, faults=Faults(rates, seed=seed)), clock


def test_the_client_rides_out_a_share_of_server_errors() -> None:
    store, clock = faulty(FaultRates(server_error=0.25))
    with serve_in_thread(create_app(store, TOKEN)) as running:
        shopify = ShopifyClient(running.url, TOKEN, sleep=clock.sleep, clock=clock)
        results = [
            shopify.push_quantities(
                [push_for(store, f"SKU-{i:05d}", i % 7, None) for i in range(b, b + 25)], f"b{b}"
            )
            for b in range(1, 251, 25)
        ]
        shopify.close()

    assert all(r.outcome is PushOutcome.PUSHED for batch in results for r in batch)
    assert [store.quantity(f"SKU-{i:05d}") for i in range(1, 251)] == [i % 7 for i in range(1, 251)]
    assert store.faults.counts()["server_error"] >= 3 and store.adjustment_count == 10
    assert len(clock.sleeps) >= store.faults.counts()["server_error"]  # a backoff after each


def test_a_burst_of_429s_is_waited_out_as_retry_after_says() -> None:
    store, clock = faulty(FaultRates(throttle_burst=0.2, burst_length=3, retry_after_seconds=2), seed=5)
    with serve_in_thread(create_app(store, TOKEN)) as running:
        shopify = ShopifyClient(running.url, TOKEN, sleep=clock.sleep, clock=clock)
        results = [
            shopify.push_quantities([push_for(store, f"SKU-{i:05d}", 9, None)], f"k{i}") for i in range(1, 21)
        ]
        shopify.close()

    throttled = store.faults.counts()["throttled"]
    assert all(batch[0].outcome is PushOutcome.PUSHED for batch in results)
    assert throttled >= 3 and clock.sleeps.count(2.0) == throttled
    assert store.adjustment_count == 20


def test_an_answer_lost_after_the_write_is_retried_with_the_same_key_and_applied_once() -> None:
    store, clock = faulty(FaultRates(lost_answer=1.0))
    seen: list[bytes] = []

    def lose_only_the_first(request: httpx.Request) -> httpx.Response | None:
        if seen:
            store.faults.configure(FaultRates())
        seen.append(request.content)
        return None

    recorder = Recorder(before=lose_only_the_first)
    with serve_in_thread(create_app(store, TOKEN)) as running, httpx.Client(transport=recorder) as http:
        shopify = ShopifyClient(running.url, TOKEN, http=http, sleep=clock.sleep, clock=clock)
        results = shopify.push_quantities([push_for(store, "SKU-00004", 21)], "lost-1")

    assert results[0].outcome is PushOutcome.PUSHED and store.quantity("SKU-00004") == 21
    assert store.adjustment_count == 1  # applied by the first call; the retry got its stored answer
    assert [m["variables"]["key"] for m in mutations(recorder)] == ["lost-1", "lost-1"]
    assert store.faults.counts() == {"lost_answer": 1} and len(clock.sleeps) == 1
