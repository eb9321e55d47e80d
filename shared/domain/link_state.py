"""What the console shows of a listing on one channel: its link state, one of five, and the
problems an operator acts on, grouped by cause, each with its fix and the one action that applies it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict

from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.model import Model


class LinkState(StrEnum):
    """A listing's state on one channel: linked (and in sync), out_of_sync (linked, a push due),
    error (linked, its last push failed), duplicate (its value is on two or more variants there),
    unlinked (anything else: never matched, or unlinked after its variant went or changed)."""

    LINKED = "linked"
    UNLINKED = "unlinked"
    DUPLICATE = "duplicate"
    OUT_OF_SYNC = "out_of_sync"
    ERROR = "error"


class UnmatchedCause(StrEnum):
    """Why the last link job left a listing without a link on a channel (the link job's outcome)."""

    DUPLICATE = "duplicate"
    NO_MATCH = "no_match"
    EMPTY_VALUE = "empty_value"


class Unmatched(Model):
    """A link job's note that it found no variant for a listing on a channel, and why."""

    model_config = ConfigDict(frozen=True)

    sku: str
    channel: str
    cause: UnmatchedCause
    reason: str = ""


def link_state(link: Link | None, unmatched: Unmatched | None = None) -> LinkState:
    """The one state of a listing on a channel, from its link (if any) and the link job's note."""
    if link is not None and link.status is LinkStatus.LINKED:
        return {
            SyncState.IN_SYNC: LinkState.LINKED,
            SyncState.OUT_OF_SYNC: LinkState.OUT_OF_SYNC,
            SyncState.ERROR: LinkState.ERROR,
        }[link.sync_state]
    if unmatched is not None and unmatched.cause is UnmatchedCause.DUPLICATE:
        return LinkState.DUPLICATE
    return LinkState.UNLINKED


class IndexedState(StrEnum):
    """Where the sparse state index holds a link item or a link job's note: every state but linked
    and in sync (the many: they are counted instead), so that a push which keeps a link in sync
    writes no index entry."""

    OUT_OF_SYNC = "out_of_sync"  # linked links
    ERROR = "error"
    UNLINKED = "unlinked"  # unlinked links: their variant went, or its value changed on the channel
    DUPLICATE = "duplicate"  # notes
    UNMATCHED = "unmatched"  # notes: no variant matched, or the listing has no value to match by


def indexed_state(link: Link) -> IndexedState | None:
    state = link_state(link)
    return None if state is LinkState.LINKED else IndexedState(state.value)


def unmatched_state(unmatched: Unmatched) -> IndexedState:
    return IndexedState.DUPLICATE if unmatched.cause is UnmatchedCause.DUPLICATE else IndexedState.UNMATCHED
