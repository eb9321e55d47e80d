"""One run of the campaign on a started runtime."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from decimal import Decimal

from tidemark.api_client import ConsoleApi
from tidemark.local import faults as runtime_faults
from tidemark.local.linked import link_both_sandboxes, link_marketplaces
from tidemark.local.runtime import LocalRuntime
from tidemark.soak.checks import (
    close_out,
    count_figures,
    dead_letters,
    faults_off,
    faults_on,
    settle,
    shorten_visibility,
)
from tidemark.soak.config import (
    EAST,
    SHOPIFY_MAP,
    SOAK_CHANNELS,
    WEBHOOK_SECRETS,
    SoakConfig,
    shopify_gid,
)
from tidemark.soak.end_state import check_end_state
from tidemark.soak.logs import LogCapture
from tidemark.soak.records import Ledger, Sandbox, SoakReport
from tidemark.soak.workload import Roles, Workload


def soak_runtime(config: SoakConfig) -> LocalRuntime:
    # The soak is about faults, not the guard: its syncs of every mode run unguarded (a channel's
    # guard, on by default, would stop a first sync of a sandbox whose quantities all differ).
    os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")
    return LocalRuntime(
        port=0,
        shopify_variants=config.skus,
        woocommerce_products=config.skus,
        ebay_items=config.skus,
        shopify_locations=len(SHOPIFY_MAP),
        seed=config.seed,
        log_level=config.log_level,
    )


def run(
    runtime: LocalRuntime, config: SoakConfig, logs: LogCapture, say: Callable[[str], None] = print
) -> SoakReport:
    """The campaign on a started runtime; its report."""
    report = SoakReport(config.seed)
    rng = random.Random(config.seed)
    if runtime.schedules is not None:
        runtime.schedules.stop()  # every sync of the run is the workload's
    api = runtime.client()
    started = time.monotonic()
    try:
        skus = [f"SKU-{i:05d}" for i in range(1, config.skus + 1)]
        prices = {sku: Decimal(rng.randint(500, 9999)) / 100 for sku in skus}
        roles = Roles.draw(rng, skus)
        set_up(runtime, api, config, prices, roles)
        sandboxes = {
            name: Sandbox(name, kind, runtime.sandboxes[kind].url, runtime.sandboxes[kind].store)
            for name, kind in SOAK_CHANNELS.items()
        }
        shorten_visibility(runtime, config.visibility_timeout_s)
        report.timings["set up"] = time.monotonic() - started
        say(
            f"seed {config.seed}: set up in {report.timings['set up']:.0f} s; "
            f"workload for {config.seconds:.0f} s"
        )
        ledger = Ledger(
            start={sku: config.on_hand + roles.east.get(sku, 0) for sku in skus}, bundles=roles.bundles
        )
        workload = Workload(rng, api, runtime, sandboxes, ledger, roles, report)
        faults_on(sandboxes, config.seed)
        began = time.monotonic()
        workload.run(config.seconds, config.rate, config.restart_every_s)
        report.seconds = time.monotonic() - began
        faults_off(sandboxes)
        say(f"seed {config.seed}: workload done ({sum(report.actions.values())} actions); settling")
        for stage, work in (("drain", settle), ("dead letters", dead_letters), ("close out", close_out)):
            began = time.monotonic()
            work(runtime, api, sandboxes, report, config.settle_limit_s)
            report.timings[stage] = time.monotonic() - began
        check_end_state(api, sandboxes, ledger, report)
        count_figures(runtime, sandboxes, logs, report)
        for sandbox in sandboxes.values():
            sandbox.close()
    finally:
        runtime_faults.PLAN.configure(runtime_faults.RuntimeFaultRates())
        api.close()
    return report


def set_up(
    runtime: LocalRuntime, api: ConsoleApi, config: SoakConfig, prices: dict[str, Decimal], roles: Roles
) -> None:
    """The catalog on Shopify and WooCommerce, linked; the second location and its stock, the
    bundles, every Shopify item stocked at each of the store's locations and the map over them; a
    full sync of both; then Amazon and eBay, linked and synced. eBay's unpublished offers
    (the sandbox's every 10th) are published first, as the seller would in Seller Hub: skipping
    them is tests/e2e/test_ebay.py's."""
    rows = "".join(f"{sku},{config.on_hand},0,0,{price},true\n" for sku, price in prices.items())
    shop = runtime.sandboxes["shopify"].store

    def locations_and_bundles() -> None:
        api.add_location(EAST)
        for sku, units in roles.east.items():
            api.adjust({"sku": sku, "on_hand": units, "location": EAST, "reason": "purchase_order"})
        for bundle, components in roles.bundles.items():
            api.set_bundle(bundle, components)
        for sku in prices:
            for number in SHOPIFY_MAP:
                if shop.available_at(sku, number) is None:
                    shop.stock_at(sku, number, 0)
        api.location_map("shop", {shopify_gid(n): fed_by for n, fed_by in SHOPIFY_MAP.items()})

    link_both_sandboxes(
        runtime,
        api,
        "sku,on_hand,committed,safety_buffer,price,auto_sync\n" + rows,
        WEBHOOK_SECRETS,
        before_sync=locations_and_bundles,
    )
    bay = runtime.sandboxes["ebay"].store
    for offer_id in [offer.offer_id for offer in bay.offers.values() if not offer.published]:
        bay.publish(offer_id)
    link_marketplaces(runtime, api, WEBHOOK_SECRETS["bay"])
