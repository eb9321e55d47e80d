"""Allocation rules' overhead (issue 19): full and smart syncs of one catalog with and without rules,
in the same run, through the same steps as bench/sync_scaling.py's read part (in-process on moto: a
dry run's start, plan of every shard, one push step per push message, finish; master, links and now
the channel's rules read and applied as a push reads them, no channel call).

A catalog of LISTINGS listings linked to one Shopify channel, every 10th changed since the watermark;
then ROUNDS rounds, each a full and a smart dry sync without rules and then with a reserve, a share, a
ceiling, a markup and a rounding on the channel and an override on every 50th listing. The figure is
the CPU time of this process (Tidemark's code and moto's, one process) a sync takes, its median over
the rounds; the ratio with rules over without is merged as rules.full.overhead_ratio and
rules.smart.overhead_ratio (goal: within 5 %, <= 1.05).

    python bench/rules_overhead.py [--listings 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`
from sync_scaling import CHANNEL, TOKEN, _sku, connect_channel, dry_sync, overlap, quiet, written

# The bench measures rules, not the guard: its channel's syncs run unguarded.
os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")

from shared.domain.allocation import Rounding, Rules, of
from shared.domain.job import SyncMode
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.storage import channel_rules, links, listings, watermarks
from tidemark.local.runtime import LocalRuntime
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app

RULES = Rules(
    reserve=2,
    percent=Decimal(80),
    max_quantity=40,
    zero_at=1,
    markup_percent=Decimal(10),
    rounding=Rounding.CENTS_99,
)
OVERRIDE = Rules(max_quantity=5)


def catalog(count: int) -> datetime:
    """The listings and links, every 10th listing changed after the watermark; the watermark."""
    now = datetime.now(UTC)
    mark = now - timedelta(minutes=30)
    old = mark - overlap() - timedelta(hours=1)
    listings.put_many(
        written(
            (
                Listing(sku=_sku(i), on_hand=i % 50, price=Decimal("9.50"), updated_at=old)
                for i in range(count)
            ),
            count,
            "listings",
        )
    )
    links.put_many(
        written(
            (
                Link(
                    sku=_sku(i),
                    channel=CHANNEL,
                    status=LinkStatus.LINKED,
                    variant_id=f"gid://shopify/ProductVariant/{41_000_000_000 + i}",
                    inventory_item_id=f"gid://shopify/InventoryItem/{43_000_000_000 + i}",
                    location_id="gid://shopify/Location/60000001",
                    matched_value=_sku(i),
                    last_pushed_quantity=i % 50,
                    last_observed_quantity=i % 50,
                    last_observed_price=Decimal("9.50"),
                    sync_state=SyncState.IN_SYNC,
                    updated_at=old,
                )
                for i in range(count)
            ),
            count,
            "links",
        )
    )
    changed_at = mark + timedelta(minutes=10)
    listings.put_many(
        Listing(sku=_sku(i), on_hand=(i + 7) % 50, price=Decimal("9.50"), updated_at=changed_at)
        for i in range(0, count, 10)
    )
    watermarks.advance(CHANNEL, mark, full=True)
    return mark


def with_rules(on: bool, count: int) -> None:
    """The channel's rules and overrides on, or none at all (as a channel that never had any); each
    link then holds what its channel was sent under them (as after a sync: the same changes to plan
    either way, so the two runs differ by the rules alone)."""
    channel_rules.delete_all(CHANNEL)
    if on:
        channel_rules.put(CHANNEL, RULES)
        for i in range(0, count, 50):
            channel_rules.put_override(CHANNEL, _sku(i), OVERRIDE)
    for start in range(0, count, 500):
        skus = [_sku(i) for i in range(start, min(count, start + 500))]
        master = listings.get_many(skus)
        current = channel_rules.for_skus(CHANNEL, skus)
        held = links.get_many(CHANNEL, skus)
        updated = []
        for sku in skus:
            # what the channel holds: its allocation of master as it was before the changes
            before = master[sku].model_copy(update={"on_hand": int(sku[4:]) % 50})
            got = of(current.rules, current.override(sku), before)
            updated.append(
                held[sku].model_copy(
                    update={"last_observed_quantity": got.quantity, "last_observed_price": got.price}
                )
            )
        links.put_many(updated)


def cpu_of(mode: SyncMode, mark: datetime) -> float:
    started = time.process_time()
    dry_sync(mode, mark)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--listings", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    seconds: dict[tuple[SyncMode, bool], list[float]] = {}
    with (
        LocalRuntime(port=0, sandboxes=False) as runtime,
        serve_in_thread(create_app(ShopifyStore.generate(1, seed=1), TOKEN)) as shop,
    ):
        quiet(runtime, pollers=True)
        connect_channel(shop.url)
        mark = catalog(arguments.listings)
        for round_number in range(arguments.rounds):
            for on in (False, True):
                with_rules(on, arguments.listings)
                for mode in (SyncMode.FULL, SyncMode.SMART):
                    spent = cpu_of(mode, mark)
                    seconds.setdefault((mode, on), []).append(spent)
                    print(
                        f"  round {round_number + 1} {mode.value:5} rules {on}: {spent:.2f} s CPU",
                        flush=True,
                    )
    figures = {}
    for mode in (SyncMode.FULL, SyncMode.SMART):
        off, on = statistics.median(seconds[(mode, False)]), statistics.median(seconds[(mode, True)])
        ratio = on / off
        print(
            f"  {mode.value:5}: {off:.2f} s without rules, {on:.2f} s with: ratio {ratio:.3f} (goal <= 1.05)",
            flush=True,
        )
        figures[f"rules.{mode.value}.overhead_ratio"] = round(ratio, 4)
    merge(figures)


if __name__ == "__main__":
    main()
