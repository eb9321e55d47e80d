"""boto3 clients, created once per container and only when first used (cold starts stay short).
boto3 itself (with s3transfer) is imported only then: `Key`, `Attr` and `TypeDeserializer` here
are boto3's, imported when first called."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config

from shared.settings import settings

if TYPE_CHECKING:
    from boto3.dynamodb import conditions


def Key(name: str) -> conditions.Key:
    from boto3.dynamodb.conditions import Key

    return Key(name)


def Attr(name: str) -> conditions.Attr:
    from boto3.dynamodb.conditions import Attr

    return Attr(name)


class TypeDeserializer:
    def deserialize(self, value: Any) -> Any:
        from boto3.dynamodb.types import TypeDeserializer

        return TypeDeserializer().deserialize(value)


_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=20)
# The webhook door's calls: each answer within its 5 s budget (template.yaml WebhooksFunction), so
# a slow call fails while the channel's retry can still be taken, never past Lambda's timeout.
_QUICK = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=1)


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


def table() -> Any:
    return _tables.get("table", _CONFIG)


def written(write: Callable[..., Any], **request: Any) -> bool:
    """Make one conditional write (put_item, update_item, delete_item...) with `request`; False when
    its condition did not hold. Every other error is raised."""
    from botocore.exceptions import ClientError

    try:
        write(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


@cache
def quick_client(service: str) -> Any:
    import boto3

    return boto3.client(service, config=_QUICK)  # type: ignore[call-overload]


def quick_table() -> Any:
    return _tables.get("quick_table", _QUICK)


# boto3's resources are not thread safe: a Table builds each request's expression placeholders (#n0,
# :v0) with one counter that every request resets, so two threads' requests could swap names ("Query
# condition missed key schema element", or an update of the wrong attribute). Each thread has Tables
# of its own (a few ms each, made one at a time from the one session); a reset drops every thread's.
class _ThreadTables:
    def __init__(self) -> None:
        self._threads = threading.local()
        self._making = threading.Lock()
        self.generation = 0

    def get(self, name: str, config: Config) -> Any:
        held = getattr(self._threads, "tables", None)
        if held is None or held[0] != self.generation:
            held = self._threads.tables = (self.generation, {})
        tables: dict[str, Any] = held[1]
        if name not in tables:
            import boto3

            with self._making:
                tables[name] = boto3.resource("dynamodb", config=config).Table(settings().table_name)
        return tables[name]


_tables = _ThreadTables()


def reset() -> None:
    """Forget every client and setting (a new local stack, a new test)."""
    client.cache_clear()
    quick_client.cache_clear()
    _tables.generation += 1
    settings.cache_clear()


def batch_get(keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every item of `keys` that exists, 100 keys a call, retrying what DynamoDB left unprocessed."""
    name = table().name
    dynamodb = table().meta.client
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        for attempt in range(10):
            answer = dynamodb.batch_get_item(RequestItems=request)
            found.extend(answer["Responses"].get(name, []))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(1.0, 0.05 * 2**attempt))
        else:
            raise RuntimeError("DynamoDB left keys unprocessed after 10 attempts")
    return found


def query_keys(index: str, partition: str, page_size: int, after: str | None = None) -> Iterator[list[str]]:
    """The sort keys of one partition of a GSI named <index> (keys <index>PK / <index>SK), in
    order after `after`, a page at a time: each index's key attributes only, nothing more is read."""
    condition: Any = Key(f"{index}PK").eq(partition)
    if after is not None:
        condition &= Key(f"{index}SK").gt(after)
    request: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ProjectionExpression": f"{index}SK",
        "Limit": page_size,
    }
    while True:
        answer = table().query(**request)
        yield [item[f"{index}SK"] for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


# Sorts after every character a key holds: the top of a range of keys that start with a prefix.
LAST_CHARACTER = "\U0010ffff"


def sort_key_range(name: str, prefix: str, after: str | None) -> Any:
    """A key condition on the sort key `name`: the keys that start with `prefix` (none: all), past
    `after` when given. With both, the range starts at `after` itself: callers leave it out."""
    if after is not None and not prefix:
        return Key(name).gt(after)
    if after is None or after < prefix:
        return Key(name).begins_with(prefix) if prefix else None
    last = prefix + LAST_CHARACTER
    # Past the prefix's keys: only `after` itself (DynamoDB refuses a BETWEEN whose bounds are
    # reversed with a ValidationException; moto answered no keys).
    return Key(name).between(after, last) if after <= last else Key(name).eq(after)


def merged_sort_keys(
    index: str, partitions: list[str], after: str | None, prefix: str, limit: int
) -> tuple[list[str], bool]:
    """Up to `limit` sort keys of a GSI named <index> across `partitions` (the shards of one
    ordering: a key is in one of them), starting with `prefix`, in order after `after`, and whether
    more may follow. Each partition is read a share of `limit` at a time (keys spread evenly over
    the shards), and keys are given out up to the lowest last key read of a partition that has
    more: every key up to there has been seen, whichever partition holds it (twice a fair share
    is read, so that the lowest such key most often lets out `limit`). Until `limit` keys
    are known that way, the partitions that have more are read further, twice as far each time."""
    share = -(-2 * limit // len(partitions)) + 2  # most often enough at once
    read: dict[str, list[str]] = {p: [] for p in partitions}
    more = dict.fromkeys(partitions, True)
    while True:
        _read_further(index, read, more, after, prefix, share)
        cut = _all_read_up_to(read, more, after)
        found = sorted(k for keys in read.values() for k in keys if cut is None or k <= cut)
        if len(found) >= limit or cut is None:
            return found[:limit], len(found) > limit or cut is not None
        share *= 2


def _read_further(
    index: str, read: dict[str, list[str]], more: dict[str, bool], after: str | None, prefix: str, share: int
) -> None:
    """Up to `share` more keys of each partition that has more, after those `read` of it."""
    for partition, keys in read.items():
        if more[partition]:
            keys_read, more[partition] = _sort_keys(
                index, partition, keys[-1] if keys else after, prefix, share
            )
            keys.extend(keys_read)


def _all_read_up_to(read: dict[str, list[str]], more: dict[str, bool], after: str | None) -> str | None:
    """The lowest last key read of a partition that has more: every key up to it has been read,
    whichever partition holds it. None: every partition has been read to its end."""
    return min((keys[-1] if keys else (after or "") for p, keys in read.items() if more[p]), default=None)


def _sort_keys(
    index: str, partition: str, after: str | None, prefix: str, limit: int
) -> tuple[list[str], bool]:
    """Up to `limit` sort keys of one partition (starting with `prefix`) after `after`; and whether
    it has more."""
    condition: Any = Key(f"{index}PK").eq(partition)
    sku_range = sort_key_range(f"{index}SK", prefix, after)
    if sku_range is not None:
        condition &= sku_range
    answer = table().query(
        IndexName=index, KeyConditionExpression=condition, ProjectionExpression=f"{index}SK", Limit=limit
    )
    keys = [item[f"{index}SK"] for item in answer["Items"] if item[f"{index}SK"] != after]
    return keys, "LastEvaluatedKey" in answer
