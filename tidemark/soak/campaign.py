"""One run of the campaign on a started runtime."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from decimal import Decimal

from tidemark.local import faults as runtime_faults
from tidemark.local.linked import CHANNELS, link_both_sandboxes
from tidemark.local.runtime import LocalRuntime
from tidemark.soak.checks import (
    check_end_state,
    close_out,
    count_figures,
    dead_letters,
    faults_off,
    faults_on,
    settle,
    shorten_visibility,
)
from tidemark.soak.config import (
    WEBHOOK_SECRETS,
    SoakConfig,
)
from tidemark.soak.logs import LogCapture
from tidemark.soak.records import Ledger, Sandbox, SoakReport
from tidemark.soak.workload import Workload


def soak_runtime(config: SoakConfig) -> LocalRuntime:
    # The soak is about faults, not the guard: its syncs of every mode run unguarded (a channel's
    # guard, on by default, would stop a first sync of a sandbox whose quantities all differ).
    os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")
    return LocalRuntime(
        port=0,
        shopify_variants=config.skus,
        woocommerce_products=config.skus,
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
        rows = "".join(f"{sku},{config.on_hand},0,0,{prices[sku]},true\n" for sku in skus)
        link_both_sandboxes(
            runtime, api, "sku,on_hand,committed,safety_buffer,price,auto_sync\n" + rows, WEBHOOK_SECRETS
        )
        sandboxes = {
            name: Sandbox(name, runtime.sandboxes[kind].url, runtime.sandboxes[kind].store)
            for name, kind in CHANNELS.items()
        }
        shorten_visibility(runtime, config.visibility_timeout_s)
        report.timings["set up"] = time.monotonic() - started
        say(
            f"seed {config.seed}: set up in {report.timings['set up']:.0f} s; "
            f"workload for {config.seconds:.0f} s"
        )
        ledger = Ledger(start=dict.fromkeys(skus, config.on_hand))
        workload = Workload(rng, api, runtime, sandboxes, ledger, skus, report)
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
