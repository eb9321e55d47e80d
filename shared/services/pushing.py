"""Pushing one batch: master values read now, one channel call, each result recorded."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from shared.channels.base import PushOutcome
from shared.channels.factory import client_for
from shared.domain.job import JobFailure, JobStatus
from shared.domain.messages import PushMessage
from shared.domain.syncing import plan_quantity_pushes, record_quantity_result
from shared.storage import channels, history, jobs, links, listings, secrets


def push_batch(message: PushMessage) -> Counter[str]:
    """Push the batch unless its job was cancelled; returns the counts it added to the job."""
    job = jobs.get(message.job_id)
    channel = channels.get(message.channel)
    counts: Counter[str] = Counter()
    if job.status is JobStatus.CANCELLED or channel is None:
        counts["skipped"] = len(message.skus)
        jobs.record_batch(job.id, message.batch_id, counts, datetime.now(UTC))
        return counts
    master = listings.get_many(message.skus)
    current = links.get_many(channel.name, message.skus)
    plan = plan_quantity_pushes(channel.name, message.skus, master, current)
    counts["skipped"] = len(plan.skipped)
    failures = [JobFailure(sku=sku, message=reason) for sku, reason in plan.skipped.items()]
    if plan.pushes and not job.dry_run:
        client = client_for(channel, secrets.read(channel.name))
        results = client.push_quantities(plan.pushes, message.idempotency_key())
        now = datetime.now(UTC)
        recorded = [
            record_quantity_result(current[push.sku], push, result, job.id, now)
            for push, result in zip(plan.pushes, results, strict=True)
        ]
        links.put_many(link for link, _ in recorded)
        history.append_many(entry for _, entry in recorded)
        for result in results:
            counts[_COUNT[result.outcome]] += 1
            if result.outcome is not PushOutcome.PUSHED:
                failures.append(JobFailure(sku=result.sku, message=result.message))
    if jobs.record_batch(job.id, message.batch_id, counts, datetime.now(UTC)):
        jobs.add_failures(job.id, failures)
    return counts


_COUNT = {PushOutcome.PUSHED: "pushed", PushOutcome.CONFLICT: "conflicts", PushOutcome.FAILED: "failed"}
