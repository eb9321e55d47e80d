import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.domain.allocation import (
    MARKUPS,
    RULES,
    Override,
    Rounding,
    Rules,
    Source,
    fields_of,
    merged,
    moves,
    of,
    rounded,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, tzinfo=UTC)
NONE = Rules()
NO_OVERRIDE = Override()
QUANTITY_RULES = ("reserve", "percent", "max_quantity", "zero_at", "fixed")


def listing(on_hand=20, committed=0, buffer=0, price: str | None = "10.00"):
    from shared.domain.listing import Listing

    return Listing(
        sku="A",
        on_hand=on_hand,
        committed=committed,
        safety_buffer=buffer,
        price=None if price is None else Decimal(price),
        updated_at=NOW,
    )


def test_no_rules_send_the_balance_and_the_price():
    got = of(NONE, NO_OVERRIDE, listing(on_hand=20, committed=3, buffer=2))
    assert (got.quantity, got.price) == (15, Decimal("10.00"))
    assert got.shaped_by == ""
    assert [s.rule for s in got.steps if s.field == "quantity"] == [
        "on_hand",
        "committed",
        "safety_buffer",
        "syncable_balance",
    ]


def test_quantity_rules_apply_in_order_reserve_share_ceiling_floor():
    rules = Rules(reserve=2, percent=Decimal(50), max_quantity=6, zero_at=1)
    got = of(rules, NO_OVERRIDE, listing(on_hand=17))
    # 17 - 2 = 15, 50 % of 15 = 7 (down), at most 6, above 1: 6
    assert got.quantity == 6
    quantity_steps = [(s.rule, s.before, s.after) for s in got.steps if s.source is Source.CHANNEL]
    assert quantity_steps == [
        ("reserve", "17", "15"),
        ("percent", "15", "7"),
        ("max_quantity", "7", "6"),
        ("zero_at", "6", "6"),
    ]
    assert "reserve (channel)" in got.shaped_by and "zero_at" not in got.shaped_by


def test_the_floor_sends_zero_at_or_below_it_and_the_reserve_never_goes_below_zero():
    assert of(Rules(zero_at=3), NO_OVERRIDE, listing(on_hand=3)).quantity == 0
    assert of(Rules(zero_at=3), NO_OVERRIDE, listing(on_hand=4)).quantity == 4
    assert of(Rules(reserve=50), NO_OVERRIDE, listing(on_hand=4)).quantity == 0


def test_a_fixed_quantity_replaces_every_other_quantity_rule():
    rules = Rules(reserve=5, percent=Decimal(10), fixed=40)
    got = of(rules, NO_OVERRIDE, listing(on_hand=3))
    assert got.quantity == 40
    assert [s.rule for s in got.steps if s.source is not Source.MASTER and s.field == "quantity"] == ["fixed"]


def test_an_override_replaces_the_channels_rule_one_by_one():
    channel = Rules(reserve=2, max_quantity=5, markup_percent=Decimal(10))
    override = Override(max_quantity=100, markup_amount=Decimal("1.00"))
    got = of(channel, override, listing(on_hand=30, price="10.00"))
    assert got.quantity == 28  # the channel's reserve, the listing's ceiling
    assert got.price == Decimal("11.00")  # the listing's markup replaced the channel's
    sources = {s.rule: s.source for s in got.steps}
    assert sources["reserve"] is Source.CHANNEL
    assert sources["max_quantity"] is Source.OVERRIDE
    assert sources["markup_amount"] is Source.OVERRIDE
    assert "markup_percent" not in sources
    assert merged(channel, override).markup_percent is None


def test_an_override_does_without_the_channels_fixed_quantity_and_rounding():
    channel = Rules(fixed=40, reserve=2, markup_percent=Decimal(10), rounding=Rounding.CENTS_99)
    override = Override(without=("fixed", "rounding"))
    got = of(channel, override, listing(on_hand=20, price="10.40"))
    assert (got.quantity, got.price) == (18, Decimal("11.44"))  # 20 less the reserve; 10.40 + 10 %
    assert merged(channel, override).given() == {"reserve": 2, "markup_percent": Decimal(10)}
    cleared = [(s.field, s.rule, s.before, s.after) for s in got.steps if s.source is Source.CLEARED]
    assert cleared == [("quantity", "fixed", "20", "20"), ("price", "rounding", "11.44", "11.44")]
    notes = {s.rule: s.note for s in got.steps}
    assert "the channel's fixed 40" in notes["fixed"] and "override does without it" in notes["fixed"]
    assert "fixed (cleared by listing override)" in got.shaped_by
    assert "rounding (cleared by listing override)" in got.shaped_by
    assert "reserve (channel)" in got.shaped_by


def test_doing_without_either_markup_drops_the_channels_markup_and_a_ceiling_needs_no_huge_number():
    channel = Rules(markup_amount=Decimal("2.00"), max_quantity=5, max_price=Decimal("9.00"))
    got = of(channel, Override(without=("markup_percent", "max_quantity")), listing(on_hand=30))
    assert (got.quantity, got.price) == (30, Decimal("9.00"))  # the channel's maximum price still holds
    assert [s.rule for s in got.steps if s.source is Source.CLEARED] == ["max_quantity", "markup_amount"]
    bare = of(channel, Override(without=("markup_amount", "max_price", "max_quantity")), listing(on_hand=30))
    assert (bare.quantity, bare.price) == (30, Decimal("10.00"))


def test_doing_without_a_rule_the_channel_does_not_set_is_no_step_and_an_override_on_its_own():
    override = Override(without=("rounding", "fixed", "rounding"))
    assert override.without == ("fixed", "rounding")  # once each, in the order the rules apply
    assert override and not Override()
    got = of(Rules(reserve=1), override, listing(on_hand=5))
    assert got == of(Rules(reserve=1), NO_OVERRIDE, listing(on_hand=5))


@pytest.mark.parametrize(
    ("given_override", "fix"),
    [
        ({"fixed": 3, "without": ["fixed"]}, "unset fixed to do without the channel's, or take fixed out"),
        ({"markup_amount": 1, "without": ["markup_percent"]}, "unset markup_amount"),
        ({"without": ["shares"]}, "'reserve', 'percent'"),
    ],
)
def test_an_override_that_sets_and_does_without_one_rule_or_names_no_rule_is_refused(given_override, fix):
    with pytest.raises(ValidationError) as refused:
        Override.model_validate(given_override)
    error = refused.value.errors()[0]
    rule = error.get("ctx", {}).get("error")
    named, message = (error["loc"][0], error["msg"]) if error["loc"] else (rule.field, rule.fix)
    assert named == "without"
    assert fix in message


def test_price_markup_then_rounding_then_bounds():
    assert of(
        Rules(markup_percent=Decimal(10), rounding=Rounding.CENTS_99), NO_OVERRIDE, listing()
    ).price == Decimal("11.99")
    assert of(Rules(markup_percent=Decimal(-25)), NO_OVERRIDE, listing(price="9.99")).price == Decimal("7.49")
    assert of(Rules(markup_amount=Decimal("-20")), NO_OVERRIDE, listing()).price == Decimal("0.00")
    capped = of(Rules(markup_percent=Decimal(100), max_price=Decimal("15")), NO_OVERRIDE, listing())
    assert capped.price == Decimal("15")
    floored = of(Rules(markup_percent=Decimal(-50), min_price=Decimal("8.50")), NO_OVERRIDE, listing())
    assert floored.price == Decimal("8.50")


@pytest.mark.parametrize(
    ("price", "rounding", "expected"),
    [
        ("10.40", Rounding.CENTS_99, "10.99"),
        ("10.99", Rounding.CENTS_99, "10.99"),
        ("10.00", Rounding.CENTS_99, "10.99"),
        ("10.96", Rounding.CENTS_95, "11.95"),
        ("10.95", Rounding.CENTS_95, "10.95"),
        ("10.49", Rounding.WHOLE, "10.00"),
        ("10.50", Rounding.WHOLE, "11.00"),
    ],
)
def test_rounding(price, rounding, expected):
    assert rounded(Decimal(price), rounding) == Decimal(expected)


def test_a_listing_without_a_price_gets_no_price_and_no_price_steps():
    got = of(Rules(markup_percent=Decimal(10)), NO_OVERRIDE, listing(price=None))
    assert got.price is None
    assert not [s for s in got.steps if s.field == "price"]


@pytest.mark.parametrize(
    ("given_rules", "field"),
    [
        ({"percent": 101}, "percent"),
        ({"reserve": -1}, "reserve"),
        ({"max_quantity": -3}, "max_quantity"),
        ({"min_price": "20", "max_price": "10"}, "min_price"),
        ({"markup_percent": 10, "markup_amount": 1}, "markup_amount"),
        ({"rounding": "0.49"}, "rounding"),
        ({"shares": 10}, "shares"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(given_rules, field):
    with pytest.raises(ValidationError) as refused:
        Rules.model_validate(given_rules)
    error = refused.value.errors()[0]
    named = error["loc"][0] if error["loc"] else error["ctx"]["error"].field
    assert named == field


def test_moves_names_each_value_a_rule_change_moves():
    before = of(NONE, NO_OVERRIDE, listing(on_hand=10))
    after = of(Rules(reserve=4, markup_amount=Decimal(1)), NO_OVERRIDE, listing(on_hand=10))
    assert [(m.field, m.from_value, m.to_value) for m in moves(before, after)] == [
        ("quantity", "10", "6"),
        ("price", "10.00", "11.00"),
    ]
    assert moves(before, before) == []


counts = st.none() | st.integers(0, 500)
percents = st.none() | st.decimals(0, 100, places=2)
money = st.none() | st.decimals(0, 1000, places=2)
markups = st.none() | st.decimals(-100, 300, places=2)
roundings = st.none() | st.sampled_from(list(Rounding))


@st.composite
def rule_sets(draw, fixed=True):
    low, high = draw(money), draw(money)
    if low is not None and high is not None and low > high:
        low, high = high, low
    percent_markup = draw(st.booleans())
    markup = draw(markups)
    return Rules(
        reserve=draw(counts),
        percent=draw(percents),
        max_quantity=draw(counts),
        zero_at=draw(counts),
        fixed=draw(counts) if fixed else None,
        markup_percent=markup if percent_markup else None,
        markup_amount=None if percent_markup else markup,
        rounding=draw(roundings),
        min_price=low,
        max_price=high,
    )


listings = st.builds(
    listing,
    on_hand=st.integers(-50, 2000),
    committed=st.integers(0, 300),
    buffer=st.integers(0, 100),
    price=st.none() | st.decimals(0, 5000, places=2).map(str),
)


@st.composite
def overrides(draw, fixed=True):
    """An override: rules as a channel's, and channel rules it does without (none of them set)."""
    without = draw(st.lists(st.sampled_from(RULES), unique=True, max_size=4))
    given = {k: v for k, v in draw(rule_sets(fixed)).given().items() if k not in fields_of(without)}
    return Override(**given, without=without)


@given(rule_sets(fixed=False), overrides(fixed=False), listings)
def test_the_quantity_is_between_zero_and_the_balance(channel, override, item):
    got = of(channel, override, item)
    assert 0 <= got.quantity <= item.syncable_balance


@given(rule_sets(), overrides(), listings)
def test_explains_steps_end_at_exactly_the_pushed_values(channel, override, item):
    got = of(channel, override, item)
    # every channel rule the override does without is a step that says so, where the rule would be
    # applied: the quantity's after a fixed one (the listing's) only, the price's with a price
    cleared = set(channel.given()) & fields_of(override.without)
    if merged(channel, override).fixed is not None:
        cleared -= set(QUANTITY_RULES)
    if item.price is None:
        cleared -= set(RULES) - set(QUANTITY_RULES)
    assert {s.rule for s in got.steps if s.source is Source.CLEARED} == cleared
    assert all(s.before == s.after for s in got.steps if s.source is Source.CLEARED)
    quantity_steps = [s for s in got.steps if s.field == "quantity"]
    price_steps = [s for s in got.steps if s.field == "price"]
    assert quantity_steps[0].after == str(item.on_hand)
    assert quantity_steps[-1].after == str(got.quantity)
    for earlier, later in itertools.pairwise(quantity_steps):
        assert earlier.after == later.before
    if item.price is None:
        assert got.price is None and price_steps == []
    else:
        assert Decimal(price_steps[-1].after) == got.price
        assert Decimal(price_steps[0].before) == item.price
        for earlier, later in itertools.pairwise(price_steps):
            assert earlier.after == later.before


@given(rule_sets(), overrides(), listings)
def test_the_price_is_never_below_zero_nor_the_minimum(channel, override, item):
    got = of(channel, override, item)
    rules = merged(channel, override)
    if got.price is None:
        return
    assert got.price >= 0
    if rules.min_price is not None:
        assert got.price >= rules.min_price
    if rules.max_price is not None and (rules.min_price is None or rules.min_price <= rules.max_price):
        assert got.price <= rules.max_price
    if rules.fixed is not None:
        assert got.quantity == rules.fixed


@given(rule_sets(fixed=False), listings)
def test_an_empty_override_changes_nothing(channel, item):
    assert of(channel, NO_OVERRIDE, item) == of(channel, Override(), item)
    assert merged(channel, NO_OVERRIDE).given() == channel.given()


@given(rule_sets(), overrides())
def test_merged_takes_each_rule_from_the_override_else_the_channel_unless_done_without(channel, override):
    rules = merged(channel, override)
    markup_set = any(getattr(override, name) is not None for name in MARKUPS)
    for name in RULES:
        if getattr(override, name) is not None:
            expected = getattr(override, name)
        elif name in fields_of(override.without) or (name in MARKUPS and markup_set):
            expected = None
        else:
            expected = getattr(channel, name)
        assert getattr(rules, name) == expected, name
