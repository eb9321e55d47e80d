"""The console's Listings screen: the catalog a page at a time, in SKU order, filtered, with each
channel's link state as a column.

Where a page's SKUs come from, cheapest first: the sparse state index (link_state out_of_sync,
error, duplicate), the channel's link index (linked), else the catalog's SKU index; with a SKU
prefix, each reads that range only. Filters no index holds (title, status, created by, quantity,
auto sync, unlinked) are applied to a bounded read of at most READ_BUDGET listings a request: such a
page may hold fewer than `limit` rows, even none, while `next_cursor` is not null. A client pages
on until it is null.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from shared.domain.fields import FieldError
from shared.domain.link import Link
from shared.domain.link_state import IndexedState, LinkState, Unmatched, link_state
from shared.domain.listing import CreatedBy, Listing, ListingStatus
from shared.domain.listing_query import ListingQuery, decode_cursor, encode_cursor
from shared.domain.model import Model
from shared.storage import channels as channel_store
from shared.storage import link_states, links, listings
from shared.storage.links import LinkView

# At most this many listings are read to fill one page when a filter is applied to what is read.
READ_BUDGET = 100
NEVER_LINKED = "no link job has matched it on this channel yet: run a link or re-link job"
_FROM_STATE_INDEX = frozenset({LinkState.OUT_OF_SYNC, LinkState.ERROR, LinkState.DUPLICATE})


class UnknownChannelFilter(FieldError):
    def __init__(self, name: str) -> None:
        super().__init__("channel", f"no channel named '{name}': use a name of GET /v1/channels")


class ChannelCell(Model):
    """A listing on one channel: its state, the variant it is linked to, and its last quantity push."""

    state: LinkState
    variant_id: str = Field(description="the channel's variant; empty when not linked")
    last_pushed_quantity: int | None
    last_pushed_at: datetime | None
    reason: str = Field(
        description="why it is unlinked or a duplicate, with the fix; out of sync: what the channel "
        "holds other than master (per channel location under a location map), where known; else empty"
    )


class ListingRow(Model):
    sku: str
    title: str
    status: ListingStatus
    created_by: CreatedBy
    on_hand: int
    committed: int
    safety_buffer: int
    syncable_balance: int = Field(description="on hand - committed - safety buffer, never below 0")
    price: Decimal | None
    auto_sync: bool
    updated_at: datetime
    channels: dict[str, ChannelCell] = Field(description="one per channel, by its name")


class ListingPage(Model):
    listings: list[ListingRow]
    channels: list[str] = Field(description="every channel's name: the page's columns, in order")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: no more")


def search(query: ListingQuery, limit: int, cursor: str | None) -> ListingPage:
    """One page of the listings in the filter, after the cursor's SKU."""
    after = decode_cursor(cursor)
    names = _channel_names(query.channel)
    skus, more = _candidates(query, after, _read_size(query, limit))
    found = listings.get_many(skus)
    states = links.views(names, [sku for sku in skus if sku in found])
    rows: list[ListingRow] = []
    last = None
    for sku in skus:
        if len(rows) == limit:
            more = True
            break
        last = sku
        row = _row_in_filter(query, found.get(sku), names, states)
        if row is not None:
            rows.append(row)
    return ListingPage(listings=rows, channels=names, next_cursor=encode_cursor(last) if more else None)


def _channel_names(filtered_on: str | None) -> list[str]:
    """Every channel's name, in order; UnknownChannelFilter when the filter names another."""
    names = sorted(channel.name for channel in channel_store.list_all())
    if filtered_on is not None and filtered_on not in names:
        raise UnknownChannelFilter(filtered_on)
    return names


def _read_size(query: ListingQuery, limit: int) -> int:
    """A page's worth when the index read holds every filter; READ_BUDGET when what is read is
    filtered further (a page may then hold fewer rows than `limit`)."""
    exact = query.link_state in _FROM_STATE_INDEX or query.link_state is None  # no link state to check
    return limit if exact and not query.filters_listing else READ_BUDGET


def _row_in_filter(
    query: ListingQuery, listing: Listing | None, names: list[str], states: dict[tuple[str, str], LinkView]
) -> ListingRow | None:
    """The listing's row when it is in the filter; None when it is not, or was removed meanwhile."""
    if listing is None:
        return None
    cells = {name: _cell(*states.get((listing.sku, name), (None, None))) for name in names}
    state = cells[query.channel].state if query.channel is not None else None
    return _row(listing, cells) if query.matches(listing, state) else None


def _candidates(query: ListingQuery, after: str | None, budget: int) -> tuple[list[str], bool]:
    if query.channel is not None and query.link_state in _FROM_STATE_INDEX:
        state = IndexedState(query.link_state.value)
        return link_states.state_page(query.channel, state, after, query.sku_prefix, budget)
    if query.channel is not None and query.link_state is LinkState.LINKED:
        return links.channel_page(query.channel, after, query.sku_prefix, budget)
    return listings.catalog_page(after, query.sku_prefix, budget)


def _cell(link: Link | None, note: Unmatched | None) -> ChannelCell:
    state = link_state(link, note)
    linked = state not in (LinkState.UNLINKED, LinkState.DUPLICATE)
    if state is LinkState.OUT_OF_SYNC and link is not None:
        reason = link.out_of_sync_reason
    else:
        reason = "" if linked else (note.reason if note else link.unlinked_reason if link else NEVER_LINKED)
    return ChannelCell(
        state=state,
        variant_id=link.variant_id if link is not None and linked else "",
        last_pushed_quantity=link.last_pushed_quantity if link is not None else None,
        last_pushed_at=link.last_pushed_at if link is not None else None,
        reason=reason,
    )


def _row(listing: Listing, cells: dict[str, ChannelCell]) -> ListingRow:
    return ListingRow(
        **listing.model_dump(
            include={
                "sku",
                "title",
                "status",
                "created_by",
                "on_hand",
                "committed",
                "safety_buffer",
                "price",
                "auto_sync",
                "updated_at",
            }
        ),
        syncable_balance=listing.syncable_balance,
        channels=cells,
    )
