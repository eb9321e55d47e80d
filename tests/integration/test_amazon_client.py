"""AmazonClient against the Amazon sandbox: in process on one fake clock (the usage plans' waits and
a feed's processing take no real time), and once over real loopback HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.channels.amazon import AmazonClient
from shared.channels.base import (
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
from tests.fakes import FakeClock, InProcess
from tidemark.sandbox.amazon import US_MARKETPLACE, AmazonStore, create_app
from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.server import serve_in_thread

pytestmark = pytest.mark.integration

SELLER = "A1SANDBOXSELLER"
CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "secret-of-the-app"
REFRESH = "Atzr|the-sellers-grant"
ENDPOINT = "http://sellingpartnerapi.test"


class Account:
    """A sandbox seller and a client of it, on one fake clock."""

    def __init__(self, listings: int = 40, *, token_seconds: int = 3600, **client: Any) -> None:
        self.clock = FakeClock()
        self.store = AmazonStore.generate(
            listings, seed=5, shared_upcs=1, blank_identifiers=2, faults=Faults(seed=9)
        )
        self.app = create_app(
            self.store, CLIENT_ID, CLIENT_SECRET, REFRESH, token_seconds=token_seconds, clock=self.clock
        )
        self.http = httpx.Client(transport=InProcess(self.app))
        self.client = self.connect(**client)

    def connect(self, **overrides: Any) -> AmazonClient:
        options: dict[str, Any] = {
            "seller_id": SELLER,
            "marketplace_id": US_MARKETPLACE,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH,
            "lwa_url": f"{ENDPOINT}/auth/o2/token",
            "http": self.http,
            "sleep": self.clock.sleep,
            "clock": self.clock,
            **overrides,
        }
        return AmazonClient(ENDPOINT, **options)

    def counters(self) -> dict[str, Any]:
        return dict(self.http.get(f"{ENDPOINT}/admin/sandbox/amazon/counters").json())


def quantities(skus: list[str], value: int = 7) -> list[QuantityPush]:
    return [
        QuantityPush(sku=s, inventory_item_id=s, location_id="DEFAULT", quantity=value + n)
        for n, s in enumerate(skus)
    ]


def skus(count: int, start: int = 1) -> list[str]:
    return [f"SKU-{n:05d}" for n in range(start, start + count)]


def test_the_access_token_is_exchanged_once_shared_and_refreshed_ahead_of_its_hour() -> None:
    account = Account()
    assert account.client.check_access() == f"Amazon seller {SELLER} ({US_MARKETPLACE})"
    account.client.push_quantities(quantities(skus(3)), "k1")
    account.client.read_variants(
        [
            VariantRef(
                sku="SKU-00001",
                variant_id="SKU-00001",
                product_id="",
                inventory_item_id="SKU-00001",
                location_id="DEFAULT",
            )
        ]
    )
    assert account.client.token.exchanges == 1 and account.counters()["token_exchanges"] == 1
    account.clock.advance(3200)  # 400 s left: still used
    account.client.check_access()
    assert account.client.token.exchanges == 1
    account.clock.advance(150)  # 250 s left: inside the 5 minutes ahead, so exchanged before it lapses
    account.client.check_access()
    assert account.client.token.exchanges == 2


def test_a_token_refused_as_expired_is_exchanged_again_and_the_call_made() -> None:
    account = Account()
    account.client.check_access()
    account.http.post(f"{ENDPOINT}/admin/sandbox/amazon/expire-tokens")
    results = account.client.push_quantities(quantities(["SKU-00002"], 9), "k")
    assert results[0].outcome is PushOutcome.PUSHED and account.store.items["SKU-00002"].quantity == 9
    assert account.client.token.exchanges == 2


@pytest.mark.parametrize(
    ("overrides", "error", "names"),
    [
        ({"client_secret": "wrong"}, ChannelAuthError, "--client-secret"),
        ({"refresh_token": "Atzr|revoked"}, ChannelAuthError, "--refresh-token"),
        ({"seller_id": "A2SOMEONEELSE"}, ChannelAuthError, "--seller-id"),
        ({"marketplace_id": "NOTAMARKETPLACE"}, ChannelError, "--marketplace"),
    ],
)
def test_wrong_credentials_name_the_option_to_fix(
    overrides: dict[str, str], error: type[Exception], names: str
) -> None:
    account = Account()
    with pytest.raises(error) as raised:
        account.connect(**overrides).check_access()
    assert names in str(raised.value)
    assert not getattr(raised.value, "retryable", False)


def test_the_catalog_is_read_in_pages_of_20_and_past_one_searchs_limit() -> None:
    account = Account(listings=70)
    account.store.search_limit = 25  # Amazon's is 1,000 a search: the same path, sooner
    variants, cursor, pages = [], None, 0
    while True:
        page = account.client.read_catalog_page(cursor)
        variants += page.variants
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(v.sku for v in variants) == sorted(account.store.items)  # each exactly once
    assert pages >= 4 and account.client.calls["searchListingsItems"] == pages
    one = next(v for v in variants if v.sku == "SKU-00010")
    item = account.store.items["SKU-00010"]
    assert (one.variant_id, one.product_id, one.inventory_item_id, one.location_id) == (
        "SKU-00010",
        item.asin,
        "SKU-00010",
        "DEFAULT",
    )
    assert (one.quantity, one.price, one.barcode, one.status) == (
        item.quantity,
        item.price,
        item.upc,
        VariantStatus.ACTIVE,
    )
    assert sum(1 for v in variants if not v.barcode) == 2  # blank identifiers
    barcodes = [v.barcode for v in variants if v.barcode]
    assert len(barcodes) - len(set(barcodes)) == 1  # two offers of one product share a UPC


def test_read_variants_asks_20_skus_a_call_and_gives_none_for_one_gone() -> None:
    account = Account(listings=30)
    account.store.delete_by_hand("SKU-00004")
    wanted = skus(25)
    refs = [
        VariantRef(sku=s, variant_id=s, product_id="", inventory_item_id=s, location_id="DEFAULT")
        for s in wanted
    ]
    read = account.client.read_variants(refs)
    assert account.client.calls["searchListingsItems"] == 2
    assert read[3] is None
    assert [v.sku for v in read if v is not None] == [s for s in wanted if s != "SKU-00004"]


def test_small_work_is_patched_one_listing_a_call() -> None:
    account = Account()
    results = account.client.push_quantities(quantities(skus(3)), "k")
    assert [r.outcome for r in results] == [PushOutcome.PUSHED] * 3
    assert [account.store.items[s].quantity for s in skus(3)] == [7, 8, 9]
    assert account.client.calls == {"patchListingsItem": 3}
    prices = [PricePush(sku="SKU-00001", variant_id="SKU-00001", product_id="", price=Decimal("21.50"))]
    assert account.client.push_prices(prices, "p")[0].outcome is PushOutcome.PUSHED
    assert account.store.items["SKU-00001"].price == Decimal("21.5")


def test_an_invalid_patch_is_that_listings_failure_with_a_fix() -> None:
    account = Account()
    results = account.client.push_quantities(quantities(["SKU-00001", "GONE-SKU"]), "k")
    assert results[0].outcome is PushOutcome.PUSHED
    assert results[1].outcome is PushOutcome.FAILED and "re-link" in results[1].message


def test_large_work_goes_by_one_feed_whose_report_fails_the_invalid_messages() -> None:
    account = Account(listings=120)
    wanted = [*skus(99), "GONE-SKU"]
    results = account.client.push_quantities(quantities(wanted, 1), "k")
    assert account.client.calls.get("patchListingsItem") is None
    assert account.client.calls["createFeed"] == 1 and account.client.calls["createFeedDocument"] == 1
    assert account.client.feeds.runs[-1].status == "DONE" and account.client.feeds.runs[-1].polls >= 2
    assert [r.outcome for r in results[:-1]] == [PushOutcome.PUSHED] * 99
    assert results[-1].outcome is PushOutcome.FAILED and "GONE-SKU" in results[-1].message
    assert "re-link" in results[-1].message
    assert [account.store.items[s].quantity for s in skus(3)] == [1, 2, 3]
    calls = sum(account.client.calls.values())
    assert calls <= 1 + 1 + 1 + account.client.feeds.runs[-1].polls  # document, feed, report, polls


def test_a_fatal_feed_fails_every_push_of_it_with_the_reason() -> None:
    account = Account(listings=80)
    account.client.feeds._seller_id = "A2NOTTHESELLER"  # a header Amazon refuses as a whole
    results = account.client.push_quantities(quantities(skus(60)), "k")
    assert {r.outcome for r in results} == {PushOutcome.FAILED}
    assert "FATAL" in results[0].message and "not the seller" in results[0].message
    assert account.store.items["SKU-00001"].quantity != 7


def test_hidden_is_quantity_0_and_active_writes_nothing() -> None:
    account = Account()
    pushes = [
        StatusPush(sku="SKU-00001", variant_id="SKU-00001", product_id="", status=VariantStatus.HIDDEN),
        StatusPush(sku="SKU-00002", variant_id="SKU-00002", product_id="", status=VariantStatus.ACTIVE),
    ]
    before = account.store.items["SKU-00002"].quantity
    results = account.client.push_statuses(pushes, "s")
    assert [r.outcome for r in results] == [PushOutcome.PUSHED] * 2
    assert (
        account.store.items["SKU-00001"].quantity == 0 and account.store.items["SKU-00002"].quantity == before
    )
    assert account.client.calls == {"patchListingsItem": 1}


def test_patches_are_paced_to_the_usage_plan_and_never_throttled() -> None:
    account = Account(listings=60)
    results = account.client.push_quantities(quantities(skus(50)), "k")
    assert all(r.outcome is PushOutcome.PUSHED for r in results)
    assert account.counters()["throttled"] == {}
    assert sum(account.clock.sleeps) == pytest.approx((50 - 5) / 5, rel=0.05)  # 5 at once, then 5 a second


def test_429_bursts_and_5xx_are_waited_out_and_every_push_lands() -> None:
    account = Account(listings=60)
    account.store.faults.configure(FaultRates(throttle_burst=0.1, server_error=0.1, burst_length=3))
    results = account.client.push_quantities(quantities(skus(40), 3), "k")
    assert all(r.outcome is PushOutcome.PUSHED for r in results)
    assert [account.store.items[s].quantity for s in skus(40)] == [3 + n for n in range(40)]
    injected = account.store.faults.counts()
    assert injected.get("throttled", 0) > 0 and injected.get("server_error", 0) > 0


def test_lost_answers_are_sent_again_and_leave_one_push_s_effect() -> None:
    account = Account(listings=120)
    account.store.faults.configure(FaultRates(lost_answer=0.2))
    small = account.client.push_quantities(quantities(skus(10), 20), "k")
    large = account.client.push_quantities(quantities(skus(80, 21), 40), "k2")
    assert all(r.outcome is PushOutcome.PUSHED for r in small + large)
    assert [account.store.items[s].quantity for s in skus(10)] == [20 + n for n in range(10)]
    assert [account.store.items[s].quantity for s in skus(80, 21)] == [40 + n for n in range(80)]
    assert account.store.faults.counts().get("lost_answer", 0) > 0


def test_a_dry_run_validates_on_amazon_without_writing() -> None:
    account = Account()
    before = account.store.items["SKU-00001"].quantity
    results = account.client.validate(quantities(["SKU-00001", "GONE-SKU"], 33))
    assert results[0].outcome is PushOutcome.PUSHED and results[1].outcome is PushOutcome.FAILED
    assert account.store.items["SKU-00001"].quantity == before


def test_over_real_loopback_http() -> None:
    store = AmazonStore.generate(10, seed=1)
    with serve_in_thread(create_app(store, CLIENT_ID, CLIENT_SECRET, REFRESH)) as server:
        client = AmazonClient(
            server.url,
            seller_id=SELLER,
            marketplace_id=US_MARKETPLACE,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH,
            lwa_url=f"{server.url}/auth/o2/token",
        )
        try:
            assert client.check_access().startswith("Amazon seller")
            assert client.push_quantities(quantities(["SKU-00003"], 12), "k")[0].outcome is PushOutcome.PUSHED
            page = client.read_catalog_page(None)
            assert len(page.variants) == 10 and store.items["SKU-00003"].quantity == 12
        finally:
            client.close()


def test_an_order_is_read_back_with_get_order_and_an_unknown_one_is_none() -> None:
    account = Account()
    sku = next(iter(account.store.items))
    order = account.store.place_order([(sku, 1)])
    assert account.client.read_order(order["id"]) == ChannelOrder(order_id=order["id"], cancelled=False)
    account.store.cancel_order(order["id"])
    assert account.client.read_order(order["id"]) == ChannelOrder(order_id=order["id"], cancelled=True)
    assert account.client.read_order("111-0000000-0000000") is None
    assert account.counters()["calls"]["getOrder"] == 3
