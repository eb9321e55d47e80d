"""Auto sync latency (issue 7): how long an order placed on one channel takes to reach the other
channel's stock, through the signed webhook, master and auto sync, in local mode.

Setup, as tests/e2e/test_auto_sync.py builds it: LocalRuntime with a Shopify and a WooCommerce
sandbox of --skus items each (SKU-00001 ..), master listings imported with --on-hand each and
auto sync on, both channels added with a webhook secret, linked and fully synced, then both
sandboxes' webhooks pointed at the local API. Only SKUs both sandboxes hold at master's quantity
after the full sync are ordered (all of them, unless a channel left some out).

Run: --orders orders of 1-2 units, each on one SKU, placed on the --source sandbox (default
Shopify) at a steady --rate a second. The SKUs are dealt in shuffled rounds, so one SKU's orders
are --skus / --rate seconds apart on average and each order's expected balance (master's start
less everything ordered of that SKU so far) is well defined.

Measured, for each order:
- arrival: when the sandbox's webhook sender posts the order's orders/create (order.created) to
  the local API. The sandboxes send webhooks from a background thread, after place_order has
  returned or not; the bench wraps that sender's post and stamps the moment the post starts
  (on loopback it reaches the API within a millisecond), keyed by the order id in the body. So
  the sender's own backlog is not counted; the time from place_order to arrival is printed
  beside. The post's answer time is the endpoint's response time (goal: within a second).
- reached: when the other sandbox first holds the order's expected balance or less (orders only
  take stock, so a later order's balance counts too): while orders are outstanding, a watcher
  thread reads the other store in-process every --poll-ms (its public variants(), one read under
  the store's lock; the first item of a SKU, as quantity() reads it).
The latency is reached - arrival. Printed as p50 / p95 / p99 and the maximum; goal p99 < 3 s. An
order not seen on the other store when the drain ends counts as the time it had waited by then:
the percentiles are then lower bounds, and the output says so.

Where the time goes, from in-process stamps on the same orders (the code is not changed, its
module functions are wrapped): master took the order (shared.storage.orders.place returned in
the webhook worker; its own duration too), auto sync queued the listing (queue_pushes called
from the stream's auto-sync function), and the other store held it; the latency and the order
line's duration by fifth of the run; from bench/sync_scaling.py's time_handlers, each
function's invocations and time in the run.

Reached every channel: after the last order, a drain (the webhook, auto-push and push-back queues empty and
every store settled, at most --drain-timeout seconds), then for every order's SKU: master's on
hand is its start less everything ordered of it (no order lost, none taken twice), and both
sandboxes hold master's syncable balance. The share of orders whose SKU passes; goal 100 %.

Merges autosync.p50_s, autosync.p95_s, autosync.p99_s, autosync.reached_share and the run's
size, autosync.orders, into bench/results.json.

Local mode is moto in-process (one DynamoDB request at a time: tidemark/local/atomic.py), every
handler in the same Python process, on the same cores as the sandboxes and the bench: the
latencies are local mode's, not AWS's.

    python bench/auto_sync_latency.py                       # 500 orders at 5 a second on Shopify
    python bench/auto_sync_latency.py --orders 100 --rate 10 --source woocommerce
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`
from sync_scaling import Invocations, time_handlers

import shared.services.autosync as autosync
import shared.services.channel_events as channel_events
import shared.storage.orders as orders_storage
from shared.domain.messages import PushOrigin
from shared.settings import settings
from shared.storage import listings
from tidemark.api_client import ConsoleApi
from tidemark.local.linked import link_both_sandboxes
from tidemark.local.pollers import wait_until_drained
from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION

SHOP_SECRET = "bench-shop-webhook-secret"
WOO_SECRET = "bench-woo-webhook-secret"
ORDER_TOPICS = {"orders/create", "order.created"}
GOAL_P99_S = 3.0


@dataclass
class Order:
    index: int
    sku: str
    quantity: int
    expected: int  # the SKU's balance once this order (and every earlier one of it) is taken
    due: float  # when the steady rate places it
    placed: float = 0.0  # place_order returned
    order_id: str = ""
    arrived: float | None = None
    answered: float | None = None
    status: int | None = None
    master: float | None = None
    queued: float | None = None
    reached: float | None = None

    @property
    def latency(self) -> float | None:
        if self.arrived is None or self.reached is None:
            return None
        return self.reached - self.arrived


@dataclass
class Post:
    started: float
    answered: float
    status: int | None


class Stamps:
    """What the wrapped functions saw, stamped with time.monotonic(), from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: dict[str, Post] = {}  # order id -> its orders/create post (the first)
        self.order_posts = 0
        self.taken: dict[tuple[str, str], float] = {}  # (order id, SKU) -> master took it
        self.takes: Counter[tuple[str, str]] = Counter()  # how often a line took something
        self.auto_queued: dict[str, list[float]] = defaultdict(list)  # SKU -> auto sync queued it
        self.pushed_back = 0  # listings queued back to a channel over a quantity it changed
        self.place_s: list[tuple[float, float]] = []  # (started, seconds) of each line master took

    def wrap_sender(self, sender: Any) -> None:
        """Stamp every order webhook the sandbox's sender posts (`WebhookSender._post`)."""
        original: Callable[..., None] = sender._post

        def post(delivery: Any, **options: Any) -> None:
            if delivery.topic not in ORDER_TOPICS:
                original(delivery, **options)
                return
            started = time.monotonic()
            original(delivery, **options)
            answered = time.monotonic()
            order_id = str(json.loads(delivery.body)["id"])
            with self.lock:
                self.order_posts += 1
                if order_id not in self.posts:
                    self.posts[order_id] = Post(started, answered, sender.sent[-1].status)

        sender._post = post

    def wrap_pipeline(self) -> Callable[[], None]:
        """Stamp master taking each order line, and every listing queued at once (by auto sync, or
        back to a channel over an edit); returns the undo."""
        place, queue_pushes = orders_storage.place, autosync.queue_pushes

        def placed(channel: str, order_id: str, line: Any) -> int:
            started = time.monotonic()
            taken = place(channel, order_id, line)
            now = time.monotonic()
            if taken:
                with self.lock:
                    self.taken.setdefault((str(order_id), line.sku), now)
                    self.takes[(str(order_id), line.sku)] += 1
                    self.place_s.append((started, now - started))
            return taken

        def queued(skus: Any, origin: PushOrigin, **options: Any) -> int:
            skus = list(skus)
            now = time.monotonic()
            with self.lock:
                if origin is PushOrigin.AUTO_SYNC:
                    for sku in skus:
                        self.auto_queued[sku].append(now)
                elif origin is PushOrigin.CHANNEL_EDIT:
                    self.pushed_back += len(skus)
            return queue_pushes(skus, origin, **options)

        # channel_events imported queue_pushes by name: wrap it there too
        orders_storage.place = placed
        autosync.queue_pushes = channel_events.queue_pushes = queued

        def undo() -> None:
            orders_storage.place = place
            autosync.queue_pushes = channel_events.queue_pushes = queue_pushes

        return undo


class Watcher:
    """Reads the other store for the SKUs with orders outstanding and stamps when each is reached."""

    def __init__(self, store: Any, poll_s: float) -> None:
        self._store = store
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[Order]] = defaultdict(deque)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-watcher", daemon=True)
        self.reads = 0

    def expect(self, order: Order) -> None:
        with self._lock:
            self._waiting[order.sku].append(order)

    def outstanding(self) -> int:
        with self._lock:
            return sum(len(waiting) for waiting in self._waiting.values())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                waiting = any(self._waiting.values())
            if waiting:
                held: dict[str, int] = {}
                for variant in self._store.variants():  # one read under the store's lock
                    held.setdefault(variant.sku, variant.quantity)  # the first, as quantity() reads
                now = time.monotonic()
                self.reads += 1
                with self._lock:
                    for sku, orders in self._waiting.items():
                        while orders and held.get(sku, orders[0].expected + 1) <= orders[0].expected:
                            orders.popleft().reached = now
            self._stop.wait(self._poll_s)


def latencies_of(planned: list[Order], ended: float) -> tuple[list[float], int]:
    """Every order's latency; an order not seen on the other store by `ended` (or whose webhook was
    never posted) counts as the time it had waited by then, a lower bound: (latencies, bounds)."""
    latencies, bounds = [], 0
    for order in planned:
        if order.latency is not None:
            latencies.append(order.latency)
        else:
            bounds += 1
            latencies.append(ended - (order.arrived if order.arrived is not None else order.placed))
    return latencies, bounds


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 < share <= 1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-share * len(ordered) // 1)) - 1))]


def fifths(values: list[float | None]) -> list[list[float]]:
    """The measured values of each fifth of the run, in order."""
    size = -(-len(values) // 5) or 1
    return [[v for v in values[i : i + size] if v is not None] for i in range(0, len(values), size)]


def spread(values: list[float]) -> str:
    if not values:
        return "none measured"
    return (
        f"p50 {percentile(values, 0.50):.3f} s, p95 {percentile(values, 0.95):.3f} s, "
        f"p99 {percentile(values, 0.99):.3f} s, max {max(values):.3f} s (n={len(values)})"
    )


def set_up(runtime: LocalRuntime, skus: int, on_hand: int) -> tuple[Any, Any, list[str]]:
    """Master listings, both channels linked and fully synced, webhooks to the local API; the SKUs
    both sandboxes hold at master's quantity."""
    names = [f"SKU-{i:05d}" for i in range(1, skus + 1)]
    api = ConsoleApi(runtime.api_url)
    try:
        rows = "".join(f"{sku},{on_hand},0,0,true\n" for sku in names)
        shop, woo = link_both_sandboxes(
            runtime,
            api,
            "sku,on_hand,committed,safety_buffer,auto_sync\n" + rows,
            {"shop": SHOP_SECRET, "woo": WOO_SECRET},
        )
    finally:
        api.close()
    ready = [s for s in names if shop.quantity(s) == on_hand and woo.quantity(s) == on_hand]
    return shop, woo, ready


def plan_orders(skus: list[str], count: int, rate: float, on_hand: int, rng: random.Random) -> list[Order]:
    planned: list[Order] = []
    left = dict.fromkeys(skus, on_hand)
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
        order.order_id = str(store.place_order([(order.sku, order.quantity)])["id"])
        order.placed = time.monotonic()
        if (order.index + 1) % 100 == 0:
            print(f"  {order.index + 1} orders placed, {watcher.outstanding()} not yet reached", flush=True)
    return time.monotonic() - started


def drain(
    planned: list[Order], shop: Any, woo: Any, watcher: Watcher, on_hand: int, timeout_s: float
) -> tuple[dict[str, str], float]:
    """Wait until the queues are empty and every ordered SKU holds master's balance everywhere (or
    the timeout); what is still wrong, by SKU, and the seconds waited."""
    started = time.monotonic()
    deadline = started + timeout_s
    shown = started
    ordered: Counter[str] = Counter()
    for order in planned:
        ordered[order.sku] += order.quantity
    sqs = boto3.client("sqs", region_name=REGION)
    queues = [settings().webhook_queue_url, settings().auto_push_queue_url, settings().push_back_queue_url]
    wrong: dict[str, str] = {}
    while True:
        drained = wait_until_drained(sqs, queues, 5.0)
        now = time.monotonic()
        if drained or now >= deadline:
            wrong = still_wrong(ordered, shop, woo, on_hand)
            if (drained and not wrong and not watcher.outstanding()) or now >= deadline:
                return wrong, time.monotonic() - started
        if now - shown >= 60:
            shown = now
            print(
                f"  draining, {now - started:.0f} s: {watcher.outstanding()} orders not yet reached, "
                f"queues {'empty' if drained else 'not empty'}"
                + (f", {len(wrong)} SKUs not settled" if drained else ""),
                flush=True,
            )
        time.sleep(0.5)


def still_wrong(ordered: Counter[str], shop: Any, woo: Any, on_hand: int) -> dict[str, str]:
    """The ordered SKUs whose master on hand is not its start less what was ordered, or whose
    sandboxes do not hold master's syncable balance: what is wrong with each."""
    master = listings.get_many(list(ordered))
    held = {
        name: {v.sku: v.quantity for v in reversed(store.variants())}
        for name, store in (("shop", shop), ("woo", woo))
    }  # reversed: the first variant of a SKU wins
    wrong = {}
    for sku, taken in ordered.items():
        listing = master.get(sku)
        if listing is None:
            wrong[sku] = "no listing in master"
            continue
        stores = {name: quantities.get(sku) for name, quantities in held.items()}
        if listing.on_hand != on_hand - taken:
            wrong[sku] = f"master on hand {listing.on_hand}, expected {on_hand - taken}; stores {stores}"
        elif any(quantity != listing.syncable_balance for quantity in stores.values()):
            wrong[sku] = f"master {listing.syncable_balance}, stores {stores}"
    return wrong


def stage_stamps(planned: list[Order], stamps: Stamps) -> None:
    with stamps.lock:
        for order in planned:
            post = stamps.posts.get(order.order_id)
            if post is not None:
                order.arrived, order.answered, order.status = post.started, post.answered, post.status
            order.master = stamps.taken.get((order.order_id, order.sku))
            queued = stamps.auto_queued.get(order.sku, [])
            if order.master is not None:
                after = bisect.bisect_left(queued, order.master)
                order.queued = queued[after] if after < len(queued) else None


def report(
    planned: list[Order],
    stamps: Stamps,
    wrong: dict[str, str],
    invocations: Invocations,
    placing_s: float,
    drain_s: float,
    source: str,
    other: str,
    ended: float,
) -> dict[str, float]:
    latencies, bounds = latencies_of(planned, ended)
    reached_share = sum(o.sku not in wrong for o in planned) / len(planned)
    print(
        f"  placed {len(planned)} orders in {placing_s:.1f} s ({len(planned) / placing_s:.2f} a second); "
        f"drained in {drain_s:.1f} s",
        flush=True,
    )
    print(f"  webhook arrival on {source} -> {other} holds the balance: {spread(latencies)}", flush=True)
    if bounds:
        print(
            f"  {bounds} orders were not seen on {other} by the end of the drain: each counts as the time "
            "it had waited then, so these percentiles are lower bounds",
            flush=True,
        )
    p99 = percentile(latencies, 0.99)
    verdict = "met" if p99 < GOAL_P99_S else "MISSED"
    print(f"  p99 {p99:.3f} s: goal < {GOAL_P99_S:g} s {verdict}", flush=True)
    print(
        f"  reached every channel: {reached_share:.2%} of orders "
        f"({len(planned) - sum(o.sku in wrong for o in planned)} of {len(planned)}; goal 100 %)",
        flush=True,
    )
    for sku, problem in sorted(wrong.items())[:10]:
        print(f"    {sku}: {problem}", flush=True)

    unreached = [o for o in planned if o.reached is None]
    no_arrival = [o for o in planned if o.arrived is None]
    if unreached or no_arrival:
        print(
            f"  {len(unreached)} orders never seen on {other}, {len(no_arrival)} order webhooks never posted",
            flush=True,
        )
    answers = [o.answered - o.arrived for o in planned if o.answered is not None and o.arrived is not None]
    statuses = Counter(o.status for o in planned)
    print(f"  the webhook endpoint's answer: {spread(answers)}; statuses {dict(statuses)}", flush=True)
    backlog = [o.arrived - o.placed for o in planned if o.arrived is not None]
    print(f"  place_order returned -> the sender posted (its backlog): {spread(backlog)}", flush=True)
    end_to_end = [o.reached - o.placed for o in planned if o.reached is not None]
    print(f"  place_order returned -> {other} holds it: {spread(end_to_end)}", flush=True)

    print("  where the time goes (the same orders, in-process stamps):", flush=True)
    stages = [
        ("arrival -> master took it (webhook queue, worker)", "arrived", "master"),
        ("master -> auto sync queued it (table stream)", "master", "queued"),
        (f"queued -> {other} holds it (auto-push queue, push)", "queued", "reached"),
    ]
    for label, start, end in stages:
        values = [
            float(getattr(o, end)) - float(getattr(o, start))
            for o in planned
            if getattr(o, start) is not None and getattr(o, end) is not None
        ]
        print(f"    {label}: {spread(values)}", flush=True)
    doubled = {key: n for key, n in stamps.takes.items() if n > 1}
    print(
        f"  order webhooks posted {stamps.order_posts} (orders {len(planned)}); order lines that took "
        f"stock more than once: {len(doubled)}; listings pushed back over a channel edit: "
        f"{stamps.pushed_back}",
        flush=True,
    )
    print(
        f"  {other} latency by fifth of the run (p50 / max): "
        + ", ".join(
            f"{percentile(part, 0.5):.2f} / {max(part):.2f} s"
            for part in fifths([o.latency for o in planned])
            if part
        ),
        flush=True,
    )
    print(
        "  master's order line (orders.place: a read, then the transaction, waits for moto's lock "
        "included) by fifth of the run (p50 / max): "
        + ", ".join(
            f"{percentile(part, 0.5):.2f} / {max(part):.2f} s"
            for part in fifths([seconds for _, seconds in sorted(stamps.place_s)])
            if part
        ),
        flush=True,
    )
    functions = ", ".join(
        f"{name} {invocations.count[name]} ({invocations.seconds[name]:.1f} s)"
        for name in sorted(invocations.count)
    )
    print(f"  invocations in the run (time inside each, waits included): {functions}", flush=True)
    return {
        "autosync.orders": len(planned),
        "autosync.p50_s": round(percentile(latencies, 0.50), 3),
        "autosync.p95_s": round(percentile(latencies, 0.95), 3),
        "autosync.p99_s": round(percentile(latencies, 0.99), 3),
        "autosync.reached_share": round(reached_share, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=500, help="orders to place (default 500)")
    parser.add_argument("--rate", type=float, default=5.0, help="orders a second (default 5)")
    parser.add_argument("--skus", type=int, default=200, help="SKUs in each sandbox and master (default 200)")
    parser.add_argument("--on-hand", type=int, default=100, help="master's on hand of each SKU at the start")
    parser.add_argument("--source", choices=("shopify", "woocommerce"), default="shopify")
    parser.add_argument("--seed", type=int, default=7, help="catalogs, SKU order and quantities")
    parser.add_argument("--poll-ms", type=float, default=20.0, help="how often the other store is read")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=3 * 3600.0,
        help="seconds to wait after the last order (default 3 hours: local mode drains slowly)",
    )
    parser.add_argument("--no-merge", action="store_true", help="print only; leave bench/results.json")
    arguments = parser.parse_args()
    if arguments.on_hand < 2 * (arguments.orders // max(1, arguments.skus) + 1):
        parser.error("--on-hand is too small: the orders would take a SKU below zero")

    started = time.perf_counter()
    other = "woocommerce" if arguments.source == "shopify" else "shopify"
    print(
        f"auto sync: {arguments.orders} orders at {arguments.rate:g} a second on the {arguments.source} "
        f"sandbox, {arguments.skus} SKUs, latency to {other}",
        flush=True,
    )
    with LocalRuntime(
        port=0,
        shopify_variants=arguments.skus,
        woocommerce_products=arguments.skus,
        seed=arguments.seed,
    ) as runtime:
        if runtime.schedules is not None:
            runtime.schedules.stop()  # no schedule fires during the bench
        shop, woo, skus = set_up(runtime, arguments.skus, arguments.on_hand)
        print(
            f"  set up in {time.perf_counter() - started:.0f} s: {len(skus)} of {arguments.skus} SKUs "
            f"held at {arguments.on_hand} by both sandboxes",
            flush=True,
        )
        if not skus:
            raise RuntimeError("no SKU is linked and synced on both sandboxes")
        source_store, other_store = (shop, woo) if arguments.source == "shopify" else (woo, shop)
        planned = plan_orders(
            skus, arguments.orders, arguments.rate, arguments.on_hand, random.Random(arguments.seed)
        )
        stamps = Stamps()
        stamps.wrap_sender(source_store.webhooks)
        undo = stamps.wrap_pipeline()
        invocations = time_handlers(runtime)
        watcher = Watcher(other_store, arguments.poll_ms / 1000)
        watcher.start()
        try:
            placing_s = place_all(planned, source_store, watcher)
            wrong, drain_s = drain(planned, shop, woo, watcher, arguments.on_hand, arguments.drain_timeout)
            ended = time.monotonic()
        finally:
            watcher.stop()
            undo()
        stage_stamps(planned, stamps)
        figures = report(
            planned, stamps, wrong, invocations, placing_s, drain_s, arguments.source, other, ended
        )
    print(f"auto sync: {time.perf_counter() - started:.0f} s in all", flush=True)
    if not arguments.no_merge:
        merge(figures)


if __name__ == "__main__":
    main()
