"""Jobs and their progress.

Access patterns (template.yaml, Table):
- get one job:                      PK=JOB#<id>, SK=JOB
- a channel's jobs, newest first:   GSI1PK=JOBS#<channel>, GSI1SK=<created_at>#<id>
Progress lives on the job item: planned push batches per shard (`plan_batches`), the batches
already recorded (`done_batches`, a string set that makes recording a batch idempotent) and
the counts, updated in place so concurrent push handlers never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.domain.job import MAX_RECORDED_FAILURES, Job, JobFailure, JobStatus
from shared.storage.aws import table
from shared.storage.items import from_item, to_item


class JobNotFound(LookupError):
    pass


class JobChanged(RuntimeError):
    """The job's status changed under us (another step moved it on)."""


def key(job_id: str) -> dict[str, str]:
    return {"PK": f"JOB#{job_id}", "SK": "JOB"}


def create(job: Job) -> None:
    item = to_item(
        job,
        **key(job.id),
        GSI1PK=f"JOBS#{job.channel}",
        GSI1SK=f"{job.created_at.isoformat()}#{job.id}",
    )
    item.update(plan_batches={}, plan_complete=False, batches_done=0)
    table().put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")


def get(job_id: str) -> Job:
    item = table().get_item(Key=key(job_id), ConsistentRead=True).get("Item")
    if not item:
        raise JobNotFound(job_id)
    return from_item(Job, item)


def save_status(job: Job, expected: JobStatus) -> None:
    """Write the job's new status and timestamps if its status is still `expected`."""
    names = {"#status": "status", "#started": "started_at", "#finished": "finished_at", "#error": "error"}
    values = {
        ":status": job.status.value,
        ":started": job.started_at.isoformat() if job.started_at else None,
        ":finished": job.finished_at.isoformat() if job.finished_at else None,
        ":error": job.error,
        ":expected": expected.value,
    }
    try:
        table().update_item(
            Key=key(job.id),
            UpdateExpression=(
                "SET #status = :status, #started = :started, #finished = :finished, #error = :error"
            ),
            ConditionExpression="#status = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise JobChanged(job.id) from error
        raise


def record_shard_plan(job_id: str, shard: int, batches: int, listings: int) -> None:
    """A shard's plan, set (not added) so that planning a shard again counts it once."""
    table().update_item(
        Key=key(job_id),
        UpdateExpression="SET plan_batches.#shard = :plan",
        ExpressionAttributeNames={"#shard": str(shard)},
        ExpressionAttributeValues={":plan": {"batches": batches, "listings": listings}},
    )


def complete_plan(job_id: str) -> int:
    """Mark planning done and set the planned count; returns the number of planned batches."""
    item = table().get_item(Key=key(job_id), ConsistentRead=True)["Item"]
    plans = item.get("plan_batches", {}).values()
    table().update_item(
        Key=key(job_id),
        UpdateExpression="SET plan_complete = :yes, counts.planned = :planned, planned_batches = :batches",
        ExpressionAttributeValues={
            ":yes": True,
            ":planned": sum(int(p["listings"]) for p in plans),
            ":batches": sum(int(p["batches"]) for p in plans),
        },
    )
    return sum(int(p["batches"]) for p in plans)


def progress(job_id: str) -> tuple[bool, int, int]:
    """(planning done, batches planned, batches recorded)."""
    item = table().get_item(Key=key(job_id), ConsistentRead=True)["Item"]
    return bool(item.get("plan_complete")), int(item.get("planned_batches", 0)), int(item["batches_done"])


def record_batch(job_id: str, batch_id: str, counts: Mapping[str, int], at: datetime) -> bool:
    """Add one push batch's counts once; a batch recorded before (a redelivery) changes nothing."""
    sets, names, values = _count_updates(counts)
    values.update({":one": 1, ":batch": {batch_id}, ":at": at.isoformat()})
    expression = "SET " + ", ".join([*sets, "batches_done = batches_done + :one", "updated_at = :at"])
    try:
        table().update_item(
            Key=key(job_id),
            UpdateExpression=expression + " ADD done_batches :batch",
            ConditionExpression="attribute_not_exists(done_batches) OR NOT contains(done_batches, :bid)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":bid": batch_id},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def add_failures(job_id: str, failures: Sequence[JobFailure]) -> None:
    """Keep the job's first failures, each with its fix; past the cap they are only counted."""
    if not failures:
        return
    try:
        table().update_item(
            Key=key(job_id),
            UpdateExpression="SET failures = list_append(if_not_exists(failures, :empty), :failures)",
            ConditionExpression="attribute_not_exists(failures) OR size(failures) < :cap",
            ExpressionAttributeValues={
                ":empty": [],
                ":failures": [f.model_dump() for f in failures[:MAX_RECORDED_FAILURES]],
                ":cap": MAX_RECORDED_FAILURES,
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _count_updates(counts: Mapping[str, int]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """SET clauses that add to the job's counts in place."""
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    sets = [f"counts.#c{i} = if_not_exists(counts.#c{i}, :zero) + :v{i}" for i in range(len(counts))]
    values: dict[str, Any] = {f":v{i}": n for i, n in enumerate(counts.values())}
    if counts:
        values[":zero"] = 0
    return sets, names, values


def for_channel(channel: str, limit: int = 50) -> list[Job]:
    answer = table().query(
        IndexName="GSI1",
        KeyConditionExpression=Key("GSI1PK").eq(f"JOBS#{channel}"),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [from_item(Job, item) for item in answer["Items"]]
