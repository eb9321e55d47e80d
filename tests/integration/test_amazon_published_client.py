"""The published `python-amazon-sp-api` client works against the Amazon sandbox unchanged but for
its endpoint settings: the SP-API endpoint (its `endpoint`, an instance attribute) and the LWA host
(class attributes of its token client, so a subclass passed as `auth_token_client_class`). It builds
the Host header assuming https (`endpoint[8:]`): the Listings Items operations do not depend on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sp_api.api import ListingsItems
from sp_api.auth import AccessTokenClient
from sp_api.base import Marketplaces, SellingApiException

from tidemark.sandbox.amazon import US_MARKETPLACE, AmazonStore, create_app
from tidemark.sandbox.server import RunningServer, serve_in_thread

pytestmark = pytest.mark.integration

CREDENTIALS = {
    "lwa_app_id": "amzn1.application-oa2-client.published",
    "lwa_client_secret": "published-secret",
}
REFRESH = "Atzr|published-client-grant"
SELLER = "A1SANDBOXSELLER"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[AmazonStore, RunningServer]]:
    store = AmazonStore.generate(30, seed=2)
    server = serve_in_thread(
        create_app(store, CREDENTIALS["lwa_app_id"], CREDENTIALS["lwa_client_secret"], REFRESH)
    )
    yield store, server
    server.stop()


def listings(server: RunningServer, refresh_token: str = REFRESH) -> ListingsItems:
    class SandboxLwa(AccessTokenClient):
        scheme = "http://"
        host = server.url.removeprefix("http://")

    client = ListingsItems(
        Marketplaces.US,
        refresh_token=refresh_token,
        credentials=CREDENTIALS,
        auth_token_client_class=SandboxLwa,
    )
    client.endpoint = server.url
    return client


def test_search_get_and_patch_with_the_published_client(sandbox: Any) -> None:
    store, server = sandbox
    client = listings(server)
    first = client.search_listings_items(
        SELLER,
        marketplaceIds=[US_MARKETPLACE],
        pageSize=20,
        includedData=["summaries", "fulfillmentAvailability"],
    )
    assert first.payload["numberOfResults"] == 30 and len(first.payload["items"]) == 20 and first.next_token
    rest = client.search_listings_items(
        SELLER, marketplaceIds=[US_MARKETPLACE], pageSize=20, pageToken=first.next_token
    )
    assert len(rest.payload["items"]) == 10
    one = client.get_listings_item(SELLER, "SKU-00004", marketplaceIds=[US_MARKETPLACE]).payload
    assert one["summaries"][0]["asin"] == store.items["SKU-00004"].asin
    body = {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 42}],
            }
        ],
    }
    answer = client.patch_listings_item(
        SELLER, "SKU-00004", marketplaceIds=[US_MARKETPLACE], body=body
    ).payload
    assert answer["status"] == "ACCEPTED" and store.items["SKU-00004"].quantity == 42


def test_the_published_client_reads_the_sandboxs_refusals(sandbox: Any) -> None:
    _, server = sandbox
    with pytest.raises(SellingApiException) as missing:
        listings(server).get_listings_item(SELLER, "NO-SUCH-SKU", marketplaceIds=[US_MARKETPLACE])
    assert missing.value.code == 404 and missing.value.error[0]["code"] == "NOT_FOUND"
