"""The sandbox stores as channels of the local runtime, linked and synced, their notifications
coming back to the local API: the starting point of the e2e auto-sync and four-channel tests, the
auto-sync bench and the soak."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local.runtime import LocalRuntime

# channel name -> the sandbox it is
CHANNELS = {"shop": "shopify", "woo": "woocommerce"}
MARKETPLACES = {"amz": "amazon", "bay": "ebay"}


def link_both_sandboxes(
    runtime: LocalRuntime,
    api: ConsoleApi,
    listings_csv: str,
    webhook_secrets: dict[str, str],
    before_sync: Callable[[], object] = lambda: None,
) -> tuple[Any, Any]:
    """Import the master listings, add each sandbox as a channel (CHANNELS) with its webhook secret,
    link both, call `before_sync`, fully sync both, then point their webhooks at the local API; the
    Shopify and WooCommerce stores."""
    api.import_listings(listings_csv)
    for name, kind in CHANNELS.items():
        sandbox = runtime.sandboxes[kind]
        api.add_channel(
            {
                "name": name,
                "type": kind,
                "store_url": sandbox.url,
                "allow_insecure_url": True,
                "webhook_secret": webhook_secrets[name],
                **sandbox.credentials,
            }
        )
    for kind, extra in (("link", {}), ("sync", {"mode": "full"})):
        if kind == "sync":
            before_sync()
        for name in CHANNELS:
            job = api.wait_for_job(api.start_job({"channel": name, "kind": kind, **extra})["id"])
            if job["status"] != "completed":
                raise ApiError(0, f"{kind} job on {name}: {job['status']} {job.get('error')}")
    shop, woo = runtime.sandboxes["shopify"].store, runtime.sandboxes["woocommerce"].store
    shop.connect_webhooks(f"{runtime.api_url}/v1/webhooks/shopify/shop", webhook_secrets["shop"])
    woo.configure_webhook(f"{runtime.api_url}/v1/webhooks/woocommerce/woo", webhook_secrets["woo"])
    return shop, woo


def link_marketplaces(runtime: LocalRuntime, api: ConsoleApi, ebay_token: str) -> None:
    """Add the Amazon and eBay sandboxes as channels (MARKETPLACES), link and fully sync each (eBay's
    sync completes with errors for offers it holds unpublished), then subscribe the local API to
    eBay's notifications with `ebay_token` (its verification token). Amazon's go to the template's
    queue from the start."""
    for name, kind in MARKETPLACES.items():
        sandbox = runtime.sandboxes[kind]
        extra = {"webhook_secret": ebay_token} if kind == "ebay" else {}
        api.add_channel(
            {
                "name": name,
                "type": kind,
                "store_url": sandbox.url,
                "allow_insecure_url": True,
                **sandbox.credentials,
                **extra,
            }
        )
        for body in ({"kind": "link"}, {"kind": "sync", "mode": "full"}):
            job = api.wait_for_job(api.start_job({"channel": name, **body})["id"], timeout_s=300)
            if job["status"] not in ("completed", "completed_with_errors"):
                raise ApiError(0, f"{body['kind']} job on {name}: {job['status']} {job.get('error')}")
        if kind == "ebay":
            sandbox.store.subscribe(f"{runtime.api_url}/v1/webhooks/ebay/{name}", ebay_token)
