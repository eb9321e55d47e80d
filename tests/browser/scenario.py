"""What the onboarding scenario leaves (tests/browser/test_10_onboarding.py), made through the API when
a later module runs without it: both channels, the catalog imported, linked and fully synced."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import VARIANTS
from tidemark.api_client import ApiError
from tidemark.local.runtime import LocalRuntime

CHANNELS = {"shopify": "shop", "woocommerce": "woo"}
CATALOG = "sku,on_hand,committed,safety_buffer,price\n" + "".join(
    f"SKU-{i:05d},{10 + i},{i % 3},1,{i}.50\n" for i in range(1, VARIANTS + 1)
)


def run(api: Any, body: dict[str, Any], statuses: tuple[str, ...] = ("completed",)) -> dict[str, Any]:
    job: dict[str, Any] = api.wait_for_job(api.start_job(body)["id"], timeout_s=120)
    assert job["status"] in statuses, job
    return job


def ensure_ready(console: LocalRuntime, api: Any) -> None:
    """Both channels connected, the catalog imported, linked and synced (kept when already there)."""
    present = {channel["name"] for channel in api.channels()}
    for kind, name in CHANNELS.items():
        if name not in present:
            store = console.sandboxes[kind]
            api.add_channel(
                {
                    "name": name,
                    "type": kind,
                    "store_url": store.url,
                    "allow_insecure_url": True,
                    **store.credentials,
                }
            )
    try:
        api.listing("SKU-00001")
    except ApiError:
        api.import_listings(CATALOG)
    for name in CHANNELS.values():
        if not api.jobs(channel=name, kind="sync", status="completed", limit=1):
            run(api, {"channel": name, "kind": "relink"}, ("completed", "completed_with_errors"))
            run(api, {"channel": name, "kind": "sync", "mode": "full"})
