"""Linking end to end in local mode, against both sandbox stores: link, the duplicate report,
re-link after fixing the duplicate on the store, unlink after a SKU change there, the variant's
status read, and reconcile after a quantity changed by hand on the store."""

import pytest

pytestmark = pytest.mark.e2e
VARIANTS = 60
CHANNELS = {"shopify": "shop", "woocommerce": "woo"}


@pytest.fixture(scope="module")
def connected(stack, api):
    rows = "\n".join(f"SKU-{i:05d},{i}" for i in range(1, VARIANTS + 1))
    api.import_listings(f"sku,on_hand\n{rows}\nLONELY-1,5\n")
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
    return stack


def run(api, channel, kind):
    job = api.wait_for_job(api.start_job({"channel": channel, "kind": kind})["id"])
    assert job["status"] in ("completed", "completed_with_errors"), job
    return job


def link_of(api, sku, channel):
    return next((link for link in api.listing(sku)["links"] if link["channel"] == channel), None)


def test_a_duplicate_sku_links_nothing_is_reported_and_a_relink_after_the_fix_links_it(connected, api):
    shop = connected.sandboxes["shopify"].store
    shop.edit_by_hand("SKU-00002", {"sku": "SKU-00001"})  # two variants now carry SKU-00001

    job = run(api, "shop", "link")
    counts = job["counts"]
    assert (counts["read"], counts["linked"], counts["duplicate"]) == (VARIANTS, VARIANTS - 2, 1)
    assert counts["no_match"] == 2  # SKU-00002 (its variant now says SKU-00001) and LONELY-1
    (failure,) = job["failures"]
    assert failure["sku"] == "SKU-00001"
    assert "duplicate sku 'SKU-00001' on channel 'shop'" in failure["message"]
    assert "make it unique there, then re-link" in failure["message"]
    assert link_of(api, "SKU-00001", "shop") is None

    shop.edit_by_hand("SKU-00001", {"sku": "SKU-00002"})  # the merchant fixes it on Shopify
    relinked = run(api, "shop", "relink")
    assert (relinked["counts"]["linked"], relinked["counts"]["already_linked"]) == (2, VARIANTS - 2)
    assert link_of(api, "SKU-00001", "shop")["status"] == "linked"
    assert link_of(api, "SKU-00002", "shop")["status"] == "linked"


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_relink_after_a_link_changes_nothing(connected, api, kind):
    run(api, CHANNELS[kind], "link")
    before = [link_of(api, f"SKU-{i:05d}", CHANNELS[kind]) for i in range(1, VARIANTS + 1)]
    job = run(api, CHANNELS[kind], "relink")
    assert (job["counts"]["linked"], job["counts"]["already_linked"]) == (0, VARIANTS)
    assert [link_of(api, f"SKU-{i:05d}", CHANNELS[kind]) for i in range(1, VARIANTS + 1)] == before


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_sku_changed_on_the_channel_unlinks_with_the_reason(connected, api, kind):
    channel = CHANNELS[kind]
    run(api, channel, "link")
    linked = link_of(api, "SKU-00003", channel)
    connected.sandboxes[kind].store.edit_by_hand("SKU-00003", {"sku": "SKU-00003-B"})

    job = run(api, channel, "link")
    assert job["counts"]["value_changed"] == 1
    link = link_of(api, "SKU-00003", channel)
    assert link["status"] == "unlinked"
    assert link["unlinked_reason"] == (
        f"the sku of variant {linked['variant_id']} changed on '{channel}' from 'SKU-00003' to 'SKU-00003-B'"
    )
    assert any(f["sku"] == "SKU-00003" and "re-link" in f["message"] for f in job["failures"])


@pytest.mark.parametrize("kind", CHANNELS)
def test_a_link_reads_the_variants_status_on_the_channel(connected, api, kind):
    channel = CHANNELS[kind]
    run(api, channel, "link")
    assert link_of(api, "SKU-00004", channel)["channel_status"] == "active"
    connected.sandboxes[kind].store.edit_by_hand("SKU-00004", {"status": "hidden"})
    run(api, channel, "link")
    assert link_of(api, "SKU-00004", channel)["channel_status"] == "hidden"
    connected.sandboxes[kind].store.edit_by_hand("SKU-00004", {"status": "active"})


@pytest.mark.parametrize("kind", CHANNELS)
def test_reconcile_marks_out_of_sync_what_was_changed_by_hand_on_the_channel(connected, api, kind):
    channel = CHANNELS[kind]
    run(api, channel, "link")
    synced = api.wait_for_job(api.start_job({"channel": channel, "kind": "sync", "mode": "full"})["id"])
    assert synced["status"] == "completed", synced
    store = connected.sandboxes[kind].store
    # a full sync pushes quantities: what the store hides while master is active stays different
    hidden = {row["sku"] for row in store.variant_rows() if row["status"] == "hidden"} - {"SKU-00005"}
    clean = run(api, channel, "reconcile")
    assert (clean["counts"]["checked"], clean["counts"].get("out_of_sync", 0)) == (VARIANTS - 1, len(hidden))

    store.edit_by_hand("SKU-00005", {"quantity": 999})
    job = run(api, channel, "reconcile")
    assert (job["counts"]["checked"], job["counts"]["out_of_sync"]) == (VARIANTS - 1, len(hidden) + 1)
    link = link_of(api, "SKU-00005", channel)
    assert (link["sync_state"], link["last_observed_quantity"]) == ("out_of_sync", 999)
    assert link_of(api, "SKU-00006", channel)["sync_state"] == "in_sync"
