"""EbayClient against the eBay sandbox over real loopback HTTP: OAuth, pages, 25-per-call pushes,
unpublished offers skipped, status, the daily quota, 429s and lost answers."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.channels.base import (
    ChannelError,
    PricePush,
    PushOutcome,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)
from shared.channels.ebay import EbayClient
from shared.channels.ebay.auth import EbayAuthError
from tests.fakes import FakeClock
from tidemark.sandbox.ebay import DailyQuota, EbayStore, OAuth, create_app
from tidemark.sandbox.faults import FaultRates
from tidemark.sandbox.server import RunningServer, serve_in_thread

pytestmark = pytest.mark.integration

CLIENT_ID = "Tidemark-app-PRD-0001"
CLIENT_SECRET = "PRD-cert-0002"
REFRESH = "v^1.1#i^1#r^1#refresh-0003"


class Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self._inner.handle_request(request)
        response.read()
        return response

    def close(self) -> None:
        self._inner.close()

    def count(self, path_end: str, method: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if r.url.path.endswith(path_end) and (method is None or r.method == method)
        )


class Sandbox:
    def __init__(
        self,
        store: EbayStore,
        clock: FakeClock,
        *,
        token_seconds: int = 7200,
        quota: int = 5000,
        window: int = 86_400,
    ) -> None:
        self.store = store
        self.oauth = OAuth(CLIENT_ID, CLIENT_SECRET, REFRESH, token_seconds=token_seconds, wall_clock=clock)
        self.quota = DailyQuota(limit=quota, window_seconds=window, wall_clock=clock)
        self.server: RunningServer = serve_in_thread(create_app(store, self.oauth, self.quota))
        self.url = self.server.url


@pytest.fixture
def clock() -> FakeClock:
    clock = FakeClock()
    clock.now = 1_780_000_000.0  # a wall clock: the quota's reset is a date
    return clock


@pytest.fixture
def store() -> EbayStore:
    return EbayStore.generate(450, seed=5)


@pytest.fixture
def sandbox(store: EbayStore, clock: FakeClock) -> Iterator[Sandbox]:
    running = Sandbox(store, clock)
    yield running
    running.server.stop()


def client_for(
    sandbox: Sandbox, clock: FakeClock, recorder: Recorder | None = None, **options: Any
) -> EbayClient:
    http = httpx.Client(transport=recorder or Recorder(), timeout=10.0)
    secret = options.pop("client_secret", CLIENT_SECRET)
    refresh = options.pop("refresh_token", REFRESH)
    return EbayClient(
        sandbox.url, CLIENT_ID, secret, refresh, http=http, sleep=clock.sleep, clock=clock, **options
    )


def offer_id(store: EbayStore, sku: str) -> str:
    return next(o.offer_id for o in store.offers.values() if o.sku == sku)


def quantity_push(store: EbayStore, sku: str, quantity: int) -> QuantityPush:
    return QuantityPush(
        sku=sku, inventory_item_id=offer_id(store, sku), location_id="EBAY_US", quantity=quantity
    )


def test_the_catalog_reads_pages_of_200_and_each_skus_offers(
    sandbox: Sandbox, store: EbayStore, clock: FakeClock
) -> None:
    recorder = Recorder()
    client = client_for(sandbox, clock, recorder)
    variants, cursor, pages = [], None, 0
    while True:
        page = client.read_catalog_page(cursor)
        pages += 1
        variants += page.variants
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert len(variants) == 450
    assert recorder.count("/inventory_item") == 3
    assert recorder.count("/offer") == 450
    first = variants[0]
    assert (first.sku, first.variant_id, first.location_id) == (
        "SKU-00001",
        offer_id(store, "SKU-00001"),
        "EBAY_US",
    )
    assert first.quantity == store.offers[first.variant_id].available_quantity
    assert first.price == store.offers[first.variant_id].price
    assert {v.status for v in variants} == {VariantStatus.ACTIVE, VariantStatus.HIDDEN}
    assert any(v.barcode == "" for v in variants)
    assert client.tokens.fetched == 2  # one user token for every call, one app token for the quota


def test_read_variants_gives_none_for_an_offer_gone(
    sandbox: Sandbox, store: EbayStore, clock: FakeClock
) -> None:
    client = client_for(sandbox, clock)
    refs = [
        VariantRef(
            sku=sku,
            variant_id=offer_id(store, sku),
            product_id=sku,
            inventory_item_id=offer_id(store, sku),
            location_id="EBAY_US",
        )
        for sku in ("SKU-00001", "SKU-00002")
    ]
    store.delete_by_hand("SKU-00002")
    found = client.read_variants(refs)
    assert found[0] is not None and found[0].sku == "SKU-00001"
    assert found[1] is None


def test_25_quantities_go_in_one_bulk_call(sandbox: Sandbox, store: EbayStore, clock: FakeClock) -> None:
    recorder = Recorder()
    client = client_for(sandbox, clock, recorder)
    skus = [f"SKU-{n:05d}" for n in range(1, 30) if n % 10][:25]
    assert client.quantity_batch_size == 25
    results = client.push_quantities([quantity_push(store, sku, 3) for sku in skus], "job-1")
    assert [r.outcome for r in results] == [PushOutcome.PUSHED] * 25
    assert recorder.count("/bulk_update_price_quantity") == 1
    assert all(store.offers[offer_id(store, sku)].available_quantity == 3 for sku in skus)
    assert all(store.items[sku].quantity == 3 for sku in skus)
    with pytest.raises(ValueError, match="at most 25"):
        client.push_quantities([quantity_push(store, "SKU-00001", 1)] * 26, "job-2")


def test_an_unpublished_offer_is_skipped_with_the_reason(
    sandbox: Sandbox, store: EbayStore, clock: FakeClock
) -> None:
    client = client_for(sandbox, clock)
    before = store.offers[offer_id(store, "SKU-00010")].available_quantity
    results = client.push_quantities(
        [quantity_push(store, "SKU-00009", 4), quantity_push(store, "SKU-00010", 4)], "job-1"
    )
    assert results[0].outcome is PushOutcome.PUSHED
    assert results[1].outcome is PushOutcome.FAILED
    assert results[1].message.startswith("skipped: offer")
    assert "publish it" in results[1].message
    assert store.offers[offer_id(store, "SKU-00010")].available_quantity == before


def test_prices_go_in_the_marketplaces_currency(sandbox: Sandbox, store: EbayStore, clock: FakeClock) -> None:
    client = client_for(sandbox, clock)
    pushes = [
        PricePush(sku=sku, variant_id=offer_id(store, sku), product_id=sku, price=Decimal("9.95"))
        for sku in ("SKU-00001", "SKU-00002")
    ]
    assert [r.outcome for r in client.push_prices(pushes, "job-1")] == [PushOutcome.PUSHED] * 2
    assert store.offers[offer_id(store, "SKU-00002")].price == Decimal("9.95")


def test_status_withdraws_and_publishes_and_an_offer_already_hidden_counts_as_pushed(
    sandbox: Sandbox, store: EbayStore, clock: FakeClock
) -> None:
    client = client_for(sandbox, clock)

    def push(sku: str, status: VariantStatus) -> StatusPush:
        return StatusPush(sku=sku, variant_id=offer_id(store, sku), product_id=sku, status=status)

    results = client.push_statuses(
        [
            push("SKU-00001", VariantStatus.HIDDEN),
            push("SKU-00010", VariantStatus.HIDDEN),
            push("SKU-00020", VariantStatus.ACTIVE),
        ],
        "job-1",
    )
    assert [r.outcome for r in results] == [PushOutcome.PUSHED] * 3
    assert not store.offers[offer_id(store, "SKU-00001")].published
    assert store.offers[offer_id(store, "SKU-00020")].published


def test_the_token_is_refreshed_ahead_of_expiry_and_after_a_401(store: EbayStore, clock: FakeClock) -> None:
    sandbox = Sandbox(store, clock, token_seconds=600)
    try:
        client = client_for(sandbox, clock)
        client.read_variants([])
        client.check_access()
        client.check_access()
        assert sandbox.oauth.issued == 2  # the user's token and the app's (the quota), once each
        clock.advance(301)  # within 5 minutes of the expiry
        client.check_access()
        assert sandbox.oauth.issued == 3
        sandbox.oauth._tokens.clear()  # eBay forgets it (revoked, or expired early)
        assert client.check_access().startswith("eBay seller")
        assert sandbox.oauth.issued == 4  # the user's token again, after the 401
    finally:
        sandbox.server.stop()


def test_wrong_credentials_and_marketplace_name_their_field(sandbox: Sandbox, clock: FakeClock) -> None:
    with pytest.raises(EbayAuthError) as wrong_secret:
        client_for(sandbox, clock, client_secret="nope").check_access()
    assert wrong_secret.value.field == "client_id"
    with pytest.raises(EbayAuthError) as wrong_refresh:
        client_for(sandbox, clock, refresh_token="v^1.1#other").check_access()
    assert wrong_refresh.value.field == "refresh_token"
    assert "consents again" in wrong_refresh.value.message
    with pytest.raises(EbayAuthError) as wrong_market:
        client_for(sandbox, clock, marketplace_id="EBAY_XX").check_access()
    assert wrong_market.value.field == "marketplace_id"


def test_the_quota_is_waited_for_when_its_reset_is_near(store: EbayStore, clock: FakeClock) -> None:
    sandbox = Sandbox(store, clock, quota=5, window=30)
    try:
        client = client_for(sandbox, clock)
        for _ in range(8):
            client.check_access()
        assert sandbox.quota.refused == 0  # the client waited instead of being refused
        assert 0 < client.quota.waited <= 30
    finally:
        sandbox.server.stop()


def test_a_spent_daily_quota_fails_with_its_reset_and_never_spins(store: EbayStore, clock: FakeClock) -> None:
    sandbox = Sandbox(store, clock, quota=3)
    try:
        recorder = Recorder()
        client = client_for(sandbox, clock, recorder)
        for _ in range(3):
            client.check_access()
        with pytest.raises(ChannelError) as spent:
            client.check_access()
        assert spent.value.retryable
        assert "daily call quota" in spent.value.message
        assert "UTC" in spent.value.message
        assert recorder.count("/inventory_item") == 3  # the fourth was never sent
        other = client_for(sandbox, clock)  # another container, whose count started elsewhere
        sandbox.quota.count = 3
        with pytest.raises(ChannelError, match="daily call quota"):
            other.check_access()
    finally:
        sandbox.server.stop()


def test_a_429_burst_is_waited_out(sandbox: Sandbox, store: EbayStore, clock: FakeClock) -> None:
    client = client_for(sandbox, clock)
    client.check_access()
    store.faults.configure(FaultRates(retry_after_seconds=2))
    store.faults._burst_left = 3  # a burst of three 429s with Retry-After running now
    assert (
        client.push_quantities([quantity_push(store, "SKU-00001", 6)], "job-1")[0].outcome
        is PushOutcome.PUSHED
    )
    assert store.faults.counts().get("throttled") == 3
    assert clock.sleeps.count(2.0) == 3


def test_a_lost_answer_is_sent_again_with_the_same_absolute_value(
    sandbox: Sandbox, store: EbayStore, clock: FakeClock
) -> None:
    client = client_for(sandbox, clock)
    client.check_access()
    store.faults.configure(FaultRates(lost_answer=1.0))
    sent = {"n": 0}
    original = store.faults.api_fault

    def once() -> str | None:
        sent["n"] += 1
        return original() if sent["n"] == 1 else None

    store.faults.api_fault = once  # type: ignore[method-assign]
    result = client.push_quantities([quantity_push(store, "SKU-00001", 11)], "job-1")[0]
    assert result.outcome is PushOutcome.PUSHED
    offer = store.offers[offer_id(store, "SKU-00001")]
    assert offer.available_quantity == 11
    assert offer.revisions == 2  # the cost of a lost answer: a second revision of the same value


def test_a_listing_shown_again_by_a_push_gets_its_quantity_and_price_though_they_went_first(
    sandbox: Sandbox, store: EbayStore, clock: FakeClock
) -> None:
    """A push batch sends quantities, prices, then statuses; eBay revises only published offers, so
    a listing withdrawn by hand and published again by a partial sync kept its stale quantity (the
    soak found it): what was refused for that goes again once the batch published it."""
    from shared.domain.messages import PushMessage
    from shared.domain.syncing import SyncPlan
    from shared.services.pushing import send_plan

    sku = "SKU-00010"  # unpublished
    offer = store.offers[offer_id(store, sku)]
    plan = SyncPlan(
        quantities=[quantity_push(store, sku, 7)],
        prices=[PricePush(sku=sku, variant_id=offer.offer_id, product_id=sku, price=Decimal("12.34"))],
        statuses=[
            StatusPush(sku=sku, variant_id=offer.offer_id, product_id=sku, status=VariantStatus.ACTIVE)
        ],
    )
    message = PushMessage(job_id="job-1", channel="bay", batch_id="batch-1", skus=[sku])

    sent = send_plan(client_for(sandbox, clock), plan, message)

    assert [result.outcome for _, result in sent] == [PushOutcome.PUSHED] * 3, sent
    assert (offer.published, offer.available_quantity, offer.price) == (True, 7, Decimal("12.34"))
