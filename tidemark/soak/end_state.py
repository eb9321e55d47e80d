"""The checks of the end state: every channel holds what master computes, master holds what the
orders and adjustments left, and no location went below zero while another held stock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.domain.bundles import bundle_channel_quantity, kits_by_location
from shared.domain.listing import Listing
from shared.domain.locations import channel_quantity, sellable_by_location, stock_by_location
from tidemark.api_client import ConsoleApi
from tidemark.soak.checks import active_jobs
from tidemark.soak.config import SHOPIFY_MAP, shopify_gid
from tidemark.soak.records import Ledger, Sandbox, SoakReport

# The field of a sandbox's variant row that a link's inventory item id names
ROW_ID = {
    "shopify": "inventory_item_id",
    "woocommerce": "inventory_item_id",
    "amazon": "sku",
    "ebay": "offer_id",
}


def check_end_state(
    api: ConsoleApi, sandboxes: dict[str, Sandbox], ledger: Ledger, report: SoakReport
) -> None:
    from shared.storage import links, listings, locations

    master = listings.get_many(list(ledger.start))
    expected = _expected_on_hand(sandboxes, ledger)
    for sku, on_hand in sorted(expected.items()):
        listing = master.get(sku)
        if listing is None or listing.on_hand != on_hand:
            held = None if listing is None else listing.on_hand
            report.divergence.append(f"master {sku}: on hand {held}, expected {on_hand} from the order logs")
    report.divergence += _negative_beside_stock(master, ledger)
    report.divergence += _bundle_balances(master, ledger)
    sellable_of = {sku: sellable_by_location(listing) for sku, listing in master.items()}
    for channel, sandbox in sandboxes.items():
        saved = locations.get_map(channel)
        wanted = Wanted(ledger.bundles, sellable_of, saved.locations if saved else {})
        rows = {str(row[ROW_ID[sandbox.kind]]): row for row in sandbox.call("GET", "/variants")}
        linked = links.get_many(channel, list(ledger.start))
        for sku, listing in sorted(master.items()):
            link = linked.get(sku)
            if link is None or link.status.value != "linked":
                if (channel, sku) not in ledger.unlinked:
                    report.divergence.append(f"{channel} {sku}: not linked ({link and link.unlinked_reason})")
                continue
            if (channel, sku) in ledger.unlinked:
                report.divergence.append(f"{channel} {sku}: still linked after it was changed on the channel")
                continue
            holds = _held(sandbox, rows.get(link.inventory_item_id), sku)
            want = (
                wanted.quantities(listing, sandbox.kind, link.location_id),
                listing.price,
                listing.channel_status.value,
            )
            if holds != want:
                report.divergence.append(
                    f"{channel} {sku}: channel (quantity, price, status) {holds}, master {want}"
                )
    stuck = active_jobs(api)
    if stuck:
        report.problems.append(f"jobs still queued or running: {[(j['id'], j['status']) for j in stuck]}")


class Wanted:
    """What master computes for a channel: a listing's quantity at a channel location, from its
    master locations under the channel's map, a bundle's from its components' (the campaign's own
    record of them, not the table's)."""

    def __init__(
        self,
        bundles: dict[str, dict[str, int]],
        sellable_of: dict[str, dict[str, int]],
        location_map: dict[str, list[str]],
    ) -> None:
        self.bundles = bundles
        self.sellable_of = sellable_of
        self.location_map = location_map

    def at(self, listing: Listing, where: str) -> int | None:
        components = self.bundles.get(listing.sku)
        if not components:
            return channel_quantity(listing, self.location_map, where)
        fed_by = self.location_map.get(where, []) if self.location_map else None
        sellable_at = {sku: self.sellable_of.get(sku, {}) for sku in components}
        return bundle_channel_quantity(components, sellable_at, fed_by, listing.safety_buffer)

    def quantities(self, listing: Listing, kind: str, where: str | None) -> Any:
        """Shopify's at each of its locations; the others' at their one stock."""
        if kind == "shopify":
            return tuple(self.at(listing, shopify_gid(n)) for n in SHOPIFY_MAP)
        return self.at(listing, where or "default")


def _held(sandbox: Sandbox, row: dict[str, Any] | None, sku: str) -> tuple[Any, ...] | None:
    if row is None:
        return None
    price = None if row["price"] is None else Decimal(str(row["price"]))
    if sandbox.kind == "shopify":
        quantity: Any = tuple(sandbox.store.available_at(sku, n) for n in SHOPIFY_MAP)
    else:
        quantity = row["quantity"]
    return quantity, price, row["status"]


def _negative_beside_stock(master: dict[str, Listing], ledger: Ledger) -> list[str]:
    """Issue 20's invariant: an order takes a location below zero only once every location that
    feeds it is empty. Only orders take stock off east here, every channel location but Shopify's
    first is fed by both, and default, which alone feeds that one, is never emptied (it starts
    with the campaign's on hand of each listing)."""
    found = []
    for sku, listing in sorted(master.items()):
        held = {name: stock.on_hand for name, stock in stock_by_location(listing).items()}
        if sku not in ledger.bundles and min(held.values()) < 0 < max(held.values()):
            found.append(f"master {sku}: a location below zero while another holds stock: {held}")
    return found


def _bundle_balances(master: dict[str, Listing], ledger: Ledger) -> list[str]:
    """Each bundle's balance, as master shows it, is what its components make at each location, as
    the campaign made it."""
    from shared.services.locations import show_bundle

    found = []
    for bundle, components in sorted(ledger.bundles.items()):
        made = kits_by_location(components, {sku: sellable_by_location(master[sku]) for sku in components})
        shown = show_bundle(bundle)
        if (shown.balance, shown.by_location) != (sum(made.values()), made):
            found.append(
                f"master {bundle}: bundle balance {shown.balance} {shown.by_location}, its components "
                f"{components} make {made}"
            )
    return found


def _expected_on_hand(sandboxes: dict[str, Sandbox], ledger: Ledger) -> dict[str, int]:
    """Each listing's start, less every order line and plus every cancel in the sandboxes' own
    logs (a bundle's off its components, each its units a bundle), plus the campaign's deltas; a
    listing whose on hand was set: that value."""
    expected = {sku: start + ledger.deltas[sku] for sku, start in ledger.start.items()}
    for sandbox in sandboxes.values():
        for sku, quantity in sandbox.order_lines():
            for taken, units in ledger.bundles.get(sku, {sku: 1}).items():
                if taken in expected:
                    expected[taken] -= units * quantity
    expected.update(ledger.on_hand_set)
    return expected
