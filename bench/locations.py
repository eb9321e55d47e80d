"""Locations (issue 20): what a full sync costs per listing over 3 Shopify locations fed by 3 master
locations, against the same catalog at one location, in local mode (bench/sync_scaling.py's full
part: listings and links written directly, then a sync of updates, every listing changed since,
counted as it counts them: DynamoDB and push-queue requests per pushed listing).

Over 3 locations each listing's push carries three entries of one `inventorySetQuantities` (no more
calls to the table a listing: the batch reads the map and its bundles once) and writes one history
item holding the three (shared/storage/history.py). Goal: at most 1.2 times the requests per
listing of one location. Merges
locations.requests_ratio, locations.requests_per_listing.<1|3> and locations.listings.

    python bench/locations.py --listings 2000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`
from sync_scaling import (
    CHANNEL,
    PLAN,
    TOKEN,
    connect_channel,
    linked,
    measured_full_sync,
    quiet,
    report_full,
)

from shared.domain.listing import Listing, ListingStatus, LocationStock
from shared.domain.locations import ChannelLocationMap, Location
from shared.storage import links, listings, locations
from tidemark.local.runtime import LocalRuntime
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app

FIRST_LOCATION = 60_000_001


def run(count: int, location_count: int) -> float:
    """The requests per pushed listing of a sync of updates over `location_count` locations."""
    store = ShopifyStore.generate(count, seed=1, plan=PLAN, location_count=location_count)
    variants = store.variants()
    numbers = [FIRST_LOCATION + i for i in range(location_count)]
    for v in variants:  # every item stocked at every location
        for number in numbers:
            if store.available_at(v.sku, number) is None:
                store.stock_at(v.sku, number, 0)
    with LocalRuntime(port=0, sandboxes=False) as runtime, serve_in_thread(create_app(store, TOKEN)) as shop:
        quiet(runtime, pollers=False)
        connect_channel(shop.url)
        at = datetime.now(UTC) - timedelta(hours=1)
        names = ["default"] + [f"wh{i}" for i in range(2, location_count + 1)]
        for name in names[1:]:
            locations.add(Location(name=name, created_at=at))
        if location_count > 1:
            mapped = {f"gid://shopify/Location/{n}": [name] for n, name in zip(numbers, names, strict=True)}
            locations.put_map(ChannelLocationMap(channel=CHANNEL, locations=mapped, updated_at=at))
        listings.put_many(master(variants, names, at, change=0))
        links.put_many(linked(variants, at))
        measured_full_sync(runtime)  # the first sync after linking
        listings.put_many(master(variants, names, datetime.now(UTC), change=1))
        steady = report_full(*measured_full_sync(runtime))
    return float(steady["requests_per_listing"])


def master(variants: list[Any], names: list[str], at: datetime, change: int) -> Iterator[Listing]:
    for i, v in enumerate(variants):
        held = {name: (i + change + n) % 20 for n, name in enumerate(names)}
        yield Listing(
            sku=v.sku,
            on_hand=sum(held.values()),
            stock={name: LocationStock(on_hand=units) for name, units in held.items() if name != "default"},
            price=v.price,
            status=ListingStatus.ACTIVE if v.status == "ACTIVE" else ListingStatus.INACTIVE,
            updated_at=at,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--listings", type=int, default=2000, help="catalog size")
    count = parser.parse_args().listings
    started = time.perf_counter()
    one = run(count, 1)
    three = run(count, 3)
    ratio = three / one
    print(f"requests per listing: 1 location {one:.4f}, 3 locations {three:.4f}")
    print(f"ratio {ratio:.3f} (goal <= 1.2)")
    print(f"{time.perf_counter() - started:.0f} s in all")
    merge(
        {
            "locations.listings": count,
            "locations.requests_per_listing.1": one,
            "locations.requests_per_listing.3": three,
            "locations.requests_ratio": round(ratio, 4),
        }
    )


if __name__ == "__main__":
    main()
