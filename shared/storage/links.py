"""Links: a listing joined to one channel's variant.

Access patterns (template.yaml, Table):
- a listing's links, with the listing, in one query:  PK=LISTING#<sku>, SK begins_with LINK#
- one link / many links of a channel by SKU:          PK=LISTING#<sku>, SK=LINK#<channel> (BatchGetItem)
- a channel's links, one SKU shard at a time (full):  GSI1PK=LINKS#<channel>#<shard>, GSI1SK=<sku>
  (the console's Listings filtered by linked: every shard merged in SKU order)
  (GSI1 is KEYS_ONLY: rewriting a link on every push writes no index entry)
- a channel's out-of-sync links (partial), sparse:    GSI2PK=OOS#<channel>#<shard>, GSI2SK=<sku>
- a channel product's links (product webhooks):        GSI3PK=PRODUCT#<channel>#<product number>, GSI3SK=<sku>
- an order on the channel moves the link's pushed quantity:  UpdateItem on the link's key, conditional
- a push-back found needless settles the link unless it changed since read:  PutItem, conditional
- the link a quantity webhook names:                   GSI4PK=ITEM#<channel>#<item number>, GSI4SK=<sku>
  (GSI3 and GSI4 hold linked links only)
- a channel's links by state (out_of_sync, error, unlinked), sparse:  GSI5, see link_states.py
- a write that links or unlinks moves the channel's linked count with it:  TransactWriteItems
  (write_changes), each link's Put conditional on the status it was read with
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from shared.domain.link import Link, LinkStatus, SyncState, channel_number
from shared.domain.link_state import Unmatched, indexed_state
from shared.domain.syncing import chunked, shard_of
from shared.settings import settings
from shared.storage.aws import Key, batch_get, merged_sort_keys, query_keys, table, written
from shared.storage.items import from_item, to_item
from shared.storage.link_states import count_key, note_from, note_key, state_keys


def key(sku: str, channel: str) -> dict[str, str]:
    return {"PK": f"LISTING#{sku}", "SK": f"LINK#{channel}"}


def _item(link: Link) -> dict[str, Any]:
    shard = shard_of(link.sku, settings().push_shards)
    linked = link.status is LinkStatus.LINKED
    out_of_sync = linked and link.sync_state is not SyncState.IN_SYNC
    product = linked and bool(link.product_id)
    inventory_item = linked and bool(link.inventory_item_id)
    return to_item(
        link,
        **key(link.sku, link.channel),
        GSI1PK=f"LINKS#{link.channel}#{shard}",
        GSI1SK=link.sku,
        GSI2PK=f"OOS#{link.channel}#{shard}" if out_of_sync else None,
        GSI2SK=link.sku if out_of_sync else None,
        GSI3PK=_product_key(link.channel, channel_number(link.product_id)) if product else None,
        GSI3SK=link.sku if product else None,
        GSI4PK=_inventory_item_key(link.channel, channel_number(link.inventory_item_id))
        if inventory_item
        else None,
        GSI4SK=link.sku if inventory_item else None,
        **state_keys(link.channel, link.sku, indexed_state(link)),
    )


def _product_key(channel: str, number: str) -> str:
    return f"PRODUCT#{channel}#{number}"


def _inventory_item_key(channel: str, number: str) -> str:
    return f"ITEM#{channel}#{number}"


def for_product(channel: str, product_number: str) -> list[Link]:
    """The linked links of one channel product, by the number its webhooks carry."""
    skus = [sku for page in query_keys("GSI3", _product_key(channel, product_number), 100) for sku in page]
    return list(get_many(channel, skus).values())


def for_inventory_item(channel: str, number: str) -> Link | None:
    """The linked link of the inventory item (Shopify) or product / variation (WooCommerce) a
    quantity webhook names."""
    skus = [sku for page in query_keys("GSI4", _inventory_item_key(channel, number), 10) for sku in page]
    return next(iter(get_many(channel, skus[:1]).values()), None)


def get_many(channel: str, skus: Iterable[str]) -> dict[str, Link]:
    links = (from_item(Link, item) for item in batch_get([key(s, channel) for s in dict.fromkeys(skus)]))
    return {link.sku: link for link in links}


def put_many(links: Iterable[Link]) -> None:
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for link in links:
            writer.put_item(Item=_item(link))


# A transaction holds at most 100 writes: 99 links and their channel's count.
_LINKS_PER_TRANSACTION = 99


def write_changes(changes: Iterable[tuple[Link | None, Link]]) -> None:
    """Write each (link as read, or None when there was none; link to write). Those that link or
    unlink go in transactions with their channel's linked count, each conditional on the status it
    was read with (a concurrent change cancels the transaction: the caller's step is retried and
    reads again); the rest are written as put_many does."""
    plain: list[Link] = []
    moving: dict[str, list[tuple[Link | None, Link]]] = {}
    for before, after in changes:
        was = before is not None and before.status is LinkStatus.LINKED
        if was == (after.status is LinkStatus.LINKED):
            plain.append(after)
        else:
            moving.setdefault(after.channel, []).append((before, after))
    put_many(plain)
    dynamodb, name = table().meta.client, table().name
    for channel, pairs in moving.items():
        for chunk in chunked(pairs, _LINKS_PER_TRANSACTION):
            delta = sum(1 if after.status is LinkStatus.LINKED else -1 for _, after in chunk)
            writes: list[dict[str, Any]] = [_conditional_put(name, before, after) for before, after in chunk]
            writes.append(
                {
                    "Update": {
                        "TableName": name,
                        "Key": count_key(channel),
                        "UpdateExpression": "ADD linked :delta",
                        "ExpressionAttributeValues": {":delta": delta},
                    }
                }
            )
            dynamodb.transact_write_items(TransactItems=writes)


def _conditional_put(table_name: str, before: Link | None, after: Link) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table_name, "Item": _item(after)}
    if before is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "#status = :was"
        put["ExpressionAttributeNames"] = {"#status": "status"}
        put["ExpressionAttributeValues"] = {":was": before.status.value}
    return {"Put": put}


def put_unless_changed(before: Link, after: Link) -> bool:
    """Write `after` over `before` unless the link changed since `before` was read (a push, or an
    order moving its pushed quantity, which leaves updated_at as it is); False when it had."""
    item = _item(before)
    return written(
        table().put_item,
        Item=_item(after),
        ConditionExpression=(
            "updated_at = :updated AND last_pushed_quantity = :pushed AND last_observed_quantity = :observed"
        ),
        ExpressionAttributeValues={
            ":updated": item["updated_at"],
            ":pushed": item["last_pushed_quantity"],
            ":observed": item["last_observed_quantity"],
        },
    )


def shard_skus(channel: str, shard: int, page_size: int = 1000) -> Iterator[list[str]]:
    """The SKUs of a channel's links in one shard, a page at a time (full sync)."""
    return query_keys("GSI1", f"LINKS#{channel}#{shard}", page_size)


def out_of_sync_skus(channel: str, shard: int, page_size: int = 1000) -> Iterator[list[str]]:
    """The SKUs of a channel's out-of-sync links in one shard, from the sparse index (partial sync)."""
    return query_keys("GSI2", f"OOS#{channel}#{shard}", page_size)


def for_listing(sku: str) -> list[Link]:
    answer = table().query(
        KeyConditionExpression=Key("PK").eq(f"LISTING#{sku}") & Key("SK").begins_with("LINK#"),
        ConsistentRead=True,
    )
    return [from_item(Link, item) for item in answer["Items"]]


def shard_page(channel: str, shard: int, after: str | None, page_size: int) -> tuple[list[Link], str | None]:
    """Up to `page_size` of a channel's links in one shard, in SKU order after `after`; and the
    last SKU when more may follow. GSI1 holds keys only (a push rewrites a link without writing
    the index), so the links are read by key."""
    skus = next(query_keys("GSI1", f"LINKS#{channel}#{shard}", page_size, after))
    found = get_many(channel, skus)
    page = [found[sku] for sku in skus if sku in found]
    return page, (skus[-1] if len(skus) == page_size else None)


def channel_page(channel: str, after: str | None, prefix: str, limit: int) -> tuple[list[str], bool]:
    """Up to `limit` SKUs with a link on `channel` (linked or not; starting with `prefix`), in SKU
    order after `after`; and whether more may follow."""
    partitions = [f"LINKS#{channel}#{shard}" for shard in range(settings().push_shards)]
    return merged_sort_keys("GSI1", partitions, after, prefix, limit)


LinkView = tuple[Link | None, Unmatched | None]


def views(channels: list[str], skus: list[str]) -> dict[tuple[str, str], LinkView]:
    """Each (SKU, channel)'s link and the link job's note on it, both read by key in one BatchGetItem
    run (None where there is none)."""
    keys = [k for sku in skus for channel in channels for k in (key(sku, channel), note_key(sku, channel))]
    found: dict[tuple[str, str], LinkView] = {}
    for item in batch_get(keys):
        sku, kind = str(item["PK"]).removeprefix("LISTING#"), str(item["SK"])
        if kind.startswith("LINK#"):
            link = from_item(Link, item)
            found[(sku, link.channel)] = (link, found.get((sku, link.channel), (None, None))[1])
        else:
            note = note_from(item)
            found[(sku, note.channel)] = (found.get((sku, note.channel), (None, None))[0], note)
    return found


def shift_pushed_quantity(channel: str, sku: str, delta: int) -> None:
    """Move a link's last pushed quantity by what the channel did itself (an order placed or
    cancelled there), and its last observed one with it while the channel was last seen holding
    what was pushed. Otherwise the channel reported its stock since, and that report (a sale's own
    stock webhook that came before its order) already holds the order. A link never pushed, or
    unlinked meanwhile, is left as it is."""
    linked = "#status = :linked AND attribute_type(last_pushed_quantity, :number)"
    observed_too = "last_observed_quantity = last_pushed_quantity"
    moves = (
        ("last_observed_quantity = last_observed_quantity + :delta, ", f"{linked} AND {observed_too}"),
        ("", f"{linked} AND NOT {observed_too}"),
    )
    for observed, condition in moves:
        if written(
            table().update_item,
            Key=key(sku, channel),
            UpdateExpression=f"SET {observed}last_pushed_quantity = last_pushed_quantity + :delta",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":delta": delta,
                ":linked": LinkStatus.LINKED.value,
                ":number": "N",
            },
        ):
            return
