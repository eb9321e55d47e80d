"""The soak campaign (issue 8): a seeded random workload on both sandbox stores and the console API,
in local mode, under faults of the sandboxes and of the runtime; then, faults off and everything
drained, a reconcile and a partial sync per channel, and the checks that nothing was lost and every
channel ends equal to master. `bench/soak.py` runs it over many seeds (`make soak`);
tests/e2e/test_soak.py runs a short one in `make test`.

The workload, drawn from the seed, one action at a time at `rate` a second:
- orders of 1-2 lines, and cancels of them, on both channels (the sandbox admin API: the store
  takes or gives back its stock and sends its signed webhooks);
- master adjustments of every reason: deltas (one listing's, or a file's), committed stock set, and
  on hand set (on listings of their own, which take no orders: an absolute value set while orders
  are in flight leaves no independent count to check on hand against);
- quantities, prices and statuses changed by hand on the channels, and SKUs changed or variants
  deleted there (on listings of their own, which then stay unlinked on that channel);
- sync jobs of every mode, reconciles, cancels and re-runs of them;
- restarts of the runtime's workers with messages in flight.

Faults meanwhile: each sandbox answers a share of API requests 5xx, slowly (a timeout), with a 429
burst and Retry-After, or applies a request and then answers 502 (a lost answer); it drops,
duplicates and reorders a share of its webhooks. The runtime (tidemark/local/faults.py) crashes a
share of event-source invocations after part of their batch and fails another share after all
of it (past the timeout). The queues' visibility timeout is cut from the template's 180 s to
`visibility_timeout_s`, so that a message failed by a fault comes back within the run.

A dropped webhook is the channel's loss to recover, not Tidemark's: Shopify and WooCommerce retry a
delivery that failed, and so does the sandbox here (`webhook_retry_seconds`). Without that, an
order whose webhook never came would be a sale master never heard of, which no reconcile of
quantities can tell from a hand edit, so the order count below could not hold.

The checks, once settled:
- every linked variant on each channel holds master's balance, price and status;
- master's on hand of each listing is its start - orders + cancels + adjustments, counted from the
  sandboxes' own order logs and the campaign's own adjustments: no order lost or taken twice;
- every dead letter is reported with what it was and why, and a redrive drives it through;
- no job stays queued or running.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import httpx

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.local import faults as runtime_faults
from tidemark.local.linked import CHANNELS, link_both_sandboxes
from tidemark.local.pollers import HELD, wait_until_drained
from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION

REASONS = ("sales_order", "purchase_order", "work_order", "manual", "file_upload", "feed")
SYNC_MODES = ("full", "partial", "smart", "selected")
ACTIVE_JOBS = ("queued", "running")
WEBHOOK_SECRETS = {"shop": "soak-shop-webhook-secret", "woo": "soak-woo-webhook-secret"}

SANDBOX_FAULTS: dict[str, float] = {
    "server_error": 0.03,
    "timeout": 0.01,
    "throttle_burst": 0.01,
    "lost_answer": 0.03,
    "webhook_drop": 0.05,
    "webhook_duplicate": 0.05,
    "webhook_reorder": 0.05,
    "timeout_seconds": 1.0,
    "burst_length": 3,
    "retry_after_seconds": 1,
}
WEBHOOK_RETRY_SECONDS = 3.0
RUNTIME_FAULTS = runtime_faults.RuntimeFaultRates(batch_crash=0.03, handler_timeout=0.03)

# action -> weight
WORKLOAD: dict[str, int] = {
    "order": 30,
    "cancel": 8,
    "adjust_delta": 12,
    "adjust_file": 3,
    "adjust_committed": 4,
    "adjust_on_hand": 3,
    "hand_quantity": 8,
    "hand_price": 3,
    "hand_status": 2,
    "sku_change": 1,
    "delete": 1,
    "sync": 5,
    "reconcile": 1,
    "cancel_job": 2,
    "rerun_job": 2,
}


@dataclass(frozen=True)
class SoakConfig:
    seed: int
    seconds: float = 60.0
    skus: int = 40
    on_hand: int = 200
    rate: float = 3.0  # workload actions a second
    restart_every_s: float = 20.0  # a restart of the workers, on average this often
    visibility_timeout_s: int = 8
    log_level: str = "INFO"

    @property
    def settle_limit_s(self) -> float:
        """Each stage after the workload, at most: the larger of 4 minutes and 3 times the workload's
        length (local mode takes 1.5 to 2 times the workload's length to drain what it queued: every
        function shares one process), so a 300 s run gets longer than the one-minute runs."""
        return max(240.0, 3 * self.seconds)


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


class LogCapture(logging.Handler):
    """Every log line written in the run, as the handlers print it (each Powertools Logger's own
    JSON), and the root logger's: kept to scan for secrets, and to count the channel clients'
    retries. Installed in place of the handlers of every logger that prints (the Powertools Logger
    the handlers share), and beside the root logger's."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._saved: dict[str, list[logging.Handler]] = {}
        self._propagate: dict[str, bool] = {}

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        while name and name not in self._saved:
            name = name.rpartition(".")[0]
        formatter = next((h.formatter for h in self._saved.get(name, []) if h.formatter), None)
        try:
            line = (formatter or logging.Formatter("%(levelname)s %(name)s %(message)s")).format(record)
        except Exception:  # kept raw rather than lost
            line = f"{record.msg} {record.args} {record.__dict__}"
        self.lines.append(line)  # under the handler's own lock (Handler.handle)

    def install(self) -> None:
        for name in list(logging.Logger.manager.loggerDict):
            logger = logging.getLogger(name)
            if any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
                self._saved[name] = list(logger.handlers)
                self._propagate[name] = logger.propagate
                logger.handlers, logger.propagate = [self], False
        logging.getLogger().addHandler(self)

    def remove(self) -> None:
        for name, handlers in self._saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, self._propagate[name]
        logging.getLogger().removeHandler(self)


class Sandbox:
    """One sandbox store through its admin API, as a merchant or a shopper uses it."""

    def __init__(self, channel: str, url: str, store: Any) -> None:
        self.channel = channel
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


@dataclass
class Ledger:
    """What the campaign did to master and the channels, to count the expected on hand from."""

    start: dict[str, int]
    deltas: Counter[str] = field(default_factory=Counter)
    on_hand_set: dict[str, int] = field(default_factory=dict)
    orders: list[tuple[str, int]] = field(default_factory=list)  # (channel, order id)
    jobs: list[tuple[str, str]] = field(default_factory=list)  # (channel, job id)
    unlinked: set[tuple[str, str]] = field(default_factory=set)  # (channel, sku) changed or deleted there


def soak_runtime(config: SoakConfig) -> LocalRuntime:
    return LocalRuntime(
        port=0,
        shopify_variants=config.skus,
        woocommerce_products=config.skus,
        seed=config.seed,
        log_level=config.log_level,
    )


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    capture.install()
    try:
        yield capture
    finally:
        capture.remove()


def run(
    runtime: LocalRuntime, config: SoakConfig, logs: LogCapture, say: Callable[[str], None] = print
) -> SoakReport:
    """The campaign on a started runtime; its report."""
    report = SoakReport(config.seed)
    rng = random.Random(config.seed)
    if runtime.schedules is not None:
        runtime.schedules.stop()  # every sync of the run is the workload's
    api = ConsoleApi(runtime.api_url)
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
        _shorten_visibility(runtime, config.visibility_timeout_s)
        report.timings["set up"] = time.monotonic() - started
        say(
            f"seed {config.seed}: set up in {report.timings['set up']:.0f} s; "
            f"workload for {config.seconds:.0f} s"
        )
        ledger = Ledger(start=dict.fromkeys(skus, config.on_hand))
        workload = Workload(rng, api, runtime, sandboxes, ledger, skus, report)
        _faults_on(sandboxes, config.seed)
        began = time.monotonic()
        workload.run(config.seconds, config.rate, config.restart_every_s)
        report.seconds = time.monotonic() - began
        _faults_off(sandboxes)
        say(f"seed {config.seed}: workload done ({sum(report.actions.values())} actions); settling")
        for stage, work in (("drain", _settle), ("dead letters", _dead_letters), ("close out", _close_out)):
            began = time.monotonic()
            work(runtime, api, sandboxes, report, config.settle_limit_s)
            report.timings[stage] = time.monotonic() - began
        _check(api, sandboxes, ledger, report)
        _count(runtime, sandboxes, logs, report)
        for sandbox in sandboxes.values():
            sandbox.close()
    finally:
        runtime_faults.PLAN.configure(runtime_faults.RuntimeFaultRates())
        api.close()
    return report


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


def _shorten_visibility(runtime: LocalRuntime, seconds: int) -> None:
    assert runtime.deployment is not None
    sqs = boto3.client("sqs", region_name=REGION)
    for source in runtime.deployment.event_sources:
        sqs.set_queue_attributes(QueueUrl=source.queue_url, Attributes={"VisibilityTimeout": str(seconds)})


def _faults_on(sandboxes: dict[str, Sandbox], seed: int) -> None:
    for sandbox in sandboxes.values():
        sandbox.call("POST", "/faults", {**SANDBOX_FAULTS, "webhook_retry_seconds": WEBHOOK_RETRY_SECONDS})
    runtime_faults.PLAN.configure(RUNTIME_FAULTS, seed=seed)


def _faults_off(sandboxes: dict[str, Sandbox]) -> None:
    """No fault from now on; the deliveries the channels still owe are retried as before."""
    runtime_faults.PLAN.configure(runtime_faults.RuntimeFaultRates())
    for sandbox in sandboxes.values():
        sandbox.call("POST", "/faults", {"webhook_retry_seconds": WEBHOOK_RETRY_SECONDS})


def _queue_urls(runtime: LocalRuntime) -> list[str]:
    assert runtime.deployment is not None
    return [source.queue_url for source in runtime.deployment.event_sources]


def _held(sqs: Any, queue_urls: list[str]) -> dict[str, dict[str, str]]:
    """Each queue that holds a message: how many visible, in flight and delayed."""
    held = {}
    for url in queue_urls:
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(HELD))["Attributes"]
        if any(int(n) for n in counts.values()):
            held[url.rsplit("/", 1)[-1]] = counts
    return held


def _active_jobs(api: ConsoleApi) -> list[dict[str, Any]]:
    return [
        job
        for channel in (*CHANNELS, "_listings")
        for status in ACTIVE_JOBS
        for job in api.jobs(channel=channel, status=status, limit=100)
    ]


def _settle(
    runtime: LocalRuntime,
    api: ConsoleApi,
    sandboxes: dict[str, Sandbox],
    report: SoakReport,
    timeout_s: float,
) -> None:
    """Every webhook the channels owe delivered, every queue empty and no job queued or running,
    twice a second apart (the table stream may queue more in between); a problem past the timeout."""
    began = time.monotonic()
    deadline = began + timeout_s
    for sandbox in sandboxes.values():
        if sandbox.store.webhooks is not None:
            sandbox.store.webhooks.flush(timeout=max(1.0, deadline - time.monotonic()))
    report.timings["webhooks flushed"] = time.monotonic() - began
    sqs = boto3.client("sqs", region_name=REGION)
    quiet = 0
    while quiet < 2:
        if time.monotonic() > deadline:
            active = [f"{j['channel']} {j['kind']} {j['id']} {j['status']}" for j in _active_jobs(api)]
            report.problems.append(
                f"not settled after {timeout_s:.0f} s; jobs still active: {active}; "
                f"queues still holding messages: {_held(sqs, _queue_urls(runtime))}"
            )
            return
        drained = wait_until_drained(sqs, _queue_urls(runtime), max(0.0, deadline - time.monotonic()))
        quiet = quiet + 1 if drained and not _active_jobs(api) else 0
        time.sleep(1.0)


def _dead_letters(
    runtime: LocalRuntime,
    api: ConsoleApi,
    sandboxes: dict[str, Sandbox],
    report: SoakReport,
    timeout_s: float,
) -> None:
    """Each dead letter reported as `dlq list` describes it, then redriven; none may be left."""
    letters = api.dead_letters()["messages"]
    if not letters:
        return
    report.dead_letters = [json.dumps(letter, default=str, sort_keys=True) for letter in letters]
    api.redrive()
    _settle(runtime, api, sandboxes, report, timeout_s)
    left = api.dead_letters()["messages"]
    if left:
        report.problems.append(f"{len(left)} dead letters left after a redrive: {left}")


def _close_out(
    runtime: LocalRuntime,
    api: ConsoleApi,
    sandboxes: dict[str, Sandbox],
    report: SoakReport,
    timeout_s: float,
) -> None:
    """A reconcile, then a partial sync, on each channel, each to its end."""
    for kind, extra in (("reconcile", {}), ("sync", {"mode": "partial"})):
        for channel in CHANNELS:
            job = api.wait_for_job(
                api.start_job({"channel": channel, "kind": kind, **extra})["id"], timeout_s=timeout_s
            )
            if job["status"] not in ("completed", "completed_with_errors"):
                report.problems.append(f"the closing {kind} on {channel}: {job['status']} {job.get('error')}")
    _settle(runtime, api, sandboxes, report, timeout_s)


def _check(api: ConsoleApi, sandboxes: dict[str, Sandbox], ledger: Ledger, report: SoakReport) -> None:
    from shared.storage import links, listings

    master = listings.get_many(list(ledger.start))
    expected = _expected_on_hand(sandboxes, ledger)
    for sku, on_hand in sorted(expected.items()):
        listing = master.get(sku)
        if listing is None or listing.on_hand != on_hand:
            held = None if listing is None else listing.on_hand
            report.divergence.append(f"master {sku}: on hand {held}, expected {on_hand} from the order logs")
    for channel, sandbox in sandboxes.items():
        variants = {row["inventory_item_id"]: row for row in sandbox.call("GET", "/variants")}
        linked = links.get_many(channel, list(ledger.start))
        for sku, listing in sorted(master.items()):
            link = linked.get(sku)
            if link is None or link.status.value != "linked":
                if (channel, sku) not in ledger.unlinked:
                    report.divergence.append(f"{channel} {sku}: not linked ({link and link.unlinked_reason})")
                continue
            if (channel, sku) in ledger.unlinked:
                report.divergence.append(f"{channel} {sku}: still linked after it was changed on the channel")
                continue
            row = variants.get(link.inventory_item_id)
            holds = None if row is None else (row["quantity"], Decimal(str(row["price"])), row["status"])
            wanted = (listing.syncable_balance, listing.price, listing.channel_status.value)
            if holds != wanted:
                report.divergence.append(
                    f"{channel} {sku}: channel (quantity, price, status) {holds}, master {wanted}"
                )
    stuck = _active_jobs(api)
    if stuck:
        report.problems.append(f"jobs still queued or running: {[(j['id'], j['status']) for j in stuck]}")


def _expected_on_hand(sandboxes: dict[str, Sandbox], ledger: Ledger) -> dict[str, int]:
    """Each listing's start, less every order line and plus every cancel in the sandboxes' own
    logs, plus the campaign's deltas; a listing whose on hand was set: that value."""
    expected = {sku: start + ledger.deltas[sku] for sku, start in ledger.start.items()}
    for sandbox in sandboxes.values():
        for order in sandbox.call("GET", "/orders"):
            cancelled = order.get("cancelled_at") is not None or order.get("status") == "cancelled"
            for line in order["line_items"]:
                if line["sku"] in expected and not cancelled:
                    expected[line["sku"]] -= int(line["quantity"])
    expected.update(ledger.on_hand_set)
    return expected


def _count(
    runtime: LocalRuntime, sandboxes: dict[str, Sandbox], logs: LogCapture, report: SoakReport
) -> None:
    for channel, sandbox in sandboxes.items():
        for kind, n in sandbox.call("GET", "/faults")["injected"].items():
            report.faults[f"{channel}.{kind}"] += n
        report.webhooks_dropped += sandbox.store.faults.counts().get("webhook_drop", 0)
        report.webhooks_recovered += sum(
            1
            for sent in sandbox.sent()
            if sent.attempt > 1 and sent.status is not None and 200 <= sent.status < 300
        )
    for kind, n in runtime_faults.PLAN.counts().items():
        report.faults[f"runtime.{kind}"] += n
    report.redeliveries += sum(poller.failed for poller in runtime.pollers)
    report.channel_retries = sum("retrying in" in line for line in logs.lines)
    outcomes: Counter[str] = Counter(
        item.get("outcome", "") for item in table_items() if item["PK"].startswith("HISTORY#")
    )
    report.pushes, report.conflicts, report.push_failures = (
        outcomes["pushed"],
        outcomes["conflict"],
        outcomes["failed"],
    )


def table_items() -> list[dict[str, Any]]:
    """Every item of the table (a scan; the campaign's tables are small)."""
    from shared.settings import settings

    table = boto3.resource("dynamodb", region_name=REGION).Table(settings().table_name)
    items: list[dict[str, Any]] = []
    answer = table.scan()
    items += answer["Items"]
    while "LastEvaluatedKey" in answer:
        answer = table.scan(ExclusiveStartKey=answer["LastEvaluatedKey"])
        items += answer["Items"]
    return items
