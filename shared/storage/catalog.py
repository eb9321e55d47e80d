"""A link job's read of a channel's catalog, kept until the job has matched every listing.

Access patterns (template.yaml, Table), every item expiring (TTL) a day after the read:
- which variants of the read carry a value:  PK=CATALOG#<job>#<field>#<value>, SK=VALUE
  (`variant_ids`, a string set each page adds to; BatchGetItem for a page of listings)
- one variant of the read by id:             PK=CATALOG#<job>#VARIANT#<variant_id>, SK=VARIANT
Pages are written as they are read, so no handler ever holds the whole catalog.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from shared.channels.base import ChannelVariant
from shared.domain.linking import channel_value
from shared.storage.aws import batch_get, table
from shared.storage.items import from_item

KEPT_FOR = timedelta(days=1)
WRITERS = 8  # concurrent value updates within one page: DynamoDB takes them in parallel


def _value_key(job_id: str, field: str, value: str) -> dict[str, str]:
    return {"PK": f"CATALOG#{job_id}#{field}#{value}", "SK": "VALUE"}


def _variant_key(job_id: str, variant_id: str) -> dict[str, str]:
    return {"PK": f"CATALOG#{job_id}#VARIANT#{variant_id}", "SK": "VARIANT"}


def record_page(job_id: str, variants: Sequence[ChannelVariant], fields: Sequence[str], at: datetime) -> None:
    """Write one page of the read: each variant by id, and add it to each value it carries.
    Writing a page twice changes nothing (the ids are a set)."""
    expires_at = int((at + KEPT_FOR).timestamp())
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for variant in variants:
            item = {"variant": variant.model_dump(mode="json"), "expires_at": expires_at}
            writer.put_item(Item={**_variant_key(job_id, variant.variant_id), **item})
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for variant in variants:
        for field in fields:
            if value := channel_value(variant, field):
                holders[(field, value)].add(variant.variant_id)
    dynamodb = table().meta.client  # thread-safe, unlike the resource; it takes Python values too

    def add(pair: tuple[str, str]) -> None:
        dynamodb.update_item(
            TableName=table().name,
            Key=_value_key(job_id, *pair),
            UpdateExpression="ADD variant_ids :ids SET expires_at = :expires",
            ExpressionAttributeValues={":ids": holders[pair], ":expires": expires_at},
        )

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(add, holders))


def holders(job_id: str, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The ids of every variant of the read that carries each (field, value); absent when none."""
    pairs = list(dict.fromkeys(wanted))
    by_key = {_value_key(job_id, *pair)["PK"]: pair for pair in pairs}
    items = batch_get([_value_key(job_id, *pair) for pair in pairs])
    return {by_key[item["PK"]]: sorted(item["variant_ids"]) for item in items}


def variants(job_id: str, variant_ids: Iterable[str]) -> dict[str, ChannelVariant]:
    items = batch_get([_variant_key(job_id, v) for v in dict.fromkeys(variant_ids)])
    return {variant.variant_id: variant for variant in map(_variant, items)}


def _variant(item: dict[str, Any]) -> ChannelVariant:
    return from_item(ChannelVariant, item["variant"])
