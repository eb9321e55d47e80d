"""Per-channel sync schedules end to end in local mode, through the CLI: a channel is added with an
hourly smart schedule, `channels schedule` changes it, the runtime fires it as EventBridge Scheduler
would (ScheduleFunction queues a sync that runs to its end), and `--off` stops it."""

import time
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from tidemark.cli import app

pytestmark = pytest.mark.e2e
VARIANTS = 20
runner = CliRunner()


def tidemark(stack, *args: str):
    return runner.invoke(app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def linked(stack, api):
    rows = "\n".join(f"SKU-{i:05d},{i}" for i in range(1, VARIANTS + 1))
    api.import_listings(f"sku,on_hand\n{rows}\n")
    shop = stack.sandboxes["shopify"]
    added = tidemark(
        stack,
        "channels",
        "add",
        "shopify",
        "shop",
        "--store-url",
        shop.url,
        "--allow-insecure-url",
        "--token",
        shop.credentials["token"],
    )
    assert added.exit_code == 0, added.output
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "link"})["id"])
    assert job["status"] == "completed", job
    return stack


def new_jobs(api, before, wanted=1, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while len(found := [j for j in api.jobs("shop") if j["id"] not in before]) < wanted:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return found


def test_a_channel_is_added_with_an_hourly_smart_schedule(linked, api):
    assert api.channel("shop")["schedule"] == {"enabled": True, "rate": "1h", "mode": "smart"}
    shown = tidemark(linked, "channels", "schedule", "shop")
    assert shown.exit_code == 0 and "shop schedule on: smart sync every 1h" in shown.output
    assert '"schedule"' in tidemark(linked, "channels", "show", "shop").output


def test_a_changed_schedule_fires_a_sync_that_runs_to_its_end_and_off_stops_it(linked, api):
    changed = tidemark(linked, "channels", "schedule", "shop", "--rate", "5m", "--mode", "full")
    assert changed.exit_code == 0, changed.output
    assert "shop schedule on: full sync every 5m" in changed.output
    assert api.channel("shop")["schedule"] == {"enabled": True, "rate": "5m", "mode": "full"}

    before = {j["id"] for j in api.jobs("shop")}
    assert linked.schedules.tick(later_by=timedelta(minutes=4)) == []
    assert linked.schedules.tick(later_by=timedelta(minutes=5)) == ["shop"]
    (job,) = new_jobs(api, before)
    finished = api.wait_for_job(job["id"], timeout_s=120)
    assert (finished["channel"], finished["kind"], finished["mode"]) == ("shop", "sync", "full")
    assert finished["status"] == "completed", finished
    assert finished["counts"]["pushed"] == VARIANTS
    store = linked.sandboxes["shopify"].store
    assert store.quantity("SKU-00007") == api.listing("SKU-00007")["syncable_balance"] == 7

    off = tidemark(linked, "channels", "schedule", "shop", "--off")
    assert off.exit_code == 0 and "shop schedule off: full sync every 5m" in off.output
    before = {j["id"] for j in api.jobs("shop")}
    assert linked.schedules.tick(later_by=timedelta(days=1)) == []
    assert new_jobs(api, before, timeout_s=1) == []

    on = tidemark(linked, "channels", "schedule", "shop", "--on", "--rate", "1 hour")
    assert on.exit_code == 0 and "shop schedule on: full sync every 1h" in on.output
    assert linked.schedules.tick(later_by=timedelta(minutes=59)) == []


def test_a_bad_rate_or_mode_is_refused_with_the_field_and_changes_nothing(linked, api):
    before = api.channel("shop")["schedule"]
    bad_rate = tidemark(linked, "channels", "schedule", "shop", "--rate", "30s")
    assert bad_rate.exit_code == 1
    assert "rate" in bad_rate.output and "30m, 1h, 2d" in bad_rate.output
    bad_mode = tidemark(linked, "channels", "schedule", "shop", "--mode", "selected")
    assert bad_mode.exit_code == 1
    assert "mode" in bad_mode.output and "full, partial or smart" in bad_mode.output
    assert api.channel("shop")["schedule"] == before
    missing = tidemark(linked, "channels", "schedule", "nowhere", "--rate", "1h")
    assert missing.exit_code == 1 and "no channel named 'nowhere'" in missing.output
