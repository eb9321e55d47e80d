"""bench/cost_model.py's printout: dollars per million pushed listings by sync mode and line, the
idle month by line, and Standard against Express for the job state machine (the figures it merges)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import prices
from prices import Counts, IdleInputs
from sync_scaling import AWS_CALL_S, PLAN

from shared.channels.shopify import MUTATION_COST, ShopifyClient
from shared.services.jobs import BATCHES_A_SECOND, MAX_CHECK_WAIT_S
from tidemark.local import template as cfn
from tidemark.local.runtime import TEMPLATE
from tidemark.sandbox.shopify import PLAN_RESTORE_RATES

if TYPE_CHECKING:
    from cost_counting import Work

GOAL_PER_MILLION = 2.0
GOAL_IDLE_MONTH = 5.0
EXPRESS_LIMIT_S = 300.0
FIGURE = {
    "first full": "first_full",
    "full": "full",
    "smart": "smart",
    "partial": "partial",
    "selected": "selected",
    "auto sync": "autosync",
}
ASL = TEMPLATE.parent / "infra" / "job.asl.json"
PAYLOAD_BYTES = 4096  # a job step's state (the job id, a shard's cursor, progress): a few hundred bytes


def _line(name: str, usd: float, total: float) -> str:
    share = usd / total if total else 0.0
    return f"    {name:24} ${usd:9.4f}  {share:5.1%}"


def report_sync(work: list[Work], arm64: bool, shards: int) -> dict[str, float]:
    """Each job's dollars a million pushed listings. Its state transitions are billed as the job
    would make them on AWS: the counted ones less the CheckProgress rounds local mode's slower
    pushes add (3 a round), plus the rounds its pushes take at AWS's pace (job_at)."""
    figures: dict[str, float] = {}
    print("\ncost per million pushed listings (goal < $2), by line:", flush=True)
    for w in work:
        counts = w.counts
        if w.transitions:
            counts = Counts(**{**vars(w.counts), "transitions": job_at(w, w.listings, shards)[1]})
        if w.pushed == 0:
            usd = sum(prices.bill(counts, arm64=arm64).values())
            print(
                f"  {w.label}: nothing pushed; the job costs ${usd:.6f}, {counts.transitions:.0f} transitions"
            )
            figures["cost.idle_smart_job_usd"] = round(usd, 7)
            continue
        lines = prices.per_million(prices.bill(counts, arm64=arm64), w.pushed)
        total = sum(lines.values())
        name, share = prices.dominant(lines)
        verdict = "meets the goal" if total < GOAL_PER_MILLION else "OVER the goal"
        print(
            f"  {w.label}: ${total:.4f} a million ({verdict}); {w.pushed:,} pushed; most: {name} {share:.0%}"
        )
        _counts(w, counts)
        for line, usd in lines.items():
            if usd:
                print(_line(line, usd, total))
        operations = ", ".join(f"{k} {v:,}" for k, v in sorted(w.tally.requests.items()) if "." in k)
        print(f"    requests: {operations}", flush=True)
        _cheaper(w, counts, lines, total, shards)
        if w.label in FIGURE:
            figures[f"cost.{FIGURE[w.label]}_per_million_usd"] = round(total, 4)
    return figures


def _counts(w: Work, counts: Counts) -> None:
    c, n = counts, w.pushed
    print(
        f"    a pushed listing: {c.wru / n:.2f} WRU ({w.writes.writes / n:.2f} writes: "
        f"{w.writes.base_wru / n:.2f} on the table, {w.writes.index_wru / n:.2f} on its indexes), "
        f"{c.rru / n:.2f} RRU, {c.sqs_fifo / n:.3f} FIFO and {c.sqs_standard / n:.3f} standard SQS "
        f"requests, {c.lambda_requests / n:.3f} Lambda requests, {c.lambda_gb_s * 1000 / n:.2f} GB-ms, "
        f"{c.api_requests / n:.3f} API requests; the job: {c.transitions:.0f} transitions on AWS "
        f"({w.transitions} counted in local mode), {w.seconds:.0f} s in local mode",
        flush=True,
    )


def _cheaper(w: Work, counts: Counts, lines: dict[str, float], total: float, shards: int) -> None:
    """What the product changes the counts point to would give."""
    arm = lines["Lambda compute"] * (1 - prices.LAMBDA_ARM_GB_S_USD / prices.LAMBDA_GB_S_USD)
    print(f"    on arm64 (template: x86_64): ${total - arm:.4f} a million", flush=True)
    if counts.transitions:
        express = prices.express_execution_usd(job_at(w, w.listings, shards)[3], 64) * 1e6 / w.pushed
        print(
            f"    the job as Express: ${total - lines['Step Functions'] + express:.4f} a million", flush=True
        )


# -- Standard against Express ----------------------------------------------------------------------


def _aws_seconds(w: Work, function: str) -> float:
    i = w.invocations
    return (
        i.seconds.get(function, 0.0) - i.aws_seconds.get(function, 0.0) + i.aws_calls[function] * AWS_CALL_S
    )


def check_rounds(batches: float, per_second: float) -> tuple[int, float]:
    """The job's CheckProgress rounds while `batches` are pushed at `per_second` batches a second
    (shared.services.jobs.check_progress's waits), and the seconds they take."""
    rounds, elapsed, left = 1, 0.0, batches
    while left > 0:
        wait = min(MAX_CHECK_WAIT_S, max(1, int(left) // BATCHES_A_SECOND))
        elapsed += wait
        left -= per_second * wait
        rounds += 1
    return rounds, elapsed


def job_at(w: Work, catalog: int, shards: int) -> tuple[int, int, float, float]:
    """(pushes, state transitions, seconds at the channel's ceiling, seconds at the push Lambdas'
    measured pace) of the same job on a `catalog`-listing catalog on AWS: a full sync pushes the
    catalog, the others the same changes (their reads are flat with the catalog: sync.*.read_ratio).
    Pushes go at Shopify's standard-plan ceiling or, the slower, at the push Lambdas' pace across
    the shards (their measured time a listing, which a loaded machine inflates); planning scales
    with the listings planned, over the shards."""
    full = w.label.endswith("full")
    pushes = catalog if full else w.pushed
    per_listing_points = MUTATION_COST / ShopifyClient.quantity_batch_size
    channel_rate = PLAN_RESTORE_RATES[PLAN] / per_listing_points
    push_s = _aws_seconds(w, "PushFunction") / max(1, w.pushed)
    lambda_rate = shards / push_s if push_s else channel_rate
    plan_s = _aws_seconds(w, "PlanFunction") * (catalog / max(1, w.listings) if full else 1.0) / shards
    steps_s = _aws_seconds(w, "JobStepsFunction")
    batches = pushes / ShopifyClient.quantity_batch_size
    rate = min(channel_rate, lambda_rate)
    rounds, waited = check_rounds(batches, rate / ShopifyClient.quantity_batch_size) if pushes else (1, 0.0)
    progress = w.invocations.steps["progress"]
    fixed = w.transitions - 3 * max(0, progress - 1)
    transitions = fixed + 3 * max(0, rounds - 1)
    best = plan_s + steps_s + pushes / channel_rate
    paced = plan_s + steps_s + max(waited, pushes / rate)
    return pushes, round(transitions), best, paced


def express_verdict(work: list[Work], catalog: int, shards: int) -> dict[str, float]:
    memory = prices.express_memory_mb(ASL.stat().st_size, PAYLOAD_BYTES, shards)
    print(
        f"\nthe job state machine, Standard against Express, one job at {catalog:,} listings (Shopify "
        f"{PLAN} plan; Express billed {memory} MB, rounded to 100 ms):",
        flush=True,
    )
    figures: dict[str, float] = {}
    over: list[str] = []
    for w in work:
        pushes, transitions, best, paced = job_at(w, catalog, shards)
        standard = prices.standard_execution_usd(transitions)
        express = prices.express_execution_usd(paced, memory)
        if paced > EXPRESS_LIMIT_S:
            over.append(w.label)
        key = w.label.replace(" ", "_")
        figures[f"cost.job_standard_usd.{key}"] = round(standard, 6)
        figures[f"cost.job_express_usd.{key}"] = round(express, 7)
        figures[f"cost.job_seconds.{key}"] = round(paced, 1)
        fits = "PAST" if paced > EXPRESS_LIMIT_S else "within"
        print(
            f"  {w.label:11} {pushes:>7,} pushes, {transitions:4} transitions, {best:6.1f} s at the "
            f"channel's ceiling, {paced:6.1f} s at the measured push pace: Standard ${standard:.5f}, "
            f"Express ${express:.6f} ({standard / express:.0f}x less); {fits} Express's 5 minutes",
            flush=True,
        )
    limit_s = EXPRESS_LIMIT_S * PLAN_RESTORE_RATES[PLAN] / (MUTATION_COST / ShopifyClient.quantity_batch_size)
    definition = json.loads(ASL.read_text())
    resources = set(re.findall(r'"Resource":\s*"([^"]+)"', ASL.read_text()))
    patterns = sorted(r for r in resources if r.endswith((".sync", ".sync:2", ".waitForTaskToken")))
    allowed = "no .sync or .waitForTaskToken" if not patterns else "Express cannot run " + ", ".join(patterns)
    print(
        f"  the machine's tasks: {', '.join(sorted(resources))} ({allowed}); its run may last "
        f"TimeoutSeconds {definition.get('TimeoutSeconds')} s",
        flush=True,
    )
    print(
        f"  deciding limit: Express's 5-minute maximum duration. A job lasts as long as its pushes at the "
        f"channel's rate: past {limit_s:,.0f} pushes on Shopify's {PLAN} plan, far fewer on WooCommerce (a "
        f"host's own limit), eBay and Amazon; a link job first reads the whole catalog (Shopify's bulk "
        f"operation){': past it here: ' + ', '.join(over) if over else ''}. Use Standard for the job "
        "machine: one machine runs every job kind on every channel at any catalog size. Express's "
        "at-least-once steps and its start without ExecutionAlreadyExists (shared/storage/executions.py "
        "starts a job once by its execution's name) would need the steps made idempotent too.",
        flush=True,
    )
    return figures


# -- the idle month ---------------------------------------------------------------------------------


def _alarm_kinds() -> dict[str, int]:
    template = cfn.load(TEMPLATE)
    names = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"]
    return {kind: sum(1 for n in names if n.endswith(f"{kind}Alarm")) for kind in ("Throttles", "Errors")}


def _idle_detail(inputs: IdleInputs) -> dict[str, str]:
    fifo = sum(1 for f in inputs.polled_queues.values() if f)
    return {
        "CloudWatch alarms": f"{inputs.alarms} alarms in template.yaml (at its defaults)",
        "CloudWatch dashboard": f"{inputs.dashboards} (free when the account has 3 or fewer)",
        "CloudWatch metrics (EMF)": f"{inputs.metrics} metrics the scheduled jobs send, each hour",
        "CloudWatch Logs": f"{inputs.log_bytes_per_job:,.0f} bytes logged a job (INFO), ingested and kept",
        "Secrets Manager secrets": f"{inputs.secrets} secrets (credentials and webhook secret per channel)",
        "KMS keys": f"{inputs.kms_keys} customer managed keys at SecretsKeyKind's default",
        "SQS idle long polls": f"{len(inputs.polled_queues)} queues polled by Lambda ({fifo} FIFO), "
        f"{inputs.pollers_per_queue} pollers each at {inputs.poll_wait_s} s long polls",
        "DynamoDB storage": f"{inputs.stored_bytes / 1e6:,.1f} MB with index entries",
        "DynamoDB PITR": "enabled in the template" if inputs.pitr else "off",
        "Step Functions (jobs)": f"{inputs.job.transitions:.0f} transitions a job (Standard)",
        "Lambda (jobs)": f"{inputs.job.lambda_requests:.0f} invocations, {inputs.job.lambda_gb_s:.3f} GB-s",
    }


def _idle_cheaper(inputs: IdleInputs, lines: dict[str, float], idle_seconds: float) -> None:
    express = inputs.jobs * prices.express_execution_usd(idle_seconds, 64)
    kinds = _alarm_kinds()
    fewer = (kinds["Throttles"] + kinds["Errors"] - 2) * prices.ALARM_MONTH_USD
    no_jobs = sum(v for k, v in lines.items() if k.endswith("(jobs)")) + lines["CloudWatch Logs"]
    no_jobs += lines["CloudWatch metrics (EMF)"]
    one_secret = inputs.secrets / 2 * prices.SECRET_MONTH_USD
    print(
        f"  cheaper: the hourly job as Express: -${lines['Step Functions (jobs)'] - express:.2f}; one "
        f"account-wide Lambda Throttles and one Errors alarm instead of {kinds['Throttles']} and "
        f"{kinds['Errors']}: -${fewer:.2f}; a schedule that starts no job when nothing changed since the "
        f"watermark (one query): -${no_jobs:.2f}; one secret a channel: -${one_secret:.2f}",
        flush=True,
    )


def report_idle(inputs: IdleInputs, idle: list[Work], arm64: bool) -> dict[str, float]:
    lines = prices.idle_month(inputs)
    total = sum(lines.values())
    verdict = "meets the goal" if total < GOAL_IDLE_MONTH else "OVER the goal"
    print(
        f"\nthe idle month: {prices.HOURS_A_MONTH} hours, a 100,000-listing catalog on 2 channels, hourly "
        f"smart syncs with nothing changed ({inputs.jobs:,} jobs): ${total:.2f} ({verdict} of < $5)",
        flush=True,
    )
    detail = _idle_detail(inputs)
    for name, usd in sorted(lines.items(), key=lambda kv: -kv[1]):
        print(f"{_line(name, usd, total)}  {detail.get(name, '')}", flush=True)
    _idle_cheaper(inputs, lines, max(w.seconds for w in idle))
    figures = {"cost.idle_month_usd": round(total, 3)}
    for name, usd in lines.items():
        key = name.lower().split(" (")[0].replace(",", "").replace(" ", "_")
        suffix = "_jobs" if name.endswith("(jobs)") else ""
        figures[f"cost.idle_month.{key}{suffix}_usd"] = round(usd, 4)
    return figures
