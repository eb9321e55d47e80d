"""A channel's sync schedule: how often (rate), which sync (mode), on or off."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.domain.channel import RATE_FORMS, Channel, Rate, Schedule, ScheduleMode
from shared.domain.model import Model
from shared.services.channels import UnknownChannel
from shared.storage import channels, schedules


class ScheduleRequest(Model):
    """What to change on a channel's schedule; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    rate: Rate | None = Field(default=None, description=f"how often: {RATE_FORMS}")
    mode: ScheduleMode | None = Field(default=None, description="full, partial or smart")
    enabled: bool | None = Field(default=None, description="false stops the schedule, true starts it again")


def set_schedule(channel_name: str, request: ScheduleRequest) -> Channel:
    """Change the channel's schedule in EventBridge Scheduler, then on the channel. A request that
    is refused (unknown channel, a bad rate or mode) changes nothing."""
    channel = channels.get(channel_name)
    if channel is None:
        raise UnknownChannel(channel_name)
    current = channel.schedule or Schedule()
    schedule = current.model_copy(update=request.model_dump(exclude_none=True))
    schedules.put(channel.name, schedule, exists=channel.schedule is not None)
    if not channels.save_schedule(channel.name, schedule):
        raise UnknownChannel(channel_name)
    return channel.model_copy(update={"schedule": schedule})
