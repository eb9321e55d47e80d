"""Auto sync's breaker end to end in local mode, judged on the Shopify sandbox: a feed that zeroes 60 %
of the catalog with auto sync on trips it past the guard's share within its window, the channel's auto
pushes are then held (a later change too), and resuming sends every held one: nothing is lost."""

import time

import pytest
from typer.testing import CliRunner

from tests.waiting import eventually
from tidemark.cli import app

pytestmark = pytest.mark.e2e
SKUS = [f"SKU-{i:05d}" for i in range(1, 21)]
FED = SKUS[:12]  # 60 %: past the guard's 50 %


@pytest.fixture(scope="module")
def shop(stack, api):
    api.import_listings(
        "sku,on_hand,auto_sync\n" + "".join(f"{sku},{20 + n},true\n" for n, sku in enumerate(SKUS))
    )
    store = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": "shop",
            "type": "shopify",
            "store_url": store.url,
            "allow_insecure_url": True,
            **store.credentials,
        }
    )
    for body in ({"kind": "link"}, {"kind": "sync", "mode": "full"}):
        assert api.wait_for_job(api.start_job({"channel": "shop", **body})["id"])["status"] == "completed"
    api.guard("shop", {"on": True})
    return store.store


def breaker(api) -> dict:
    return next(b for b in api.breakers() if b["channel"] == "shop")


def test_a_feed_zeroing_60_percent_trips_the_breaker_and_resume_loses_nothing(stack, shop, api):
    assert breaker(api)["paused_at"] is None
    api.adjust({"reason": "feed", "csv": "sku,on_hand\n" + "".join(f"{sku},0\n" for sku in FED)})
    eventually(lambda: breaker(api)["paused_at"] is not None)
    paused = breaker(api)
    assert "auto sync paused: in 10 minutes its pushes would send 0 to" in paused["paused_reason"]
    assert "--resume" in paused["paused_reason"] and paused["held"] >= 1
    # it trips past 50 % of the 20 linked: up to 10 zeroes were sent (each listing's change is its
    # own auto push), the rest is held
    eventually(lambda: sum(shop.quantity(sku) == 0 for sku in FED) + breaker(api)["held"] >= len(FED))
    assert sum(shop.quantity(sku) == 0 for sku in FED) <= len(SKUS) // 2

    api.adjust({"reason": "manual", "sku": "SKU-00020", "on_hand": 7})  # paused: held too
    eventually(lambda: breaker(api)["held"] == paused["held"] + 1)
    time.sleep(1)
    assert shop.quantity("SKU-00020") == 39

    result = CliRunner().invoke(
        app, ["channels", "guard", "shop", "--resume", "--api", stack.api_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert breaker(api)["paused_at"] is None
    want = (
        {sku: 0 for sku in FED}
        | {sku: 20 + n for n, sku in enumerate(SKUS) if sku not in FED}
        | {"SKU-00020": 7}
    )
    eventually(lambda: {sku: shop.quantity(sku) for sku in SKUS} == want)
    entries = api.history("SKU-00020", channel="shop")["entries"]
    # the held push went out on the resume (once, in CI, a job's entry was newer than it: closing note)
    resumed = [e for e in entries if e["job_id"] == "resumed"]
    assert resumed and resumed[0]["to_value"] == "7", entries[:3]
