"""The seeded random workload: one action at a time on the sandboxes and the console API."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local import faults as runtime_faults
from tidemark.local.runtime import LocalRuntime
from tidemark.soak.config import (
    ACTIVE_JOBS,
    REASONS,
    SYNC_MODES,
    WORKLOAD,
)
from tidemark.soak.records import Ledger, Sandbox, SoakReport


class Workload:
    def __init__(
        self,
        rng: random.Random,
        api: ConsoleApi,
        runtime: LocalRuntime,
        sandboxes: dict[str, Sandbox],
        ledger: Ledger,
        skus: list[str],
        report: SoakReport,
    ) -> None:
        self.rng = rng
        self.api = api
        self.runtime = runtime
        self.sandboxes = sandboxes
        self.ledger = ledger
        self.report = report
        shuffled = list(skus)
        rng.shuffle(shuffled)
        # listings of their own for on-hand sets and for SKU changes and deletions (see the docstring)
        churn = max(2, len(skus) // 10)
        self.set_skus = shuffled[:churn]
        self.churn_skus = shuffled[churn : 2 * churn]
        self.ordered = shuffled[2 * churn :]

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

    def _channel(self) -> Sandbox:
        return self.sandboxes[self.rng.choice(sorted(self.sandboxes))]

    def order(self) -> bool:
        sandbox = self._channel()
        chosen = self.rng.sample(self.ordered, self.rng.randint(1, 2))
        lines = [{"sku": sku, "quantity": self.rng.randint(1, 3)} for sku in chosen]
        placed = sandbox.call("POST", "/orders", {"lines": lines})
        self.ledger.orders.append((sandbox.channel, int(placed["id"])))
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
        self._channel().call("POST", f"/variants/{self.rng.choice(self.ordered + self.set_skus)}", edit)
        return True

    def hand_quantity(self) -> bool:
        return self._hand_edit({"quantity": self.rng.randint(0, 400)})

    def hand_price(self) -> bool:
        return self._hand_edit({"price": f"{self.rng.randint(100, 20000) / 100:.2f}"})

    def hand_status(self) -> bool:
        return self._hand_edit({"status": "hidden"})

    def _churn(self, change: Callable[[Sandbox, str], None]) -> bool:
        sandbox = self._channel()
        left = [s for s in self.churn_skus if (sandbox.channel, s) not in self.ledger.unlinked]
        if not left:
            return False
        sku = self.rng.choice(left)
        change(sandbox, sku)
        self.ledger.unlinked.add((sandbox.channel, sku))
        return True

    def sku_change(self) -> bool:
        return self._churn(lambda sandbox, sku: sandbox.call("POST", f"/variants/{sku}", {"sku": f"{sku}-X"}))

    def delete(self) -> bool:
        return self._churn(lambda sandbox, sku: sandbox.call("DELETE", f"/variants/{sku}"))

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
