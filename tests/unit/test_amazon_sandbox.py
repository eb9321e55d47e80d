"""The Amazon sandbox (SP-API: LWA, Listings Items, Feeds, usage plans, notifications) through its
ASGI app in process, on a fake clock."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.fakes import FakeClock, InProcess
from tidemark.sandbox.amazon import US_MARKETPLACE, AmazonStore, create_app
from tidemark.sandbox.faults import FaultRates

pytestmark = pytest.mark.unit

SELLER = "A1SANDBOXSELLER"
ITEMS = f"/listings/2021-08-01/items/{SELLER}"
MARKET = {"marketplaceIds": US_MARKETPLACE}
GRANT = {
    "grant_type": "refresh_token",
    "refresh_token": "Atzr|grant",
    "client_id": "amzn1.application-oa2-client.sandbox",
    "client_secret": "sandbox-secret",
}


class Seller:
    def __init__(self, listings: int = 30, **options: Any) -> None:
        self.clock = FakeClock()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.store = AmazonStore.generate(
            listings,
            seed=3,
            shared_upcs=2,
            blank_identifiers=3,
            deliver=lambda d, m: self.sent.append((d, m)),
        )
        self.app = create_app(
            self.store,
            GRANT["client_id"],
            GRANT["client_secret"],
            GRANT["refresh_token"],
            clock=self.clock,
            **options,
        )
        self.http = httpx.Client(transport=InProcess(self.app), base_url="http://amazon.test")
        self.token = self.http.post("/auth/o2/token", data=GRANT).json()["access_token"]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-amz-access-token": self.token, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def patch(self, sku: str, patches: list[dict[str, Any]], **params: str) -> httpx.Response:
        return self.call(
            "PATCH",
            f"{ITEMS}/{sku}",
            params={**MARKET, **params},
            json={"productType": "PRODUCT", "patches": patches},
        )


def quantity(value: Any) -> dict[str, Any]:
    return {
        "op": "replace",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": value}],
    }


def price(value: Any, currency: str = "USD") -> dict[str, Any]:
    offer = {
        "marketplace_id": US_MARKETPLACE,
        "currency": currency,
        "our_price": [{"schedule": [{"value_with_tax": value}]}],
    }
    return {"op": "replace", "path": "/attributes/purchasable_offer", "value": [offer]}


def test_lwa_exchanges_a_refresh_token_and_refuses_what_amazon_refuses() -> None:
    seller = Seller()
    answer = seller.http.post("/auth/o2/token", data=GRANT)
    assert answer.status_code == 200
    body = answer.json()
    assert (
        body["token_type"] == "bearer"
        and body["expires_in"] == 3600
        and body["access_token"].startswith("Atza|")
    )
    wrong_client = seller.http.post("/auth/o2/token", data={**GRANT, "client_secret": "nope"})
    assert (wrong_client.status_code, wrong_client.json()["error"]) == (401, "invalid_client")
    wrong_grant = seller.http.post("/auth/o2/token", data={**GRANT, "refresh_token": "Atzr|other"})
    assert (wrong_grant.status_code, wrong_grant.json()["error"]) == (400, "invalid_grant")
    missing = seller.http.post(
        "/auth/o2/token", data={k: v for k, v in GRANT.items() if k != "refresh_token"}
    )
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")


def test_calls_without_a_valid_token_or_of_another_seller_are_403_unauthorized() -> None:
    seller = Seller(token_seconds=60)
    assert seller.call("GET", f"{ITEMS}/SKU-00001", params=MARKET).status_code == 200
    none = seller.http.get(f"{ITEMS}/SKU-00001", params=MARKET)
    assert none.status_code == 403 and none.json()["errors"][0]["code"] == "Unauthorized"
    other = seller.call("GET", "/listings/2021-08-01/items/A2OTHERSELLER/SKU-00001", params=MARKET)
    assert other.status_code == 403 and "does not belong" in other.json()["errors"][0]["details"]
    seller.clock.advance(61)
    expired = seller.call("GET", f"{ITEMS}/SKU-00001", params=MARKET)
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["details"] == "The access token you provided has expired."


def test_marketplace_ids_are_required_and_known() -> None:
    seller = Seller()
    assert seller.call("GET", ITEMS).json()["errors"][0]["code"] == "InvalidInput"
    unknown = seller.call("GET", ITEMS, params={"marketplaceIds": "NOTAMARKET"})
    assert unknown.status_code == 400 and "NOTAMARKET" in unknown.json()["errors"][0]["message"]
    elsewhere = seller.call("GET", ITEMS, params={"marketplaceIds": "A1F83G8C2ARO7P"})
    assert elsewhere.status_code == 403


def test_search_pages_of_at_most_20_with_identifiers_and_offers() -> None:
    seller = Seller(listings=30)
    params = {
        **MARKET,
        "pageSize": "20",
        "sortBy": "sku",
        "sortOrder": "ASC",
        "includedData": "summaries,attributes,offers,fulfillmentAvailability",
    }
    first = seller.call("GET", ITEMS, params=params).json()
    assert first["numberOfResults"] == 32 and len(first["items"]) == 20
    second = seller.call(
        "GET", ITEMS, params={**params, "pageToken": first["pagination"]["nextToken"]}
    ).json()
    assert len(second["items"]) == 12 and "nextToken" not in second.get("pagination", {})
    skus = [i["sku"] for i in first["items"] + second["items"]]
    assert len(set(skus)) == 32 and skus == sorted(skus)
    item = first["items"][0]
    assert (
        item["summaries"][0]["asin"].startswith("B0")
        and item["summaries"][0]["marketplaceId"] == US_MARKETPLACE
    )
    assert item["fulfillmentAvailability"][0]["fulfillmentChannelCode"] == "DEFAULT"
    assert item["offers"][0]["price"]["currencyCode"] == "USD"
    upcs = [
        i["attributes"]["externally_assigned_product_identifier"] for i in first["items"] + second["items"]
    ]
    assert sum(1 for u in upcs if not u) == 3  # blank identifiers
    values = [u[0]["value"] for u in upcs if u]
    assert len(values) - len(set(values)) == 2  # two listings share a UPC with another
    too_big = seller.call("GET", ITEMS, params={**MARKET, "pageSize": "21"})
    assert too_big.status_code == 400 and "pageSize" in too_big.json()["errors"][0]["message"]


def test_search_pages_through_at_most_its_limit() -> None:
    seller = Seller(listings=30)
    seller.store.search_limit = 25
    params = {**MARKET, "pageSize": "20", "sortBy": "createdDate", "sortOrder": "ASC"}
    first = seller.call("GET", ITEMS, params=params).json()
    second = seller.call(
        "GET", ITEMS, params={**params, "pageToken": first["pagination"]["nextToken"]}
    ).json()
    assert len(second["items"]) == 5 and "nextToken" not in second.get("pagination", {})
    assert second["numberOfResults"] == 32


def test_patch_sets_quantity_and_price_and_reports_issues_without_writing() -> None:
    seller = Seller()
    answer = seller.patch("SKU-00002", [quantity(7), price(12.5)])
    assert (
        answer.status_code == 200 and answer.json()["status"] == "ACCEPTED" and answer.json()["submissionId"]
    )
    assert answer.headers["x-amzn-RateLimit-Limit"] == "5"
    item = seller.store.items["SKU-00002"]
    assert (item.quantity, item.price) == (7, Decimal("12.5"))
    for bad in (
        [quantity(-1)],
        [quantity("3")],
        [price(10, "EUR")],
        [price(0)],
        [{"op": "replace", "path": "/x/y"}],
    ):
        seller.clock.advance(1)  # patchListingsItem's 5 a second
        refused = seller.patch("SKU-00002", bad).json()
        assert refused["status"] == "INVALID" and refused["issues"][0]["severity"] == "ERROR", bad
    assert (item.quantity, item.price) == (7, Decimal("12.5"))
    seller.clock.advance(1)
    seller.clock.advance(1)
    missing = seller.patch("NO-SUCH-SKU", [quantity(1)]).json()
    assert missing["status"] == "INVALID" and "does not exist" in missing["issues"][0]["message"]


def test_validation_preview_checks_without_writing() -> None:
    seller = Seller()
    before = seller.store.items["SKU-00003"].quantity
    preview = seller.patch("SKU-00003", [quantity(before + 5)], mode="VALIDATION_PREVIEW").json()
    assert preview["status"] == "VALID" and seller.store.items["SKU-00003"].quantity == before


def test_patch_rate_is_5_a_second_with_a_burst_of_5() -> None:
    seller = Seller()
    statuses = [seller.patch("SKU-00001", [quantity(n)]).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    throttled = seller.patch("SKU-00001", [quantity(1)])
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
    seller.clock.advance(0.2)
    assert seller.patch("SKU-00001", [quantity(1)]).status_code == 200


def _submit_feed(seller: Seller, document: bytes, content_type: str = "application/json") -> str:
    created = seller.call("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"})
    assert created.status_code == 201
    doc = created.json()
    upload = seller.http.put(doc["url"], content=document, headers={"Content-Type": content_type})
    assert upload.status_code == 200
    feed = seller.call(
        "POST",
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [US_MARKETPLACE],
            "inputFeedDocumentId": doc["feedDocumentId"],
        },
    )
    assert feed.status_code == 202
    return str(feed.json()["feedId"])


def _report(seller: Seller, feed: dict[str, Any]) -> dict[str, Any]:
    doc = seller.call("GET", f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    return dict(seller.http.get(doc["url"]).json())


def test_a_listings_feed_is_processed_and_reports_its_invalid_messages() -> None:
    seller = Seller()
    messages = [
        {
            "messageId": 1,
            "sku": "SKU-00001",
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [quantity(11)],
        },
        {
            "messageId": 2,
            "sku": "SKU-00002",
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [quantity(-4)],
        },
        {
            "messageId": 3,
            "sku": "SKU-00003",
            "operationType": "PARTIAL_UPDATE",
            "productType": "PRODUCT",
            "attributes": {
                "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}]
            },
        },
    ]
    body = json.dumps(
        {"header": {"sellerId": SELLER, "version": "2.0", "issueLocale": "en_US"}, "messages": messages}
    )
    feed_id = _submit_feed(seller, body.encode())
    assert seller.call("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()["processingStatus"] == "IN_QUEUE"
    seller.clock.advance(0.6)
    assert (
        seller.call("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()["processingStatus"] == "IN_PROGRESS"
    )
    seller.clock.advance(0.6)
    feed = seller.call("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()
    assert feed["processingStatus"] == "DONE"
    report = _report(seller, feed)
    assert report["summary"] == {
        "errors": 1,
        "warnings": 0,
        "messagesProcessed": 3,
        "messagesAccepted": 2,
        "messagesInvalid": 1,
    }
    assert [(i["messageId"], i["sku"]) for i in report["issues"]] == [(2, "SKU-00002")]
    assert seller.store.items["SKU-00001"].quantity == 11 and seller.store.items["SKU-00003"].quantity == 3


def test_a_feed_past_its_limits_or_of_another_seller_is_fatal() -> None:
    seller = Seller()
    header = {"sellerId": SELLER, "version": "2.0"}
    too_many = [
        {
            "messageId": n,
            "sku": "SKU-00001",
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [quantity(1)],
        }
        for n in range(25_001)
    ]
    for document, reason in (
        (json.dumps({"header": header, "messages": too_many}), "at most 25000"),
        (
            json.dumps({"header": {**header, "sellerId": "A2OTHER"}, "messages": too_many[:1]}),
            "not the seller",
        ),
        ("{not json", "not valid JSON"),
    ):
        feed_id = _submit_feed(seller, document.encode())
        seller.clock.advance(1.1)
        seller.call("GET", f"/feeds/2021-06-30/feeds/{feed_id}")
        feed = seller.call("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()
        assert feed["processingStatus"] == "FATAL"
        assert reason in _report(seller, feed)["issues"][0]["message"]
        seller.clock.advance(120)  # createFeed's 0.0083 a second
    assert seller.store.items["SKU-00001"].quantity != 1  # nothing of a fatal feed is applied


def test_create_feed_refuses_the_retired_feeds_and_is_rate_limited() -> None:
    seller = Seller()
    retired = seller.call(
        "POST",
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "POST_INVENTORY_AVAILABILITY_DATA",
            "marketplaceIds": [US_MARKETPLACE],
            "inputFeedDocumentId": "x",
        },
    )
    assert retired.status_code == 400 and "JSON_LISTINGS_FEED" in retired.json()["errors"][0]["message"]
    body = json.dumps(
        {
            "header": {"sellerId": SELLER, "version": "2.0"},
            "messages": [
                {
                    "messageId": 1,
                    "sku": "SKU-00001",
                    "operationType": "PATCH",
                    "productType": "PRODUCT",
                    "patches": [quantity(1)],
                }
            ],
        }
    )
    for _ in range(14):  # the burst is 15 and the refused one above took a token
        _submit_feed(seller, body.encode())
    doc = seller.call("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"}).json()
    seller.http.put(doc["url"], content=body.encode(), headers={"Content-Type": "application/json"})
    spec = {
        "feedType": "JSON_LISTINGS_FEED",
        "marketplaceIds": [US_MARKETPLACE],
        "inputFeedDocumentId": doc["feedDocumentId"],
    }
    assert seller.call("POST", "/feeds/2021-06-30/feeds", json=spec).status_code == 429
    seller.clock.advance(121)
    assert seller.call("POST", "/feeds/2021-06-30/feeds", json=spec).status_code == 202


def test_an_upload_of_another_content_type_is_refused_as_s3_refuses_it() -> None:
    seller = Seller()
    doc = seller.call("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"}).json()
    assert (
        seller.http.put(doc["url"], content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 403
    )


def test_an_order_sends_order_change_to_sqs_and_quantity_change_to_eventbridge() -> None:
    seller = Seller()
    before = seller.store.items["SKU-00004"].quantity
    seller.store.items["SKU-00004"].quantity = max(before, 3)
    order = seller.http.post(
        "/admin/sandbox/orders", json={"lines": [{"sku": "SKU-00004", "quantity": 2}]}
    ).json()
    assert seller.store.items["SKU-00004"].quantity == max(before, 3) - 2
    kinds = [(d, m["NotificationType"]) for d, m in seller.sent]
    assert ("sqs", "ORDER_CHANGE") in kinds and ("eventbridge", "LISTINGS_ITEM_MFN_QUANTITY_CHANGE") in kinds
    change = next(m for d, m in seller.sent if d == "sqs")
    payload = change["Payload"]["OrderChangeNotification"]
    assert payload["AmazonOrderId"] == order["id"] and payload["SellerId"] == SELLER
    assert payload["Summary"]["OrderStatus"] == "Unshipped"
    assert payload["Summary"]["OrderItems"][0]["SellerSKU"] == "SKU-00004"
    assert payload["Summary"]["OrderItems"][0]["Quantity"] == 2
    assert change["NotificationMetadata"]["NotificationId"]
    seller.http.post(f"/admin/sandbox/orders/{order['id']}/cancel")
    cancelled = [m for d, m in seller.sent if d == "sqs"][-1]["Payload"]["OrderChangeNotification"]
    assert cancelled["Summary"]["OrderStatus"] == "Canceled"
    assert seller.store.items["SKU-00004"].quantity == max(before, 3)


def test_duplicated_notifications_keep_their_notification_id() -> None:
    seller = Seller()
    seller.store.faults.configure(FaultRates(webhook_duplicate=1.0))
    seller.http.post("/admin/sandbox/orders", json={"lines": [{"sku": "SKU-00005", "quantity": 1}]})
    ids = [m["NotificationMetadata"]["NotificationId"] for d, m in seller.sent if d == "sqs"]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_injected_faults_apply_to_the_api_but_not_the_admin_api() -> None:
    seller = Seller()
    seller.store.faults.configure(FaultRates(lost_answer=1.0))
    lost = seller.patch("SKU-00006", [quantity(9)])
    assert lost.status_code == 502 and seller.store.items["SKU-00006"].quantity == 9  # applied, answer lost
    assert seller.http.get("/admin/sandbox/variants").status_code == 200
