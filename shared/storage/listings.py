"""Listings.

Access patterns (template.yaml, Table):
- get / put one listing by SKU:              PK=LISTING#<sku>, SK=LISTING
- an import's columns of a listing:          UpdateItem of those attributes on the same key
- adjust a quantity, set the auto-sync flag: UpdateItem on the same key, with a condition
- get many by SKU (push, link):              BatchGetItem on the same keys
- every listing, a shard at a time (link,    GSI2PK=LISTINGS#<shard>, GSI2SK=<sku>
  auto sync by filter; by SKU prefix too; the console's Listings, every shard merged in SKU order)
- changes in time order, per shard (smart):  GSI3PK=CHANGES#<shard>, GSI3SK=<updated_at>#<sku>
- an order line's quantity off or back on:   UpdateItem in a transaction with the order line (orders.py)
Every write that changes what is pushed (quantities, price, status) moves `updated_at` and the
change index with it; the auto-sync flag changes nothing pushed and moves neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from shared.domain.listing import AdjustReason, Listing
from shared.domain.locations import after_takes, located_change
from shared.domain.syncing import shard_of
from shared.settings import settings
from shared.storage import locations
from shared.storage.aws import (
    Key,
    TypeDeserializer,
    batch_get,
    merged_sort_keys,
    query_keys,
    sort_key_range,
    table,
    written,
)
from shared.storage.items import from_item, to_item

if TYPE_CHECKING:
    from shared.domain.adjusting import Adjustment  # with the CSV parser: the api's alone


class ListingNotFound(LookupError):
    pass


def key(sku: str) -> dict[str, str]:
    return {"PK": f"LISTING#{sku}", "SK": "LISTING"}


def _change_keys(sku: str, at: datetime) -> dict[str, str]:
    """The listing's entry in the change index, at its latest change."""
    return {"GSI3PK": f"CHANGES#{shard_of(sku, settings().push_shards)}", "GSI3SK": f"{at.isoformat()}#{sku}"}


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
                    **_change_keys(listing.sku, listing.updated_at),
                )
            )


class PartlyWritten(Exception):
    """A write of many listings stopped part way: `written` holds the SKUs written for certain."""

    def __init__(self, written: list[str], cause: BaseException) -> None:
        super().__init__(f"{len(written)} written before: {cause}")
        self.written = written
        self.cause = cause


def update_columns(updates: Iterable[tuple[Listing, Iterable[str]]]) -> None:
    """For each listing, write the attributes named (with its time and change-index entry) in
    place, so that a change to another one meanwhile (a sale's on hand) is kept; a listing
    deleted meanwhile is put whole. One UpdateItem a listing, UPDATE_THREADS at a time (on the
    table's client, which takes plain values as the table does: a resource is not thread-safe).
    PartlyWritten when a write failed, naming those that were made."""
    dynamodb, name = table().meta.client, table().name
    with ThreadPoolExecutor(UPDATE_THREADS) as pool:
        writes = [
            (listing, pool.submit(_update_columns, dynamodb, name, listing, cols))
            for listing, cols in updates
        ]
    in_place, gone, failed = _outcomes(writes)
    if failed is not None:
        raise PartlyWritten(in_place, failed)
    put_many(gone)


UPDATE_THREADS = 16


def _outcomes(
    writes: list[tuple[Listing, Future[Listing | None]]],
) -> tuple[list[str], list[Listing], BaseException | None]:
    """What the column writes did: the SKUs written in place, the listings gone meanwhile (to be put
    whole), and the first write that failed."""
    in_place: list[str] = []
    gone: list[Listing] = []
    failed: BaseException | None = None
    for listing, write in writes:
        error = write.exception()
        if error is not None:
            failed = failed or error
        elif (put := write.result()) is not None:
            gone.append(put)
        else:
            in_place.append(listing.sku)
    return in_place, gone, failed


def _update_columns(
    dynamodb: Any, table_name: str, listing: Listing, columns: Iterable[str]
) -> Listing | None:
    """Write the listing's columns; the listing itself when it is gone (to be put whole)."""
    item = to_item(listing, **_change_keys(listing.sku, listing.updated_at))
    names = [*dict.fromkeys(columns), "updated_at", "GSI3PK", "GSI3SK"]
    gone = not written(
        dynamodb.update_item,
        TableName=table_name,
        Key=key(listing.sku),
        UpdateExpression="SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(names))),
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeNames={f"#n{i}": name for i, name in enumerate(names)},
        ExpressionAttributeValues={f":v{i}": item[name] for i, name in enumerate(names)},
    )
    return listing if gone else None


def adjust(adjustment: Adjustment, reason: AdjustReason, at: datetime) -> tuple[Listing, bool]:
    """Apply one quantity change in place: one UpdateItem with a condition, so a concurrent change
    is never lost. A change moves the listing's time and its change-index entry as a put does; a
    value set to what it already is writes nothing. The listing after it, and whether it changed;
    ListingNotFound when there is no such listing."""
    if adjustment.changes_nothing:
        current = get(adjustment.sku)
        if current is None:
            raise ListingNotFound(adjustment.sku)
        return current, False
    value, update, condition = _update_of(adjustment)
    change = _change_keys(adjustment.sku, at)
    try:
        answer = table().update_item(
            Key=key(adjustment.sku),
            UpdateExpression=(
                f"SET {update}, updated_at = :at, last_reason = :reason, GSI3PK = :change, GSI3SK = :changed"
            ),
            ConditionExpression=condition,
            ExpressionAttributeValues={
                ":value": value,
                ":at": _TIME.dump_python(at, mode="json"),  # as a put writes it
                ":reason": reason.value,
                ":change": change["GSI3PK"],
                ":changed": change["GSI3SK"],
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        old = error.response.get("Item")  # as it is: unchanged by this write
        if not isinstance(old, dict) or not old:
            raise ListingNotFound(adjustment.sku) from None
        return from_item(Listing, _DESERIALIZE.deserialize({"M": old})), False
    return from_item(Listing, answer["Attributes"]), True


def _update_of(adjustment: Adjustment) -> tuple[int, str, str]:
    """The adjustment's value, its SET clause and its condition (a value set to what it already is
    fails the condition: nothing is written)."""
    value = next(v for v in (adjustment.delta, adjustment.on_hand, adjustment.committed) if v is not None)
    if adjustment.delta is not None:
        return value, "on_hand = on_hand + :value", "attribute_exists(PK)"
    field = "on_hand" if adjustment.on_hand is not None else "committed"
    return value, f"{field} = :value", f"attribute_exists(PK) AND {field} <> :value"


_DESERIALIZE = TypeDeserializer()
_TIME = TypeAdapter(datetime)


def set_auto_sync(sku: str, on: bool) -> bool:
    """Turn one listing's auto-sync flag on or off in place; whether it changed (False: it already
    was, or there is no such listing). Pushes nothing and leaves the change index as it is."""
    return written(
        table().update_item,
        Key=key(sku),
        UpdateExpression="SET auto_sync = :on",
        ConditionExpression="attribute_exists(PK) AND auto_sync <> :on",
        ExpressionAttributeValues={":on": on},
    )


def changed_skus(shard: int, since: datetime, page_size: int = 1000) -> Iterator[list[str]]:
    """The SKUs of one shard's listings changed at or after `since`, oldest change first (smart sync).
    A listing is in the change index once, at its latest change."""
    after = since.isoformat()  # sorts before every "<since>#<sku>"
    for page in query_keys("GSI3", f"CHANGES#{shard}", page_size, after=after):
        yield [change.partition("#")[2] for change in page]


def shard_page(
    shard: int, after: str | None, page_size: int, prefix: str = ""
) -> tuple[list[str], str | None]:
    """Up to `page_size` SKUs of one shard (that start with `prefix`), in SKU order after `after`;
    and the last one when more may follow."""
    condition: Any = Key("GSI2PK").eq(f"LISTINGS#{shard}")
    sku_range = sort_key_range("GSI2SK", prefix, after)
    if sku_range is not None:
        condition &= sku_range
    request: dict[str, Any] = {
        "IndexName": "GSI2",
        "KeyConditionExpression": condition,
        "ProjectionExpression": "GSI2SK",
        "Limit": page_size,
    }
    answer = table().query(**request)
    skus = [item["GSI2SK"] for item in answer["Items"] if item["GSI2SK"] != after]
    return skus, (skus[-1] if "LastEvaluatedKey" in answer and skus else None)


def catalog_page(after: str | None, prefix: str, limit: int) -> tuple[list[str], bool]:
    """Up to `limit` SKUs of the catalog (that start with `prefix`) in SKU order after `after`, every
    shard merged; and whether more may follow."""
    partitions = [f"LISTINGS#{shard}" for shard in range(settings().push_shards)]
    return merged_sort_keys("GSI2", partitions, after, prefix, limit)


def count_up_to(limit: int, prefix: str = "") -> int:
    """How many listings there are (whose SKU starts with `prefix`), counted no further than just
    past `limit` (at most `limit` + 1): index keys only, a page at a time, each page no longer than
    what is left to count."""
    total = 0
    for shard in range(settings().push_shards):
        after: str | None = None
        while True:
            skus, after = shard_page(shard, after, limit + 1 - total, prefix)
            total += len(skus)
            if total > limit:
                return total
            if after is None:
                break
    return total


def delta_update(sku: str, delta: int, reason: AdjustReason, at: datetime) -> dict[str, Any]:
    """One TransactWriteItems element, for the table resource's client (it types the values): add
    `delta` to the listing's on hand (below zero too: an order can oversell) and move it in the
    change index, as a put would. The listing must exist."""
    change = _change_keys(sku, at)
    return {
        "Update": {
            "TableName": settings().table_name,
            "Key": key(sku),
            "UpdateExpression": (
                "SET on_hand = on_hand + :delta, updated_at = :at, last_reason = :reason, "
                "GSI3PK = :change, GSI3SK = :changed"
            ),
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": {
                ":delta": delta,
                ":at": at.isoformat(),
                ":reason": reason.value,
                ":change": change["GSI3PK"],
                ":changed": change["GSI3SK"],
            },
        }
    }


class LocationWriteConflict(Exception):
    """A listing's stock at its locations kept changing under the write: try again."""


def adjust_at(
    location: str, adjustment: Adjustment, reason: AdjustReason, at: datetime
) -> tuple[Listing, bool]:
    """Apply one change at one master location: the listing's stock there and its totals, read and
    written back under a condition on `stock_version` (every per-location write moves it) and on the
    totals, noted under the location (locations.py), in one transaction. ListingNotFound when there
    is no such listing."""
    for _ in range(ATTEMPTS):
        item = table().get_item(Key=key(adjustment.sku), ConsistentRead=True).get("Item")
        if item is None:
            raise ListingNotFound(adjustment.sku)
        listing = from_item(Listing, item)
        after = located_change(listing, location, adjustment.on_hand, adjustment.delta, adjustment.committed)
        if after == listing:
            return listing, False
        after = after.model_copy(update={"updated_at": at, "last_reason": reason})
        try:
            table().meta.client.transact_write_items(
                TransactItems=[
                    _stock_update(after, int(item.get("stock_version", 0)), listing),
                    *_notes(after),
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            continue
        return after, True
    raise LocationWriteConflict(adjustment.sku)


ATTEMPTS = 8


def _stock_update(after: Listing, version: int, before: Listing) -> dict[str, Any]:
    item = to_item(after, **_change_keys(after.sku, after.updated_at))
    names = ["on_hand", "committed", "stock", "updated_at", "last_reason", "GSI3PK", "GSI3SK"]
    values: dict[str, Any] = {f":v{i}": item[name] for i, name in enumerate(names)}
    values.update({":next": version + 1, ":on": before.on_hand, ":co": before.committed})
    same = "on_hand = :on AND committed = :co AND "
    if version:
        same += "stock_version = :version"
        values[":version"] = version
    else:
        same += "attribute_not_exists(stock_version)"
    return {
        "Update": {
            "TableName": settings().table_name,
            "Key": key(after.sku),
            "UpdateExpression": "SET "
            + ", ".join(f"#n{i} = :v{i}" for i in range(len(names)))
            + ", stock_version = :next",
            "ConditionExpression": f"attribute_exists(PK) AND {same}",
            "ExpressionAttributeNames": {f"#n{i}": name for i, name in enumerate(names)},
            "ExpressionAttributeValues": values,
        }
    }


def _notes(listing: Listing) -> list[dict[str, Any]]:
    """The notes of which locations the listing holds stock at."""
    return [locations.held_note(name, listing.sku) for name in listing.stock]


def touch(skus: Iterable[str], at: datetime) -> dict[str, Listing]:
    """Stamp listings changed at `at` (their change-index entry moves with it), nothing else
    written: an allocation rule, or a bundle's component, moved what they push, which smart sync
    then finds. The listings moved (one gone meanwhile stays gone, and is left out)."""
    moved = {}
    for sku in sorted(set(skus)):
        change = _change_keys(sku, at)
        try:
            answer = table().update_item(
                Key=key(sku),
                UpdateExpression="SET updated_at = :at, GSI3PK = :change, GSI3SK = :changed",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={
                    ":at": _TIME.dump_python(at, mode="json"),
                    ":change": change["GSI3PK"],
                    ":changed": change["GSI3SK"],
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            continue
        moved[sku] = from_item(Listing, answer["Attributes"])
    return moved


def stock_take(
    sku: str, takes: Mapping[str, int], sign: int, reason: AdjustReason, at: datetime
) -> dict[str, Any]:
    """One TransactWriteItems element: `takes` (location -> units) off the listing's stock (sign -1)
    or back on (+1), read now and written under a condition on its stock as read; on hand moves by
    the total, and the listing moves in the change index. A listing gone makes the transaction fail."""
    item = table().get_item(Key=key(sku), ConsistentRead=True).get("Item")
    if item is None:
        raise ListingNotFound(sku)
    listing = from_item(Listing, item)
    after = after_takes(listing, takes, sign).model_copy(update={"updated_at": at, "last_reason": reason})
    version = int(item.get("stock_version", 0))
    return _stock_update(after, version, listing)
