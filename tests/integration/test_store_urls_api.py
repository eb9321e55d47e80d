"""Store URLs through the console API and the CLI: Shopify only on https://<shop>.myshopify.com,
WooCommerce only on https, unless the operator allows a store of their own; a store that moves to
another host is given its credentials again, and the stored ones never reach the new host."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import boto3
import pytest

from tidemark.api_client import ApiError

pytestmark = pytest.mark.integration


class Recorder(BaseHTTPRequestHandler):
    """A store at another host: notes the credentials each request carried, refuses them all."""

    seen: ClassVar[list[str]] = []

    def _refuse(self) -> None:
        self.seen.append(self.headers.get("X-Shopify-Access-Token") or self.headers.get("Authorization", ""))
        self.send_response(401)
        self.send_header("content-length", "0")
        self.end_headers()

    do_GET = do_POST = _refuse

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def other_host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def sandbox_channel(stack, kind, name, **changes):
    store = stack.sandboxes[kind]
    return {"name": name, "type": kind, "store_url": store.url, **store.credentials, **changes}


@pytest.mark.parametrize(
    ("kind", "url", "hint"),
    [
        ("shopify", None, "allow_insecure_url"),
        ("shopify", "https://shop.example.com", "myshopify.com"),
        ("woocommerce", None, "https"),
    ],
)
def test_a_url_the_channel_type_does_not_take_is_refused_naming_store_url(stack, api, kind, url, hint):
    body = sandbox_channel(stack, kind, f"refused-{kind}")
    if url:
        body["store_url"] = url
    with pytest.raises(ApiError) as refused:
        api.add_channel(body)
    assert refused.value.status == 400
    assert [e["field"] for e in refused.value.errors] == ["store_url"]
    assert hint in refused.value.message
    assert not any(c["name"] == body["name"] for c in api.channels())


def test_a_store_of_ones_own_on_http_is_taken_when_allowed(stack, api):
    for kind in ("shopify", "woocommerce"):
        added = api.add_channel(sandbox_channel(stack, kind, f"own-{kind}", allow_insecure_url=True))
        assert added["store_url"] == stack.sandboxes[kind].url


def test_a_new_host_without_the_credentials_is_refused_and_nothing_is_sent(stack, api, other_host):
    api.add_channel(sandbox_channel(stack, "shopify", "moving", allow_insecure_url=True))
    before = api.channel("moving")
    secret = boto3.client("secretsmanager").get_secret_value(SecretId="tidemark/channels/moving")
    Recorder.seen.clear()
    with pytest.raises(ApiError) as refused:
        api.edit_channel("moving", {"store_url": other_host, "allow_insecure_url": True})
    assert refused.value.status == 400
    assert [e["field"] for e in refused.value.errors] == ["token"]
    assert "another host" in refused.value.message
    assert Recorder.seen == []
    assert api.channel("moving") == before
    after = boto3.client("secretsmanager").get_secret_value(SecretId="tidemark/channels/moving")
    assert after["SecretString"] == secret["SecretString"]


def test_a_new_host_is_sent_only_the_credentials_given_with_it(stack, api, other_host):
    api.add_channel(sandbox_channel(stack, "shopify", "moved", allow_insecure_url=True))
    stored = stack.sandboxes["shopify"].credentials["token"]
    Recorder.seen.clear()
    with pytest.raises(ApiError) as refused:  # the recorder refuses every token
        api.edit_channel("moved", {"store_url": other_host, "token": "shpat_new", "allow_insecure_url": True})
    assert [e["field"] for e in refused.value.errors] == ["token"]
    assert Recorder.seen
    assert set(Recorder.seen) == {"shpat_new"}
    assert stored not in Recorder.seen


def test_the_same_host_keeps_its_stored_credentials(stack, api):
    api.add_channel(sandbox_channel(stack, "shopify", "same-host", allow_insecure_url=True))
    url = stack.sandboxes["shopify"].url + "/"
    edited = api.edit_channel("same-host", {"store_url": url, "allow_insecure_url": True})
    assert edited["store_url"] == stack.sandboxes["shopify"].url


def test_an_edit_to_http_needs_the_operators_word(stack, api):
    api.add_channel(sandbox_channel(stack, "woocommerce", "woo-edit", allow_insecure_url=True))
    with pytest.raises(ApiError) as refused:
        api.edit_channel("woo-edit", {"store_url": stack.sandboxes["woocommerce"].url + "/shop"})
    assert [e["field"] for e in refused.value.errors] == ["store_url"]


def test_the_webhook_secret_is_kept_apart_from_the_store_credentials(stack, api):
    """The internet-facing webhooks function may read only <stack>/webhooks/* (WebhookSecretName):
    the webhook secret lives there, the admin token only in <stack>/channels/<name>."""
    sm = boto3.client("secretsmanager")
    api.add_channel(
        sandbox_channel(stack, "shopify", "apart", allow_insecure_url=True, webhook_secret="whsec-1")
    )
    credentials = json.loads(sm.get_secret_value(SecretId="tidemark/channels/apart")["SecretString"])
    webhook = json.loads(sm.get_secret_value(SecretId="tidemark/webhooks/apart")["SecretString"])
    assert set(credentials) == {"token"}
    assert webhook == {"webhook_secret": "whsec-1"}
    api.edit_channel("apart", {"webhook_secret": "whsec-2"})
    webhook = json.loads(sm.get_secret_value(SecretId="tidemark/webhooks/apart")["SecretString"])
    assert webhook["webhook_secret"] == "whsec-2"
    assert set(json.loads(sm.get_secret_value(SecretId="tidemark/channels/apart")["SecretString"])) == {
        "token"
    }


def test_an_edit_that_sends_the_url_back_as_it_is_is_not_asked_for_the_operators_word(stack, api):
    """The console's edit form sends the store URL with every save."""
    api.add_channel(sandbox_channel(stack, "shopify", "as-it-is", allow_insecure_url=True))
    url = stack.sandboxes["shopify"].url
    edited = api.edit_channel("as-it-is", {"store_url": url, "link_after_build": False})
    assert (edited["store_url"], edited["link_after_build"]) == (url, False)
