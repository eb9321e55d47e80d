"""Auto sync: which master changes push a listing to its channels at once."""

from __future__ import annotations

from shared.domain.listing import Listing


def balance_pushes(old: Listing | None, new: Listing | None) -> bool:
    """A listing's change pushes it when its syncable balance moved and its auto-sync flag is on.
    Turning the flag on moves no balance, so it pushes nothing by itself; a new listing has no
    link yet."""
    if old is None or new is None or not new.auto_sync:
        return False
    return stock_moved(old, new)


def stock_moved(old: Listing | None, new: Listing | None) -> bool:
    """Whether what the listing can sell moved: its balance, or its stock at one location (what a
    channel location fed by it gets, and what the bundles holding it make)."""
    if old is None or new is None:
        return False
    return old.syncable_balance != new.syncable_balance or old.stock != new.stock
