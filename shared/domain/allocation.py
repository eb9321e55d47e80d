"""Allocation: what a channel gets of a listing's balance and price, and why.

Quantity rules are applied in this order to the syncable balance: a reserve (subtract N, never below
0), a share (P percent, rounded down), a ceiling (at most N), a floor to zero (at or below N, send 0);
or a fixed quantity instead of all of them. Price rules: a markup or markdown (percent or amount), a
rounding (to .99, .95, a whole amount), then a minimum and a maximum. The result is never below 0 nor
below the minimum price.

A listing may override any rule on one channel: the override's rules that are set replace the
channel's, one by one. `of` is the one place the rules are applied: a push and explain both call it,
so explain's steps end at exactly what is pushed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.fields import FieldRule
from shared.domain.listing import Listing

CENT = Decimal("0.01")

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2)]


class Rounding(StrEnum):
    """Where a price is rounded to: up to the next x.99 or x.95, or to the nearest whole amount."""

    CENTS_99 = "0.99"
    CENTS_95 = "0.95"
    WHOLE = "whole"


QUANTITY_RULES = ("reserve", "percent", "max_quantity", "zero_at", "fixed")
PRICE_RULES = ("markup_percent", "markup_amount", "rounding", "min_price", "max_price")
RULES = QUANTITY_RULES + PRICE_RULES


class Rules(BaseModel):
    """A channel's rules, or one listing's override of them on one channel; None: not set."""

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


def merged(channel: Rules, override: Rules) -> Rules:
    """The channel's rules with the listing's override on top (a markup replaces either markup)."""
    given = channel.given()
    if override.markup_percent is not None or override.markup_amount is not None:
        given.pop("markup_percent", None)
        given.pop("markup_amount", None)
    # not validated again: a channel's minimum over an override's maximum is refused when saved, and
    # where it is not (the channel's rule changed after), the minimum price wins, as it always does
    return Rules.model_construct(**{**given, **override.given()})


class Source(StrEnum):
    MASTER = "master"
    CHANNEL = "channel"
    OVERRIDE = "listing override"


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
            if s.source is not Source.MASTER and s.before != s.after
        )


def of(channel: Rules, override: Rules, listing: Listing, balance: int | None = None) -> Allocation:
    """The quantity and price the channel gets of `listing`, with every step from on hand and from
    master's price. `balance`: what the master locations feeding the channel location can sell, or
    what a bundle's components make (shared/services/locations.py), when it is not the syncable
    balance: the rules apply to it."""
    rules = merged(channel, override)

    def source(name: str) -> Source:
        if name.startswith("markup_") and (
            override.markup_percent is not None or override.markup_amount is not None
        ):
            return Source.OVERRIDE
        return Source.OVERRIDE if getattr(override, name) is not None else Source.CHANNEL

    steps: list[Step] = []
    quantity = _quantity(rules, listing, source, steps, balance)
    price = _price(rules, listing.price, source, steps)
    return Allocation(sku=listing.sku, quantity=quantity, price=price, steps=tuple(steps))


def _quantity(
    rules: Rules, listing: Listing, source: Any, steps: list[Step], given: int | None = None
) -> int:
    def step(rule: str, before: int, after: int, note: str, by: Source | None = None) -> int:
        steps.append(Step("quantity", rule, by or source(rule), str(before), str(after), note))
        return after

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
    if rules.fixed is not None:
        return step("fixed", balance, rules.fixed, f"a fixed {rules.fixed} instead of the balance")
    q = balance
    if rules.reserve is not None:
        q = step("reserve", q, max(0, q - rules.reserve), f"keep {rules.reserve} back, never below 0")
    if rules.percent is not None:
        share = int((Decimal(q) * rules.percent / 100).to_integral_value(rounding=ROUND_FLOOR))
        q = step("percent", q, share, f"{rules.percent:f} % of it, rounded down")
    if rules.max_quantity is not None:
        q = step("max_quantity", q, min(q, rules.max_quantity), f"at most {rules.max_quantity}")
    if rules.zero_at is not None:
        q = step("zero_at", q, 0 if q <= rules.zero_at else q, f"at or below {rules.zero_at}, send 0")
    return q


def _price(rules: Rules, price: Decimal | None, source: Any, steps: list[Step]) -> Decimal | None:
    if price is None:
        return None

    def step(rule: str, before: Decimal, after: Decimal, note: str, by: Source | None = None) -> Decimal:
        steps.append(Step("price", rule, by or source(rule), f"{before:f}", f"{after:f}", note))
        return after

    p = step("price", price, price, "master's price", Source.MASTER)
    if rules.markup_percent is not None:
        marked = (p * (100 + rules.markup_percent) / 100).quantize(CENT, ROUND_HALF_UP)
        p = step("markup_percent", p, marked, f"{rules.markup_percent:+f} %, to the cent")
    if rules.markup_amount is not None:
        p = step("markup_amount", p, p + rules.markup_amount, f"{rules.markup_amount:+f}")
    if p < 0:
        p = step("not_negative", p, Decimal("0.00"), "never below 0", Source.MASTER)
    if rules.rounding is not None:
        p = step("rounding", p, rounded(p, rules.rounding), f"to {rules.rounding.value}")
    if rules.max_price is not None and p > rules.max_price:
        p = step("max_price", p, rules.max_price, f"at most {rules.max_price:f}")
    if rules.min_price is not None and p < rules.min_price:
        p = step("min_price", p, rules.min_price, f"at least {rules.min_price:f}")
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
