"""The console's view of links: a sparse index of link states, the link job's notes of listings it
found no variant for, and each channel's count of linked listings.

Access patterns (template.yaml, Table):
- a channel's listings in one state (Listings filtered by link state; Overview's counts), sparse,
  in SKU order:   GSI5PK=STATE#<channel>#<state>#<shard of 4>, GSI5SK=<sku>
  <state> (shared.domain.link_state.IndexedState): out_of_sync, error, unlinked (link items; a
  linked link in sync has no entry, so a push that keeps it in sync writes no index entry),
  duplicate, unmatched (the link job's notes: duplicate; no_match or empty_value). KEYS_ONLY.
  Four shards spread a mass change of state (a reconcile, a bad feed) over four index partitions;
  a count reads 4 partitions a state.
- the link job's note on a listing it left unlinked:   PK=LISTING#<sku>, SK=UNMATCHED#<channel>
  (read with the listing's links by key, BatchGetItem; written and deleted by the link job only)
- a channel's count of linked listings:   PK=LINK_COUNTS, SK=<channel>, `linked` (N)
  One query reads every channel's count. Kept by counters, not counted from an index: linked
  listings are most of the catalog, and counting them would read the catalog's links. The count
  moves in the same transaction as every link write that links or unlinks (links.write_changes),
  conditional on the status the link was read with: a retried step re-reads the links and moves
  it no more. (A push's write never links or unlinks: it keeps the status it read.)
  The problem states are few: they are counted from the sparse index above, exact by
  construction, at a cost of what is wrong, not of the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Key

from shared.domain.link_state import IndexedState, Unmatched, unmatched_state
from shared.domain.syncing import shard_of
from shared.storage.aws import batch_get, merged_sort_keys, table
from shared.storage.items import from_item, to_item

STATE_SHARDS = 4
COUNTS_PK = "LINK_COUNTS"


def state_keys(channel: str, sku: str, state: IndexedState | None) -> dict[str, str | None]:
    """The sparse index's keys of an item in `state` (None: no entry)."""
    if state is None:
        return {"GSI5PK": None, "GSI5SK": None}
    return {"GSI5PK": f"STATE#{channel}#{state.value}#{shard_of(sku, STATE_SHARDS)}", "GSI5SK": sku}


def note_key(sku: str, channel: str) -> dict[str, str]:
    return {"PK": f"LISTING#{sku}", "SK": f"UNMATCHED#{channel}"}


def put_notes(notes: Iterable[Unmatched]) -> None:
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for note in notes:
            state = state_keys(note.channel, note.sku, unmatched_state(note))
            writer.put_item(Item=to_item(note, **note_key(note.sku, note.channel), **state))


def delete_notes(channel: str, skus: Iterable[str]) -> None:
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for sku in skus:
            writer.delete_item(Key=note_key(sku, channel))


def note_from(item: dict[str, Any]) -> Unmatched:
    return from_item(Unmatched, item)


def state_page(
    channel: str, state: IndexedState, after: str | None, prefix: str, limit: int
) -> tuple[list[str], bool]:
    """Up to `limit` SKUs in `state` on `channel` (starting with `prefix`), in SKU order after
    `after`, and whether more may follow."""
    partitions = [f"STATE#{channel}#{state.value}#{shard}" for shard in range(STATE_SHARDS)]
    return merged_sort_keys("GSI5", partitions, after, prefix, limit)


def count(channel: str, state: IndexedState) -> int:
    """How many of a channel's listings the sparse index holds in `state`: its keys, counted."""
    total = 0
    for shard in range(STATE_SHARDS):
        request: dict[str, Any] = {
            "IndexName": "GSI5",
            "KeyConditionExpression": Key("GSI5PK").eq(f"STATE#{channel}#{state.value}#{shard}"),
            "Select": "COUNT",
        }
        while True:
            answer = table().query(**request)
            total += int(answer["Count"])
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return total


def count_key(channel: str) -> dict[str, str]:
    return {"PK": COUNTS_PK, "SK": channel}


def linked_counts() -> dict[str, int]:
    """Every channel's count of linked listings, by channel name (one query)."""
    answer = table().query(KeyConditionExpression=Key("PK").eq(COUNTS_PK), ConsistentRead=True)
    return {str(item["SK"]): int(item.get("linked", 0)) for item in answer["Items"]}


def notes(channel: str, skus: Iterable[str]) -> dict[str, Unmatched]:
    """The link job's notes on these listings for `channel`, by SKU (BatchGetItem)."""
    found = batch_get([note_key(sku, channel) for sku in dict.fromkeys(skus)])
    return {note.sku: note for note in map(note_from, found)}
