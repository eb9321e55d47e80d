"""Auto sync latency (issues 7 and 23): how long after a sale on one channel the other channel
holds the balance that includes it, through the signed webhook, master and auto sync, in local mode.

Setup, as tests/e2e/test_auto_sync.py builds it: LocalRuntime with a Shopify and a WooCommerce
sandbox of --skus items each (SKU-00001 ..), master listings imported with --on-hand each and
auto sync on, both channels added with a webhook secret, linked and fully synced, then both
sandboxes' webhooks pointed at the local API. Only SKUs both sandboxes hold at master's quantity
after the full sync are ordered.

Run, at each of --rates (default 5, then 20 orders a second) for --seconds each: orders of 1-2
units, each on one SKU, placed on the --source sandbox (default Shopify) at that steady rate, then
a drain (the webhook, auto-push and push-back queues empty, both senders idle and every ordered
SKU settled, at most --drain-timeout seconds). The SKUs are dealt in shuffled rounds, so each
order's expected balance (master's start less everything ordered of that SKU so far) is defined.
The sandboxes send webhooks as the channels do: several at once (tidemark/sandbox/webhooks.py).

Measured, for each order (bench/autosync_stamps.py says how):
- the headline, from the sale: place_order returned -> the other store first holds the order's
  expected balance or less (a watcher reads it in-process every --poll-ms). Goal p99 < 3 s.
- its stages: the sender posted the order webhook (the sender's own wait: its backlog); the
  endpoint answered; master took the order line (webhook queue, worker); auto sync queued that very
  write (the table stream); the other store held it (auto-push queue, push). And the arrival-based
  figure (the webhook posted -> the other store holds it) as one stage.
An order not seen on the other store when the drain ends counts as the time it had waited by then
(the percentiles are then lower bounds, and the output says so).

Also: the webhook endpoint's rate (every delivery of both sandboxes answered while the orders were
placed, a second) and its answer time; each sender's backlog as its admin API reports it (the most
queued and in flight, the oldest wait); the push-backs over a channel edit queued, sent and found
needless (master agreed) per order (goal <= 0.05 sent an order: a run without hand edits); per
SKU: master's on hand is its start less everything ordered of it and both sandboxes hold master's
syncable balance (goal 100 %).

Merges autosync.sale_p50_s, autosync.sale_p99_s, autosync.pushbacks_per_order,
autosync.webhook_rate_per_s, autosync.webhook_p99_s, autosync.stream_p99_s, autosync.arrival_p99_s
(also as autosync.p99_s, with p50/p95), autosync.sender_oldest_s, autosync.reached_share and
autosync.orders, autosync.cpu_ms_per_order and autosync.aws_calls_per_order (the process's CPU and
its AWS calls while placing and draining, an order), at 5 a second; at another rate R with the
suffix .R_per_s; and the machine's load average over the run's last minute (`uptime`), autosync.machine_load.

Local mode is moto in-process (one DynamoDB request at a time: tidemark/local/atomic.py), every
handler in the same Python process, on the same cores as the sandboxes and the bench: the
latencies are local mode's, not AWS's.

    python bench/auto_sync_latency.py                     # 40 s at 5, then 40 s at 20 a second
    python bench/auto_sync_latency.py --rates 10 --seconds 60 --source woocommerce
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3
from autosync_stamps import Backlog, Stamps, Watcher, percentile, spread
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`
from sync_scaling import time_handlers

from shared.settings import settings
from shared.storage import listings, orders
from shared.storage.aws import table
from tidemark.local.linked import link_both_sandboxes
from tidemark.local.pollers import wait_until_drained
from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION

# The benches measure syncs, not the guard: their channels' syncs run unguarded.
os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")

SECRETS = {"shop": "bench-shop-webhook-secret", "woo": "bench-woo-webhook-secret"}
GOAL_P99_S = 3.0
GOAL_PUSHBACKS_PER_ORDER = 0.05
GOAL_ENDPOINT_RATE, GOAL_ENDPOINT_P99_S = 50.0, 0.5


@dataclass
class Order:
    index: int
    sku: str
    quantity: int
    expected: int  # the SKU's balance once this order (and every earlier one of it) is taken
    due: float  # when the steady rate places it
    placed: float = 0.0  # place_order returned
    order_id: str = ""
    line_id: str = ""
    posted: float | None = None
    answered: float | None = None
    master: float | None = None
    queued: float | None = None
    reached: float | None = None


def set_up(runtime: LocalRuntime, skus: int, on_hand: int) -> tuple[Any, Any, list[str]]:
    """Master listings, both channels linked and fully synced, webhooks to the local API; the SKUs
    both sandboxes hold at master's quantity."""
    names = [f"SKU-{i:05d}" for i in range(1, skus + 1)]
    api = runtime.client()
    try:
        rows = "".join(f"{sku},{on_hand},0,0,true\n" for sku in names)
        shop, woo = link_both_sandboxes(
            runtime, api, "sku,on_hand,committed,safety_buffer,auto_sync\n" + rows, SECRETS
        )
    finally:
        api.close()
    ready = [s for s in names if shop.quantity(s) == on_hand and woo.quantity(s) == on_hand]
    return shop, woo, ready


def plan_orders(
    skus: list[str], count: int, rate: float, left: dict[str, int], rng: random.Random
) -> list[Order]:
    """`count` orders at `rate`; `left` (each SKU's balance) goes down with them."""
    planned: list[Order] = []
    deck: list[str] = []
    for index in range(count):
        if not deck:
            deck = list(skus)
            rng.shuffle(deck)
        sku = deck.pop()
        quantity = rng.randint(1, 2)
        left[sku] -= quantity
        planned.append(Order(index, sku, quantity, left[sku], index / rate))
    return planned


def place_all(planned: list[Order], store: Any, watcher: Watcher) -> float:
    """Place every order at its due time; the seconds it took."""
    started = time.monotonic()
    for order in planned:
        wait = started + order.due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        watcher.expect(order)  # before the order: the watcher cannot miss it
        placed = store.place_order([(order.sku, order.quantity)])
        order.placed = time.monotonic()
        order.order_id, order.line_id = str(placed["id"]), str(placed["line_items"][0]["id"])
        if (order.index + 1) % 200 == 0:
            print(f"    {order.index + 1} orders placed, {watcher.outstanding()} not yet reached", flush=True)
    return time.monotonic() - started


def drain(
    planned: list[Order], stores: dict[str, Any], watcher: Watcher, start: dict[str, int], timeout_s: float
) -> tuple[dict[str, str], float]:
    """Wait until the queues are empty, the senders idle and every ordered SKU holds master's
    balance everywhere (or the timeout); what is still wrong, by SKU, and the seconds waited."""
    started = time.monotonic()
    deadline = started + timeout_s
    shown = started
    ordered: Counter[str] = Counter()
    for order in planned:
        ordered[order.sku] += order.quantity
    sqs = boto3.client("sqs", region_name=REGION)
    queues = [settings().webhook_queue_url, settings().auto_push_queue_url, settings().push_back_queue_url]
    while True:
        for store in stores.values():
            store.webhooks.flush(timeout=max(1.0, deadline - time.monotonic()))
        drained = wait_until_drained(sqs, queues, 5.0)
        now = time.monotonic()
        if drained or now >= deadline:
            wrong = still_wrong(ordered, stores, start)
            if (drained and not wrong and not watcher.outstanding()) or now >= deadline:
                return wrong, time.monotonic() - started
        if now - shown >= 60:
            shown = now
            print(f"    draining, {now - started:.0f} s: {watcher.outstanding()} orders not yet reached")
        time.sleep(0.5)


def still_wrong(ordered: Counter[str], stores: dict[str, Any], start: dict[str, int]) -> dict[str, str]:
    """The ordered SKUs whose master on hand is not its start less what was ordered, or whose
    sandboxes do not hold master's syncable balance: what is wrong with each."""
    master = listings.get_many(list(ordered))
    held = {
        name: {v.sku: v.quantity for v in reversed(store.variants())} for name, store in stores.items()
    }  # reversed: the first variant of a SKU wins
    wrong = {}
    for sku, taken in ordered.items():
        listing = master.get(sku)
        if listing is None:
            wrong[sku] = "no listing in master"
            continue
        found = {name: quantities.get(sku) for name, quantities in held.items()}
        if listing.on_hand != start[sku] - taken:
            wrong[sku] = f"master on hand {listing.on_hand}, expected {start[sku] - taken}; stores {found}"
        elif any(quantity != listing.syncable_balance for quantity in found.values()):
            wrong[sku] = f"master {listing.syncable_balance}, stores {found}"
    return wrong


def match_stamps(planned: list[Order], stamps: Stamps, channel: str) -> None:
    """Each order's posts, master's take and the auto sync of its own write (by the order line's
    updated_at, which the listing's write in the same transaction carries)."""
    for order in planned:
        line = table().get_item(Key=orders._key(channel, order.order_id, order.line_id)).get("Item")
        with stamps.lock:
            post = stamps.order_posts.get(order.order_id)
            if post is not None:
                order.posted, order.answered = post.started, post.answered
            order.master = stamps.taken.get((order.order_id, order.sku))
            if line is not None:
                order.queued = stamps.queued.get((order.sku, str(line["updated_at"])))


def seconds(planned: list[Order], start: str, end: str) -> list[float]:
    return [
        float(getattr(o, end)) - float(getattr(o, start))
        for o in planned
        if getattr(o, start) is not None and getattr(o, end) is not None
    ]


def report(
    planned: list[Order], stamps: Stamps, backlog: Backlog, phase: dict[str, Any], suffix: str
) -> dict[str, float]:
    ended, other, wrong = phase["ended"], phase["other"], phase["wrong"]
    sale = [(o.reached if o.reached is not None else ended) - o.placed for o in planned]
    bounds = sum(o.reached is None for o in planned)
    reached_share = sum(o.sku not in wrong for o in planned) / len(planned)
    print(
        f"  placed {len(planned)} orders in {phase['placing_s']:.1f} s "
        f"({len(planned) / phase['placing_s']:.2f} a second); drained in {phase['drain_s']:.1f} s",
        flush=True,
    )
    p99 = percentile(sale, 0.99)
    print(f"  the sale (place_order returned) -> {other} holds its balance: {spread(sale)}")
    print(f"    p99 {p99:.3f} s: goal < {GOAL_P99_S:g} s {'met' if p99 < GOAL_P99_S else 'MISSED'}")
    if bounds:
        print(f"    {bounds} orders not seen on {other} by the end of the drain: lower bounds")
    print(f"  reached every channel: {reached_share:.2%} of orders (goal 100 %)")
    for sku, problem in sorted(wrong.items())[:10]:
        print(f"    {sku}: {problem}")
    stages = {
        "place_order returned -> the sender posted it (the sender's wait)": ("placed", "posted"),
        "posted -> the endpoint answered": ("posted", "answered"),
        "posted -> master took it (webhook queue, worker)": ("posted", "master"),
        "master -> auto sync queued its write (table stream)": ("master", "queued"),
        f"queued -> {other} holds it (auto-push queue, push)": ("queued", "reached"),
        f"the arrival-based figure: posted -> {other} holds it": ("posted", "reached"),
    }
    print("  its stages (the same orders):")
    for label, (start, end) in stages.items():
        print(f"    {label}: {spread(seconds(planned, start, end))}")

    with stamps.lock:
        posts = [p for p in stamps.posts if phase["began"] <= p.started <= phase["placed_at"]]
        push_backs = Counter(stamps.push_backs)
        doubled = sum(n > 1 for n in stamps.takes.values())
    answers = [p.answered - p.started for p in posts]
    rate = len(posts) / phase["placing_s"]
    statuses = Counter(p.status for p in posts)
    endpoint_p99 = percentile(answers, 0.99) if answers else 0.0
    verdict = "met" if rate >= GOAL_ENDPOINT_RATE and endpoint_p99 < GOAL_ENDPOINT_P99_S else "not shown"
    print(
        f"  the webhook endpoint held {rate:.1f} deliveries a second (both sandboxes, while placing), "
        f"answered in {spread(answers)}; statuses {dict(statuses)}; goal >= {GOAL_ENDPOINT_RATE:g}/s "
        f"with p99 < {GOAL_ENDPOINT_P99_S:g} s: {verdict}"
    )
    for name, most in backlog.most.items():
        print(
            f"  the {name} sender's backlog (its admin metrics): at most {most['queued']} queued, "
            f"{most['in_flight']} in flight, {most['retrying']} retrying; oldest wait "
            f"{backlog.oldest_s[name]:.3f} s"
        )
    sent_per_order = push_backs["sent"] / len(planned)
    print(
        f"  push-backs over a channel edit: {push_backs['queued']} queued, {push_backs['sent']} sent, "
        f"{push_backs['agreed']} not sent (master agreed): {sent_per_order:.3f} sent an order "
        f"(goal <= {GOAL_PUSHBACKS_PER_ORDER:g}); order lines that took stock twice: {doubled}"
    )
    functions = ", ".join(
        f"{name} {phase['invocations'].count[name]} ({phase['invocations'].seconds[name]:.1f} s)"
        for name in sorted(phase["invocations"].count)
    )
    print(f"  invocations so far (time inside each, waits included): {functions}", flush=True)
    cpu_ms = 1000 * phase["cpu_s"] / len(planned)
    calls = phase["calls"]
    top = ", ".join(f"{name} {count / len(planned):.1f}" for name, count in calls.most_common(8))
    per_order = calls.total() / len(planned)
    print(f"  AWS calls (moto) while placing and draining: {per_order:.1f} an order: {top}")
    kinds = ", ".join(f"{name} {count / len(planned):.1f}" for name, count in phase["items"].most_common(12))
    print(f"  DynamoDB's item calls by the item's kind (its PK's prefix), an order: {kinds}")
    print(
        f"  CPU of the whole process (moto, every handler, the sandboxes, the bench: one GIL) while "
        f"placing and draining: {phase['cpu_s']:.1f} s, {cpu_ms:.0f} ms an order, "
        f"{phase['cpu_s'] / (phase['ended'] - phase['began']):.0%} of a core",
        flush=True,
    )
    arrival = seconds(planned, "posted", "reached")
    stream = seconds(planned, "master", "queued")
    figures = {
        "sale_p50_s": percentile(sale, 0.50),
        "sale_p99_s": p99,
        "arrival_p99_s": percentile(arrival, 0.99) if arrival else -1.0,
        "stream_p99_s": percentile(stream, 0.99) if stream else -1.0,
        "pushbacks_per_order": sent_per_order,
        "webhook_rate_per_s": rate,
        "webhook_p99_s": endpoint_p99,
        "sender_oldest_s": max(backlog.oldest_s.values(), default=0.0),
        "reached_share": reached_share,
        "orders": len(planned),
        "cpu_ms_per_order": cpu_ms,
        "aws_calls_per_order": per_order,
    }
    if not suffix and arrival:
        figures |= {
            "p50_s": percentile(arrival, 0.5),
            "p95_s": percentile(arrival, 0.95),
            "p99_s": figures["arrival_p99_s"],
        }
    return {f"autosync.{name}{suffix}": round(value, 4) for name, value in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rates", default="5,20", help="orders a second, one run each (default 5,20)")
    parser.add_argument("--seconds", type=float, default=40.0, help="seconds of orders at each rate")
    parser.add_argument("--skus", type=int, default=200, help="SKUs in each sandbox and master (default 200)")
    parser.add_argument("--on-hand", type=int, default=100, help="master's on hand of each SKU at the start")
    parser.add_argument("--source", choices=("shopify", "woocommerce"), default="shopify")
    parser.add_argument("--seed", type=int, default=7, help="catalogs, SKU order and quantities")
    parser.add_argument("--poll-ms", type=float, default=20.0, help="how often the other store is read")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds to wait after each run")
    parser.add_argument("--no-merge", action="store_true", help="print only; leave bench/results.json")
    arguments = parser.parse_args()
    rates = [float(rate) for rate in arguments.rates.split(",")]
    total = sum(round(rate * arguments.seconds) for rate in rates)
    if arguments.on_hand < 2 * (total // max(1, arguments.skus) + 1):
        parser.error("--on-hand is too small: the orders would take a SKU below zero")

    started = time.perf_counter()
    other = "woocommerce" if arguments.source == "shopify" else "shopify"
    source_channel = "shop" if arguments.source == "shopify" else "woo"
    print(
        f"auto sync: {arguments.seconds:g} s of orders at each of {rates} a second on the "
        f"{arguments.source} sandbox, {arguments.skus} SKUs, latency to {other}",
        flush=True,
    )
    figures: dict[str, float] = {}
    with LocalRuntime(
        port=0, shopify_variants=arguments.skus, woocommerce_products=arguments.skus, seed=arguments.seed
    ) as runtime:
        if runtime.schedules is not None:
            runtime.schedules.stop()  # no schedule fires during the bench
        shop, woo, skus = set_up(runtime, arguments.skus, arguments.on_hand)
        print(f"  set up in {time.perf_counter() - started:.0f} s: {len(skus)} of {arguments.skus} SKUs")
        if not skus:
            raise RuntimeError("no SKU is linked and synced on both sandboxes")
        stores = {"shopify": shop, "woocommerce": woo}
        stamps = Stamps()
        for store in stores.values():
            stamps.wrap_sender(store.webhooks)
        undo = stamps.wrap_pipeline()
        undo_aws = stamps.wrap_aws()
        invocations = time_handlers(runtime)
        backlog = Backlog({name: runtime.sandboxes[name].url for name in stores})
        watcher = Watcher(stores[other], arguments.poll_ms / 1000)
        watcher.start()
        backlog.start()
        left = dict.fromkeys(skus, arguments.on_hand)
        rng = random.Random(arguments.seed)
        try:
            for rate in rates:
                start = dict(left)
                planned = plan_orders(skus, round(rate * arguments.seconds), rate, left, rng)
                print(f"  at {rate:g} orders a second: {len(planned)} orders", flush=True)
                with stamps.lock:
                    stamps.push_backs.clear()
                backlog.reset()
                with stamps.lock:
                    calls_before, items_before = Counter(stamps.calls), Counter(stamps.items)
                began, cpu_began = time.monotonic(), time.process_time()
                placing_s = place_all(planned, stores[arguments.source], watcher)
                placed_at = time.monotonic()
                wrong, drain_s = drain(planned, stores, watcher, start, arguments.drain_timeout)
                phase = {
                    "began": began, "placed_at": placed_at, "ended": time.monotonic(), "wrong": wrong,
                    "placing_s": placing_s, "drain_s": drain_s, "other": other, "invocations": invocations,
                    "cpu_s": time.process_time() - cpu_began, "calls": stamps.calls - calls_before,
                    "items": stamps.items - items_before,
                }  # fmt: skip
                match_stamps(planned, stamps, source_channel)
                suffix = "" if rate == 5 else f".{rate:g}_per_s"
                figures |= report(planned, stamps, backlog, phase, suffix)
        finally:
            watcher.stop()
            backlog.stop()
            undo()
            undo_aws()
    load = os.getloadavg()
    figures["autosync.machine_load"] = round(load[0], 2)
    print(f"  the machine's load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"auto sync: {time.perf_counter() - started:.0f} s in all", flush=True)
    if not arguments.no_merge:
        merge(figures)


if __name__ == "__main__":
    main()
