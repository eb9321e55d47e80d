"""Allocation: what a channel gets of a listing's balance and price, and why.

Quantity rules are applied in this order to the syncable balance: a reserve (subtract N, never below
0), a share (P percent, rounded down), a ceiling (at most N), a floor to zero (at or below N, send 0);
or a fixed quantity instead of all of them. Price rules: a markup or markdown (percent or amount), a
rounding (to .99, .95, a whole amount), then a minimum and a maximum. The result is never below 0 nor
below the minimum price.

A listing may override any rule on one channel: the override's rules that are set replace the
channel's, one by one, and the channel's rules it names in `without` are not applied to it (a step of
explain says so). `of` is the one place the rules are applied: a push and explain both call it, so
explain's steps end at exactly what is pushed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.domain.fields import FieldRule
from shared.domain.listing import Listing
from shared.domain.model import Model

CENT = Decimal("0.01")

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2)]


class Rounding(StrEnum):
    """Where a price is rounded to: up to the next x.99 or x.95, or to the nearest whole amount."""

    CENTS_99 = "0.99"
    CENTS_95 = "0.95"
    WHOLE = "whole"


RuleName = Literal[
    "reserve",
    "percent",
    "max_quantity",
    "zero_at",
    "fixed",
    "markup_percent",
    "markup_amount",
    "rounding",
    "min_price",
    "max_price",
]
RULES: tuple[RuleName, ...] = get_args(RuleName)
MARKUPS: tuple[RuleName, ...] = ("markup_percent", "markup_amount")


class Rules(Model):
    """A channel's rules, or those one listing's override sets (`Override`); None: not set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reserve: Count | None = Field(default=None, description="units kept back from the channel")
    percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = Field(
        default=None, description="share of what is left, in percent (0 to 100), rounded down"
    )
    max_quantity: Count | None = Field(default=None, description="at most this many")
    zero_at: Count | None = Field(default=None, description="at or below this many, send 0")
    fixed: Count | None = Field(default=None, description="this quantity instead of the rules above")
    markup_percent: Annotated[Decimal, Field(ge=-100, le=1000, decimal_places=2)] | None = Field(
        default=None, description="percent added to the price (negative: a markdown)"
    )
    markup_amount: Annotated[Decimal, Field(ge=-10_000_000, le=10_000_000, decimal_places=2)] | None = Field(
        default=None, description="amount added to the price (negative: a markdown)"
    )
    rounding: Rounding | None = None
    min_price: Money | None = None
    max_price: Money | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        check(self)
        return self

    def given(self) -> dict[str, Any]:
        """The rules that are set."""
        return {name: getattr(self, name) for name in RULES if getattr(self, name) is not None}

    def __bool__(self) -> bool:
        return bool(self.given())


def check(rules: Rules) -> None:
    """The rules across fields: one markup, a minimum price at most the maximum."""
    if rules.markup_percent is not None and rules.markup_amount is not None:
        raise FieldRule(
            "markup_amount", "a markup is a percent or an amount, not both: clear one (markup_percent)"
        )
    if rules.min_price is not None and rules.max_price is not None and rules.min_price > rules.max_price:
        raise FieldRule(
            "min_price",
            f"the minimum price {rules.min_price} is over the maximum {rules.max_price}: "
            "lower the minimum or raise the maximum",
        )


def one_rule(name: RuleName) -> tuple[RuleName, ...]:
    """The fields of one rule: a markup is a percent or an amount, one rule either way."""
    return MARKUPS if name in MARKUPS else (name,)


def fields_of(names: Iterable[RuleName]) -> frozenset[RuleName]:
    """The fields of these rules (either markup's name: both)."""
    return frozenset(field for name in names for field in one_rule(name))


class Override(Rules):
    """One listing's override of a channel's rules: those set replace the channel's, and the channel's
    rules named in `without` are not applied to the listing (either markup's name: the channel's
    markup, whichever it is)."""

    without: tuple[RuleName, ...] = Field(
        default=(), description="the channel's rules this listing does without (none of them set here too)"
    )

    @field_validator("without")
    @classmethod
    def _once_in_order(cls, names: tuple[RuleName, ...]) -> tuple[RuleName, ...]:
        return tuple(name for name in RULES if name in names)

    @model_validator(mode="after")
    def _set_or_without(self) -> Override:
        for name in self.without:
            for field in one_rule(name):
                if getattr(self, field) is not None:
                    both = (
                        f"{name} is both set here and in without"
                        if field == name
                        else f"{field} is set here and {name} is in without"
                    )
                    raise FieldRule(
                        "without",
                        f"{both}, but a rule set here already replaces the channel's: unset {field} "
                        f"to do without the channel's, or take {name} out of without",
                    )
        return self

    def does_without(self) -> frozenset[RuleName]:
        """The channel's rules this override drops (either markup's name drops both)."""
        return fields_of(self.without)

    def __bool__(self) -> bool:
        return bool(self.given()) or bool(self.without)


def merged(channel: Rules, override: Override) -> Rules:
    """The channel's rules less those the override does without, with the override's on top (a
    markup replaces either markup)."""
    if not override:
        return channel
    gone = override.does_without()
    if override.markup_percent is not None or override.markup_amount is not None:
        gone |= set(MARKUPS)
    given = {name: value for name, value in channel.given().items() if name not in gone}
    # not validated again: a channel's minimum over an override's maximum is refused when saved, and
    # where it is not (the channel's rule changed after), the minimum price wins, as it always does
    return Rules.model_construct(**{**given, **override.given()})


def dropped(channel: Rules, override: Override) -> dict[str, str]:
    """The channel's rules the override does without, each with a note that says so (for explain)."""
    return {
        name: f"the channel's {name.replace('_', ' ')} {_shown(value)}, not applied: this listing's "
        "override does without it"
        for name, value in channel.given().items()
        if name in override.does_without()
    }


def _shown(value: Any) -> str:
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


class Source(StrEnum):
    MASTER = "master"
    CHANNEL = "channel"
    OVERRIDE = "listing override"
    CLEARED = "cleared by listing override"  # a channel's rule the override does without


@dataclass(frozen=True)
class Step:
    """One step of explain: a value before and after one rule (or master's own arithmetic)."""

    field: str  # quantity | price
    rule: str
    source: Source
    before: str
    after: str
    note: str = ""


@dataclass(frozen=True)
class Allocation:
    """What one channel is sent for one listing, and how it was reached."""

    sku: str
    quantity: int
    price: Decimal | None
    steps: tuple[Step, ...]

    @property
    def shaped_by(self) -> str:
        """The rules that changed a value, as history records them ("" when none did)."""
        return "; ".join(
            f"{s.rule} ({s.source.value})"
            for s in self.steps
            if s.source is Source.CLEARED or (s.source is not Source.MASTER and s.before != s.after)
        )


def of(channel: Rules, override: Override, listing: Listing, balance: int | None = None) -> Allocation:
    """The quantity and price the channel gets of `listing`, with every step from on hand and from
    master's price. `balance`: what the master locations feeding the channel location can sell, or
    what a bundle's components make (shared/services/locations.py), when it is not the syncable
    balance: the rules apply to it."""
    steps: list[Step] = []
    rules, without = merged(channel, override), dropped(channel, override)
    quantity = _quantity(_Applied(rules, override, without, steps, "quantity"), listing, balance)
    price = _price(_Applied(rules, override, without, steps, "price"), listing.price)
    return Allocation(sku=listing.sku, quantity=quantity, price=price, steps=tuple(steps))


@dataclass(frozen=True)
class _Applied:
    """The rules applied to one value (quantity or price), each step written as it is taken."""

    rules: Rules  # the channel's and the override's, merged
    override: Override
    without: dict[str, str]  # the channel's rules the override does without: the note of each
    steps: list[Step]
    field: str

    def source(self, name: str) -> Source:
        override = self.override
        if name in MARKUPS and (override.markup_percent is not None or override.markup_amount is not None):
            return Source.OVERRIDE
        return Source.OVERRIDE if getattr(override, name) is not None else Source.CHANNEL

    def step(self, rule: str, before: Any, after: Any, note: str, by: Source | None = None) -> Any:
        self.steps.append(
            Step(self.field, rule, by or self.source(rule), _shown(before), _shown(after), note)
        )
        return after

    def rule(self, name: RuleName, value: Any) -> Any:
        """The rule's setting (None: not set); a channel's rule done without is a step that keeps
        `value`, so explain says so."""
        if name in self.without:
            self.step(name, value, value, self.without[name], Source.CLEARED)
        return getattr(self.rules, name)


def _quantity(applied: _Applied, listing: Listing, given: int | None = None) -> int:
    step = applied.step
    master = Source.MASTER
    q = step("on_hand", listing.on_hand, listing.on_hand, "master's on hand", master)
    q = step("committed", q, q - listing.committed, f"less {listing.committed} committed", master)
    q = step(
        "safety_buffer", q, q - listing.safety_buffer, f"less a buffer of {listing.safety_buffer}", master
    )
    balance = step("syncable_balance", q, max(0, q), "never below 0", master)
    if given is not None and given != balance:
        note = "what this channel location's master locations can sell, or the bundle's components make"
        balance = step("locations", balance, given, note, master)
    if (fixed := applied.rule("fixed", balance)) is not None:
        return int(step("fixed", balance, fixed, f"a fixed {fixed} instead of the balance"))
    q = balance
    if (reserve := applied.rule("reserve", q)) is not None:
        q = step("reserve", q, max(0, q - reserve), f"keep {reserve} back, never below 0")
    if (percent := applied.rule("percent", q)) is not None:
        share = int((Decimal(q) * percent / 100).to_integral_value(rounding=ROUND_FLOOR))
        q = step("percent", q, share, f"{percent:f} % of it, rounded down")
    if (ceiling := applied.rule("max_quantity", q)) is not None:
        q = step("max_quantity", q, min(q, ceiling), f"at most {ceiling}")
    if (floor := applied.rule("zero_at", q)) is not None:
        q = step("zero_at", q, 0 if q <= floor else q, f"at or below {floor}, send 0")
    return int(q)


def _price(applied: _Applied, price: Decimal | None) -> Decimal | None:
    if price is None:
        return None
    step = applied.step
    p: Decimal = step("price", price, price, "master's price", Source.MASTER)
    if (percent := applied.rule("markup_percent", p)) is not None:
        marked = (p * (100 + percent) / 100).quantize(CENT, ROUND_HALF_UP)
        p = step("markup_percent", p, marked, f"{percent:+f} %, to the cent")
    if (amount := applied.rule("markup_amount", p)) is not None:
        p = step("markup_amount", p, p + amount, f"{amount:+f}")
    if p < 0:
        p = step("not_negative", p, Decimal("0.00"), "never below 0", Source.MASTER)
    if (rounding := applied.rule("rounding", p)) is not None:
        p = step("rounding", p, rounded(p, rounding), f"to {rounding.value}")
    if (high := applied.rule("max_price", p)) is not None and p > high:
        p = step("max_price", p, high, f"at most {high:f}")
    if (low := applied.rule("min_price", p)) is not None and p < low:
        p = step("min_price", p, low, f"at least {low:f}")
    return p


def rounded(price: Decimal, rounding: Rounding) -> Decimal:
    """.99 and .95: up to the next amount ending so (at most a unit up); whole: the nearest."""
    if rounding is Rounding.WHOLE:
        return price.quantize(Decimal(1), ROUND_HALF_UP).quantize(CENT)
    cents = Decimal(rounding.value)
    whole = price.to_integral_value(rounding=ROUND_FLOOR)
    candidate = whole + cents
    return (candidate if candidate >= price else candidate + 1).quantize(CENT)


@dataclass(frozen=True)
class Moved:
    """One linked listing a rule change moves: what the channel got, and what it would get."""

    sku: str
    field: str
    from_value: str | None
    to_value: str | None


def moves(before: Allocation, after: Allocation) -> list[Moved]:
    """The values a rule change moves for one listing."""
    found = []
    if before.quantity != after.quantity:
        found.append(Moved(before.sku, "quantity", str(before.quantity), str(after.quantity)))
    if before.price != after.price:
        found.append(Moved(before.sku, "price", _text(before.price), _text(after.price)))
    return found


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"
