"""WooCommerceClient against the WooCommerce sandbox over real loopback HTTP (OAuth 1.0a)."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from shared.channels.base import (
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelVariant,
    PricePush,
    PushOutcome,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)
from shared.channels.woocommerce import WooCommerceClient
from shared.channels.woocommerce import client as woo_client
from shared.channels.woocommerce.answers import order_state
from tests.fakes import FakeClock
from tidemark.sandbox.faults import FaultRates
from tidemark.sandbox.server import RunningServer, serve_in_thread
from tidemark.sandbox.woocommerce import WooStore, WooVariant, create_app

pytestmark = pytest.mark.integration

KEY = "ck_0123456789abcdef"
SECRET = "cs_fedcba9876543210"


class Recorder(httpx.BaseTransport):
    """The real HTTP transport, recording every request and answer; `before` can replace one."""

    def __init__(self, before: Callable[[httpx.Request], httpx.Response | None] | None = None) -> None:
        self._inner = httpx.HTTPTransport()
        self._before = before
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replaced = self._before(request) if self._before else None
        response = replaced or self._inner.handle_request(request)
        response.read()
        self.statuses.append(response.status_code)
        return response

    def close(self) -> None:
        self._inner.close()

    def paths(self, method: str | None = None) -> list[str]:
        return [r.url.path for r in self.requests if method is None or r.method == method]

    def bodies(self, path_end: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == "POST" and r.url.path.endswith(path_end)
        ]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> WooStore:
    return WooStore.generate(120, seed=7, blank_barcodes=10)


@pytest.fixture
def server(store: WooStore) -> Iterator[RunningServer]:
    running = serve_in_thread(create_app(store, KEY, SECRET))
    yield running
    running.stop()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(server: RunningServer, clock: FakeClock, recorder: Recorder) -> Iterator[WooCommerceClient]:
    http = httpx.Client(transport=recorder, timeout=10)
    woo = WooCommerceClient(server.url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock)
    yield woo
    woo.close()
    http.close()


def read_all(client: WooCommerceClient) -> tuple[list[ChannelVariant], int]:
    variants: list[ChannelVariant] = []
    cursor = None
    pages = 0
    while True:
        page = client.read_catalog_page(cursor)
        variants += page.variants
        pages += 1
        if page.next_cursor is None:
            return variants, pages
        cursor = page.next_cursor


def push_for(variant: WooVariant, quantity: int) -> QuantityPush:
    return QuantityPush(
        sku=variant.sku,
        inventory_item_id=variant.inventory_item_id,
        location_id="",
        quantity=quantity,
        expected=variant.quantity,
    )


def ref_for(variant: WooVariant) -> VariantRef:
    return VariantRef(
        sku=variant.sku,
        variant_id=str(variant.variation_id or variant.product_id),
        product_id=str(variant.product_id),
        inventory_item_id=variant.inventory_item_id,
        location_id="",
    )


def price_for(variant: WooVariant, price: Decimal | int) -> PricePush:
    ref = ref_for(variant)
    return PricePush(sku=ref.sku, variant_id=ref.variant_id, product_id=ref.product_id, price=Decimal(price))


def status_for(variant: WooVariant, status: VariantStatus) -> StatusPush:
    ref = ref_for(variant)
    return StatusPush(sku=ref.sku, variant_id=ref.variant_id, product_id=ref.product_id, status=status)


@contextmanager
def serving(store: WooStore, recorder: Recorder, clock: FakeClock) -> Iterator[WooCommerceClient]:
    """A client of its own sandbox, for a store other than the fixture's."""
    with serve_in_thread(create_app(store, KEY, SECRET)) as running, httpx.Client(transport=recorder) as http:
        yield WooCommerceClient(running.url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock)


def strip_oauth(request: httpx.Request) -> httpx.Response:
    """Send the request on without its OAuth parameters, as a proxy that drops them would."""
    parts = urlsplit(str(request.url))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("oauth_")])
    bare = httpx.Request(request.method, urlunsplit(parts._replace(query=query)), content=request.content)
    with httpx.HTTPTransport() as transport:
        response = transport.handle_request(bare)
        response.read()
        return response


# -- access -------------------------------------------------------------------------------------


def test_check_access_returns_the_site_name_signed_with_oauth(
    client: WooCommerceClient, recorder: Recorder
) -> None:
    assert client.check_access() == "Tidemark Sandbox"

    index, read, write = recorder.requests
    assert index.url.path == "/wp-json/" and "oauth_signature" not in str(index.url)  # public: no key sent
    for signed in (read, write):
        query = dict(parse_qsl(signed.url.query.decode()))
        assert query["oauth_signature_method"] == "HMAC-SHA256" and query["oauth_consumer_key"] == KEY
        assert "authorization" not in signed.headers  # no Basic credentials over plain HTTP
    assert (read.method, read.url.path, write.method, write.url.path) == (
        "GET",
        "/wp-json/wc/v3/products",
        "POST",
        "/wp-json/wc/v3/products/batch",
    )


def test_a_wrong_secret_is_a_channel_auth_error_with_the_fix(server: RunningServer) -> None:
    woo = WooCommerceClient(server.url, KEY, "cs_wrong_secret", sleep=lambda s: None)
    try:
        with pytest.raises(ChannelAuthError) as raised:
            woo.check_access()
    finally:
        woo.close()

    message = raised.value.message
    assert message.startswith(
        f"WooCommerce refused the consumer key for {server.url}: check the key and secret, and that the key "
        "has read/write permission"
    )
    assert "Invalid signature - provided signature does not match." in message
    assert "cs_wrong_secret" not in message and raised.value.retryable is False


def test_an_unsigned_request_is_a_channel_auth_error(server: RunningServer, clock: FakeClock) -> None:
    with httpx.Client(transport=Recorder(before=strip_oauth)) as http:
        woo = WooCommerceClient(server.url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock)
        with pytest.raises(ChannelAuthError) as raised:
            woo.read_catalog_page(None)

    assert "woocommerce_rest_cannot_view" in raised.value.message and "read/write" in raised.value.message


def test_a_read_only_key_fails_check_access(store: WooStore, clock: FakeClock) -> None:
    with serve_in_thread(create_app(store, KEY, SECRET, permissions="read")) as read_only:
        woo = WooCommerceClient(read_only.url, KEY, SECRET, sleep=clock.sleep, clock=clock)
        try:
            with pytest.raises(ChannelAuthError) as raised:
                woo.check_access()
        finally:
            woo.close()

    assert "does not have write permissions" in raised.value.message and "read/write" in raised.value.message


def test_https_stores_get_basic_auth_and_http_stores_oauth(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[], headers={"X-WP-TotalPages": "1"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        for url in ("https://shop.example.com", "http://shop.example.com"):
            WooCommerceClient(url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock).read_catalog_page(
                None
            )

    over_https, over_http = seen
    assert (
        over_https.headers["authorization"]
        == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    )
    assert "oauth_" not in str(over_https.url) and over_https.url.params["per_page"] == "100"
    assert "authorization" not in over_http.headers
    assert {"oauth_consumer_key", "oauth_signature", "oauth_nonce", "oauth_timestamp"} <= set(
        over_http.url.params
    )
    assert SECRET not in str(over_http.url)


def test_a_closed_index_falls_back_to_the_host_and_a_site_without_woocommerce_is_named(
    clock: FakeClock,
) -> None:
    closed = {"code": "rest_cannot_access", "message": "Only authenticated users can access the REST API."}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/wp-json/":
            if request.url.host == "closed.example.com":
                return httpx.Response(401, json=closed)
            return httpx.Response(200, json={"name": "Blog", "namespaces": ["wp/v2"]})
        return httpx.Response(200, json=[])

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        closed_site = WooCommerceClient(
            "https://closed.example.com", KEY, SECRET, http=http, sleep=clock.sleep
        )
        blog = WooCommerceClient("https://blog.example.com", KEY, SECRET, http=http, sleep=clock.sleep)
        assert closed_site.check_access() == "closed.example.com"
        with pytest.raises(ChannelError) as raised:
            blog.check_access()

    assert (
        raised.value.retryable is False and "without WooCommerce's REST API (wc/v3)" in raised.value.message
    )


# -- the catalog --------------------------------------------------------------------------------


def test_the_catalog_pages_through_products_and_their_variations(
    client: WooCommerceClient, store: WooStore, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(woo_client, "PAGE_SIZE", 30)  # three pages of products from a small store
    simple = next(v for v in store.variants() if v.variation_id is None)
    variable = next(v for v in store.variants() if v.variation_id is not None)
    for product_id in (simple.product_id, variable.product_id):
        store.update_product(product_id, {"status": "draft"})

    variants, pages = read_all(client)

    in_store = store.variants()
    assert [v.sku for v in variants] == [v.sku for v in in_store]  # SKU-00001 .. SKU-00120
    product_pages = [r.url.params["page"] for r in recorder.requests if r.url.path.endswith("/products")]
    assert pages == len(product_pages) == 3 and product_pages == ["1", "2", "3"]
    assert any("/variations" in path for path in recorder.paths())
    for variant, expected in zip(variants, in_store, strict=True):
        assert variant.inventory_item_id == expected.inventory_item_id
        assert variant.product_id == str(expected.product_id) and variant.location_id == ""
        assert variant.variant_id == str(expected.variation_id or expected.product_id)
        assert (variant.quantity, variant.barcode) == (expected.quantity, expected.barcode)
        assert variant.price == Decimal(expected.price)
        assert variant.status == (
            VariantStatus.ACTIVE if expected.status == "publish" else VariantStatus.HIDDEN
        )
    assert sum(v.barcode == "" for v in variants) == 10
    hidden = {v.product_id for v in variants if v.status is VariantStatus.HIDDEN}
    assert hidden == {str(simple.product_id), str(variable.product_id)}  # a draft's variations are hidden
    assert all(p.endswith(("/products", "/variations")) for p in recorder.paths())


def test_a_page_with_many_variable_products_resumes_inside_it(
    client: WooCommerceClient, store: WooStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(woo_client, "CATALOG_REQUEST_BUDGET", 3)
    monkeypatch.setattr(woo_client, "PAGE_SIZE", 30)
    variable_products = len({v.product_id for v in store.variants() if v.variation_id is not None})

    variants, pages = read_all(client)

    assert [v.sku for v in variants] == [v.sku for v in store.variants()]
    assert pages >= variable_products // 2  # each page read its products and at most two variation pages


def test_a_bad_cursor_is_a_channel_error(client: WooCommerceClient) -> None:
    with pytest.raises(ChannelError) as raised:
        client.read_catalog_page("not-a-cursor")
    assert raised.value.retryable is False and "start the catalog read again" in raised.value.message


# -- current values -----------------------------------------------------------------------------


def test_read_variants_reads_by_id_one_call_per_100_products_and_per_variable_product(
    clock: FakeClock, recorder: Recorder
) -> None:
    store = WooStore.generate(400, seed=9)
    in_store = store.variants()
    gone_simple = next(v for v in in_store if v.variation_id is None)
    gone_variation = next(v for v in in_store if v.variation_id is not None)
    foreign = VariantRef(
        sku="SKU-FOREIGN",
        variant_id="gid://shopify/ProductVariant/1",
        product_id="gid://shopify/Product/1",
        inventory_item_id="gid://shopify/InventoryItem/1",
        location_id="",
    )
    refs = [ref_for(v) for v in in_store] + [foreign]
    store.delete_by_hand(gone_simple.sku)
    store.delete_by_hand(gone_variation.sku)
    with serving(store, recorder, clock) as woo:
        expected = {v.sku: v for v in read_all(woo)[0]}
        before = len(recorder.requests)
        current = woo.read_variants(refs)

    assert current == [expected.get(ref.sku) for ref in refs]
    assert current.count(None) == 3 and current[in_store.index(gone_simple)] is None
    calls = recorder.requests[before:]
    product_calls = [r for r in calls if r.url.path.endswith("/products")]
    products = {v.product_id for v in in_store}
    parents = {v.product_id for v in in_store if v.variation_id is not None}
    assert len(products) > 200 and len(product_calls) == math.ceil(len(products) / 100)
    assert len(calls) == len(product_calls) + len(parents)  # one call for the variations of each
    asked = [int(i) for r in product_calls for i in r.url.params["include"].split(",")]
    assert sorted(asked) == sorted(products) and {r.url.params["per_page"] for r in calls} == {"100"}


def test_a_variant_moved_out_of_its_product_reads_as_gone(client: WooCommerceClient, store: WooStore) -> None:
    simple = next(v for v in store.variants() if v.variation_id is None)
    variation = next(v for v in store.variants() if v.variation_id is not None)
    assert variation.variation_id is not None
    as_variation_of_simple = ref_for(variation).model_copy(update={"product_id": str(simple.product_id)})
    parent_as_simple = ref_for(variation).model_copy(update={"variant_id": str(variation.product_id)})

    current = client.read_variants([as_variation_of_simple, parent_as_simple, ref_for(simple)])

    assert current[:2] == [None, None]  # a simple product has no variations; a variable one holds no stock
    assert current[2] is not None and current[2].quantity == simple.quantity


# -- pushing ------------------------------------------------------------------------------------


def test_push_then_read_back_simple_products_and_variations(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    in_store = store.variants()
    simple = [v for v in in_store if v.variation_id is None][:2]
    parent = next(v.product_id for v in in_store if v.variation_id is not None)
    variations = [v for v in in_store if v.product_id == parent]
    pushes = [
        push_for(simple[0], 17),
        push_for(variations[0], 0),
        push_for(simple[1], 50),
        push_for(variations[1], 3),
    ]

    results = client.push_quantities(pushes, "push-1")

    assert [(r.sku, r.outcome, r.observed) for r in results] == [
        (simple[0].sku, PushOutcome.PUSHED, 17),
        (variations[0].sku, PushOutcome.PUSHED, 0),
        (simple[1].sku, PushOutcome.PUSHED, 50),
        (variations[1].sku, PushOutcome.PUSHED, 3),
    ]
    assert [store.quantity(p.sku) for p in pushes] == [17, 0, 50, 3]
    assert recorder.bodies("/products/batch") == [
        {
            "update": [
                {"id": simple[0].product_id, "stock_quantity": 17, "manage_stock": True},
                {"id": simple[1].product_id, "stock_quantity": 50, "manage_stock": True},
            ]
        }
    ]
    assert recorder.bodies(f"/products/{parent}/variations/batch") == [
        {
            "update": [
                {"id": variations[0].variation_id, "stock_quantity": 0, "manage_stock": True},
                {"id": variations[1].variation_id, "stock_quantity": 3, "manage_stock": True},
            ]
        }
    ]
    read_back = {v.sku: v.quantity for v in read_all(client)[0]}
    assert [read_back[p.sku] for p in pushes] == [17, 0, 50, 3]


def test_refused_items_fail_with_the_fix_and_the_rest_is_written(
    client: WooCommerceClient, store: WooStore
) -> None:
    in_store = store.variants()
    gone_product, fine = [v for v in in_store if v.variation_id is None][:2]
    gone_variation = next(v for v in in_store if v.variation_id is not None)
    assert gone_variation.variation_id is not None
    pushes = [push_for(gone_product, 5), push_for(gone_variation, 6), push_for(fine, 7)]
    pushes.append(
        QuantityPush(
            sku="SKU-LOST", inventory_item_id="gid://shopify/InventoryItem/1", location_id="", quantity=1
        )
    )
    store.delete_by_hand(gone_product.sku)
    store.delete_by_hand(gone_variation.sku)

    results = client.push_quantities(pushes, "push-errors")

    assert [r.outcome for r in results] == [
        PushOutcome.FAILED,
        PushOutcome.FAILED,
        PushOutcome.PUSHED,
        PushOutcome.FAILED,
    ]
    assert results[0].message == (
        f"{gone_product.sku}: product {gone_product.product_id} does not exist on WooCommerce any more: "
        "link the listing again, or unlink it"
    )
    assert results[1].message == (
        f"{gone_variation.sku}: variation {gone_variation.variation_id} of product "
        f"{gone_variation.product_id} does not exist on WooCommerce any more: link the listing again, or "
        "unlink it"
    )
    assert results[3].message == (
        "SKU-LOST: inventory item id 'gid://shopify/InventoryItem/1' is not a WooCommerce product or "
        "variation: link the listing again, or unlink it"
    )
    assert store.quantity(fine.sku) == 7


def test_expected_is_ignored_the_last_write_wins(client: WooCommerceClient, store: WooStore) -> None:
    variant = store.variants()[0]
    push = push_for(variant, 30)
    store.edit_by_hand(variant.sku, {"quantity": 2})  # a sale since Tidemark last read

    result = client.push_quantities([push], "push-no-cas")[0]

    assert (result.outcome, result.observed) == (PushOutcome.PUSHED, 30) and store.quantity(variant.sku) == 30


def test_past_100_items_woocommerce_answers_413_and_the_client_names_the_limit(
    client: WooCommerceClient, store: WooStore, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(woo_client, "BATCH_LIMIT", 150)  # as if Tidemark's own limit were misconfigured
    monkeypatch.setattr(client, "quantity_batch_size", 150)
    simple = [v for v in store.variants() if v.variation_id is None]

    with pytest.raises(ChannelError) as raised:
        client.push_quantities([push_for(simple[i % len(simple)], 1) for i in range(101)], "push-413")

    assert raised.value.retryable is False
    assert "HTTP 413" in raised.value.message and "woocommerce_rest_batch_items_limit" in raised.value.message
    assert "Unable to accept more than 100 items for this request." in raised.value.message
    assert recorder.statuses == [413]
    with pytest.raises(ValueError, match="at most 100"):
        WooCommerceClient("http://x", KEY, SECRET).push_quantities([push_for(simple[0], 1)] * 101, "k")


def test_a_lost_answer_is_retried_and_the_absolute_value_lands_once(
    server: RunningServer, store: WooStore
) -> None:
    lost: list[bool] = []

    def lose_the_first_batch_answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/batch") and not lost:
            lost.append(True)
            with httpx.HTTPTransport() as transport:
                transport.handle_request(request).read()  # WooCommerce writes it...
            raise httpx.ReadTimeout("the answer was lost", request=request)  # ...we never hear back
        return None

    clock = FakeClock()
    recorder = Recorder(before=lose_the_first_batch_answer)
    variant = store.variants()[0]
    with httpx.Client(transport=recorder) as http:
        woo = WooCommerceClient(server.url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock)
        results = woo.push_quantities([push_for(variant, 31)], "push-lost")

    assert (results[0].outcome, results[0].observed) == (PushOutcome.PUSHED, 31)
    assert store.quantity(variant.sku) == 31 and len(clock.sleeps) == 1
    first, retry = recorder.requests  # signed afresh: the retry carries a new nonce
    assert dict(first.url.params)["oauth_nonce"] != dict(retry.url.params)["oauth_nonce"]


# -- prices and statuses ------------------------------------------------------------------------


def test_push_prices_sets_regular_price_as_a_string_by_batch(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    in_store = store.variants()
    simple = [v for v in in_store if v.variation_id is None][:2]
    parent = next(v.product_id for v in in_store if v.variation_id is not None)
    variations = [v for v in in_store if v.product_id == parent][:2]
    pushes = [
        price_for(simple[0], Decimal("12.5")),
        price_for(variations[0], Decimal("1E+1")),
        price_for(simple[1], 0),
        price_for(variations[1], Decimal("19.99")),
    ]

    results = client.push_prices(pushes, "prices-1")

    assert [(r.sku, r.outcome, r.message) for r in results] == [
        (p.sku, PushOutcome.PUSHED, "") for p in pushes
    ]
    assert recorder.bodies("/products/batch") == [
        {
            "update": [
                {"id": simple[0].product_id, "regular_price": "12.5"},
                {"id": simple[1].product_id, "regular_price": "0"},
            ]
        }
    ]
    assert recorder.bodies(f"/products/{parent}/variations/batch") == [
        {
            "update": [
                {"id": variations[0].variation_id, "regular_price": "10"},
                {"id": variations[1].variation_id, "regular_price": "19.99"},
            ]
        }
    ]
    current = client.read_variants([ref_for(v) for v in (simple[0], variations[0], simple[1], variations[1])])
    assert [v.price if v else None for v in current] == [Decimal("12.5"), 10, 0, Decimal("19.99")]


def test_push_statuses_publish_or_make_private_the_product_or_the_variation_itself(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    simple = next(v for v in store.variants() if v.variation_id is None and v.status == "publish")
    variation = next(v for v in store.variants() if v.variation_id is not None and v.status == "publish")
    assert variation.variation_id is not None
    refs = [ref_for(simple), ref_for(variation)]

    hidden = client.push_statuses([status_for(v, VariantStatus.HIDDEN) for v in (simple, variation)], "s-1")
    seen_hidden = [v.status if v else None for v in client.read_variants(refs)]
    shown = client.push_statuses([status_for(v, VariantStatus.ACTIVE) for v in (simple, variation)], "s-2")
    seen_shown = [v.status if v else None for v in client.read_variants(refs)]

    assert {r.outcome for r in hidden + shown} == {PushOutcome.PUSHED}
    assert seen_hidden == [VariantStatus.HIDDEN, VariantStatus.HIDDEN]
    assert seen_shown == [VariantStatus.ACTIVE, VariantStatus.ACTIVE]
    assert recorder.bodies("/products/batch") == [
        {"update": [{"id": simple.product_id, "status": "private"}]},
        {"update": [{"id": variation.product_id, "status": "publish"}]},  # showing a variation
        {"update": [{"id": simple.product_id, "status": "publish"}]},
    ]
    assert recorder.bodies(f"/products/{variation.product_id}/variations/batch") == [
        {"update": [{"id": variation.variation_id, "status": "private"}]},
        {"update": [{"id": variation.variation_id, "status": "publish"}]},
    ]
    assert store.get_product(variation.product_id)["status"] == "publish"


def test_showing_a_variation_of_a_draft_product_publishes_the_product(
    client: WooCommerceClient, store: WooStore
) -> None:
    variation = next(v for v in store.variants() if v.variation_id is not None)
    store.update_product(variation.product_id, {"status": "draft"})
    (before,) = client.read_variants([ref_for(variation)])
    assert before is not None and before.status is VariantStatus.HIDDEN

    (result,) = client.push_statuses([status_for(variation, VariantStatus.ACTIVE)], "s-1")

    (after,) = client.read_variants([ref_for(variation)])
    assert result.outcome is PushOutcome.PUSHED
    assert after is not None and after.status is VariantStatus.ACTIVE
    assert store.get_product(variation.product_id)["status"] == "publish"


def test_prices_and_statuses_for_gone_items_fail_with_the_fix_and_the_rest_is_written(
    client: WooCommerceClient, store: WooStore
) -> None:
    in_store = store.variants()
    gone_product, fine = [v for v in in_store if v.variation_id is None][:2]
    gone_variation = next(v for v in in_store if v.variation_id is not None)
    foreign = PricePush(
        sku="SKU-FOREIGN",
        variant_id="gid://shopify/ProductVariant/1",
        product_id="gid://shopify/Product/1",
        price=1,
    )
    store.delete_by_hand(gone_product.sku)
    store.delete_by_hand(gone_variation.sku)

    prices = client.push_prices(
        [price_for(gone_product, 1), price_for(gone_variation, 2), price_for(fine, 3), foreign], "p-errors"
    )
    statuses = client.push_statuses(
        [status_for(gone_product, VariantStatus.HIDDEN), status_for(fine, VariantStatus.HIDDEN)], "s-errors"
    )

    assert [r.outcome for r in prices] == [
        PushOutcome.FAILED,
        PushOutcome.FAILED,
        PushOutcome.PUSHED,
        PushOutcome.FAILED,
    ]
    assert (
        prices[0].message
        == statuses[0].message
        == (
            f"{gone_product.sku}: product {gone_product.product_id} does not exist on WooCommerce any more: "
            "link the listing again, or unlink it"
        )
    )
    assert prices[1].message == (
        f"{gone_variation.sku}: variation {gone_variation.variation_id} of product "
        f"{gone_variation.product_id} does not exist on WooCommerce any more: link the listing again, or "
        "unlink it"
    )
    assert prices[3].message == (
        "SKU-FOREIGN: variant 'gid://shopify/ProductVariant/1' of product 'gid://shopify/Product/1' is not a "
        "WooCommerce product or variation: link the listing again, or unlink it"
    )
    assert statuses[1].outcome is PushOutcome.PUSHED
    assert store.get_product(fine.product_id)["regular_price"] == "3"
    assert store.get_product(fine.product_id)["status"] == "private"


def test_other_item_errors_are_named_with_their_fix(clock: FakeClock) -> None:
    answer = {
        "update": [
            {
                "id": 11,
                "error": {
                    "code": "product_invalid_sku",
                    "message": "Invalid or duplicated SKU.",
                    "data": {"status": 400, "resource_id": 12, "unique_sku": "A-1"},
                },
            },
            {
                "id": 13,
                "error": {
                    "code": "woocommerce_rest_cannot_edit",
                    "message": "Sorry, you are not allowed to edit this resource.",
                    "data": {"status": 401},
                },
            },
            {
                "id": 14,
                "error": {"code": "price_locked", "message": "Prices are locked.", "data": {"status": 400}},
            },
        ]
    }
    pushes = [
        PricePush(sku=sku, variant_id=i, product_id=i, price=1)
        for sku, i in (("A", "11"), ("B", "13"), ("C", "14"))
    ]
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))) as http:
        woo = WooCommerceClient(
            "https://shop.example.com", KEY, SECRET, http=http, sleep=clock.sleep, clock=clock
        )
        results = woo.push_prices(pushes, "k")

    assert [r.message for r in results] == [
        "A: WooCommerce would not save product 11: its SKU is also used by item 12 (product_invalid_sku: "
        "Invalid or duplicated SKU.); make the SKUs unique on WooCommerce, then push again",
        "B: the key's user may not edit product 13 on WooCommerce: give the user the shop manager role, or "
        "use a key of an administrator",
        "C: WooCommerce refused the price for product 14 (price_locked: Prices are locked.); check the item "
        "on WooCommerce",
    ]


def test_price_and_status_batches_hold_at_most_100(client: WooCommerceClient, store: WooStore) -> None:
    variant = store.variants()[0]

    assert (client.price_batch_size, client.status_batch_size) == (100, 100)
    with pytest.raises(ValueError, match="at most 100 prices"):
        client.push_prices([price_for(variant, 1)] * 101, "k")
    with pytest.raises(ValueError, match="at most 100 statuses"):
        client.push_statuses([status_for(variant, VariantStatus.ACTIVE)] * 101, "k")


# -- throttling and failures --------------------------------------------------------------------


def test_a_429_is_waited_out_and_the_client_slows_down() -> None:
    store = WooStore.generate(400, seed=2)
    clock = FakeClock()
    with serve_in_thread(create_app(store, KEY, SECRET, rate=2.0, clock=clock)) as limited:
        recorder = Recorder()
        with httpx.Client(transport=recorder) as http:
            woo = WooCommerceClient(limited.url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock)
            assert woo.request_rate is None  # no pacing until a host complains
            variants, _ = read_all(woo)

    assert len(variants) == len(store.variants())
    # the host's first-second burst makes the first pace too fast; each 429 slows it, and they stop
    statuses = recorder.statuses
    assert 1 < statuses.count(429) <= 5
    assert 429 not in statuses[-30:]
    assert 1.0 in clock.sleeps  # the Retry-After the host sent
    assert woo.request_rate is not None and 1.6 < woo.request_rate < 2.1


def test_retry_after_as_an_http_date_is_honoured(clock: FakeClock) -> None:
    answers = iter(
        [
            httpx.Response(
                429,
                headers={
                    "Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT",
                    "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
                },
            ),
            httpx.Response(503, headers={"Retry-After": "4"}),
            httpx.Response(200, json=[], headers={"X-WP-TotalPages": "0"}),
        ]
    )
    with httpx.Client(transport=httpx.MockTransport(lambda request: next(answers))) as http:
        woo = WooCommerceClient(
            "http://shop.example.com", KEY, SECRET, http=http, sleep=clock.sleep, clock=clock
        )
        page = woo.read_catalog_page(None)

    assert page.variants == [] and page.next_cursor is None
    assert clock.sleeps[:2] == [30.0, 4.0]
    assert woo.request_rate is not None


def test_a_very_long_retry_after_gives_up_retryably(clock: FakeClock) -> None:
    with httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "3600"}))
    ) as http:
        woo = WooCommerceClient(
            "https://shop.example.com", KEY, SECRET, http=http, sleep=clock.sleep, clock=clock
        )
        with pytest.raises(ChannelError) as raised:
            woo.read_catalog_page(None)

    assert raised.value.retryable is True and "3600 s" in raised.value.message


def test_5xx_backs_off_five_times_then_is_a_retryable_error(clock: FakeClock) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(502))) as http:
        woo = WooCommerceClient(
            "https://shop.example.com", KEY, SECRET, http=http, sleep=clock.sleep, clock=clock
        )
        with pytest.raises(ChannelError) as raised:
            woo.push_quantities(
                [QuantityPush(sku="A", inventory_item_id="12", location_id="", quantity=1)], "k"
            )

    assert raised.value.retryable is True and "HTTP 502" in raised.value.message
    assert len(clock.sleeps) == 4  # five attempts, four waits between them
    assert all(0.25 <= wait <= 8 for wait in clock.sleeps) and clock.sleeps[3] > clock.sleeps[0]


def test_other_4xx_carry_woocommerces_message(clock: FakeClock) -> None:
    refusal = {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): orderby",
        "data": {"status": 400},
    }
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(400, json=refusal))) as http:
        woo = WooCommerceClient(
            "https://shop.example.com", KEY, SECRET, http=http, sleep=clock.sleep, clock=clock
        )
        with pytest.raises(ChannelError) as raised:
            woo.read_catalog_page(None)

    assert raised.value.retryable is False and not isinstance(raised.value, ChannelAuthError)
    assert "rest_invalid_param: Invalid parameter(s): orderby" in raised.value.message and clock.sleeps == []


def test_close_leaves_an_injected_http_client_open(server: RunningServer) -> None:
    with httpx.Client() as http:
        WooCommerceClient(server.url, KEY, SECRET, http=http).close()
        assert not http.is_closed
    own = WooCommerceClient(server.url, KEY, SECRET)
    own.close()
    assert own._http.is_closed


# -- orders -----------------------------------------------------------------------------------


def test_read_order_says_whether_woocommerce_holds_the_order_cancelled(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    order = store.place_order([("SKU-00001", 1)])
    placed = client.read_order(str(order["id"]))
    store.cancel_order(order["id"])

    assert placed == ChannelOrder(order_id=str(order["id"]), cancelled=False)
    assert client.read_order(str(order["id"])) == ChannelOrder(order_id=str(order["id"]), cancelled=True)
    assert recorder.paths("GET") == [f"/wp-json/wc/v3/orders/{order['id']}"] * 2
    assert dict(parse_qsl(recorder.requests[0].url.query.decode()))["_fields"] == "id,status"


def test_read_order_is_none_for_an_order_woocommerce_does_not_know(
    client: WooCommerceClient, recorder: Recorder
) -> None:
    assert client.read_order("999999") is None
    assert recorder.statuses == [404]
    assert client.read_order("not-an-order") is None and len(recorder.requests) == 1  # never sent


def test_only_a_cancelled_order_reads_as_cancelled() -> None:
    statuses = ("cancelled", "refunded", "pending", "processing", "completed")
    assert [order_state("1", {"status": status}).cancelled for status in statuses] == [True] + [False] * 4


def test_read_order_past_a_missing_route_is_the_stores_fault_not_a_missing_order(clock: FakeClock) -> None:
    no_route = {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}}
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404, json=no_route))) as http:
        woo = WooCommerceClient(
            "https://shop.example.com", KEY, SECRET, http=http, sleep=clock.sleep, clock=clock
        )
        with pytest.raises(ChannelError) as raised:
            woo.read_order("12")

    assert raised.value.retryable is False and "permalinks" in raised.value.message


def test_read_order_rides_out_server_errors(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    order = store.place_order([("SKU-00001", 1)])
    store.cancel_order(order["id"])
    store.faults.configure(FaultRates(server_error=0.3))

    reads = [client.read_order(str(order["id"])) for _ in range(10)]

    assert {read.cancelled if read else None for read in reads} == {True}
    errors = [status for status in recorder.statuses if status >= 500]
    assert len(errors) == store.faults.counts()["server_error"] > 0


# -- faults the sandbox injects ------------------------------------------------------------------


def test_the_client_rides_out_a_share_of_5xx(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    store.faults.configure(FaultRates(server_error=0.3))
    simple = [v for v in store.variants() if v.variation_id is None][:50]

    variants, _ = read_all(client)
    quantities = client.push_quantities([push_for(v, 40) for v in simple], "q-5xx")
    prices = client.push_prices([price_for(v, 5) for v in simple], "p-5xx")

    assert [v.sku for v in variants] == [v.sku for v in store.variants()]
    assert {r.outcome for r in quantities + prices} == {PushOutcome.PUSHED}
    assert {(store.quantity(v.sku), store.get_product(v.product_id)["regular_price"]) for v in simple} == {
        (40, "5")
    }
    errors = [status for status in recorder.statuses if status >= 500]
    assert len(errors) == store.faults.counts()["server_error"] > 0


def test_a_burst_of_429s_is_waited_out_with_its_retry_after(
    client: WooCommerceClient, store: WooStore, recorder: Recorder, clock: FakeClock
) -> None:
    store.faults.configure(FaultRates(throttle_burst=0.2, burst_length=3, retry_after_seconds=2))
    simple = [v for v in store.variants() if v.variation_id is None][:50]

    variants, _ = read_all(client)
    results = client.push_quantities([push_for(v, 21) for v in simple], "q-429")

    assert len(variants) == len(store.variants()) and {r.outcome for r in results} == {PushOutcome.PUSHED}
    assert {store.quantity(v.sku) for v in simple} == {21}
    throttled = recorder.statuses.count(429)
    assert throttled == store.faults.counts()["throttled"] and "429, 429, 429" in str(recorder.statuses)
    assert clock.sleeps.count(2.0) >= throttled  # Retry-After: 2, after each
    assert client.request_rate is not None  # and the client paces itself since


def test_a_request_that_times_out_is_sent_again(
    server: RunningServer, store: WooStore, clock: FakeClock
) -> None:
    store.faults.configure(FaultRates(timeout=0.5, timeout_seconds=1.0))
    simple = [v for v in store.variants() if v.variation_id is None][:10]
    recorder = Recorder()
    with httpx.Client(transport=recorder, timeout=0.25) as http:
        woo = WooCommerceClient(server.url, KEY, SECRET, http=http, sleep=clock.sleep, clock=clock)
        quantities = woo.push_quantities([push_for(v, 12) for v in simple], "q-timeout")
        prices = woo.push_prices([price_for(v, 8) for v in simple], "p-timeout")
        statuses = woo.push_statuses([status_for(v, VariantStatus.HIDDEN) for v in simple], "s-timeout")

    assert {r.outcome for r in quantities + prices + statuses} == {PushOutcome.PUSHED}
    finals = {
        (item["stock_quantity"], item["regular_price"], item["status"])
        for item in (store.get_product(v.product_id) for v in simple)
    }
    assert finals == {(12, "8", "private")}
    unanswered = len(recorder.requests) - len(recorder.statuses)  # the client gave up waiting on these
    assert unanswered == store.faults.counts()["timeout"] > 0


def test_lost_answers_are_sent_again_and_the_absolute_values_land_once(
    client: WooCommerceClient, store: WooStore, recorder: Recorder
) -> None:
    store.faults.configure(FaultRates(lost_answer=0.5))
    simple = [v for v in store.variants() if v.variation_id is None][:20]

    quantities = client.push_quantities([push_for(v, 9) for v in simple], "q-lost")
    prices = client.push_prices([price_for(v, Decimal("7.25")) for v in simple], "p-lost")
    statuses = client.push_statuses([status_for(v, VariantStatus.HIDDEN) for v in simple], "s-lost")

    lost = store.faults.counts()["lost_answer"]
    assert lost >= 2 and recorder.statuses.count(502) == lost  # applied, then answered 502
    assert {r.outcome for r in quantities + prices + statuses} == {PushOutcome.PUSHED}
    bodies = recorder.bodies("/products/batch")
    assert (
        len(bodies) == 3 + lost and len({json.dumps(b) for b in bodies}) == 3
    )  # each retry sent the same values
    finals = {
        (item["stock_quantity"], item["regular_price"], item["status"])
        for item in (store.get_product(v.product_id) for v in simple)
    }
    assert finals == {(9, "7.25", "private")}


# -- the official client ------------------------------------------------------------------------


def test_the_official_woocommerce_package_works_against_the_sandbox(
    server: RunningServer, store: WooStore
) -> None:
    woocommerce = pytest.importorskip("woocommerce")
    api = woocommerce.API(
        url=server.url, consumer_key=KEY, consumer_secret=SECRET, version="wc/v3", timeout=10
    )
    variation = next(v for v in store.variants() if v.variation_id is not None)

    products = api.get("products", params={"per_page": 3, "orderby": "id", "order": "asc"})
    variations = api.get(f"products/{variation.product_id}/variations")
    batch = api.post(
        "products/batch", {"update": [{"id": store.variants()[0].product_id, "stock_quantity": 4}]}
    )
    put = api.put(
        f"products/{variation.product_id}/variations/{variation.variation_id}", {"stock_quantity": 9}
    )

    assert products.status_code == 200, products.text
    assert [p["sku"] for p in products.json()][:1] == ["SKU-00001"] and products.headers["X-WP-TotalPages"]
    assert variation.variation_id in [v["id"] for v in variations.json()]
    assert batch.json()["update"][0]["stock_quantity"] == 4 and store.quantity("SKU-00001") == 4
    assert put.json()["stock_quantity"] == 9 and store.quantity(variation.sku) == 9
    order = store.place_order([("SKU-00001", 1)])
    read, unknown = api.get(f"orders/{order['id']}"), api.get("orders/999999")
    assert read.status_code == 200 and read.json()["status"] == "processing", read.text
    assert (unknown.status_code, unknown.json()["code"]) == (404, "woocommerce_rest_shop_order_invalid_id")


def test_the_official_woocommerce_package_deletes_against_the_sandbox(
    server: RunningServer, store: WooStore
) -> None:
    woocommerce = pytest.importorskip("woocommerce")
    api = woocommerce.API(
        url=server.url, consumer_key=KEY, consumer_secret=SECRET, version="wc/v3", timeout=10
    )
    simple, other = [v for v in store.variants() if v.variation_id is None][:2]
    variation = next(v for v in store.variants() if v.variation_id is not None)

    trashed = api.delete(f"products/{simple.product_id}")
    forced = api.delete(f"products/{other.product_id}", params={"force": True})
    variation_gone = api.delete(
        f"products/{variation.product_id}/variations/{variation.variation_id}", params={"force": True}
    )
    listed = api.get("products", params={"include": f"{simple.product_id},{other.product_id}"})

    assert trashed.status_code == 200, trashed.text
    assert trashed.json()["id"] == simple.product_id and forced.json()["id"] == other.product_id
    assert variation_gone.json()["id"] == variation.variation_id
    assert listed.json() == []
    assert api.get(f"products/{other.product_id}").status_code == 404
    assert variation.sku not in {v.sku for v in store.variants()}
