"""EventBridge Scheduler on the laptop: moto stores schedules but never fires them; this does.

Every schedule in the template's schedule groups is read from moto (so schedules created at
run time, like a channel's sync schedule, are seen) and its target is started when it is due.
Between looks the runner waits until the next schedule is due or one is created, changed or
deleted (moto's Scheduler calls, wrapped here), at most MOST_WAIT_S: it looked every second.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto.scheduler.models import EventBridgeSchedulerBackend

from tidemark.local.streams import Notices

log = logging.getLogger(__name__)

MOST_WAIT_S = 30.0
RETRY_S = 1.0
CHANGED = Notices()  # a schedule created, updated or deleted
_CHANGES = ("create_schedule", "update_schedule", "delete_schedule", "delete_schedule_group")


def _noting_changes(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        answer = method(*args, **kwargs)
        CHANGED.note()
        return answer

    call.notes_changes = True  # type: ignore[attr-defined]
    return call


def _install_change_notes() -> None:
    for name in _CHANGES:
        method = getattr(EventBridgeSchedulerBackend, name)
        if not getattr(method, "notes_changes", False):
            setattr(EventBridgeSchedulerBackend, name, _noting_changes(method))


_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: str) -> float | None:
    """Seconds between firings of `rate(N unit)`; None for expressions local mode does not fire."""
    match = re.fullmatch(r"rate\((\d+)\s+(minutes?|hours?|days?)\)", expression.strip())
    return int(match.group(1)) * _UNITS[match.group(2)] if match else None


class ScheduleRunner:
    def __init__(self, groups: list[str], region: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.groups = groups
        self._scheduler = boto3.client("scheduler", region_name=region)
        self._states = boto3.client("stepfunctions", region_name=region)
        self._lambda = boto3.client("lambda", region_name=region)
        self._clock = clock
        # (group, name) -> the expression it was due by and when it is next due
        self._next_due: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self.fired: list[str] = []
        _install_change_notes()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        CHANGED.wake()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            seen = CHANGED.count  # before the look: a change made during it ends the wait at once
            try:
                self.tick()
                wait = self._until_due()
            except Exception:
                log.exception("firing schedules failed; trying again in a second")
                wait = RETRY_S
            CHANGED.wait_past(seen, wait, self._stop)

    def _until_due(self) -> float:
        with self._lock:
            dues = [due for _, due in self._next_due.values()]
        return max(0.0, min([MOST_WAIT_S, *(due - self._clock() for due in dues)]))

    def tick(self, later_by: timedelta = timedelta(0)) -> list[str]:
        """Fire every schedule that is due (as if `later_by` had passed); returns their names."""
        with self._lock:
            return self._fire_due(later_by)

    def _fire_due(self, later_by: timedelta) -> list[str]:
        real = self._clock()  # one reading: a schedule seen first now is due `every` after it
        now = real + later_by.total_seconds()
        fired = []
        seen = set()
        for group in self.groups:
            for summary in self._scheduler.list_schedules(GroupName=group).get("Schedules", []):
                schedule = self._scheduler.get_schedule(GroupName=group, Name=summary["Name"])
                key = (group, schedule["Name"])
                seen.add(key)
                expression = schedule["ScheduleExpression"]
                every = rate_seconds(expression)
                if schedule.get("State") == "DISABLED" or every is None:
                    self._next_due.pop(key, None)
                    continue
                # A new schedule, one enabled again or given a new rate starts its period now.
                known, due = self._next_due.get(key, ("", 0.0))
                if known != expression:
                    due = real + every
                    self._next_due[key] = (expression, due)
                if now >= due:
                    self._fire(schedule["Target"], schedule["Name"])
                    self._next_due[key] = (expression, now + every)
                    fired.append(schedule["Name"])
        for gone in set(self._next_due) - seen:
            del self._next_due[gone]
        self.fired.extend(fired)
        return fired

    def _fire(self, target: dict[str, Any], name: str) -> None:
        # the context attribute Scheduler fills in (the firing's time, whole seconds, as it does)
        scheduled_time = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        arn = target["Arn"]
        payload = target.get("Input", "{}").replace("<aws.scheduler.scheduled-time>", scheduled_time)
        if ":states:" in arn:
            self._states.start_execution(
                stateMachineArn=arn, name=f"{name}-{uuid.uuid4().hex[:12]}", input=payload
            )
        elif ":lambda:" in arn:
            self._lambda.invoke(FunctionName=arn, InvocationType="Event", Payload=payload.encode())
        else:
            raise ValueError(f"schedule {name}: local mode cannot fire a target {arn}")
