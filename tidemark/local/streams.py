"""DynamoDB stream event sources: read the table's stream and deliver its records as Lambda does.

Lambda reads each shard in order and delivers batches that pass the event source's filter. A
function error retries the batch; `batchItemFailures` retries from the first record named. Once
the retries are spent the batch's position goes to the on-failure destination and the shard
moves on. moto's stream has one shard per table.

An idle poller blocks until moto appends a record to a stream (its `StreamShard.add`, wrapped
here, wakes every poller) rather than polling: a write is read at once, and an idle runtime does
not spin. IDLE_WAIT_S bounds the wait, should a record ever reach a stream by another path.

`Notices` is that count and its wait; the schedule runner and the execution events wait on theirs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.dynamodb.models.table import StreamShard

from tidemark.local import lambdas
from tidemark.local.deploy import StreamEventSource

log = logging.getLogger(__name__)

IDLE_WAIT_S = 10.0
RETRY_SLEEP_S = 0.2


class Notices:
    """How many times something happened (a record appended to any table's stream), and a wait
    for the next one."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return self._count

    def note(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait_past(self, seen: int, timeout: float, stop: threading.Event) -> None:
        """Until a notice is noted after `seen` was read, `stop` is set, or the timeout."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != seen or stop.is_set(), timeout)

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()


APPENDED = Notices()
_moto_add = StreamShard.add


def _add_and_wake(self: StreamShard, old: Any, new: Any) -> None:
    _moto_add(self, old, new)
    APPENDED.note()


def matches(pattern: Any, value: Any) -> bool:
    """An EventBridge-style pattern of nested objects whose leaves list the values allowed."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        if any(isinstance(p, dict) for p in pattern):
            raise ValueError(f"local mode reads only plain values in an event pattern, not {pattern}")
        return value in pattern
    raise ValueError(f"an event pattern's leaves list their values: {pattern!r}")


class StreamPoller:
    """`resume_from`: the positions of a poller stopped before (`positions()`), where this one goes
    on, as Lambda's event source goes on from its checkpoint; otherwise the source's starting
    position."""

    def __init__(self, source: StreamEventSource, region: str, resume_from: list[str] | None = None) -> None:
        self.source = source
        self._region = region
        # moto serves DynamoDB Streams at a path of "/", which botocore leaves out unless given
        self._streams = boto3.client(
            "dynamodbstreams",
            region_name=region,
            endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com/",
        )
        self._lambda = lambdas.LocalLambda(region)
        self._sqs = boto3.client("sqs", region_name=region)
        shards = self._streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"]["Shards"]
        self._iterators = resume_from or [
            self._streams.get_shard_iterator(
                StreamArn=source.stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType=source.starting_position,
            )["ShardIterator"]
            for shard in shards
        ]
        StreamShard.add = _add_and_wake  # type: ignore[method-assign]
        self._stop = threading.Event()
        self._abandon = False
        self._thread = threading.Thread(target=self._work, name=f"stream-{source.function}", daemon=True)
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, abandon: bool = False) -> None:
        """Stop reading; a batch not yet delivered (or, with `abandon`, being delivered: as if the
        worker were killed) stays ahead of `positions()`, to be delivered again."""
        self._abandon = abandon
        self._stop.set()
        APPENDED.wake()
        self._thread.join(timeout=35)

    def positions(self) -> list[str]:
        """Each shard's iterator past the records delivered (or given up) so far."""
        return list(self._iterators)

    def _work(self) -> None:
        while not self._stop.is_set():
            seen = APPENDED.count  # before reading: a record appended while we read wakes the wait
            try:
                read = self._read()
            except Exception:  # as Lambda's pollers do: the poller lives on and reads the batch again
                log.exception(
                    "the %s stream poller failed a call; it reads the batch again", self.source.function
                )
                self._stop.wait(RETRY_SLEEP_S)
                continue
            if read is None:
                return
            if not read:
                APPENDED.wait_past(seen, IDLE_WAIT_S, self._stop)

    def _read(self) -> int | None:
        """One batch of each shard delivered: the records read, None when the poller stopped first."""
        read = 0
        for index, iterator in enumerate(self._iterators):
            answer = self._streams.get_records(ShardIterator=iterator, Limit=self.source.batch_size)
            records = [self._record(r) for r in answer["Records"]]
            wanted = [r for r in records if any(matches(p, r) for p in self.source.filters or [{}])]
            if wanted and not self._deliver(wanted):
                return None
            self._iterators[index] = answer["NextShardIterator"]
            read += len(records)
        return read

    def _deliver(self, records: list[dict[str, Any]]) -> bool:
        """The batch until it succeeds, or its retries are spent (then to the on-failure queue);
        False when the poller stopped first."""
        attempts = 0
        while records and not self._stop.is_set():
            answer = self._lambda.invoke(
                FunctionName=self.source.function, Payload=json.dumps({"Records": records}).encode()
            )
            if self._abandon:
                return False
            payload = json.loads(answer["Payload"].read() or b"null")
            if answer.get("FunctionError"):
                retry_from = 0
            elif (
                self.source.report_failures and isinstance(payload, dict) and payload.get("batchItemFailures")
            ):
                failed = {f["itemIdentifier"] for f in payload["batchItemFailures"]}
                retry_from = next(
                    i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed
                )
            else:
                self.delivered += len(records)
                return True
            self.delivered += retry_from
            records = records[retry_from:]
            attempts += 1
            if 0 <= self.source.max_retries < attempts:
                self._give_up(records, payload, attempts)
                return True
            self._stop.wait(RETRY_SLEEP_S)
        return not records

    def _give_up(self, records: list[dict[str, Any]], payload: Any, attempts: int) -> None:
        self.failed += len(records)
        log.error("%s: %d stream records failed after their retries", self.source.function, len(records))
        if self.source.on_failure_queue_url is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        self._sqs.send_message(
            QueueUrl=self.source.on_failure_queue_url,
            MessageBody=json.dumps(
                {
                    "requestContext": {
                        "functionArn": self.source.function,
                        "condition": "RetryAttemptsExhausted",
                        "approximateInvokeCount": attempts,
                    },
                    "timestamp": _iso(time.time()),
                    "responsePayload": payload,
                    "DDBStreamBatchInfo": {
                        "streamArn": self.source.stream_arn,
                        "startSequenceNumber": first["SequenceNumber"],
                        "endSequenceNumber": last["SequenceNumber"],
                        "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
                        "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
                        "batchSize": len(records),
                    },
                }
            ),
        )

    def _record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record as Lambda delivers it (boto3 parsed the creation time: Lambda sends epoch seconds)."""
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = created.timestamp()
        return {
            **record,
            "dynamodb": change,
            "eventSourceARN": self.source.stream_arn,
            "awsRegion": self._region,
        }


def _iso(epoch: Any) -> str | None:
    """An on-failure record's time, as Lambda writes it (2019-11-14T00:13:19Z)."""
    if not isinstance(epoch, int | float):
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
