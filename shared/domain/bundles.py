"""Bundles (kits): a listing made of components, with no stock of its own.

A bundle's balance at a location is the least, over its components, of what the component can sell
there divided by its units, rounded down. A component may itself be a bundle: a bundle is worked
out over its leaf components, each with the units of every path to it summed (a leaf held twice,
through two inner bundles, is needed twice), so a bundle is never oversold against its components.
A bundle cannot hold itself, directly or not.

A sale of a bundle takes each leaf component's units times the kits off, once, in one DynamoDB
transaction with the order line's record: a transaction holds at most 100 items, so a bundle
holds at most MAX_COMPONENTS leaf components (the order line and its record take the rest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.domain.fields import FieldError
from shared.domain.locations import DEFAULT_LOCATION, fed_quantity, takes_for_order

# DynamoDB's TransactWriteItems holds 100 items: the order line's record and its listing change
# take two, every leaf component one.
MAX_COMPONENTS = 98
MAX_UNITS = 10_000

Components = Mapping[str, int]  # component SKU -> units in one bundle
Bundles = Mapping[str, Components]  # bundle SKU -> its components


class BundleRefused(FieldError):
    """A bundle that cannot be saved, naming the field and the fix."""


def check_components(sku: str, components: Components, bundles: Bundles, known: set[str]) -> None:
    """Refuse a bundle whose components are empty, unknown, out of range, itself, or make a cycle
    with the bundles saved (`bundles`: every other bundle as saved, `known`: the SKUs in master)."""
    if not components:
        raise BundleRefused("components", "give at least one component as SKU:UNITS, or clear the bundle")
    for component, units in components.items():
        if component == sku:
            raise BundleRefused("components", f"'{sku}' cannot be a component of itself: remove it")
        if component not in known:
            raise BundleRefused(
                "components", f"no listing with SKU '{component}': import it first, or remove it"
            )
        if not 1 <= units <= MAX_UNITS:
            raise BundleRefused(
                "components", f"'{component}': units must be a whole number from 1 to {MAX_UNITS:,}"
            )
    proposed = {**bundles, sku: components}
    cycle = find_cycle(sku, proposed)
    if cycle:
        raise BundleRefused(
            "components",
            f"a bundle cannot hold itself: {' -> '.join(cycle)}; remove one of these components",
        )
    leaves = leaf_units(sku, proposed)
    if len(leaves) > MAX_COMPONENTS:
        raise BundleRefused(
            "components",
            f"{len(leaves)} leaf components: at most {MAX_COMPONENTS} (a sale takes them all in one "
            "transaction of at most 100 items); split the bundle",
        )


def find_cycle(sku: str, bundles: Bundles) -> list[str]:
    """A path from `sku` back to itself through the bundles' components ([] when there is none)."""
    path: list[str] = [sku]
    seen: set[str] = set()

    def walk(node: str) -> bool:
        for component in bundles.get(node, {}):
            if component == sku:
                path.append(component)
                return True
            if component in seen:
                continue
            seen.add(component)
            path.append(component)
            if walk(component):
                return True
            path.pop()
        return False

    return path if walk(sku) else []


def leaf_units(sku: str, bundles: Bundles, units: int = 1) -> dict[str, int]:
    """The leaf components of a bundle with the units one bundle needs of each (a listing that is
    no bundle is its own leaf). The bundles must have no cycle (check_components)."""
    components = bundles.get(sku)
    if not components:
        return {sku: units}
    leaves: dict[str, int] = {}
    for component, each in components.items():
        for leaf, needed in leaf_units(component, bundles, units * each).items():
            leaves[leaf] = leaves.get(leaf, 0) + needed
    return leaves


def kits(leaves: Components, sellable: Mapping[str, int]) -> int:
    """How many bundles the leaves' sellable quantities make (a leaf not given: none)."""
    return min((max(0, sellable.get(leaf, 0)) // units for leaf, units in leaves.items()), default=0)


def limiting(leaves: Components, sellable: Mapping[str, int]) -> str | None:
    """The leaf that limits the bundle (the first in SKU order of those that make fewest)."""
    if not leaves:
        return None
    return min(sorted(leaves), key=lambda leaf: max(0, sellable.get(leaf, 0)) // leaves[leaf])


def kits_by_location(leaves: Components, sellable_at: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """The bundles each location makes: `sellable_at` is leaf -> location -> what it can sell."""
    locations = {name for by_location in sellable_at.values() for name in by_location} | {DEFAULT_LOCATION}
    return {
        name: kits(leaves, {leaf: sellable_at.get(leaf, {}).get(name, 0) for leaf in leaves})
        for name in sorted(locations)
    }


def bundle_channel_quantity(
    leaves: Components,
    sellable_at: Mapping[str, Mapping[str, int]],
    fed_by: Sequence[str] | None,
    safety_buffer: int = 0,
) -> int | None:
    """A bundle's quantity at a channel location fed by `fed_by` (None: no map, every location
    feeds it; []: mapped to nothing, left alone)."""
    by_location = kits_by_location(leaves, sellable_at)
    if fed_by is None:
        return max(0, sum(by_location.values()) - safety_buffer)
    if not fed_by:
        return None
    return fed_quantity(by_location, fed_by, safety_buffer)


def component_takes(
    leaves: Components,
    sellable_at: Mapping[str, Mapping[str, int]],
    fed_by: Sequence[str],
    quantity: int,
) -> dict[str, dict[str, int]]:
    """What an order of `quantity` bundles takes off each leaf at each location: the kits each
    mapped location makes, in the order mapped, and the rest from the first (below zero only when
    no mapped location could make one more)."""
    kit_takes = takes_for_order(kits_by_location(leaves, sellable_at), fed_by, quantity)
    return {leaf: {name: made * units for name, made in kit_takes.items()} for leaf, units in leaves.items()}
