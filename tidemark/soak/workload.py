"""The seeded random workload: one action at a time on the sandboxes and the console API."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local import faults as runtime_faults
from tidemark.local.runtime import LocalRuntime
from tidemark.soak.config import (
    ACTIVE_JOBS,
    BUNDLES,
    CANCELS_UNHEARD,
    EAST,
    EAST_STOCK,
    HAND_EDITS_REFUSED,
    REASONS,
    SHOPIFY_MAP,
    SYNC_MODES,
    WORKLOAD,
)
from tidemark.soak.records import Ledger, Sandbox, SoakReport


@dataclass(frozen=True)
class Roles:
    """What the workload does to which listings (see the package's docstring)."""

    set_skus: list[str]  # on hand set, never ordered
    churn_skus: list[str]  # SKUs changed or variants deleted on a channel
    bundles: dict[str, dict[str, int]]  # bundle -> component -> units; ordered, never adjusted
    ordered: list[str]  # ordered and adjusted: the components among them
    east: dict[str, int]  # what a third of the ordered listings hold at east at the start

    @classmethod
    def draw(cls, rng: random.Random, skus: list[str]) -> Roles:
        shuffled = list(skus)
        rng.shuffle(shuffled)
        churn = max(2, len(skus) // 10)
        ordered = shuffled[2 * churn + BUNDLES :]
        bundles = {
            bundle: {component: rng.randint(1, 2) for component in sorted(rng.sample(ordered, 2))}
            for bundle in shuffled[2 * churn : 2 * churn + BUNDLES]
        }
        east = {sku: rng.randint(*EAST_STOCK) for sku in ordered[::3]}
        return cls(shuffled[:churn], shuffled[churn : 2 * churn], bundles, ordered, east)


class Workload:
    def __init__(
        self,
        rng: random.Random,
        api: ConsoleApi,
        runtime: LocalRuntime,
        sandboxes: dict[str, Sandbox],
        ledger: Ledger,
        roles: Roles,
        report: SoakReport,
    ) -> None:
        self.rng = rng
        self.api = api
        self.runtime = runtime
        self.sandboxes = sandboxes
        self.ledger = ledger
        self.report = report
        self.set_skus = roles.set_skus
        self.churn_skus = roles.churn_skus
        self.ordered = roles.ordered
        self.bundles = roles.bundles
        self.sold = roles.ordered + sorted(roles.bundles)  # what shoppers order

    def run(self, seconds: float, rate: float, restart_every_s: float) -> None:
        actions, weights = list(WORKLOAD), list(WORKLOAD.values())
        began = time.monotonic()
        next_restart = began + self.rng.expovariate(1 / restart_every_s)
        step = 0
        while (now := time.monotonic()) < began + seconds:
            if now >= next_restart:
                self.report.redeliveries += sum(poller.failed for poller in self.runtime.pollers)
                self.runtime.restart_workers()
                runtime_faults.PLAN.count("worker_restart")
                next_restart = time.monotonic() + self.rng.expovariate(1 / restart_every_s)
            action = self.rng.choices(actions, weights)[0]
            if getattr(self, action)():
                self.report.actions[action] += 1
            step += 1
            wait = began + step / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    # -- each action: True when it was done -------------------------------------------------------

    def _channel(self, edit: str | None = None) -> Sandbox:
        """A channel at random; with `edit`, one where a merchant can make it by hand."""
        able = [name for name, s in self.sandboxes.items() if edit not in HAND_EDITS_REFUSED.get(s.kind, ())]
        return self.sandboxes[self.rng.choice(sorted(able))]

    def order(self) -> bool:
        """On Shopify at one of its locations; on the others where their one stock is."""
        sandbox = self._channel()
        chosen = self.rng.sample(self.sold, self.rng.randint(1, 2))
        lines = [{"sku": sku, "quantity": self.rng.randint(1, 3)} for sku in chosen]
        location = self.rng.choice(sorted(SHOPIFY_MAP)) if sandbox.kind == "shopify" else None
        try:
            order_id = sandbox.place_order(lines, location)
        except httpx.HTTPStatusError as error:  # on eBay, a listing withdrawn by hand takes no order
            if error.response.status_code != 400:
                raise
            self.report.actions["refused order"] += 1
            return False
        if sandbox.kind not in CANCELS_UNHEARD:
            self.ledger.orders.append((sandbox.channel, order_id))
        self.report.actions[f"order on {sandbox.channel}"] += 1
        if any(line["sku"] in self.bundles for line in lines):
            self.report.actions["order of a bundle"] += 1
        return True

    def cancel(self) -> bool:
        if not self.ledger.orders:
            return False
        channel, order_id = self.ledger.orders.pop(self.rng.randrange(len(self.ledger.orders)))
        self.sandboxes[channel].call("POST", f"/orders/{order_id}/cancel")
        return True

    def _adjust(self, body: dict[str, Any]) -> bool:
        """Applied once whatever happens to the answer: the idempotency key makes a retry safe."""
        key = uuid.UUID(int=self.rng.getrandbits(128)).hex
        for _ in range(3):
            try:
                self.api.adjust(body, idempotency_key=key)
                return True
            except ApiError as error:
                if 0 < error.status < 500:
                    self.report.problems.append(f"adjustment {body} refused: {error.message}")
                    return False
        self.report.problems.append(f"adjustment {body} failed three times")
        return False

    def adjust_delta(self) -> bool:
        sku = self.rng.choice(self.ordered)
        delta = self.rng.choice([-3, -2, -1, 1, 2, 5, 10])
        if self._adjust({"reason": self.rng.choice(REASONS), "sku": sku, "delta": delta}):
            self.ledger.deltas[sku] += delta
            return True
        return False

    def adjust_location(self) -> bool:
        """Stock received at east: only added there, so that only orders take a location below zero
        (what check_end_state's location invariant judges)."""
        sku, delta = self.rng.choice(self.ordered), self.rng.randint(1, 5)
        if self._adjust({"reason": "purchase_order", "sku": sku, "delta": delta, "location": EAST}):
            self.ledger.deltas[sku] += delta
            return True
        return False

    def adjust_file(self) -> bool:
        changes = {sku: self.rng.randint(-2, 6) for sku in self.rng.sample(self.ordered, 3)}
        csv = "sku,delta\n" + "".join(f"{sku},{delta}\n" for sku, delta in changes.items())
        if self._adjust({"reason": self.rng.choice(("file_upload", "feed")), "csv": csv}):
            self.ledger.deltas.update(changes)
            return True
        return False

    def adjust_committed(self) -> bool:
        sku = self.rng.choice(self.ordered)
        return self._adjust(
            {"reason": self.rng.choice(REASONS), "sku": sku, "committed": self.rng.randint(0, 5)}
        )

    def adjust_on_hand(self) -> bool:
        sku, value = self.rng.choice(self.set_skus), self.rng.randint(0, 300)
        if self._adjust({"reason": self.rng.choice(REASONS), "sku": sku, "on_hand": value}):
            self.ledger.on_hand_set[sku] = value
            return True
        return False

    def _hand_edit(self, edit: dict[str, Any]) -> bool:
        (field,) = edit
        self._channel(field).call("POST", f"/variants/{self.rng.choice(self.sold + self.set_skus)}", edit)
        return True

    def hand_quantity(self) -> bool:
        return self._hand_edit({"quantity": self.rng.randint(0, 400)})

    def hand_price(self) -> bool:
        return self._hand_edit({"price": f"{self.rng.randint(100, 20000) / 100:.2f}"})

    def hand_status(self) -> bool:
        return self._hand_edit({"status": "hidden"})

    def _churn(self, change: Callable[[Sandbox, str], None], edit: str) -> bool:
        sandbox = self._channel(edit)
        left = [s for s in self.churn_skus if (sandbox.channel, s) not in self.ledger.unlinked]
        if not left:
            return False
        sku = self.rng.choice(left)
        change(sandbox, sku)
        self.ledger.unlinked.add((sandbox.channel, sku))
        return True

    def sku_change(self) -> bool:
        return self._churn(
            lambda sandbox, sku: sandbox.call("POST", f"/variants/{sku}", {"sku": f"{sku}-X"}), "sku"
        )

    def delete(self) -> bool:
        return self._churn(lambda sandbox, sku: sandbox.call("DELETE", f"/variants/{sku}"), "delete")

    def _start(self, body: dict[str, Any]) -> bool:
        try:
            job = self.api.start_job(body)
        except ApiError as error:  # e.g. selected SKUs no longer linked: refused whole, with the field
            self.report.actions[f"refused {body['kind']}"] += 1
            if error.status >= 500 or error.status == 0:
                self.report.problems.append(f"job {body} answered {error.status}: {error.message}")
            return False
        self.ledger.jobs.append((body["channel"], job["id"]))
        return True

    def sync(self) -> bool:
        mode = self.rng.choice(SYNC_MODES)
        body: dict[str, Any] = {"channel": self._channel().channel, "kind": "sync", "mode": mode}
        if mode == "selected":
            body["skus"] = self.rng.sample(self.ordered, 5)
        self.report.actions[f"sync {mode}"] += 1
        return self._start(body)

    def reconcile(self) -> bool:
        return self._start({"channel": self._channel().channel, "kind": "reconcile"})

    def _job_action(self, action: str, statuses: tuple[str, ...]) -> bool:
        """Cancel or re-run one of the latest jobs that is in one of `statuses`, if any."""
        latest = self.ledger.jobs[-10:]
        for _, job_id in self.rng.sample(latest, len(latest)):
            if self.api.job(job_id)["status"] in statuses:
                break
        else:
            return False
        try:
            answer = self.api.job_action(job_id, action)
        except ApiError as error:  # it moved on meanwhile: refused, with the field
            if error.status >= 500 or error.status == 0:
                self.report.problems.append(
                    f"{action} of job {job_id} answered {error.status}: {error.message}"
                )
            return False
        if action == "rerun":
            self.ledger.jobs.append((str(answer["channel"]), str(answer["id"])))
        return True

    def cancel_job(self) -> bool:
        return self._job_action("cancel", ACTIVE_JOBS)

    def rerun_job(self) -> bool:
        return self._job_action("rerun", ("failed", "completed_with_errors"))
