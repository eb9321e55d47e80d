"""Channels' sync schedules in EventBridge Scheduler: one schedule per channel, named after the
channel, in the stack's schedule group (template.yaml ScheduleGroup). Each invokes ScheduleFunction
with {"channel": <name>, "mode": <sync mode>, "scheduled_at": <the firing's time>}; the settings
(rate, mode, on/off) are also kept on the channel (shared.storage.channels), which is what the
console shows.
"""

from __future__ import annotations

import json
from datetime import datetime

from botocore.exceptions import ClientError

from shared.domain.channel import Schedule, rate_expression
from shared.settings import settings
from shared.storage.aws import client

# EventBridge Scheduler's context attribute: a target's input gets the firing's scheduled time there.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def put(channel: str, schedule: Schedule, *, exists: bool) -> None:
    """Create or replace the channel's schedule (`exists`: which call to try first)."""
    config = settings()
    request = {
        "Name": channel,
        "GroupName": config.schedule_group,
        "Description": f"{schedule.mode} sync of channel {channel} every {schedule.rate}",
        "ScheduleExpression": rate_expression(schedule.rate),
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED" if schedule.enabled else "DISABLED",
        "Target": {
            "Arn": config.schedule_function_arn,
            "RoleArn": config.scheduler_role_arn,
            # Scheduler fills in the firing's time: a firing delivered twice queues one job.
            "Input": json.dumps(
                {"channel": channel, "mode": schedule.mode.value, "scheduled_at": SCHEDULED_TIME}
            ),
        },
    }
    scheduler = client("scheduler")
    first, then = (
        (scheduler.update_schedule, scheduler.create_schedule)
        if exists
        else (scheduler.create_schedule, scheduler.update_schedule)
    )
    try:
        first(**request)
    except ClientError as error:
        # UpdateSchedule of a schedule that is not there, or CreateSchedule of one that is.
        if error.response["Error"]["Code"] not in ("ResourceNotFoundException", "ConflictException"):
            raise
        then(**request)


def last_changed(channel: str) -> datetime | None:
    """When the channel's schedule was last created or changed (its rate counts from then); None
    when it has none."""
    try:
        found = client("scheduler").get_schedule(Name=channel, GroupName=settings().schedule_group)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    changed = found.get("LastModificationDate") or found.get("CreationDate")
    return changed if isinstance(changed, datetime) else None


def delete(channel: str) -> bool:
    """Stop and delete the channel's schedule; False when it had none."""
    try:
        client("scheduler").delete_schedule(Name=channel, GroupName=settings().schedule_group)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return False
        raise
    return True
