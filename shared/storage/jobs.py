"""Jobs, each channel's queue of them, and their progress.

Access patterns (template.yaml, Table):
- get one job:                          PK=JOB#<id>, SK=JOB; TTL expires_at, HISTORY_RETENTION_DAYS
                                        after it ended (none while queued or running)
- a channel's jobs, newest first:       GSI1PK=JOBS#<channel>, GSI1SK=<created_at>#<id>
- a channel's queue, next job first:    GSI2PK=QUEUE#<channel>, GSI2SK=<rank>#<created_at>#<id>, sparse:
                                        only queued jobs carry it (rank: higher priority sorts first)
- the job running on a channel:         PK=QUEUE#<channel>, SK=RUNNING (one at a time: a conditional put)
- a selected sync's (or auto_sync job's)  PK=JOB#<id>, SK=SKU#<shard>#<sku>; TTL expires_at,
  SKUs, by shard, a page at a time        HISTORY_RETENTION_DAYS + SELECTION_EXTRA_DAYS after they were
                                        written (a job waits and runs far less than the extra 30 days,
                                        so they outlive their job's own expiry; stamping each at the
                                        end would be a write per SKU)
- a dry run's planned changes:          PK=JOB#<id>, SK=PLAN#<sku>#<field>; TTL expires_at
Pushes in flight are leases on the job item (`in_flight`, batch id -> until when), taken only
while the job runs: a cancel waits for them, so no push leaves after it is acknowledged.
Progress lives on the job item: planned push batches per shard (`plan_batches`), the batches
already recorded (`done_batches`, a string set that makes recording a batch idempotent) and
the counts, updated in place so concurrent push handlers never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.job import MAX_PRIORITY, MAX_RECORDED_FAILURES, Job, JobFailure, JobStatus
from shared.domain.syncing import PlannedChange
from shared.settings import settings
from shared.storage.aws import Key, batch_get, sort_key_range, table, written
from shared.storage.items import from_item, to_item

PLAN_ENTRY_DAYS = 7
SELECTION_EXTRA_DAYS = 30


class JobNotFound(LookupError):
    pass


class JobChanged(RuntimeError):
    """The job's status changed under us (another step moved it on)."""


def key(job_id: str) -> dict[str, str]:
    return {"PK": f"JOB#{job_id}", "SK": "JOB"}


def _queue_key(job: Job) -> dict[str, str]:
    rank = MAX_PRIORITY - job.priority
    return {"GSI2PK": f"QUEUE#{job.channel}", "GSI2SK": f"{rank:07d}#{job.created_at.isoformat()}#{job.id}"}


class JobExists(RuntimeError):
    """A job with this id was saved before."""


def create(job: Job) -> None:
    """Save a new job; a queued one joins its channel's queue. JobExists when its id is taken."""
    item = to_item(
        job,
        **key(job.id),
        GSI1PK=f"JOBS#{job.channel}",
        GSI1SK=f"{job.created_at.isoformat()}#{job.id}",
        **(_queue_key(job) if job.status is JobStatus.QUEUED else {}),
    )
    item.update(plan_batches={}, plan_complete=False, batches_done=0, in_flight={})
    if not written(table().put_item, Item=item, ConditionExpression="attribute_not_exists(PK)"):
        raise JobExists(job.id)


def find(job_id: str) -> Job | None:
    try:
        return get(job_id)
    except JobNotFound:
        return None


def get(job_id: str) -> Job:
    item = table().get_item(Key=key(job_id), ConsistentRead=True).get("Item")
    if not item:
        raise JobNotFound(job_id)
    return from_item(Job, item)


_LIFECYCLE = (
    "status",
    "started_at",
    "finished_at",
    "error",
    "ran_as",
    "as_of",
    "changes_since",
    "note",
    "guard",
)


def save_status(job: Job, expected: JobStatus) -> None:
    """Write the job's status, timestamps and what its start decided, if its status is still
    `expected`. A job that is no longer queued leaves its channel's queue."""
    data = job.model_dump(mode="json", include=set(_LIFECYCLE))
    names = {f"#{name}": name for name in _LIFECYCLE}
    values = {f":{name}": data[name] for name in _LIFECYCLE}
    assignments = [f"#{name} = :{name}" for name in _LIFECYCLE]
    if job.finished_at is not None:
        assignments.append("expires_at = :expires_at")
        values[":expires_at"] = int((job.finished_at + _kept()).timestamp())
    expression = "SET " + ", ".join(assignments)
    if job.status is not JobStatus.QUEUED:
        expression += " REMOVE GSI2PK, GSI2SK"
    if not written(
        table().update_item,
        Key=key(job.id),
        UpdateExpression=expression,
        ConditionExpression="#status = :expected",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={**values, ":expected": expected.value},
    ):
        raise JobChanged(job.id)


def restart(job: Job, expected: JobStatus) -> None:
    """A guarded sync queued again to push once its check passed, or once confirmed: its status and
    guard written (if its status is still `expected`), its progress started over (its check's
    counts of what it would change kept), and a queued job joins its channel's queue again."""
    checked = {
        name: getattr(job.counts, name) for name in ("compared", "changes", "unchanged", "zeroed", "moved")
    }
    data = job.model_dump(mode="json", include={"status", "guard", "note"})
    queue = _queue_key(job)
    if not written(
        table().update_item,
        Key=key(job.id),
        UpdateExpression=(
            "SET #status = :status, guard = :guard, note = :note, counts = :counts, failures = :none,"
            " plan_batches = :empty, plan_complete = :no, batches_done = :zero, planned_batches = :zero,"
            " GSI2PK = :queue, GSI2SK = :rank"
        ),
        ConditionExpression="#status = :expected",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":status": data["status"],
            ":guard": data["guard"],
            ":note": data["note"],
            ":counts": checked,
            ":none": [],
            ":empty": {},
            ":no": False,
            ":zero": 0,
            ":queue": queue["GSI2PK"],
            ":rank": queue["GSI2SK"],
            ":expected": expected.value,
        },
    ):
        raise JobChanged(job.id)


def record_shard_plan(job_id: str, shard: int, batches: int, listings: int) -> None:
    """A shard's plan, set (not added) so that planning a shard again counts it once."""
    table().update_item(
        Key=key(job_id),
        UpdateExpression="SET plan_batches.#shard = :plan",
        ExpressionAttributeNames={"#shard": str(shard)},
        ExpressionAttributeValues={":plan": {"batches": batches, "listings": listings}},
    )


def complete_plan(job_id: str, at: datetime) -> int:
    """Mark planning done and set the planned count; returns the number of planned batches."""
    item = table().get_item(Key=key(job_id), ConsistentRead=True)["Item"]
    plans = item.get("plan_batches", {}).values()
    table().update_item(
        Key=key(job_id),
        UpdateExpression=(
            "SET plan_complete = :yes, counts.planned = :planned, planned_batches = :batches,"
            " updated_at = :at"
        ),
        ExpressionAttributeValues={
            ":yes": True,
            ":planned": sum(int(p["listings"]) for p in plans),
            ":batches": sum(int(p["batches"]) for p in plans),
            ":at": at.isoformat(),
        },
    )
    return sum(int(p["batches"]) for p in plans)


@dataclass(frozen=True)
class Progress:
    planned_all: bool
    planned: int  # push batches
    done: int
    moved_at: datetime | None  # when the job last recorded anything


def progress(job_id: str) -> Progress:
    item = table().get_item(Key=key(job_id), ConsistentRead=True)["Item"]
    moved = item.get("updated_at")
    return Progress(
        planned_all=bool(item.get("plan_complete")),
        planned=int(item.get("planned_batches", 0)),
        done=int(item["batches_done"]),
        moved_at=datetime.fromisoformat(moved) if moved else None,
    )


def record_batch(
    job_id: str,
    batch_id: str,
    counts: Mapping[str, int],
    at: datetime,
    *,
    push: bool = False,
    failures: Sequence[JobFailure] = (),
) -> bool:
    """Add one step's counts and its failures once, in one write; a push batch also counts as done
    and ends its lease. A batch recorded before (a redelivery) changes nothing. The job keeps its
    first failures, each with its fix; past the cap they are only counted."""
    sets, names, values = _count_updates(counts)
    values.update({":one": 1 if push else 0, ":batch": {batch_id}, ":at": at.isoformat(), ":bid": batch_id})
    names["#batch"] = batch_id
    sets += ["batches_done = batches_done + :one", "updated_at = :at"]
    once = "(attribute_not_exists(done_batches) OR NOT contains(done_batches, :bid))"
    tail = " ADD done_batches :batch REMOVE in_flight.#batch"
    kept = {
        ":empty": [],
        ":failures": [f.model_dump() for f in failures[:MAX_RECORDED_FAILURES]],
        ":cap": MAX_RECORDED_FAILURES,
    }
    attempts = [(sets, once, values)]
    if failures:  # with the failures while the job keeps fewer than the cap, else the counts alone
        with_failures = [*sets, "failures = list_append(if_not_exists(failures, :empty), :failures)"]
        below_cap = f"{once} AND (attribute_not_exists(failures) OR size(failures) < :cap)"
        attempts.insert(0, (with_failures, below_cap, {**values, **kept}))
    for clauses, condition, expression_values in attempts:
        if _update_if(job_id, "SET " + ", ".join(clauses) + tail, condition, names, expression_values):
            return True
    return False


def _update_if(
    job_id: str, expression: str, condition: str, names: dict[str, str], values: dict[str, Any]
) -> bool:
    """Apply one conditional update to the job; False when its condition does not hold."""
    return written(
        table().update_item,
        Key=key(job_id),
        UpdateExpression=expression,
        ConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def _count_updates(counts: Mapping[str, int]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """SET clauses that add to the job's counts in place."""
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    sets = [f"counts.#c{i} = if_not_exists(counts.#c{i}, :zero) + :v{i}" for i in range(len(counts))]
    values: dict[str, Any] = {f":v{i}": n for i, n in enumerate(counts.values())}
    if counts:
        values[":zero"] = 0
    return sets, names, values


def for_channel(
    channel: str, limit: int = 50, status: JobStatus | None = None, kind: str | None = None
) -> list[Job]:
    """A channel's newest jobs, optionally of one status and kind: the index gives their keys
    (GSI1 is KEYS_ONLY), the jobs are read by key a page at a time."""
    request: dict[str, Any] = {
        "IndexName": "GSI1",
        "KeyConditionExpression": Key("GSI1PK").eq(f"JOBS#{channel}"),
        "ScanIndexForward": False,
        "Limit": max(limit, 25),
    }
    found: list[Job] = []
    while len(found) < limit:
        answer = table().query(**request)
        for job in _jobs_named(answer["Items"]):
            if (status is None or job.status is status) and (kind is None or job.kind == kind):
                found.append(job)
        if "LastEvaluatedKey" not in answer:
            break
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return found[:limit]


def _jobs_named(items: list[dict[str, Any]]) -> list[Job]:
    """The jobs a page of the index names, read by key, in the page's order (one gone meanwhile left out)."""
    keys = [{"PK": item["PK"], "SK": item["SK"]} for item in items]
    by_id = {job.id: job for job in (from_item(Job, item) for item in batch_get(keys))}
    jobs = (by_id.get(item["PK"].removeprefix("JOB#")) for item in items)
    return [job for job in jobs if job]


# The channel's queue and the one job running on it.


def queue_head(channel: str, count: int = 1) -> list[str]:
    """The ids of the channel's next queued jobs: highest priority first, then oldest."""
    answer = table().query(
        IndexName="GSI2", KeyConditionExpression=Key("GSI2PK").eq(f"QUEUE#{channel}"), Limit=count
    )
    return [item["PK"].removeprefix("JOB#") for item in answer["Items"]]


def set_priority(job: Job, priority: int) -> None:
    """Move a queued job to `priority` in its channel's queue; JobChanged if it left the queue."""
    moved = job.model_copy(update={"priority": priority})
    if not written(
        table().update_item,
        Key=key(job.id),
        UpdateExpression="SET priority = :priority, GSI2SK = :rank",
        ConditionExpression="#status = :queued",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":priority": priority,
            ":rank": _queue_key(moved)["GSI2SK"],
            ":queued": JobStatus.QUEUED.value,
        },
    ):
        raise JobChanged(job.id)


def _running_key(channel: str) -> dict[str, str]:
    return {"PK": f"QUEUE#{channel}", "SK": "RUNNING"}


def running(channel: str) -> str | None:
    item = table().get_item(Key=_running_key(channel), ConsistentRead=True).get("Item")
    return str(item["job_id"]) if item else None


def claim(channel: str, job_id: str) -> bool:
    """Make `job_id` the channel's running job, if none is."""
    return written(
        table().put_item,
        Item={**_running_key(channel), "job_id": job_id},
        ConditionExpression="attribute_not_exists(PK) OR job_id = :job",
        ExpressionAttributeValues={":job": job_id},
    )


def release(channel: str, job_id: str) -> None:
    """The channel is free again, if `job_id` was the one holding it."""
    written(
        table().delete_item,
        Key=_running_key(channel),
        ConditionExpression="job_id = :job",
        ExpressionAttributeValues={":job": job_id},
    )


# Leases: a push in flight.


def lease(job_id: str, batch_id: str, until: datetime) -> bool:
    """Take a lease for one push batch, only while the job runs and only for a batch it has not
    recorded (a redelivery of a batch pushed before sends nothing again); False otherwise."""
    return written(
        table().update_item,
        Key=key(job_id),
        UpdateExpression="SET in_flight.#batch = :until",
        ConditionExpression="#status = :running AND "
        "(attribute_not_exists(done_batches) OR NOT contains(done_batches, :bid))",
        ExpressionAttributeNames={"#batch": batch_id, "#status": "status"},
        ExpressionAttributeValues={
            ":until": until.isoformat(),
            ":running": JobStatus.RUNNING.value,
            ":bid": batch_id,
        },
    )


def end_lease(job_id: str, batch_id: str) -> None:
    table().update_item(
        Key=key(job_id),
        UpdateExpression="REMOVE in_flight.#batch",
        ExpressionAttributeNames={"#batch": batch_id},
    )


def leases(job_id: str) -> list[datetime]:
    """Until when each push in flight holds its lease."""
    item = table().get_item(Key=key(job_id), ConsistentRead=True, ProjectionExpression="in_flight")["Item"]
    return [datetime.fromisoformat(until) for until in item.get("in_flight", {}).values()]


# A selected sync's SKUs, and a dry run's plan.


def _sku_key(job_id: str, shard: int, sku: str) -> dict[str, str]:
    return {"PK": f"JOB#{job_id}", "SK": f"SKU#{shard:04d}#{sku}"}


def _kept() -> timedelta:
    return timedelta(days=settings().history_retention_days)


def put_selected(job_id: str, skus_by_shard: Mapping[int, Sequence[str]]) -> None:
    expires_at = int((datetime.now(UTC) + _kept() + timedelta(days=SELECTION_EXTRA_DAYS)).timestamp())
    with table().batch_writer() as writer:
        for shard, skus in skus_by_shard.items():
            for sku in skus:
                writer.put_item(Item={**_sku_key(job_id, shard, sku), "expires_at": expires_at})


def selected_skus(job_id: str, shard: int, page_size: int = 1000) -> Iterator[list[str]]:
    """A selected sync's SKUs in one shard, a page at a time."""
    prefix = f"SKU#{shard:04d}#"
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(f"JOB#{job_id}") & Key("SK").begins_with(prefix),
        "Limit": page_size,
    }
    while True:
        answer = table().query(**request)
        yield [item["SK"].removeprefix(prefix) for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def selected_page(job_id: str, shard: int, after: str | None, page_size: int) -> tuple[list[str], str | None]:
    """Up to `page_size` of the job's SKUs in one shard, in SKU order after `after`; and the last
    one when more may follow."""
    prefix = f"SKU#{shard:04d}#"
    skus_range = sort_key_range("SK", prefix, None if after is None else prefix + after)
    answer = table().query(KeyConditionExpression=Key("PK").eq(f"JOB#{job_id}") & skus_range, Limit=page_size)
    skus = [sku for item in answer["Items"] if (sku := item["SK"].removeprefix(prefix)) != after]
    return skus, (skus[-1] if "LastEvaluatedKey" in answer and skus else None)


def all_selected(job_id: str) -> dict[int, list[str]]:
    answer_items: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(f"JOB#{job_id}") & Key("SK").begins_with("SKU#")
    }
    while True:
        answer = table().query(**request)
        answer_items += answer["Items"]
        if "LastEvaluatedKey" not in answer:
            break
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    selected: dict[int, list[str]] = {}
    for item in answer_items:
        _, shard, sku = item["SK"].split("#", 2)
        selected.setdefault(int(shard), []).append(sku)
    return selected


def put_plan(job_id: str, changes: Iterable[PlannedChange], at: datetime) -> None:
    expires = int((at + timedelta(days=PLAN_ENTRY_DAYS)).timestamp())
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for change in changes:
            writer.put_item(
                Item={
                    "PK": f"JOB#{job_id}",
                    "SK": f"PLAN#{change.sku}#{change.field}",
                    "sku": change.sku,
                    "field": change.field,
                    "from_value": change.from_value,
                    "to_value": change.to_value,
                    "expires_at": expires,
                }
            )


def plan_page(
    job_id: str, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[PlannedChange], dict[str, Any] | None]:
    """A dry run's planned changes in SKU order, a page at a time."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(f"JOB#{job_id}") & Key("SK").begins_with("PLAN#"),
        "Limit": limit,
    }
    if cursor:
        request["ExclusiveStartKey"] = cursor
    answer = table().query(**request)
    changes = [
        PlannedChange(item["sku"], item["field"], item.get("from_value"), item["to_value"])
        for item in answer["Items"]
    ]
    return changes, answer.get("LastEvaluatedKey")
