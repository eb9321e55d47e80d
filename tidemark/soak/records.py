"""What the campaign keeps: the sandboxes it drives, the ledger of what it did, and its report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SoakReport:
    seed: int
    seconds: float = 0.0
    actions: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    pushes: int = 0
    conflicts: int = 0
    push_failures: int = 0
    channel_retries: int = 0  # the channel clients' retries of a call (their "retrying" warnings)
    redeliveries: int = 0  # messages and stream batches an event source delivered again
    webhooks_dropped: int = 0
    webhooks_recovered: int = 0  # dropped or failed deliveries the channel delivered again, answered 2xx
    dead_letters: list[str] = field(default_factory=list)  # each as `dlq list` describes it
    divergence: list[str] = field(default_factory=list)  # each listing or variant not as expected
    problems: list[str] = field(default_factory=list)  # other checks that failed
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return not self.divergence and not self.problems

    def lines(self) -> list[str]:
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items())) or "none"
        actions = ", ".join(f"{kind} {n}" for kind, n in sorted(self.actions.items()))
        out = [
            f"seed {self.seed}: {'CONVERGED' if self.converged else 'DIVERGED'}, divergence "
            f"{len(self.divergence)}, {self.seconds:.0f} s of workload",
            f"  actions: {actions}",
            f"  faults injected: {faults} ({sum(self.faults.values())} in all)",
            f"  pushes {self.pushes}, conflicts {self.conflicts}, failed pushes {self.push_failures}, "
            f"channel call retries {self.channel_retries}, event-source redeliveries {self.redeliveries}",
            f"  webhooks dropped {self.webhooks_dropped}, "
            f"delivered again and taken {self.webhooks_recovered}",
            f"  dead letters: {len(self.dead_letters)}",
            *(f"    {letter}" for letter in self.dead_letters),
            "  timings: " + ", ".join(f"{name} {s:.0f} s" for name, s in self.timings.items()),
            *(f"  DIVERGED {line}" for line in self.divergence[:20]),
            *(f"  PROBLEM {line}" for line in self.problems),
        ]
        return out


# What each sandbox's admin API calls an order's lines, and how it says the order was cancelled
ORDER_LINES = {"shopify": "line_items", "woocommerce": "line_items", "amazon": "lines", "ebay": "lineItems"}


class Sandbox:
    """One sandbox store through its admin API, as a merchant or a shopper uses it."""

    def __init__(self, channel: str, kind: str, url: str, store: Any) -> None:
        self.channel = channel
        self.kind = kind
        self.store = store
        self._http = httpx.Client(base_url=f"{url}/admin/sandbox", timeout=30.0)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self._http.request(method, path, json=body)
        answer.raise_for_status()
        return answer.json()

    def close(self) -> None:
        self._http.close()

    def sent(self) -> list[Any]:
        return list(self.store.webhooks.sent) if self.store.webhooks is not None else []

    def place_order(self, lines: list[dict[str, Any]], location: int | None = None) -> str:
        """The order's id for a cancel. At a Shopify location: through the store itself, as the
        admin API takes no location (neither is under the API's faults)."""
        if location is not None:
            return str(
                self.store.place_order([(line["sku"], line["quantity"]) for line in lines], location)["id"]
            )
        placed = self.call("POST", "/orders", {"lines": lines})
        return str(placed["orderId"] if self.kind == "ebay" else placed["id"])

    def cancel_order(self, order_id: str) -> None:
        # eBay's admin API names an order by the number in the middle of its id (27-N-NNNNN)
        self.call("POST", f"/orders/{order_id.split('-')[1] if self.kind == 'ebay' else order_id}/cancel")

    def order_lines(self) -> list[tuple[str, int]]:
        """(sku, quantity) of every line of every order not cancelled, from the store's own log."""
        taken = []
        for order in self.call("GET", "/orders"):
            status = str(order.get("status") or (order.get("cancelStatus") or {}).get("cancelState") or "")
            if order.get("cancelled_at") is None and status.lower() not in ("cancelled", "canceled"):
                taken += [(line["sku"], int(line["quantity"])) for line in order[ORDER_LINES[self.kind]]]
        return taken


@dataclass
class Ledger:
    """What the campaign did to master and the channels, to count the expected on hand from."""

    start: dict[str, int]
    bundles: dict[str, dict[str, int]] = field(default_factory=dict)  # bundle -> component -> units
    deltas: Counter[str] = field(default_factory=Counter)
    on_hand_set: dict[str, int] = field(default_factory=dict)
    orders: list[tuple[str, str]] = field(default_factory=list)  # (channel, order id)
    jobs: list[tuple[str, str]] = field(default_factory=list)  # (channel, job id)
    unlinked: set[tuple[str, str]] = field(default_factory=set)  # (channel, sku) changed or deleted there
