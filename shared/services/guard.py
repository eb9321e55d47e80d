"""The guard of each channel's syncs: its settings, and the judgement of a checked plan.

A guarded sync runs twice: first as a check (a dry run of itself: master, links and rules read,
nothing sent to the channel), then, if the check's plan is within the guard, as itself; past the
guard it stops as awaiting_confirmation until a person confirms or cancels it (services.jobs). The
check reads what the pushes would read, without a channel call: channel calls are what a sync spends
its time on (their rate limits), so the check costs a sync little of its length.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.domain.fields import FieldError
from shared.domain.guard import Guard, PlanShape, Share, verdict
from shared.domain.job import Job
from shared.storage import channel_rules, channels, link_states


class UnknownGuardChannel(FieldError):
    def __init__(self, name: str) -> None:
        super().__init__("channel", f"no channel named '{name}': see `tidemark channels list`")


class GuardEdit(BaseModel):
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
