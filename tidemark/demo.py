"""`make demo`: the whole product on this machine, shown step by step.

template.yaml deployed into moto, sandbox Shopify and WooCommerce stores, listings imported,
a channel connected on each, every listing linked by SKU, a full sync through Step Functions,
the FIFO queue and the push handler, and each channel's quantities checked against master.
In a terminal it then keeps the stack up, with the console's address and sign-in, until Ctrl-C;
with none (CI set, or standard input or output not a terminal) it exits.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time

from rich.table import Table

from tidemark import login
from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local.runtime import LocalRuntime
from tidemark.render import console, job_table, wait_with_progress

CHANNELS = {"shopify": "demo-shop", "woocommerce": "demo-woo"}
SAMPLE = 12


def listings_csv(variants: int, seed: int) -> str:
    """Master listings for the sandboxes' SKUs, with committed stock and safety buffers."""
    rng = random.Random(seed)
    rows = ["sku,title,on_hand,committed,safety_buffer,price"]
    for i in range(1, variants + 1):
        on_hand = rng.randint(0, 120)
        committed = rng.randint(0, min(on_hand, 10))
        buffer = rng.choice([0, 0, 2, 5])
        rows.append(
            f"SKU-{i:05d},Demo item {i},{on_hand},{committed},{buffer},{rng.randint(500, 9999) / 100:.2f}"
        )
    return "\n".join(rows) + "\n"


def run_demo(variants: int = 200, seed: int = 7) -> int:
    started = time.monotonic()
    runtime = LocalRuntime(port=0, shopify_variants=variants, woocommerce_products=variants, seed=seed)
    with console.status("deploying template.yaml into moto"):
        runtime.start()
    try:
        _show_resources(runtime)
        api = runtime.client()
        _import_link_and_sync(api, runtime, variants, seed)
        result = _compare(api, runtime, variants, started)
        if in_a_terminal():
            _keep_up(runtime)
        return result
    except ApiError as error:
        console.print(f"[red]the demo stopped:[/] {error.message}")
        return 1
    finally:
        runtime.stop()


def in_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")


def _keep_up(runtime: LocalRuntime) -> None:
    """The demo's stack and data stay up for the console page until Ctrl-C."""
    with login.local_login(runtime):
        login.show_sign_in(runtime)
        console.print("the demo's stack stays up with its data: Ctrl-C stops it")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping")


def _show_resources(runtime: LocalRuntime) -> None:
    assert runtime.deployment is not None
    table = Table(title="deployed from template.yaml into moto")
    for column in ("resource", "type", "local"):
        table.add_column(column)
    for logical_id, deployed in runtime.deployment.resources.items():
        table.add_row(logical_id, deployed.type, deployed.ref.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    console.print(table)
    console.print(f"console API {runtime.api_url}")


def _import_link_and_sync(api: ConsoleApi, runtime: LocalRuntime, variants: int, seed: int) -> None:
    imported = api.import_listings(listings_csv(variants, seed))
    console.print(f"[bold]listings imported[/]: {imported['created']} created, {imported['updated']} updated")
    for kind, name in CHANNELS.items():
        store = runtime.sandboxes[kind]
        api.add_channel(
            {
                "name": name,
                "type": kind,
                "store_url": store.url,
                "allow_insecure_url": True,
                **store.credentials,
            }
        )
        console.print(f"[bold]channel connected[/]: {name} -> {kind} sandbox at {store.url}")
        console.print(job_table(wait_with_progress(api, api.start_job({"channel": name, "kind": "link"}))))
        job = wait_with_progress(api, api.start_job({"channel": name, "kind": "sync", "mode": "full"}))
        console.print(job_table(job))
        if job["status"] == "awaiting_confirmation":  # the channel's guard: the sandbox differs from master
            console.print(f"[bold]the guard stopped the sync[/]: {job['note']}")
            console.print(f"[bold]confirmed[/]: tidemark jobs confirm {job['id']}")
            console.print(job_table(wait_with_progress(api, api.job_action(job["id"], "confirm"))))


def _compare(api: ConsoleApi, runtime: LocalRuntime, variants: int, started: float) -> int:
    on_channel = {
        kind: {v.sku: v.quantity for v in runtime.sandboxes[kind].store.variants()} for kind in CHANNELS
    }
    sample = set(random.Random(1).sample(range(1, variants + 1), min(SAMPLE, variants)))
    table = Table(title="master balance beside each channel's quantity")
    table.add_column("sku", no_wrap=True)
    for column in ("on hand", "committed", "buffer", "master", *CHANNELS):
        table.add_column(column, justify="right")
    table.add_column("")
    unequal = []
    for i in range(1, variants + 1):
        listing = api.listing(f"SKU-{i:05d}")
        quantities = [on_channel[kind].get(listing["sku"]) for kind in CHANNELS]
        equal = all(q == listing["syncable_balance"] for q in quantities)
        if not equal:
            unequal.append(listing["sku"])
        if i in sample or not equal:
            counts = (
                listing["on_hand"],
                listing["committed"],
                listing["safety_buffer"],
                listing["syncable_balance"],
            )
            verdict = "[green]equal[/]" if equal else "[red]DIFFERENT[/]"
            table.add_row(listing["sku"], *(str(c) for c in counts), *(str(q) for q in quantities), verdict)
    console.print(table)
    elapsed = time.monotonic() - started
    if unequal:
        console.print(f"[red]{len(unequal)} of {variants} listings differ on a channel[/] ({elapsed:.1f} s)")
        return 1
    console.print(
        f"[green]on every channel, all {variants} quantities equal master balances[/] ({elapsed:.1f} s)"
    )
    return 0
