"""The auto-sync rules: the flag a new listing starts with, by how it was created.

Access patterns (template.yaml, Table):
- get / change the rules (one item):  PK=SETTINGS, SK=AUTO_SYNC_RULES
A change sets only the rules given (UpdateItem), so two changes of different rules both hold.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.domain.listing import AutoSyncRules
from shared.storage.aws import table
from shared.storage.items import from_item

KEY = {"PK": "SETTINGS", "SK": "AUTO_SYNC_RULES"}


def get() -> AutoSyncRules:
    item = table().get_item(Key=KEY, ConsistentRead=True).get("Item")
    return from_item(AutoSyncRules, item) if item else AutoSyncRules()


def update(changes: Mapping[str, bool]) -> AutoSyncRules:
    """Set the rules given; the rules as they are now."""
    if not changes:
        return get()
    answer = table().update_item(
        Key=KEY,
        UpdateExpression="SET " + ", ".join(f"#r{i} = :r{i}" for i in range(len(changes))),
        ExpressionAttributeNames={f"#r{i}": name for i, name in enumerate(changes)},
        ExpressionAttributeValues={f":r{i}": on for i, on in enumerate(changes.values())},
        ReturnValues="ALL_NEW",
    )
    return from_item(AutoSyncRules, answer["Attributes"])
