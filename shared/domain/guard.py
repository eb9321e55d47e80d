"""The guard: a sync that would empty a store stops before its first push and waits for a person.

A sync whose plan would send 0 to more than `max_zeroed` percent of the channel's linked listings,
or change the quantity of more than `max_changed` percent of them, stops as awaiting_confirmation
with its plan readable. It judges what Tidemark would send against what Tidemark sent each listing
last (where it never sent one, what the channel was last seen to hold: a first sync is judged by the
same numbers), not what the channel did: a channel a plugin reset to zero is restored by a partial
sync, which sends what was sent before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from shared.domain.channel_values import QuantityPush
from shared.domain.link import Link
from shared.domain.model import Model

Share = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class Guard(Model):
    """A channel's guard: on by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: bool = True
    max_zeroed: Share = Field(default=Decimal(50), description="percent of linked listings sent 0, at most")
    max_changed: Share = Field(default=Decimal(80), description="percent of linked listings changed, at most")


class GuardPass(StrEnum):
    """Where a sync job is with its guard: not looked at yet, its plan being checked (a dry run of
    the same sync), passed (its pushes run), confirmed by a person after it stopped."""

    NONE = "none"
    CHECKING = "checking"
    PASSED = "passed"
    CONFIRMED = "confirmed"
    OFF = "off"  # the channel's guard was off when it began


def baseline(link: Link) -> int | None:
    """What a listing's planned quantity is weighed against: what Tidemark last sent it, or (never
    sent) what the channel was last seen to hold."""
    return link.last_pushed_quantity if link.last_pushed_quantity is not None else link.last_observed_quantity


def weighed(quantities: Sequence[QuantityPush], links: Mapping[str, Link]) -> tuple[int, int]:
    """(zeroed, moved): the planned quantities that are 0 where the baseline was not, and those
    that differ from their baseline."""
    zeroed = moved = 0
    for push in quantities:
        base = baseline(links[push.sku])
        zeroed += push.quantity == 0 and base != 0
        moved += push.quantity != base
    return zeroed, moved


@dataclass(frozen=True)
class PlanShape:
    """What a checked plan would do, over the channel's linked listings."""

    linked: int
    zeroed: int  # listings a push would send 0 that were sent (or held) more
    changed: int  # listings whose quantity a push would change from what was sent (or held)


def breaches(guard: Guard, shape: PlanShape) -> list[str]:
    """Each share past the guard, in words ("send 0 to 6 of 10 linked listings (60 %, over ...)")."""
    if not guard.on or shape.linked <= 0:
        return []
    zeroed = Decimal(shape.zeroed) * 100 / shape.linked
    changed = Decimal(shape.changed) * 100 / shape.linked
    found = []
    if zeroed > guard.max_zeroed:
        found.append(
            f"send 0 to {shape.zeroed} of {shape.linked} linked listings "
            f"({zeroed:.0f} %, over the guard's {guard.max_zeroed:f} %)"
        )
    if changed > guard.max_changed:
        found.append(
            f"change {shape.changed} of {shape.linked} linked listings "
            f"({changed:.0f} %, over the guard's {guard.max_changed:f} %)"
        )
    return found


def verdict(guard: Guard, shape: PlanShape) -> str | None:
    """Why the guard stops the sync (with the fix), or None when it may run."""
    found = breaches(guard, shape)
    if not found:
        return None
    return (
        f"stopped by the guard before its first push: it would {'; and it would '.join(found)}. Read "
        "its plan (`tidemark jobs plan ID`), then `tidemark jobs confirm ID` runs it or `tidemark jobs "
        "cancel ID` drops it"
    )


def breaker_verdict(guard: Guard, shape: PlanShape, channel: str, minutes: int) -> str | None:
    """Why auto sync's breaker pauses the channel's auto pushes (with the fix), or None."""
    found = breaches(guard, shape)
    if not found:
        return None
    return (
        f"auto sync paused: in {minutes} minutes its pushes would {'; and would '.join(found)}. They are "
        f"held, none lost: resume with `tidemark channels guard {channel} --resume` (or the Overview)"
    )
