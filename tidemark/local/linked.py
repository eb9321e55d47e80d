"""Both sandbox stores as channels of the local runtime, linked and synced, their webhooks coming
back to the local API: the starting point of the e2e auto-sync tests, the auto-sync bench and the
soak."""

from __future__ import annotations

from typing import Any

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local.runtime import LocalRuntime

# channel name -> the sandbox it is
CHANNELS = {"shop": "shopify", "woo": "woocommerce"}


def link_both_sandboxes(
    runtime: LocalRuntime, api: ConsoleApi, listings_csv: str, webhook_secrets: dict[str, str]
) -> tuple[Any, Any]:
    """Import the master listings, add each sandbox as a channel (CHANNELS) with its webhook secret,
    link and fully sync it, then point its webhooks at the local API; the Shopify and WooCommerce
    stores."""
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
    for name in CHANNELS:
        for kind, extra in (("link", {}), ("sync", {"mode": "full"})):
            job = api.wait_for_job(api.start_job({"channel": name, "kind": kind, **extra})["id"])
            if job["status"] != "completed":
                raise ApiError(0, f"{kind} job on {name}: {job['status']} {job.get('error')}")
    shop, woo = runtime.sandboxes["shopify"].store, runtime.sandboxes["woocommerce"].store
    shop.connect_webhooks(f"{runtime.api_url}/v1/webhooks/shopify/shop", webhook_secrets["shop"])
    woo.configure_webhook(f"{runtime.api_url}/v1/webhooks/woocommerce/woo", webhook_secrets["woo"])
    return shop, woo
