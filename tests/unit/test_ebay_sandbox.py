"""The eBay sandbox through its ASGI app in process: OAuth, the Inventory API's shapes and limits,
the daily quota, and the sandbox admin API."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.fakes import FakeClock, InProcess
from tidemark.sandbox.ebay import INVENTORY_SCOPE, DailyQuota, EbayStore, OAuth, create_app

pytestmark = pytest.mark.unit

CLIENT_ID = "Tidemark-app-PRD-1234"
CLIENT_SECRET = "PRD-secret-5678"
REFRESH = "v^1.1#i^1#r^1#refresh"
BASE = "http://testserver"
API = f"{BASE}/sell/inventory/v1"


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class Sandbox:
    def __init__(self, store: EbayStore, *, quota: int = 5000, token_seconds: int = 7200) -> None:
        self.clock = FakeClock()
        self.store = store
        self.oauth = OAuth(
            CLIENT_ID, CLIENT_SECRET, REFRESH, token_seconds=token_seconds, wall_clock=self.clock
        )
        self.quota = DailyQuota(limit=quota, window_seconds=60, wall_clock=self.clock)
        self.http = httpx.Client(
            transport=InProcess(create_app(store, self.oauth, self.quota)), base_url=BASE
        )

    def token(self, **form: str) -> httpx.Response:
        body = {"grant_type": "refresh_token", "refresh_token": REFRESH, "scope": INVENTORY_SCOPE, **form}
        return self.http.post(
            "/identity/v1/oauth2/token",
            data=body,
            headers={"Authorization": basic(), "Content-Type": "application/x-www-form-urlencoded"},
        )

    def app_bearer(self) -> dict[str, str]:
        answer = self.http.post(
            "/identity/v1/oauth2/token",
            data={"grant_type": "client_credentials", "scope": "https://api.ebay.com/oauth/api_scope"},
            headers={"Authorization": basic()},
        )
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token().json()['access_token']}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(f"{API}{path}", params=params, headers=self.bearer())

    def bulk(self, requests: list[dict[str, Any]]) -> httpx.Response:
        return self.http.post(
            f"{API}/bulk_update_price_quantity", json={"requests": requests}, headers=self.bearer()
        )


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(EbayStore.generate(450, seed=3))


def test_the_refresh_token_grant_gives_a_two_hour_user_token(sandbox: Sandbox) -> None:
    answer = sandbox.token()
    assert answer.status_code == 200
    body = answer.json()
    assert body["expires_in"] == 7200
    assert body["token_type"] == "User Access Token"
    assert body["access_token"].startswith("v^1.1#")


def test_the_token_endpoint_refuses_as_ebay_does(sandbox: Sandbox) -> None:
    wrong_client = sandbox.http.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": REFRESH},
        headers={"Authorization": basic(secret="nope")},
    )
    assert wrong_client.status_code == 401
    assert wrong_client.json()["error"] == "invalid_client"
    wrong_refresh = sandbox.token(refresh_token="v^1.1#other")
    assert wrong_refresh.status_code == 400
    assert wrong_refresh.json()["error"] == "invalid_grant"
    too_wide = sandbox.token(scope="https://api.ebay.com/oauth/api_scope/sell.finances")
    assert (too_wide.status_code, too_wide.json()["error"]) == (400, "invalid_scope")
    assert sandbox.token(grant_type="password").json()["error"] == "unsupported_grant_type"


def test_an_expired_or_unknown_token_is_refused_with_error_1001(sandbox: Sandbox) -> None:
    headers = sandbox.bearer()
    assert sandbox.http.get(f"{API}/inventory_item", headers=headers).status_code == 200
    sandbox.clock.advance(7201)
    expired = sandbox.http.get(f"{API}/inventory_item", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["errorId"] == 1001
    assert sandbox.http.get(f"{API}/inventory_item").json()["errors"][0]["errorId"] == 1001


def test_an_application_token_cannot_call_the_inventory_api(sandbox: Sandbox) -> None:
    app_token = sandbox.http.post(
        "/identity/v1/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "https://api.ebay.com/oauth/api_scope"},
        headers={"Authorization": basic()},
    ).json()["access_token"]
    refused = sandbox.http.get(f"{API}/inventory_item", headers={"Authorization": f"Bearer {app_token}"})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["errorId"] == 1100


def test_inventory_items_page_by_offset_up_to_200(sandbox: Sandbox) -> None:
    first = sandbox.get("/inventory_item", limit=200).json()
    assert (first["total"], first["size"], first["limit"]) == (450, 200, 200)
    assert first["next"].endswith("offset=200&limit=200")
    assert "prev" not in first
    item = first["inventoryItems"][0]
    assert item["sku"] == "SKU-00001"
    assert isinstance(item["availability"]["shipToLocationAvailability"]["quantity"], int)
    last = sandbox.get("/inventory_item", limit=200, offset=400).json()
    assert last["size"] == 50
    assert "next" not in last
    too_many = sandbox.get("/inventory_item", limit=201)
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["errorId"] == 25709


def test_the_seeded_catalog_has_blank_and_duplicate_identifiers_and_unpublished_offers(
    sandbox: Sandbox,
) -> None:
    items = [
        i
        for offset in (0, 200, 400)
        for i in sandbox.get("/inventory_item", limit=200, offset=offset).json()["inventoryItems"]
    ]
    upcs = [i["product"].get("upc", [""])[0] for i in items]
    assert "" in upcs
    filled = [u for u in upcs if u]
    assert len(filled) > len(set(filled))
    statuses = {row["status"] for row in sandbox.store.variant_rows()}
    assert statuses == {"active", "hidden"}


def test_offers_of_a_sku(sandbox: Sandbox) -> None:
    offers = sandbox.get("/offer", sku="SKU-00001", marketplace_id="EBAY_US").json()["offers"]
    assert len(offers) == 1
    offer = offers[0]
    assert offer["status"] == "PUBLISHED"
    assert offer["pricingSummary"]["price"]["currency"] == "USD"
    assert sandbox.get(f"/offer/{offer['offerId']}").json() == offer
    missing = sandbox.get("/offer", sku="NO-SUCH")
    assert missing.status_code == 404
    assert sandbox.get("/offer/1").json()["errors"][0]["errorId"] == 25713


def offer_of(sandbox: Sandbox, sku: str) -> dict[str, Any]:
    offer: dict[str, Any] = sandbox.get("/offer", sku=sku).json()["offers"][0]
    return offer


def test_bulk_update_sets_quantity_and_price_of_published_offers(sandbox: Sandbox) -> None:
    offer = offer_of(sandbox, "SKU-00001")
    answer = sandbox.bulk(
        [
            {
                "sku": "SKU-00001",
                "shipToLocationAvailability": {"quantity": 7},
                "offers": [
                    {
                        "offerId": offer["offerId"],
                        "availableQuantity": 7,
                        "price": {"value": "12.50", "currency": "USD"},
                    }
                ],
            }
        ]
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "responses": [{"statusCode": 200, "sku": "SKU-00001", "offerId": offer["offerId"]}]
    }
    after = offer_of(sandbox, "SKU-00001")
    assert after["availableQuantity"] == 7
    assert after["pricingSummary"]["price"]["value"] == "12.50"
    assert (
        sandbox.get("/inventory_item/SKU-00001").json()["availability"]["shipToLocationAvailability"][
            "quantity"
        ]
        == 7
    )


def test_bulk_update_refuses_unpublished_offers_per_entry_with_207(sandbox: Sandbox) -> None:
    published, unpublished = offer_of(sandbox, "SKU-00001"), offer_of(sandbox, "SKU-00010")
    assert unpublished["status"] == "UNPUBLISHED"
    answer = sandbox.bulk(
        [
            {"sku": "SKU-00001", "offers": [{"offerId": published["offerId"], "availableQuantity": 3}]},
            {"sku": "SKU-00010", "offers": [{"offerId": unpublished["offerId"], "availableQuantity": 3}]},
            {"sku": "NO-SUCH", "offers": [{"offerId": "1", "availableQuantity": 3}]},
        ]
    )
    assert answer.status_code == 207
    statuses = [(r["sku"], r["statusCode"]) for r in answer.json()["responses"]]
    assert statuses == [("SKU-00001", 200), ("SKU-00010", 400), ("NO-SUCH", 404)]
    refusal = answer.json()["responses"][1]["errors"][0]
    assert refusal["errorId"] == 25002
    assert "not published" in refusal["message"]
    assert offer_of(sandbox, "SKU-00010")["availableQuantity"] == unpublished["availableQuantity"]


def test_bulk_update_takes_at_most_25_requests(sandbox: Sandbox) -> None:
    requests = [{"sku": f"SKU-{n:05d}", "shipToLocationAvailability": {"quantity": 1}} for n in range(1, 27)]
    refused = sandbox.bulk(requests)
    assert refused.status_code == 400
    assert "25" in refused.json()["errors"][0]["message"]
    assert sandbox.bulk(requests[:25]).status_code == 200


def test_a_listing_takes_250_revisions_a_day(sandbox: Sandbox) -> None:
    offer = offer_of(sandbox, "SKU-00002")
    sandbox.store.offers[offer["offerId"]].revisions = 250
    answer = sandbox.bulk(
        [{"sku": "SKU-00002", "offers": [{"offerId": offer["offerId"], "availableQuantity": 1}]}]
    )
    assert answer.status_code == 207
    assert "250 revisions" in answer.json()["responses"][0]["errors"][0]["message"]


def test_withdraw_and_publish(sandbox: Sandbox) -> None:
    offer_id = offer_of(sandbox, "SKU-00003")["offerId"]
    assert sandbox.http.post(f"{API}/offer/{offer_id}/withdraw", headers=sandbox.bearer()).status_code == 200
    assert offer_of(sandbox, "SKU-00003")["status"] == "UNPUBLISHED"
    again = sandbox.http.post(f"{API}/offer/{offer_id}/withdraw", headers=sandbox.bearer())
    assert again.status_code == 400
    assert sandbox.http.post(f"{API}/offer/{offer_id}/publish", headers=sandbox.bearer()).status_code == 200
    assert offer_of(sandbox, "SKU-00003")["status"] == "PUBLISHED"


def test_the_daily_quota_refuses_with_429_until_it_resets_and_getratelimits_shows_it() -> None:
    sandbox = Sandbox(EbayStore.generate(5), quota=3)
    headers = sandbox.bearer()
    for _ in range(3):
        assert sandbox.http.get(f"{API}/inventory_item", headers=headers).status_code == 200
    spent = sandbox.http.get(f"{API}/inventory_item", headers=headers)
    assert spent.status_code == 429
    assert spent.json()["errors"][0]["errorId"] == 2001
    rate_limit = "/developer/analytics/v1_beta/rate_limit/"
    assert sandbox.http.get(rate_limit, headers=headers).status_code == 403  # a user token
    rate = sandbox.http.get(rate_limit, headers=sandbox.app_bearer()).json()
    (limit,) = rate["rateLimits"][0]["resources"][0]["rates"]
    assert (limit["limit"], limit["remaining"], limit["timeWindow"]) == (3, 0, 60)
    assert limit["reset"].endswith("Z")
    sandbox.clock.advance(61)
    assert sandbox.http.get(f"{API}/inventory_item", headers=headers).status_code == 200


def test_admin_edits_and_orders_change_the_listing(sandbox: Sandbox) -> None:
    row = sandbox.store.edit_by_hand("SKU-00004", {"quantity": 9, "price": Decimal("3.10")})
    assert (row["quantity"], row["price"]) == (9, "3.10")
    order = sandbox.http.post("/admin/sandbox/orders", json={"lines": [{"sku": "SKU-00004", "quantity": 2}]})
    assert order.status_code == 200
    assert offer_of(sandbox, "SKU-00004")["availableQuantity"] == 7
    hidden = sandbox.http.post("/admin/sandbox/orders", json={"lines": [{"sku": "SKU-00010", "quantity": 1}]})
    assert hidden.status_code == 400
    assert "ended" in hidden.json()["error"]
