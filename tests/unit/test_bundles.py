import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.bundles import (
    MAX_COMPONENTS,
    BundleRefused,
    bundle_channel_quantity,
    check_components,
    component_takes,
    find_cycle,
    kits,
    kits_by_location,
    leaf_units,
    limiting,
)

pytestmark = pytest.mark.unit
SKUS = [f"S{i}" for i in range(6)]
LOCATIONS = ["default", "east", "west"]


def test_a_bundles_balance_is_the_least_of_its_components_over_their_units():
    assert kits({"A": 2, "B": 1}, {"A": 7, "B": 5}) == 3
    assert limiting({"A": 2, "B": 1}, {"A": 7, "B": 5}) == "A"
    assert kits({"A": 2}, {"A": -4}) == 0  # an oversold component makes none


def test_a_leaf_held_through_two_inner_bundles_is_needed_twice():
    bundles = {"KIT": {"X": 1, "Y": 1}, "X": {"LEAF": 2}, "Y": {"LEAF": 3, "OTHER": 1}}
    assert leaf_units("KIT", bundles) == {"LEAF": 5, "OTHER": 1}


def test_a_bundle_per_location_and_at_a_channel_location():
    leaves = {"A": 2, "B": 1}
    sellable = {"A": {"default": 4, "east": 9}, "B": {"default": 10, "east": 1}}
    assert kits_by_location(leaves, sellable) == {"default": 2, "east": 1}
    assert bundle_channel_quantity(leaves, sellable, ["east"]) == 1
    assert bundle_channel_quantity(leaves, sellable, None) == 3  # no map: every location
    assert bundle_channel_quantity(leaves, sellable, []) is None  # mapped to nothing: left alone


@pytest.mark.parametrize(
    ("components", "saved", "fix"),
    [
        ({}, {}, "give at least one component"),
        ({"KIT": 1}, {}, "cannot be a component of itself"),
        ({"NOPE": 1}, {}, "no listing with SKU 'NOPE'"),
        ({"A": 0}, {}, "units must be"),
        ({"A": 1}, {"A": {"KIT": 1}}, "a bundle cannot hold itself: KIT -> A -> KIT"),
    ],
)
def test_a_bad_bundle_is_refused_naming_the_fix(components, saved, fix):
    with pytest.raises(BundleRefused) as refused:
        check_components("KIT", components, saved, {"KIT", "A", "B"})
    assert refused.value.field == "components"
    assert fix in refused.value.fix


def test_a_bundle_of_more_leaves_than_a_transaction_holds_is_refused():
    many = {f"C{i}": 1 for i in range(MAX_COMPONENTS + 1)}
    with pytest.raises(BundleRefused, match=f"at most {MAX_COMPONENTS}"):
        check_components("KIT", many, {}, set(many) | {"KIT"})
    check_components("KIT", dict(list(many.items())[:MAX_COMPONENTS]), {}, set(many) | {"KIT"})


graphs = st.dictionaries(
    st.sampled_from(SKUS),
    st.dictionaries(st.sampled_from(SKUS), st.integers(1, 3), min_size=1, max_size=3),
    max_size=5,
)


def _reaches(start, target, graph):
    seen, todo = set(), list(graph.get(start, {}))
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            todo += list(graph.get(node, {}))
    return False


@given(graphs, st.sampled_from(SKUS))
def test_a_cycle_is_found_exactly_when_the_bundle_reaches_itself(graph, sku):
    cycle = find_cycle(sku, graph)
    assert bool(cycle) == _reaches(sku, sku, graph)
    if cycle:
        assert cycle[0] == cycle[-1] == sku
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))


sellables = st.dictionaries(
    st.sampled_from(SKUS[:4]),
    st.dictionaries(st.sampled_from(LOCATIONS), st.integers(0, 40), min_size=1),
    min_size=1,
)


@given(
    st.dictionaries(st.sampled_from(SKUS[:4]), st.integers(1, 4), min_size=1),
    sellables,
    st.lists(st.sampled_from(LOCATIONS), min_size=1, max_size=3, unique=True),
    st.integers(0, 30),
)
def test_a_bundle_is_never_oversold_against_its_components(leaves, sellable, fed_by, ordered):
    quantity = bundle_channel_quantity(leaves, sellable, fed_by)
    assert quantity is not None
    sold = min(ordered, quantity)  # the channel sells at most what was pushed
    takes = component_takes(leaves, sellable, fed_by, sold)
    for leaf, units in leaves.items():
        assert sum(takes[leaf].values()) == sold * units  # each component once, its units a kit
        for location, taken in takes[leaf].items():
            assert taken <= sellable.get(leaf, {}).get(location, 0)  # none goes below zero
    # one kit more than was pushed could not be made from the mapped locations
    after = {
        leaf: {loc: sellable.get(leaf, {}).get(loc, 0) - takes[leaf].get(loc, 0) for loc in LOCATIONS}
        for leaf in leaves
    }
    if sold == quantity:
        assert bundle_channel_quantity(leaves, after, fed_by) == 0
