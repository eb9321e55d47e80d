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
- a channel's counts of linked listings and of the link job's notes:   PK=LINK_COUNTS, SK=<channel>,
  `linked`, `duplicate`, `unmatched` (N). One query reads every channel's counts. Kept by
  counters, not counted from an index: linked listings are most of the catalog, and so are the
  unmatched ones of a channel that sells a part of it (a 100,000-listing catalog with 2,000 on a
  channel has 98,000 notes there: counting them read 10,000 keys a second on moto). The linked
  count moves in the same transaction as every link write that links or unlinks
  (links.write_changes), conditional on the status the link was read with; a note count in the
  same transaction as the note writes (write_notes), conditional on the cause each was read with:
  a retried step re-reads and moves them no more. (A push's write never links or unlinks: it
  keeps the status it read; only the link job writes notes.)
  The other problem states (out_of_sync, error, unlinked) are few: they are counted from the
  sparse index above, exact by construction, at a cost of what is wrong, not of the catalog.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, NamedTuple

from shared.domain.link_state import IndexedState, Unmatched, unmatched_state
from shared.domain.syncing import chunked, shard_of
from shared.storage.aws import Key, batch_get, merged_sort_keys, table
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


# A transaction holds at most 100 writes: 99 notes and their channel's counts.
_NOTES_PER_TRANSACTION = 99


def write_notes(
    channel: str, read: dict[str, Unmatched], put: Iterable[Unmatched], drop: Iterable[str]
) -> None:
    """Put each note of `put` and delete the notes of the SKUs in `drop`, `read` being the channel's
    notes as they were read (by SKU): in transactions with the channel's note counts, each write
    conditional on the note as read (a concurrent change cancels the transaction: the caller's
    step is retried and reads again)."""
    writes = [(read.get(note.sku), note) for note in put] + [(read[sku], None) for sku in drop]
    dynamodb, name = table().meta.client, table().name
    for chunk in chunked(writes, _NOTES_PER_TRANSACTION):
        delta: Counter[IndexedState] = Counter()
        requests = []
        for before, after in chunk:
            if before is not None:
                delta[unmatched_state(before)] -= 1
            if after is not None:
                delta[unmatched_state(after)] += 1
            requests.append(_note_write(name, channel, before, after))
        requests.append(
            {
                "Update": {
                    "TableName": name,
                    "Key": count_key(channel),
                    "UpdateExpression": "ADD #duplicate :duplicate, #unmatched :unmatched",
                    "ExpressionAttributeNames": {"#duplicate": "duplicate", "#unmatched": "unmatched"},
                    "ExpressionAttributeValues": {
                        ":duplicate": delta[IndexedState.DUPLICATE],
                        ":unmatched": delta[IndexedState.UNMATCHED],
                    },
                }
            }
        )
        dynamodb.transact_write_items(TransactItems=requests)


def _note_write(name: str, channel: str, before: Unmatched | None, after: Unmatched | None) -> dict[str, Any]:
    sku = (after or before).sku  # type: ignore[union-attr]
    condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
    if before is not None:
        condition = {
            "ConditionExpression": "#cause = :was",
            "ExpressionAttributeNames": {"#cause": "cause"},
            "ExpressionAttributeValues": {":was": before.cause.value},
        }
    if after is None:
        return {"Delete": {"TableName": name, "Key": note_key(sku, channel), **condition}}
    state = state_keys(channel, sku, unmatched_state(after))
    return {
        "Put": {"TableName": name, "Item": to_item(after, **note_key(sku, channel), **state), **condition}
    }


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


class ChannelCounts(NamedTuple):
    linked: int
    duplicate: int
    unmatched: int


def counts() -> dict[str, ChannelCounts]:
    """Every channel's counts of linked listings and of the link job's notes, by channel name (one
    query)."""
    answer = table().query(KeyConditionExpression=Key("PK").eq(COUNTS_PK), ConsistentRead=True)
    return {
        str(item["SK"]): ChannelCounts(*(int(item.get(n, 0)) for n in ChannelCounts._fields))
        for item in answer["Items"]
    }


def notes(channel: str, skus: Iterable[str]) -> dict[str, Unmatched]:
    """The link job's notes on these listings for `channel`, by SKU (BatchGetItem)."""
    found = batch_get([note_key(sku, channel) for sku in dict.fromkeys(skus)])
    return {note.sku: note for note in map(note_from, found)}
