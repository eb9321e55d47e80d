"""The stack's CloudWatch alarms (template.yaml; local mode deploys them into moto), as the
console's Overview shows them.

Access pattern: DescribeAlarms by the stack's name prefix (ALARM_PREFIX, set on the API function),
a page of up to 100 at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from shared.storage.aws import client


@dataclass(frozen=True)
class Alarm:
    name: str
    state: str  # OK, ALARM or INSUFFICIENT_DATA
    reason: str
    description: str
    changed_at: datetime | None


def alarms() -> list[Alarm]:
    """Every alarm of the stack, by name; none when the function has no ALARM_PREFIX."""
    prefix = os.environ.get("ALARM_PREFIX", "")
    if not prefix:
        return []
    found: list[Alarm] = []
    for page in (
        client("cloudwatch")
        .get_paginator("describe_alarms")
        .paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    ):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            found.append(
                Alarm(
                    name=alarm["AlarmName"],
                    state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
                    reason=alarm.get("StateReason", ""),
                    description=alarm.get("AlarmDescription", ""),
                    changed_at=alarm.get("StateUpdatedTimestamp"),
                )
            )
    return sorted(found, key=lambda a: a.name)
