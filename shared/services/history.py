"""A listing's sync history, read a page at a time."""

from __future__ import annotations

from shared.domain.history import HistoryEntry
from shared.storage import history
from shared.storage.items import decode_cursor, encode_cursor


def history_page(
    sku: str, channel: str | None, limit: int, cursor: str | None
) -> tuple[list[HistoryEntry], str | None]:
    """Up to `limit` of the listing's pushes, newest first, and the cursor of the next page (a
    BadCursor for one this API did not give out)."""
    entries, after = history.for_listing(sku, channel, limit, decode_cursor(cursor))
    return entries, encode_cursor(after)
