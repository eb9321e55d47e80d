"""Allocation rules: set a channel's (or one listing's override), see their effect first (a dry run),
and explain a listing's numbers.

A rule change is a change: once saved, each linked listing it moved is pushed at once where its auto
sync is on, and stamped changed (its change-index entry moves), so the next smart sync of any channel
pushes it too: the watermark follows that index, and the stamp is after the rule was saved. A
channel's change (or its dry run) finds what it moves in a rules job (shared/services/rule_changes.py):
the request checks the rules against every override, saves them and queues the job; an override
moves one listing, found in the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ConfigDict, ValidationError

from shared.domain.allocation import (
    Allocation,
    Override,
    RuleName,
    Rules,
    Step,
    fields_of,
    merged,
    moves,
    of,
    one_rule,
)
from shared.domain.fields import FieldError, FieldRule
from shared.domain.job import Job
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing
from shared.domain.model import Model
from shared.services import rule_changes
from shared.storage import channel_rules, channels, links, listings

R = TypeVar("R", bound=Rules)


class UnknownChannel(FieldError):
    def __init__(self, name: str) -> None:
        super().__init__("channel", f"no channel named '{name}': see `tidemark channels list`")


class UnknownListing(FieldError):
    def __init__(self, sku: str) -> None:
        super().__init__("sku", f"no listing with SKU '{sku}': import it first (`tidemark listings import`)")


class BadRules(FieldError):
    """Rules that are wrong together (a minimum price over the maximum once merged)."""


class RulesEdit(Rules):
    """The rules to set (a field given as null clears it; one not given is kept). `clear` starts from
    no rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clear: bool = False


class OverrideEdit(Override, RulesEdit):
    """An override's edit: the rules to set (null unsets one; one not given is kept; clear: true starts
    from none), and `without` (given: all the channel's rules the listing does without). What the edit
    says wins over what was saved: a rule it sets leaves `without`, and the override's own value of a
    rule it puts in `without` is unset."""


class RuleChange(Model):
    """A channel's rule change, saved (a dry run: only checked), and the rules job finding each linked
    listing it moves: as it finishes, its counts say how many it checked, moved and pushed at once
    (auto sync on), and its plan (GET /v1/jobs/{id}/plan) each value from and to."""

    channel: str
    dry_run: bool
    rules: Rules
    job: Job


class OverrideChange(Model):
    """What an override's change did, or would do (a dry run): the override (the rules it sets and
    those of the channel it does without), and the values it moves of its linked listing."""

    channel: str
    sku: str
    dry_run: bool
    rules: Override
    checked: int
    moved_listings: int
    moves: list[dict[str, Any]]
    auto_pushed: int = 0


def channel_rules_now(channel: str) -> Rules:
    _known(channel)
    return channel_rules.get(channel)


def override_now(sku: str, channel: str) -> Override:
    _known(channel)
    _listing(sku)
    return channel_rules.get_override(channel, sku)


def set_channel_rules(channel: str, edit: RulesEdit, *, dry_run: bool) -> RuleChange:
    """Set the channel's rules given in `edit` and queue the job that pushes what they move; with
    `dry_run`, save nothing and queue the job that only says what they would move."""
    _known(channel)
    current = channel_rules.for_skus(channel, None)
    after = _edited(current.rules, edit)
    for override in (Override(), *current.overrides.values()):
        _fits(after, override, "min_price")
    if not dry_run:
        channel_rules.put(channel, after)
    job = rule_changes.start(channel, current.rules, after, dry_run=dry_run)
    return RuleChange(channel=channel, dry_run=dry_run, rules=after, job=job)


def set_override(sku: str, channel: str, edit: OverrideEdit, *, dry_run: bool) -> OverrideChange:
    """Set one listing's override of the channel's rules; with `dry_run`, only say what it moves."""
    _known(channel)
    listing = _listing(sku)
    rules = channel_rules.get(channel)
    before = channel_rules.get_override(channel, sku)
    after = _edited_override(before, edit)
    _fits(rules, after, "min_price")
    link = links.get_many(channel, [sku]).get(sku)
    linked = link is not None and link.status is LinkStatus.LINKED
    moved = moves(of(rules, before, listing), of(rules, after, listing)) if linked else []
    pushed = 0
    if not dry_run:
        channel_rules.put_override(channel, sku, after)
        if moved:
            pushed = rule_changes.apply_moves(channel, [sku])
    return OverrideChange(
        channel=channel,
        sku=sku,
        dry_run=dry_run,
        rules=after,
        checked=int(linked),
        moved_listings=int(bool(moved)),
        moves=[m.__dict__ for m in moved],
        auto_pushed=pushed,
    )


def _edited(rules: Rules, edit: RulesEdit) -> Rules:
    given = {} if edit.clear else rules.given()
    return _validated(Rules, {**given, **_rules_named(edit)})


def _edited_override(override: Override, edit: OverrideEdit) -> Override:
    kept = Override() if edit.clear else override
    named = _rules_named(edit)
    without: tuple[RuleName, ...]
    if "without" in edit.model_fields_set:
        without = edit.without
    else:
        now_set = {name for name, value in named.items() if value is not None}
        without = tuple(name for name in kept.without if now_set.isdisjoint(one_rule(name)))
    gone = fields_of(without)
    given = {name: value for name, value in kept.given().items() if name not in gone}
    return _validated(Override, {**given, **named, "without": without})


def _rules_named(edit: RulesEdit) -> dict[str, Any]:
    """The rules the edit names (null: unset)."""
    return {name: getattr(edit, name) for name in edit.model_fields_set - {"clear", "without"}}


def _validated(model: type[R], given: dict[str, Any]) -> R:
    try:
        return model.model_validate(given)
    except ValidationError as error:
        raise _field_error(error) from None


def _fits(channel: Rules, override: Override, name: str) -> None:
    """A listing's rules, its override on the channel's, are consistent."""
    rules = merged(channel, override)
    low, high = rules.min_price, rules.max_price
    if low is not None and high is not None and low > high:
        raise BadRules(
            name,
            f"the minimum price {low} is over the maximum {high} once the channel's rules and the "
            "listing's override are taken together: lower the minimum or raise the maximum",
        )


def _field_error(error: ValidationError) -> FieldError:
    first = error.errors()[0]
    rule = first.get("ctx", {}).get("error")
    if isinstance(rule, FieldRule):
        return BadRules(rule.field, rule.fix)
    return BadRules(str(first["loc"][0]) if first["loc"] else "body", first["msg"])


def _known(channel: str) -> None:
    if channels.get(channel) is None:
        raise UnknownChannel(channel)


def _listing(sku: str) -> Listing:
    listing = listings.get(sku)
    if listing is None:
        raise UnknownListing(sku)
    return listing


@dataclass(frozen=True)
class ChannelExplained:
    channel: str
    linked: bool
    quantity: int
    price: str | None
    last_pushed_quantity: int | None
    last_observed_price: str | None
    rules: dict[str, Any]
    override: dict[str, Any]
    steps: list[Step] = field(default_factory=list)


def explain(sku: str, channel: str | None) -> list[ChannelExplained]:
    """For each channel (or `channel` alone): every step from on hand to the quantity pushed, and
    from master's price to the price pushed, naming the rule or override of each."""
    listing = _listing(sku)
    if channel is not None:
        _known(channel)
    names = [channel] if channel else sorted(c.name for c in channels.list_all())
    found = []
    for name in names:
        current = channel_rules.for_skus(name, [sku])
        allocation = of(current.rules, current.override(sku), listing)
        found.append(_explained(name, allocation, links.get_many(name, [sku]).get(sku), current, sku))
    return found


def _explained(
    name: str, allocation: Allocation, link: Link | None, current: channel_rules.ChannelRules, sku: str
) -> ChannelExplained:
    return ChannelExplained(
        channel=name,
        linked=link is not None and link.status is LinkStatus.LINKED,
        quantity=allocation.quantity,
        price=None if allocation.price is None else f"{allocation.price:f}",
        last_pushed_quantity=link.last_pushed_quantity if link else None,
        last_observed_price=None
        if link is None or link.last_observed_price is None
        else f"{link.last_observed_price:f}",
        rules=current.rules.model_dump(mode="json", exclude_none=True),
        override=current.override(sku).model_dump(mode="json", exclude_defaults=True),
        steps=list(allocation.steps),
    )
