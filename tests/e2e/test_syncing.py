"""Syncing end to end in local mode, against both sandbox stores: every mode, a dry run, the
channel's queue (prioritize, cancel of a running job, re-run) and the history it leaves."""

import os
import time
from decimal import Decimal

import pytest

from shared.settings import settings
from tidemark.api_client import ApiError
from tidemark.sandbox.faults import FaultRates

pytestmark = pytest.mark.e2e
VARIANTS = 60
CHANNELS = {"shopify": "shop", "woocommerce": "woo"}


@pytest.fixture(scope="module")
def linked(stack, api):
    # No overlap window: a smart sync here plans exactly what changed since the watermark.
    os.environ["SMART_OVERLAP_SECONDS"] = "0"
    settings.cache_clear()
    rows = "\n".join(f"SKU-{i:05d},{i + 10},{i}.25" for i in range(1, VARIANTS + 1))
    api.import_listings(f"sku,on_hand,price\n{rows}\n")
    for kind, name in CHANNELS.items():
        store = stack.sandboxes[kind]
        api.add_channel(
            {
                "name": name,
                "type": kind,
                "store_url": store.url,
                "allow_insecure_url": True,
                **store.credentials,
            }
        )
        run(api, {"channel": name, "kind": "link"})
    return stack


def run(api, body, statuses=("completed",)):
    job = api.wait_for_job(api.start_job(body)["id"])
    assert job["status"] in statuses, (job["status"], job["counts"], job["failures"], job["error"])
    return job


def sync(api, channel, mode, **more):
    return run(api, {"channel": channel, "kind": "sync", "mode": mode, **more})


def differences(api, store, skus):
    """Where the channel holds something else than master: {"<sku> <field>": (channel's, master's)}."""
    rows = {row["sku"]: row for row in store.variant_rows()}
    found = {}
    for sku in skus:
        listing = api.listing(sku)
        row = rows[sku]
        master = {
            "quantity": listing["syncable_balance"],
            "price": Decimal(listing["price"]),
            "status": "active" if listing["status"] == "active" else "hidden",
        }
        held = {"quantity": row["quantity"], "price": Decimal(str(row["price"])), "status": row["status"]}
        found.update(
            (f"{sku} {name}", (held[name], value)) for name, value in master.items() if held[name] != value
        )
    return found


ALL = [f"SKU-{i:05d}" for i in range(1, VARIANTS + 1)]


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_first_smart_sync_runs_as_full_and_makes_the_channel_equal_master(linked, api, kind):
    job = sync(api, CHANNELS[kind], "smart")
    assert job["ran_as"] == "full" and "first sync" in job["note"]
    assert job["counts"]["planned"] == job["counts"]["pushed"] == VARIANTS
    assert differences(api, linked.sandboxes[kind].store, ALL) == {}


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_smart_sync_pushes_only_what_changed_since_the_watermark(linked, api, kind):
    channel = CHANNELS[kind]
    sync(api, channel, "full")
    n = len(kind)  # each channel's run changes the values again
    api.import_listings(f"sku,on_hand,price\nSKU-00005,{n},7.{n}\nSKU-00006,{n + 1},6.00\n")
    job = sync(api, channel, "smart")
    assert job["ran_as"] is None
    assert (job["counts"]["planned"], job["counts"]["pushed"]) == (2, 2)
    assert differences(api, linked.sandboxes[kind].store, ALL) == {}
    again = sync(api, channel, "smart")
    assert again["counts"]["planned"] == 0


def products(store):
    """The channel's products whose every variant is a linked SKU: {product id: [sku, ...]}."""
    found: dict[object, list[str]] = {}
    for row in store.variant_rows():
        found.setdefault(row["product_id"], []).append(row["sku"])
    return {product: skus for product, skus in found.items() if set(skus) <= set(ALL)}


@pytest.mark.parametrize("kind", CHANNELS)
def test_inactive_listings_are_hidden_on_the_channel_and_shown_again(linked, api, kind):
    channel, store = CHANNELS[kind], linked.sandboxes[kind].store
    skus = list(products(store).values())[-1]  # every SKU of one product
    api.import_listings("sku,status\n" + "".join(f"{sku},inactive\n" for sku in skus))
    sync(api, channel, "smart")
    assert {row["sku"]: row["status"] for row in store.variant_rows() if row["sku"] in skus} == dict.fromkeys(
        skus, "hidden"
    )
    api.import_listings("sku,status\n" + "".join(f"{sku},active\n" for sku in skus))
    sync(api, channel, "smart")
    assert differences(api, store, ALL) == {}


def test_hiding_one_variant_of_a_shopify_product_with_others_fails_with_the_fix(linked, api):
    store = linked.sandboxes["shopify"].store
    sku, sibling = next(skus for skus in products(store).values() if len(skus) > 1)[:2]
    api.import_listings(f"sku,status\n{sku},inactive\n")
    job = run(api, {"channel": "shop", "kind": "sync", "mode": "smart"}, statuses=("completed_with_errors",))
    (failure,) = job["failures"]
    assert failure["sku"] == sku and "the channel shows or hides whole products" in failure["message"]
    assert f"{sibling}" in failure["message"] and "set them inactive too" in failure["message"]
    rows = {row["sku"]: row["status"] for row in store.variant_rows()}
    assert rows[sku] == rows[sibling] == "active"
    api.import_listings(f"sku,status\n{sku},active\n")


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_partial_sync_fixes_only_the_links_a_reconcile_found_out_of_sync(linked, api, kind):
    channel, store = CHANNELS[kind], linked.sandboxes[kind].store
    sync(api, channel, "full")
    store.edit_by_hand("SKU-00011", {"quantity": 999})
    store.edit_by_hand("SKU-00012", {"price": Decimal("0.99")})
    reconciled = run(api, {"channel": channel, "kind": "reconcile"})
    assert reconciled["counts"]["out_of_sync"] == 2
    job = sync(api, channel, "partial")
    assert (job["counts"]["planned"], job["counts"]["pushed"]) == (2, 2)
    assert differences(api, store, ALL) == {}
    assert sync(api, channel, "partial")["counts"]["planned"] == 0


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_selected_sync_pushes_the_skus_given_and_counts_unlinked_ones_as_skipped(linked, api, kind):
    channel, store = CHANNELS[kind], linked.sandboxes[kind].store
    api.import_listings("sku,on_hand\nSKU-00021,3\nSKU-00022,4\nSKU-00023,5\nNEW-1,9\n")
    job = run(
        api,
        {"channel": channel, "kind": "sync", "mode": "selected", "skus": ["SKU-00021", "SKU-00022", "NEW-1"]},
    )
    counts = job["counts"]
    assert (counts["planned"], counts["pushed"], counts["skipped"]) == (3, 2, 1)
    assert any(f["sku"] == "NEW-1" and "run a re-link" in f["message"] for f in job["failures"])
    assert store.quantity("SKU-00021") == 3 and store.quantity("SKU-00022") == 4
    assert store.quantity("SKU-00023") != 5  # not selected


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_dry_run_shows_what_would_change_and_pushes_nothing(linked, api, kind):
    channel, store = CHANNELS[kind], linked.sandboxes[kind].store
    sync(api, channel, "full")
    held = api.listing("SKU-00031")
    n = len(kind)
    api.import_listings(f"sku,on_hand,price\nSKU-00031,{n},1.{n:02d}\n")
    before = store.variant_rows()
    job = sync(api, channel, "full", dry_run=True)
    assert store.variant_rows() == before
    assert (job["counts"]["pushed"], job["counts"]["compared"], job["counts"]["changes"]) == (0, VARIANTS, 2)
    changes = {(c["sku"], c["field"], c["from_value"], c["to_value"]) for c in api.plan(job["id"])["changes"]}
    assert changes == {
        ("SKU-00031", "quantity", str(held["syncable_balance"]), str(n)),
        ("SKU-00031", "price", held["price"], f"1.{n:02d}"),
    }


def test_sync_with_relink_links_a_changed_sku_and_pushes_in_one_job(linked, api):
    store = linked.sandboxes["shopify"].store
    store.edit_by_hand("SKU-00040", {"sku": "SKU-00040-X"})
    run(api, {"channel": "shop", "kind": "link"})  # unlinks it, with the reason among its failures
    store.edit_by_hand("SKU-00040-X", {"sku": "SKU-00040"})  # the merchant puts it back
    api.import_listings("sku,on_hand\nSKU-00040,17\n")
    job = sync(api, "shop", "smart", relink=True)
    assert job["relink"] and job["counts"]["linked"] == 1
    assert store.quantity("SKU-00040") == 17


def slow(store):
    """Every channel answer takes 0.4 s: a sync lasts long enough to steer it."""
    store.faults.configure(FaultRates(latency_seconds=0.4))


def test_cancel_of_a_running_job_stops_every_push_once_acknowledged(linked, api):
    store = linked.sandboxes["woocommerce"].store
    api.import_listings("sku,on_hand\n" + "\n".join(f"{sku},{n}" for n, sku in enumerate(ALL)) + "\n")
    slow(store)
    try:
        job = api.start_job({"channel": "woo", "kind": "sync", "mode": "full"})
        deadline = time.monotonic() + 30
        while api.job(job["id"])["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6)
        cancelled = api.job_action(job["id"], "cancel")
        assert cancelled["status"] == "cancelled" and cancelled["pushes_in_flight"] == 0
        after_ack = store.variant_rows()
        finished = api.wait_for_job(job["id"])
        time.sleep(2)  # any push batch still queued is delivered and must be skipped
    finally:
        store.faults.configure(FaultRates())
    assert finished["status"] == "cancelled"
    assert store.variant_rows() == after_ack
    assert finished["counts"]["skipped"] > 0


def test_prioritize_moves_a_queued_job_ahead_and_the_queue_runs_one_job_at_a_time(linked, api):
    store = linked.sandboxes["woocommerce"].store
    slow(store)
    try:
        first = api.start_job({"channel": "woo", "kind": "sync", "mode": "selected", "skus": ALL[:5]})
        second = api.start_job({"channel": "woo", "kind": "sync", "mode": "selected", "skus": ALL[5:6]})
        third = api.start_job({"channel": "woo", "kind": "sync", "mode": "selected", "skus": ALL[6:7]})
        assert (api.job(second["id"])["status"], api.job(third["id"])["status"]) == ("queued", "queued")
        moved = api.job_action(third["id"], "prioritize")
        assert moved["priority"] > api.job(second["id"])["priority"]
        jobs = [api.wait_for_job(j["id"]) for j in (first, second, third)]
    finally:
        store.faults.configure(FaultRates())
    first_done, second_done, third_done = jobs
    assert first_done["finished_at"] <= third_done["started_at"] <= third_done["finished_at"]
    assert third_done["finished_at"] <= second_done["started_at"]
    listed = api.jobs(channel="woo", status="completed", kind="sync", limit=200)
    assert {j["id"] for j in jobs} <= {j["id"] for j in listed}


def test_a_partly_failed_job_reruns_on_current_data(linked, api):
    store = linked.sandboxes["woocommerce"].store
    store.delete_by_hand("SKU-00050")
    failed = run(
        api,
        {"channel": "woo", "kind": "sync", "mode": "selected", "skus": ["SKU-00050", "SKU-00051"]},
        statuses=("completed_with_errors",),
    )
    assert failed["counts"]["failed"] == 1
    run(api, {"channel": "woo", "kind": "link"})  # unlinks the gone one
    rerun = api.job_action(failed["id"], "rerun")
    assert rerun["rerun_of"] == failed["id"] and rerun["selected"] == 2
    again = api.wait_for_job(rerun["id"])
    assert again["status"] == "completed", again
    assert (again["counts"]["pushed"], again["counts"]["skipped"]) == (1, 1)


def test_a_job_whose_run_dies_outside_its_catch_fails_and_frees_its_channel(linked, api, monkeypatch):
    # The job's first step fails outside any Catch: its execution ends FAILED with the job still
    # queued and holding its channel. The execution's status change fails the job instead.
    from shared.services import jobs

    def broken(start):
        raise RuntimeError("the start step broke")

    monkeypatch.setattr(jobs, "begin", broken)
    died = api.wait_for_job(
        api.start_job({"channel": "shop", "kind": "sync", "mode": "partial"})["id"], timeout_s=60
    )
    assert died["status"] == "failed", died
    assert "FAILED" in died["error"] and "the start step broke" in died["error"] and "re-run" in died["error"]
    monkeypatch.undo()
    sync(api, "shop", "partial")  # the channel runs its next job


def test_history_is_newest_first_and_paged(linked, api):
    for on_hand in (1, 2, 3):
        api.import_listings(f"sku,on_hand\nSKU-00060,{on_hand}\n")
        sync(api, "shop", "selected", skus=["SKU-00060"])
    first = api.history("SKU-00060", channel="shop", limit=2)
    second = api.history("SKU-00060", channel="shop", limit=2, cursor=first["next"])
    entries = [*first["entries"], *second["entries"]]
    quantities = [e["to_value"] for e in entries if e["field"] == "quantity"]
    assert quantities[:3] == ["3", "2", "1"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_bad_input_is_refused_with_the_field_and_changes_nothing(linked, api):
    before = api.jobs(channel="shop", limit=200)
    cases = [
        ({"channel": "shop", "kind": "sync", "mode": "sometimes"}, 400, "mode"),
        ({"channel": "shop", "kind": "sync", "mode": "selected", "skus": ["NOPE-1"]}, 400, "skus"),
        ({"channel": "shop", "kind": "sync", "mode": "full", "skus": ["SKU-00001"]}, 400, "skus"),
        ({"channel": "nowhere", "kind": "sync", "mode": "full"}, 404, "nowhere"),
    ]
    for body, status, named in cases:
        with pytest.raises(ApiError) as refused:
            api.start_job(body)
        assert refused.value.status == status and named in refused.value.message
    for action in ("cancel", "prioritize", "rerun"):
        with pytest.raises(ApiError) as refused:
            api.job_action("no-such-job", action)
        assert refused.value.status == 404
    done = before[0]
    with pytest.raises(ApiError) as refused:
        api.job_action(done["id"], "cancel")
    assert refused.value.status == 409 and "only a queued or running job" in refused.value.message
    assert api.jobs(channel="shop", limit=200) == before
