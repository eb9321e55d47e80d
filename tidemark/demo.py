"""`make demo`: the whole product on this machine, shown step by step.

template.yaml deployed into moto, a sandbox Shopify store, listings imported, a channel
connected, every listing linked by SKU, a full sync through Step Functions, the FIFO queue and
the push handler, and the channel's quantities checked against master balances.
"""

from __future__ import annotations

import random
import time

from rich.table import Table

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local.runtime import LocalRuntime
from tidemark.render import console, job_table, wait_with_progress

CHANNEL = "demo-shop"
SAMPLE = 12


def listings_csv(variants: int, seed: int) -> str:
    """Master listings for the sandbox's SKUs, with committed stock and safety buffers."""
    rng = random.Random(seed)
    rows = ["sku,title,on_hand,committed,safety_buffer,price"]
    for i in range(1, variants + 1):
        on_hand = rng.randint(0, 120)
        rows.append(
            f"SKU-{i:05d},Demo item {i},{on_hand},{rng.randint(0, min(on_hand, 10))},"
            f"{rng.choice([0, 0, 2, 5])},{rng.randint(500, 9999) / 100:.2f}"
        )
    return "\n".join(rows) + "\n"


def run_demo(variants: int = 200, seed: int = 7) -> int:
    started = time.monotonic()
    runtime = LocalRuntime(port=0, shopify_variants=variants, seed=seed)
    with console.status("deploying template.yaml into moto"):
        runtime.start()
    try:
        return _show(runtime, variants, seed, started)
    except ApiError as error:
        console.print(f"[red]the demo stopped:[/] {error.message}")
        return 1
    finally:
        runtime.stop()


def _show(runtime: LocalRuntime, variants: int, seed: int, started: float) -> int:
    assert runtime.deployment is not None
    resources = Table(title="deployed from template.yaml into moto")
    resources.add_column("resource")
    resources.add_column("type")
    resources.add_column("local")
    for logical_id, deployed in runtime.deployment.resources.items():
        resources.add_row(logical_id, deployed.type, deployed.ref.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    console.print(resources)
    shop = runtime.sandboxes["shopify"]
    console.print(f"console API {runtime.api_url}   shopify sandbox {shop.url} ({variants} variants)")

    api = ConsoleApi(runtime.api_url)
    imported = api.import_listings(listings_csv(variants, seed))
    console.print(f"[bold]listings imported[/]: {imported['created']} created, {imported['updated']} updated")
    channel = api.add_channel({"name": CHANNEL, "type": "shopify", "store_url": shop.url, **shop.credentials})
    console.print(
        f"[bold]channel connected[/]: {channel['name']} -> {channel['store_name']} ({channel['store_url']})"
    )

    linked = wait_with_progress(api, api.start_job({"channel": CHANNEL, "kind": "link"}))
    console.print(job_table(linked))
    synced = wait_with_progress(api, api.start_job({"channel": CHANNEL, "kind": "sync", "mode": "full"}))
    console.print(job_table(synced))

    return _compare(api, shop.store, variants, started)


def _compare(api: ConsoleApi, store: object, variants: int, started: float) -> int:
    from tidemark.sandbox.shopify import ShopifyStore

    assert isinstance(store, ShopifyStore)
    channel_quantity = {v.sku: v.quantity for v in store.variants()}
    sample = set(random.Random(1).sample(range(1, variants + 1), min(SAMPLE, variants)))
    table = Table(title="master balance beside the channel's quantity")
    for column in ("sku", "on hand", "committed", "buffer", "master balance", "channel", ""):
        table.add_column(column)
    unequal = []
    for i in range(1, variants + 1):
        sku = f"SKU-{i:05d}"
        listing = api.listing(sku)
        equal = listing["syncable_balance"] == channel_quantity.get(sku)
        if not equal:
            unequal.append(sku)
        if i in sample or not equal:
            table.add_row(
                sku,
                str(listing["on_hand"]),
                str(listing["committed"]),
                str(listing["safety_buffer"]),
                str(listing["syncable_balance"]),
                str(channel_quantity.get(sku)),
                "[green]equal[/]" if equal else "[red]DIFFERENT[/]",
            )
    console.print(table)
    elapsed = time.monotonic() - started
    if unequal:
        console.print(
            f"[red]{len(unequal)} of {variants} channel quantities differ from master[/] ({elapsed:.1f} s)"
        )
        return 1
    console.print(f"[green]all {variants} channel quantities equal master balances[/] ({elapsed:.1f} s)")
    return 0
