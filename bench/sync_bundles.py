"""Bundles in sync_scaling's read part (issue 20): every 100th listing a bundle of two or three
components, saved as `tidemark listings bundle` saves one (shared/storage/bundles.put), and what
moves them when a component changes: the table's stream, read by the auto sync function as the
local runtime's poller delivers it (it stamps every bundle that holds the component in the change
index, so a smart sync plans it).

The bundle at SKU number i (i % 100 == 99) holds i-99 and i-98; every third one (i % 300 == 99)
also holds i-199, the first component of the bundle before it, so that component is held by two
bundles. The changed listings are SKUs 0, 10, ... 9,990 at every catalog size: the component
i-99 of each of the 100 bundles below 10,000 is among them, and no bundle past 10,000 holds a
changed one, so the same 1,000 changes move the same 100 bundles at every size.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from shared.storage import bundles
from tidemark.local.runtime import LocalRuntime
from tidemark.local.streams import StreamPoller
from tidemark.local.template import REGION

EVERY = 100
DELIVERY_TIMEOUT_S = 600


def is_bundle(number: int) -> bool:
    return number % EVERY == EVERY - 1


def components_of(number: int) -> list[int]:
    held = [number - 99, number - 98]
    if number % (3 * EVERY) == EVERY - 1 and number >= 199:
        held.append(number - 199)
    return held


def catalog_bundles(count: int) -> dict[int, list[int]]:
    """Bundle number -> its components' numbers, for a catalog of `count` listings."""
    return {number: components_of(number) for number in range(EVERY - 1, count, EVERY)}


def save(catalog: dict[int, list[int]], sku: Callable[[int], str]) -> None:
    """Each bundle saved as the product saves one (its components, and each component's note)."""
    for number, components in catalog.items():
        bundles.put(sku(number), {sku(c): 1 + (c % 2) for c in components}, {})


def moved_by(changed: Iterable[int], catalog: dict[int, list[int]]) -> tuple[set[int], int]:
    """The bundles the changed listings move, and the stamps the auto sync function then writes
    (one a bundle a changed component of it)."""
    holders: dict[int, set[int]] = {}
    for number, components in catalog.items():
        for component in components:
            holders.setdefault(component, set()).add(number)
    moved: set[int] = set()
    stamps = 0
    for number in changed:
        held_by = holders.get(number, set())
        moved |= held_by
        stamps += len(held_by)
    return moved, stamps


class AutoSyncReader:
    """The auto sync function's stream poller, from the stream's end: what is written while it is
    entered is delivered, as in local mode (the catalog itself was written with no poller on)."""

    def __init__(self, runtime: LocalRuntime) -> None:
        assert runtime.deployment is not None
        (source,) = [s for s in runtime.deployment.stream_sources if "AutoSync" in s.function]
        self._poller = StreamPoller(dataclasses.replace(source, starting_position="LATEST"), REGION)

    def __enter__(self) -> AutoSyncReader:
        self._poller.start()
        return self

    def wait_for(self, records: int) -> None:
        """Until `records` stream records were delivered to the function."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        while self._poller.delivered < records:
            if time.monotonic() > deadline:
                raise TimeoutError(f"auto sync got {self._poller.delivered} of {records} records")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self._poller.stop()
