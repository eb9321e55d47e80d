"""A link job's read of a channel's catalog, kept until the job has matched every listing.

Access patterns (template.yaml, Table), every item expiring (TTL) a day after the read:
- the variants that carry a value, over the whole read:  PK=CATALOG#<job>#<field>#<value>, SK=<variant_id>
- one variant of the read by id (BatchGetItem):          PK=CATALOG#<job>#VARIANT#<variant_id>, SK=VARIANT
Pages are written as they are read, so no handler ever holds the whole catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from shared.channels.base import ChannelVariant
from shared.domain.linking import channel_value
from shared.storage.aws import batch_get, table
from shared.storage.items import from_item

KEPT_FOR = timedelta(days=1)


def _value_key(job_id: str, field: str, value: str) -> str:
    return f"CATALOG#{job_id}#{field}#{value}"


def _variant_key(job_id: str, variant_id: str) -> dict[str, str]:
    return {"PK": f"CATALOG#{job_id}#VARIANT#{variant_id}", "SK": "VARIANT"}


def record_page(job_id: str, variants: Sequence[ChannelVariant], fields: Sequence[str], at: datetime) -> None:
    """Write one page of the read: each variant by id, and under each value it carries."""
    expires_at = int((at + KEPT_FOR).timestamp())
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for variant in variants:
            body = {"variant": variant.model_dump(mode="json"), "expires_at": expires_at}
            writer.put_item(Item={**_variant_key(job_id, variant.variant_id), **body})
            for field in fields:
                value = channel_value(variant, field)
                if value:
                    writer.put_item(
                        Item={"PK": _value_key(job_id, field, value), "SK": variant.variant_id, **body}
                    )


def holders(job_id: str, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[ChannelVariant]]:
    """Every variant of the read that carries each (field, value); one query per pair."""
    found: dict[tuple[str, str], list[ChannelVariant]] = {}
    for field, value in dict.fromkeys(wanted):
        request: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(_value_key(job_id, field, value)),
            "ConsistentRead": True,
        }
        variants: list[ChannelVariant] = []
        while True:
            answer = table().query(**request)
            variants.extend(_variant(item) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        found[(field, value)] = variants
    return found


def variants(job_id: str, variant_ids: Iterable[str]) -> dict[str, ChannelVariant]:
    items = batch_get([_variant_key(job_id, v) for v in dict.fromkeys(variant_ids)])
    return {variant.variant_id: variant for variant in map(_variant, items)}


def _variant(item: dict[str, Any]) -> ChannelVariant:
    return from_item(ChannelVariant, item["variant"])
