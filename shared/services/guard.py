"""The guard of each channel's syncs: its settings, the judgement of a checked plan, and auto sync's
breaker.

A guarded sync runs twice: first as a check (a dry run of itself: master, links and rules read,
nothing sent to the channel), then, if the check's plan is within the guard, as itself; past the
guard it stops as awaiting_confirmation until a person confirms or cancels it (services.jobs). The
check reads what the pushes would read, without a channel call: channel calls are what a sync spends
its time on (their rate limits), so the check costs a sync little of its length.

Auto sync's breaker judges by the same shares over a sliding window of WINDOW_MINUTES: the listings
its pushes sent 0 (and moved) in the last 10 minutes, against the channel's linked listings. Ten
minutes: a bad feed lands within minutes, whether whole or in chunks, while a day of ordinary sales
sells listings out a few an hour, which a window that short never adds up to a share of the catalog.
Past it, the channel's auto pushes pause: each is held (its SKUs kept), nothing is sent, and the
Overview shows it; resuming sends every held listing once, from master as it is then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import ConfigDict, ValidationError

from shared.domain.channel_values import QuantityPush
from shared.domain.fields import FieldError
from shared.domain.guard import Guard, PlanShape, Share, breaker_verdict, verdict, weighed
from shared.domain.job import Job
from shared.domain.link import Link
from shared.domain.messages import PushOrigin
from shared.domain.model import Model
from shared.services import autosync
from shared.storage import channel_rules, channels, link_states


class UnknownGuardChannel(FieldError):
    def __init__(self, name: str) -> None:
        super().__init__("channel", f"no channel named '{name}': see `tidemark channels list`")


class GuardEdit(Model):
    """The guard's settings to change; those not given are kept."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: bool | None = None
    max_zeroed: Share | None = None
    max_changed: Share | None = None


def guard_now(channel: str) -> Guard:
    if channels.get(channel) is None:
        raise UnknownGuardChannel(channel)
    return channel_rules.get_guard(channel)


def set_guard(channel: str, edit: GuardEdit) -> Guard:
    current = guard_now(channel)
    try:
        after = Guard.model_validate({**current.model_dump(), **edit.model_dump(exclude_none=True)})
    except ValidationError as error:  # the edit's own fields are checked already: nothing is left
        raise FieldError("body", str(error)) from None
    channel_rules.put_guard(channel, after)
    return after


def is_on(channel: str) -> bool:
    return channel_rules.get_guard(channel).on


def judge(job: Job) -> str | None:
    """Why the guard stops this checked sync (with the fix), or None when it may push."""
    counted = link_states.counts().get(job.channel)
    linked = counted.linked if counted is not None else 0
    shape = PlanShape(linked=linked, zeroed=job.counts.zeroed, changed=job.counts.moved)
    return verdict(channel_rules.get_guard(job.channel), shape)


WINDOW_MINUTES = 10


def _minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


def admit(channel: str, quantities: Sequence[QuantityPush], links: Mapping[str, Link]) -> bool:
    """Whether auto sync may send these pushes now. Past the breaker (or while it is open) they are
    held for the resume, and False."""
    current = channel_rules.get_guard(channel)
    if not current.on or not quantities:
        return True
    skus = [push.sku for push in quantities]
    if channel_rules.paused(channel) is not None:
        channel_rules.hold(channel, skus)
        return False
    now = datetime.now(UTC)
    zeroed, moved = weighed(quantities, links)
    # counted first, then the window read: pushes at once each see every count added before theirs
    expires = int((now + timedelta(minutes=WINDOW_MINUTES + 5)).timestamp())
    channel_rules.add_to_window(channel, _minute(now), zeroed, moved, expires)
    in_window = channel_rules.window(channel, _minute(now - timedelta(minutes=WINDOW_MINUTES - 1)))
    found = link_states.counts().get(channel)
    linked = found.linked if found else 0
    shape = PlanShape(linked=linked, zeroed=in_window[0], changed=in_window[1])
    reason = breaker_verdict(current, shape, channel, WINDOW_MINUTES)
    if reason is not None:
        channel_rules.hold(channel, skus)
        channel_rules.pause(channel, now.isoformat(), reason)
        return False
    return True


class BreakerState(Model):
    channel: str
    guard: Guard
    paused_at: str | None = None
    paused_reason: str = ""
    held: int = 0


def state(channel: str) -> BreakerState:
    current = guard_now(channel)
    paused = channel_rules.paused(channel)
    held = len(channel_rules.held(channel)) if paused else 0
    return BreakerState(
        channel=channel,
        guard=current,
        paused_at=paused["at"] if paused else None,
        paused_reason=paused["reason"] if paused else "",
        held=held,
    )


def states() -> list[BreakerState]:
    """Every channel's guard and breaker (the Overview)."""
    return [state(c.name) for c in sorted(channels.list_all(), key=lambda c: c.name)]


def resume(channel: str) -> BreakerState:
    """Close the breaker: the window starts over, and every held listing is pushed once, from master
    as it is then (past the breaker: a person resumed it)."""
    guard_now(channel)
    held = channel_rules.held(channel)
    channel_rules.clear_window(channel)
    if held:
        autosync.queue_pushes(held, PushOrigin.RESUMED, channel=channel)
    channel_rules.resume(channel, held)
    return state(channel)
