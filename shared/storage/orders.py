"""Channel order lines and what each took off master: every line is applied once, whatever the
number and order of the webhooks that tell of it.

Access pattern (template.yaml, Table):
- one order line:  PK=ORDER#<channel>#<order id>, SK=LINE#<line id>; `state` placed | cancelled,
  `taken` the quantity it took off master (0 when the cancel came first, or once put back).
The line's state and the listing's on hand change together, in one transaction whose condition
is the state the line was read in: a duplicate or a concurrent delivery changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.channel_events import OrderLine
from shared.domain.listing import AdjustReason
from shared.settings import settings
from shared.storage import listings
from shared.storage.aws import table

ATTEMPTS = 5


class LineState(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"


def _key(channel: str, order_id: str, line_id: str) -> dict[str, str]:
    return {"PK": f"ORDER#{channel}#{order_id}", "SK": f"LINE#{line_id}"}


def place(channel: str, order_id: str, line: OrderLine, takes: Takes | None = None) -> int:
    """Take the line's quantity off master unless the line is known (placed, or cancelled first);
    the quantity taken. With `takes` (SKU -> location -> units: the master locations it comes off,
    or a bundle's components), those, recorded on the line for its cancel."""
    return _apply(channel, order_id, line, LineState.PLACED, takes)


def cancel(channel: str, order_id: str, line: OrderLine, takes: Takes | None = None) -> int:
    """Put back what the line took, once; a cancel before its order is remembered, so the order
    then takes nothing. The quantity put back: what the line recorded it took, where (`takes` is
    not used: a cancel puts back exactly what its order took)."""
    return _apply(channel, order_id, line, LineState.CANCELLED)


def _apply(
    channel: str, order_id: str, line: OrderLine, wanted: LineState, takes: Takes | None = None
) -> int:
    key = _key(channel, order_id, line.line_id)
    for _ in range(ATTEMPTS):
        item = table().get_item(Key=key, ConsistentRead=True).get("Item")
        state = LineState(item["state"]) if item else None
        if state is wanted or state is LineState.CANCELLED:
            return 0  # a duplicate, or the line already ended
        located = takes if wanted is LineState.PLACED else _recorded(item)
        if located is not None:
            try:
                return _write_located(key, line, wanted, state, located)
            except _Raced:
                continue
        taken, delta = _taken_and_change(line, wanted, item)
        try:
            _write(key, line, wanted, state, taken, delta)
        except _Raced:
            continue
        return abs(delta)
    raise RuntimeError(f"order {order_id} line {line.line_id} on {channel} kept changing: deliver it again")


def _taken_and_change(line: OrderLine, wanted: LineState, item: dict[str, Any] | None) -> tuple[int, int]:
    """What a line recorded at no location takes, and the change to its listing's on hand."""
    if wanted is LineState.PLACED:
        return line.quantity, -line.quantity
    # cancelled: put back what the order took (nothing when the cancel came first)
    return 0, int(item["taken"]) if item else 0


class _Raced(Exception):
    pass


Takes = Mapping[str, Mapping[str, int]]


def _recorded(item: dict[str, Any] | None) -> Takes | None:
    """What a placed line took where (None: a line placed before locations, or not placed)."""
    if not item or "takes" not in item:
        return None
    return {sku: {name: int(units) for name, units in by.items()} for sku, by in item["takes"].items()}


def _write_located(
    key: dict[str, str], line: OrderLine, wanted: LineState, was: LineState | None, takes: Takes
) -> int:
    """The line's state and each SKU's stock at its locations, in one transaction: the line's state
    as read, and each listing's stock as read (listings.stock_take)."""
    now = datetime.now(UTC)
    sign = -1 if wanted is LineState.PLACED else +1
    line_item: dict[str, Any] = {
        **key,
        "sku": line.sku,
        "quantity": line.quantity,
        "state": wanted.value,
        "taken": line.quantity if wanted is LineState.PLACED else 0,
        "updated_at": now.isoformat(),
    }
    if wanted is LineState.PLACED:
        line_item["takes"] = {sku: dict(by) for sku, by in takes.items()}
    put: dict[str, Any] = {"TableName": settings().table_name, "Item": line_item}
    if was is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "#state = :was"
        put["ExpressionAttributeNames"] = {"#state": "state"}
        put["ExpressionAttributeValues"] = {":was": was.value}
    writes = [{"Put": put}]
    writes += [
        listings.stock_take(sku, by, sign, AdjustReason.SALES_ORDER, now) for sku, by in sorted(takes.items())
    ]
    try:
        table().meta.client.transact_write_items(TransactItems=writes)
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            raise _Raced from error
        raise
    return line.quantity if wanted is LineState.PLACED else int(_recorded_total(takes, line))


def _recorded_total(takes: Takes, line: OrderLine) -> int:
    """What a cancel puts back of the line's own SKU (a bundle's: the line's quantity)."""
    own = takes.get(line.sku)
    return sum(own.values()) if own is not None else line.quantity


def _write(
    key: dict[str, str], line: OrderLine, state: LineState, was: LineState | None, taken: int, delta: int
) -> None:
    now = datetime.now(UTC)
    line_item = {
        **key,
        "sku": line.sku,
        "quantity": line.quantity,
        "state": state.value,
        "taken": taken,
        "updated_at": now.isoformat(),
    }
    put: dict[str, Any] = {
        "TableName": settings().table_name,
        "Item": line_item,
    }
    if was is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "#state = :was"
        put["ExpressionAttributeNames"] = {"#state": "state"}
        put["ExpressionAttributeValues"] = {":was": was.value}
    writes: list[dict[str, Any]] = [{"Put": put}]
    if delta:
        writes.append(listings.delta_update(line.sku, delta, AdjustReason.SALES_ORDER, now))
    try:  # the table resource's client: it types the values as the resource does
        table().meta.client.transact_write_items(TransactItems=writes)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        if error.response["Error"]["Code"] == "TransactionCanceledException" and reasons:
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                raise _Raced from error
            if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                raise LookupError(f"SKU '{line.sku}' has no listing in master") from error
        raise
