"""What bench/auto_sync_latency.py stamps while it runs (the code is not changed: its module
functions and the sandboxes' senders are wrapped), and how it prints a spread of seconds.

- every webhook post of either sandbox's sender: when it started and was answered, its status;
  the first post of each order's orders/create (order.created), by order id;
- master taking each order line (shared.storage.orders.place returned in the webhook worker);
- each listing write auto sync queued (on_listing_change returned), by (SKU, the write's
  updated_at): an order line's write carries the line's own updated_at, so each order is matched
  to its own write, never to a later one of its SKU;
- the push-backs over a channel edit: queued by the webhook worker, then sent or found needless
  (master agreed) by the auto-push function;
- every AWS call of the process (moto's), by service and operation;
- the senders' backlog, as each sandbox's admin API reports it (GET /admin/sandbox/metrics);
- the other store's quantities (the Watcher): when each order's balance is held there.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.domain.messages import AutoPushMessage, PushOrigin

ORDER_TOPICS = {"orders/create", "order.created"}


@dataclass
class Post:
    started: float
    answered: float
    status: int | None


@dataclass
class Stamps:
    """What the wrapped functions saw, stamped with time.monotonic(), from any thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    posts: list[Post] = field(default_factory=list)  # every webhook post, either sandbox
    order_posts: dict[str, Post] = field(default_factory=dict)  # order id -> its first orders/create
    taken: dict[tuple[str, str], float] = field(default_factory=dict)  # (order id, SKU) -> master took it
    takes: Counter[tuple[str, str]] = field(default_factory=Counter)  # how often a line took stock
    queued: dict[tuple[str, str], float] = field(default_factory=dict)  # (SKU, updated_at) -> queued
    push_backs: Counter[str] = field(default_factory=Counter)  # queued, sent, agreed (not sent)
    calls: Counter[str] = field(default_factory=Counter)  # every AWS call of the process, "service.Operation"
    # DynamoDB's item calls by the kind of item (its PK up to the first '#'): "GetItem CHANNEL"
    items: Counter[str] = field(default_factory=Counter)

    def wrap_aws(self) -> Callable[[], None]:
        """Count every AWS (moto) call any thread makes; returns the undo."""
        from botocore.client import BaseClient

        original = getattr(BaseClient, "_make_api_call")  # noqa: B009
        calls, items, lock = self.calls, self.items, self.lock

        def counted(client: Any, operation: str, params: Any) -> Any:
            key = params.get("Key") or params.get("Item")
            pk: Any = key.get("PK", "") if isinstance(key, dict) else ""
            pk = str(next(iter(pk.values()))) if isinstance(pk, dict) else str(pk)  # typed: the client's
            kind = pk.split("#", 1)[0] if pk else str(params.get("TableName"))  # another table's key
            with lock:
                calls[f"{client.meta.service_model.service_name}.{operation}"] += 1
                if key:
                    items[f"{operation} {kind}"] += 1
            return original(client, operation, params)

        setattr(BaseClient, "_make_api_call", counted)  # noqa: B010

        def undo() -> None:
            setattr(BaseClient, "_make_api_call", original)  # noqa: B010

        return undo

    def wrap_sender(self, sender: Any) -> None:
        """Stamp every post the sandbox's sender makes (`WebhookSender._post`, which answers the
        status), from its worker threads."""
        original: Callable[..., int | None] = sender._post

        def post(delivery: Any, **options: Any) -> int | None:
            started = time.monotonic()
            status = original(delivery, **options)
            stamp = Post(started, time.monotonic(), status)
            order_id = str(json.loads(delivery.body)["id"]) if delivery.topic in ORDER_TOPICS else None
            with self.lock:
                self.posts.append(stamp)
                if order_id is not None:
                    self.order_posts.setdefault(order_id, stamp)
            return status

        sender._post = post

    def wrap_pipeline(self) -> Callable[[], None]:
        """Stamp master taking each order line, auto sync queuing each listing write, and the
        push-backs; returns the undo. The handlers are imported here, once the runtime set their
        log level (imported before it, their loggers would write every record's INFO line)."""
        import functions.auto_push.handler as auto_push_handler
        import functions.auto_sync.handler as auto_sync_handler
        import shared.services.channel_events as channel_events
        import shared.storage.orders as orders_storage

        place, on_change = orders_storage.place, auto_sync_handler.on_listing_change
        queue_pushes, push_at_once = channel_events.queue_pushes, auto_push_handler.push_at_once

        def placed(channel: str, order_id: str, line: Any, *rest: Any) -> int:
            taken = place(channel, order_id, line, *rest)  # rest: the line's shares of locations
            now = time.monotonic()
            if taken:
                with self.lock:
                    self.taken.setdefault((str(order_id), line.sku), now)
                    self.takes[(str(order_id), line.sku)] += 1
            return taken

        def changed(old: Any, new: Any, change: str) -> int:
            queued = on_change(old, new, change)
            if queued and new:
                with self.lock:
                    self.queued.setdefault((str(new["sku"]), str(new["updated_at"])), time.monotonic())
            return queued

        def pushed_back(skus: Any, origin: PushOrigin, **options: Any) -> int:
            queued = queue_pushes(skus, origin, **options)
            with self.lock:
                self.push_backs["queued"] += queued
            return queued

        def pushed(message: AutoPushMessage, context: Any = None) -> dict[str, int]:
            counts = push_at_once(message, context)
            if message.origin is PushOrigin.CHANNEL_EDIT:
                with self.lock:
                    self.push_backs["agreed"] += counts.get("agreed", 0)
                    for outcome in ("pushed", "conflicts", "failed"):
                        self.push_backs["sent"] += counts.get(outcome, 0)
            return counts

        # the handlers and channel_events imported these by name: they are wrapped there
        orders_storage.place = placed
        auto_sync_handler.on_listing_change = changed
        channel_events.queue_pushes = pushed_back
        auto_push_handler.push_at_once = pushed

        def undo() -> None:
            orders_storage.place = place
            auto_sync_handler.on_listing_change = on_change
            channel_events.queue_pushes = queue_pushes
            auto_push_handler.push_at_once = push_at_once

        return undo


class Backlog:
    """Reads each sandbox's admin metrics every `every` seconds: the most its webhook sender held
    queued and in flight, and the age of the oldest webhook waiting."""

    def __init__(self, urls: dict[str, str], every: float = 0.25) -> None:
        self._urls = urls
        self._every = every
        self._http = httpx.Client(timeout=5.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-backlog", daemon=True)
        self.most: dict[str, Counter[str]] = defaultdict(Counter)
        self.oldest_s: dict[str, float] = defaultdict(float)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self._http.close()

    def reset(self) -> None:
        self.most.clear()
        self.oldest_s.clear()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            for name, url in self._urls.items():
                try:
                    backlog = self._http.get(f"{url}/admin/sandbox/metrics").json()["webhooks"]
                except (httpx.HTTPError, ValueError, KeyError):
                    continue
                if backlog:
                    for kind in ("queued", "in_flight", "retrying"):
                        self.most[name][kind] = max(self.most[name][kind], int(backlog[kind]))
                    self.oldest_s[name] = max(self.oldest_s[name], float(backlog["oldest_s"]))


class Watcher:
    """Reads the other store for the SKUs with orders outstanding and stamps when each order's
    balance (or a lower one: orders only take stock, so it includes this order) is held there."""

    def __init__(self, store: Any, poll_s: float) -> None:
        self._store = store
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[Any]] = defaultdict(deque)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-watcher", daemon=True)

    def expect(self, order: Any) -> None:
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
                with self._lock:
                    for sku, orders in self._waiting.items():
                        while orders and held.get(sku, orders[0].expected + 1) <= orders[0].expected:
                            orders.popleft().reached = now
            self._stop.wait(self._poll_s)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 < share <= 1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-share * len(ordered) // 1)) - 1))]


def spread(values: list[float]) -> str:
    if not values:
        return "none measured"
    return (
        f"p50 {percentile(values, 0.50):.3f} s, p95 {percentile(values, 0.95):.3f} s, "
        f"p99 {percentile(values, 0.99):.3f} s, max {max(values):.3f} s (n={len(values)})"
    )
