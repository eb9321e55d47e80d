"""bench/cost_model.py's counting: one piece of work (a job, or auto sync's orders) with every
request it made to AWS in the units AWS bills (bench/sync_scaling.py's Meter, StreamReader and
handler timing), the log bytes it wrote and the custom metrics it sent."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prices import Counts
from sync_scaling import (
    AWS_CALL_S,
    CHANNEL,
    Invocations,
    Meter,
    StreamReader,
    Tally,
    Writes,
    estimated_transitions,
    state_transitions,
    time_handlers,
    wait_for,
    wait_for_execution,
)

from shared.domain.job import Job, JobKind, SyncMode
from shared.services import jobs as job_service
from shared.services.jobs import JobRequest, start_job
from shared.settings import settings
from tidemark.local import lambdas
from tidemark.local import template as cfn
from tidemark.local.runtime import TEMPLATE, LocalRuntime

# -- counting one piece of work -------------------------------------------------------------------


class CostMeter(Meter):
    """sync_scaling's Meter, and the items of each transaction (billed twice)."""

    def __init__(self) -> None:
        super().__init__()
        self.transact_writes = 0
        self.transact_reads = 0

    def _record(self, service: str, operation: str, params: Any, response: Any, error: Any) -> None:
        super()._record(service, operation, params, response, error)
        if service == "dynamodb" and error is None:
            if operation == "TransactWriteItems":
                self.transact_writes += len(params.get("TransactItems", []))
            elif operation == "TransactGetItems":
                self.transact_reads += len(params.get("TransactItems", []))


@dataclass
class Work:
    """What one piece of work asked of AWS."""

    label: str
    pushed: int
    counts: Counts
    seconds: float
    transitions: int
    tally: Tally
    writes: Writes
    invocations: Invocations
    listings: int = 0  # the catalog it ran on


def function_memory_gb() -> dict[str, float]:
    """Each function's memory (logical id -> GB), from template.yaml."""
    template = cfn.load(TEMPLATE)
    functions = [(n, r) for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    return {n: int(cfn.with_globals(template, r).get("MemorySize", 128)) / 1024 for n, r in functions}


def on_arm64() -> bool:
    template = cfn.load(TEMPLATE)
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    return all(cfn.with_globals(template, r).get("Architectures") == ["arm64"] for r in functions)


def counted(meter: CostMeter, writes: Writes, invocations: Invocations, transitions: int) -> Counts:
    tally = meter.tally
    memory = function_memory_gb()
    gb_s = sum(
        (invocations.seconds[f] - invocations.aws_seconds[f] + invocations.aws_calls[f] * AWS_CALL_S)
        * memory.get(f, 0.5)
        for f in invocations.count
    )
    fifo = standard = 0
    for queue, billed in tally.sqs_billed_by_queue.items():
        requests = billed - tally.sqs_empty_receives[queue]
        if queue.endswith(".fifo"):
            fifo += requests
        else:
            standard += requests
    return Counts(
        wru=writes.base_wru + writes.index_wru + tally.refused_writes + meter.transact_writes,
        rru=tally.rru + 2 * meter.transact_reads,
        sqs_fifo=fifo,
        sqs_standard=standard,
        transitions=transitions,
        lambda_requests=sum(invocations.count.values()),
        lambda_gb_s=gb_s,
        secrets_calls=tally.service("secretsmanager"),
        scheduler_invocations=invocations.count["ScheduleFunction"],
        api_requests=invocations.count["ApiFunction"] + invocations.count["WebhooksFunction"],
    )


def run_job(runtime: LocalRuntime, label: str, start: Any) -> Work:
    """A job started by `start()` (its Job) and run by the stack, with all it asked."""
    with timed(runtime) as invocations:
        stream = StreamReader()
        with CostMeter() as meter:
            job: Job = start()
            done = wait_for(job.id)
            wait_for_execution(job.id)
        writes = stream.read()
    assert done.finished_at is not None
    transitions = max(
        state_transitions(job.id), estimated_transitions(invocations.steps, settings().push_shards)
    )
    counts = counted(meter, writes, invocations, transitions)
    if invocations.count["ScheduleFunction"] == 0:
        counts.api_requests += 1  # started through the console API
    seconds = (done.finished_at - done.created_at).total_seconds()
    print(f"  {label}: {done.status.value}, {done.counts.pushed:,} pushed in {seconds:.1f} s", flush=True)
    return Work(label, done.counts.pushed, counts, seconds, transitions, meter.tally, writes, invocations)


@contextmanager
def timed(runtime: LocalRuntime) -> Iterator[Invocations]:
    """sync_scaling's time_handlers while entered; the handlers unwrapped after, so that the next
    piece of work is not counted into this one's too."""
    registry = dict(lambdas._registry)
    try:
        yield time_handlers(runtime)
    finally:
        lambdas._registry.update(registry)


def requested(mode: SyncMode, skus: list[str] | None = None) -> Any:
    return lambda: start_job(JobRequest(channel=CHANNEL, kind=JobKind.SYNC, mode=mode, skus=skus or []))


@contextmanager
def counting_logs() -> Iterator[list[int]]:
    """Every log record written at INFO or above while entered, in bytes, as Lambda would take it:
    each logger with handlers of its own (Powertools') in its own format, the root logger's records
    as Lambda's JSON log format writes them."""
    sizes: list[int] = []

    class Counting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sizes.append(len(self.format(record).encode()) + 1)

    root_format = logging.Formatter(
        '{"timestamp":"%(asctime)s","level":"%(levelname)s","message":"%(message)s","logger":"%(name)s",'
        '"requestId":"00000000-0000-0000-0000-000000000000"}'
    )
    loggers = [logging.getLogger()] + [
        lg
        for lg in logging.root.manager.loggerDict.values()
        if isinstance(lg, logging.Logger) and lg.handlers
    ]
    saved = [(lg, lg.handlers[:], lg.level) for lg in loggers]
    for lg in loggers:
        handler = Counting()
        handler.setFormatter(
            lg.handlers[0].formatter if lg.handlers and lg is not logging.getLogger() else root_format
        )
        lg.handlers = [handler]
        lg.setLevel(logging.INFO)
    try:
        yield sizes
    finally:
        for lg, handlers, level in saved:
            lg.handlers = handlers
            lg.setLevel(level)


@contextmanager
def counting_metrics() -> Iterator[Counter[tuple[str, ...]]]:
    """The custom metrics the job service sends (EMF): name and dimensions, with their EMF bytes."""
    sent: Counter[tuple[str, ...]] = Counter()
    original = job_service.emit

    def emit(channel: str, figures: Any, unit: Any = None, **dimensions: str) -> None:
        names = [n for n, v in figures.items() if v]
        if names:
            labels = tuple(f"{k}={v}" for k, v in sorted(dimensions.items()))
            for name in names:
                sent[(name, f"channel={channel}", *labels)] += 1
            line = {
                "_aws": {"CloudWatchMetrics": [{"Namespace": "Tidemark", "Metrics": names}]},
                **dimensions,
            }
            sent[("__bytes__",)] += len(json.dumps(line)) + 120  # the timestamp, dimension sets, values
        return None

    job_service.emit = emit  # type: ignore[assignment]
    try:
        yield sent
    finally:
        job_service.emit = original  # type: ignore[assignment]
