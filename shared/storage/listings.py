"""Listings.

Access patterns (template.yaml, Table):
- get / put one listing by SKU:              PK=LISTING#<sku>, SK=LISTING
- get many by SKU (push, link):              BatchGetItem on the same keys
- every listing, a shard at a time (link):   GSI2PK=LISTINGS#<shard>, GSI2SK=<sku>
- changes in time order, per shard (smart):  GSI3PK=CHANGES#<shard>, GSI3SK=<updated_at>#<sku>
- an order line's quantity off or back on:   UpdateItem in a transaction with the order line (orders.py)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from pydantic import TypeAdapter

from shared.domain.listing import Listing
from shared.domain.syncing import shard_of
from shared.settings import settings
from shared.storage.aws import batch_get, query_keys, table
from shared.storage.items import from_item, to_item


def key(sku: str) -> dict[str, str]:
    return {"PK": f"LISTING#{sku}", "SK": "LISTING"}


def get(sku: str) -> Listing | None:
    item = table().get_item(Key=key(sku), ConsistentRead=True).get("Item")
    return from_item(Listing, item) if item else None


def get_many(skus: Iterable[str]) -> dict[str, Listing]:
    listings = (from_item(Listing, item) for item in batch_get([key(s) for s in dict.fromkeys(skus)]))
    return {listing.sku: listing for listing in listings}


def put_many(listings: Iterable[Listing]) -> None:
    shards = settings().push_shards
    with table().batch_writer() as writer:
        for listing in listings:
            writer.put_item(
                Item=to_item(
                    listing,
                    **key(listing.sku),
                    GSI2PK=f"LISTINGS#{shard_of(listing.sku, shards)}",
                    GSI2SK=listing.sku,
                    GSI3PK=f"CHANGES#{shard_of(listing.sku, shards)}",
                    GSI3SK=f"{listing.updated_at.isoformat()}#{listing.sku}",
                )
            )


def changed_skus(shard: int, since: datetime, page_size: int = 1000) -> Iterator[list[str]]:
    """The SKUs of one shard's listings changed at or after `since`, oldest change first (smart sync).
    A listing is in the change index once, at its latest change."""
    after = since.isoformat()  # sorts before every "<since>#<sku>"
    for page in query_keys("GSI3", f"CHANGES#{shard}", page_size, after=after):
        yield [change.partition("#")[2] for change in page]


def shard_page(shard: int, after: str | None, page_size: int) -> tuple[list[str], str | None]:
    """Up to `page_size` SKUs of one shard, in SKU order after `after`; and the last one when more
    may follow."""
    condition: Any = Key("GSI2PK").eq(f"LISTINGS#{shard}")
    if after is not None:
        condition &= Key("GSI2SK").gt(after)
    request: dict[str, Any] = {
        "IndexName": "GSI2",
        "KeyConditionExpression": condition,
        "ProjectionExpression": "GSI2SK",
        "Limit": page_size,
    }
    answer = table().query(**request)
    skus = [item["GSI2SK"] for item in answer["Items"]]
    return skus, (skus[-1] if "LastEvaluatedKey" in answer and skus else None)


def delta_update(sku: str, delta: int, at: datetime) -> dict[str, Any]:
    """One TransactWriteItems element, for the table resource's client (it types the values): add
    `delta` to the listing's on hand (below zero too: an order can oversell) and move it in the
    change index, as a put would. The listing must exist."""
    shard = shard_of(sku, settings().push_shards)
    return {
        "Update": {
            "TableName": settings().table_name,
            "Key": key(sku),
            "UpdateExpression": (
                "SET on_hand = on_hand + :delta, updated_at = :at, GSI3PK = :changes, GSI3SK = :change"
            ),
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": {
                ":delta": delta,
                ":at": TypeAdapter(datetime).dump_python(at, mode="json"),
                ":changes": f"CHANGES#{shard}",
                ":change": f"{at.isoformat()}#{sku}",
            },
        }
    }
