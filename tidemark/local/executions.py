"""EventBridge's Step Functions execution status changes, delivered to the template's rules.

moto runs executions but emits no events for them and never fires a rule (../shared/MOTO.md).
Local mode looks at every state machine's executions and, for each one that reached a status a
rule asks for, invokes the rule's function with the event EventBridge would send. As EventBridge
does, at least once: an invocation that fails is made again at the next look, up to MAX_ATTEMPTS.
It looks every LOOK_EVERY_S while an execution runs or an event waits to be delivered again;
otherwise it waits until moto starts an execution (its start_execution, wrapped here), at most
IDLE_WAIT_S: its looks twice a second were a third of an idle runtime's CPU (issue 22).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3

from tidemark.local.deploy import EventRule
from tidemark.local.streams import Notices, matches
from tidemark.local.template import ACCOUNT_ID

log = logging.getLogger(__name__)

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
LOOK_EVERY_S = 0.5
IDLE_WAIT_S = 30.0
STARTED = Notices()  # an execution started


def _noting_starts(method: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        answer = method(*args, **kwargs)
        STARTED.note()
        return answer

    call.notes_starts = True  # type: ignore[attr-defined]
    return call


def _install_start_notes() -> None:
    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    for backend in (StepFunctionBackend, StepFunctionsParserBackend):
        method = vars(backend).get("start_execution")
        if method is not None and not getattr(method, "notes_starts", False):
            backend.start_execution = _noting_starts(method)  # type: ignore[method-assign]


MAX_ATTEMPTS = 5


class ExecutionEvents:
    def __init__(self, rules: list[EventRule], region: str) -> None:
        self.rules = [
            rule
            for rule in rules
            if matches(rule.pattern.get("source", [SOURCE]), SOURCE)
            and matches(rule.pattern.get("detail-type", [DETAIL_TYPE]), DETAIL_TYPE)
        ]
        self._statuses = _ended_statuses(self.rules)
        self.delivered = 0
        self._region = region
        self._sfn = boto3.client("stepfunctions", region_name=region)
        self._lambda = boto3.client("lambda", region_name=region)
        self._done: set[str] = set()  # executions whose event every matching rule took
        self._attempts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="execution-events", daemon=True)
        _install_start_notes()

    def start(self) -> None:
        if self.rules:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        STARTED.wake()
        if self._thread.is_alive():
            self._thread.join(timeout=35)

    def _work(self) -> None:
        while not self._stop.is_set():
            seen = STARTED.count  # before the look: one started during it ends the wait at once
            try:
                busy = self.look()
            except Exception:  # the next look tries again
                log.exception("could not look at the state machines' executions")
                busy = True
            if busy:
                self._stop.wait(LOOK_EVERY_S)
            else:
                STARTED.wait_past(seen, IDLE_WAIT_S, self._stop)

    def look(self) -> bool:
        """Deliver the event of every execution that reached a status a rule asks for; True while
        an execution runs or an event is left to deliver again."""
        machines = [
            machine["stateMachineArn"]
            for page in self._sfn.get_paginator("list_state_machines").paginate()
            for machine in page["stateMachines"]
        ]
        busy = False
        for machine in machines:
            # running ones first: one that ends meanwhile is then listed ended, or seen running
            busy = any(True for _ in self._executions(machine, "RUNNING")) or busy
            for status in sorted(self._statuses):
                for arn in self._executions(machine, status):
                    if arn not in self._done:
                        busy = not self._deliver(arn) or busy
        return busy

    def _executions(self, machine: str, status: str) -> Iterator[str]:
        pages = self._sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine, statusFilter=status
        )
        return (execution["executionArn"] for page in pages for execution in page["executions"])

    def _deliver(self, execution_arn: str) -> bool:
        """False when it is to be delivered again."""
        event = self._event(self._sfn.describe_execution(executionArn=execution_arn))
        wanted = [rule for rule in self.rules if matches(rule.pattern, event)]
        failed = [rule for rule in wanted if not self._invoke(rule, event)]
        self._attempts[execution_arn] += 1
        if not failed:
            self._done.add(execution_arn)
            return True
        if self._attempts[execution_arn] >= MAX_ATTEMPTS:
            log.error(
                "gave up delivering an execution's status change after %d attempts: %s",
                MAX_ATTEMPTS,
                json.dumps(event["detail"], default=str),
            )
            self._done.add(execution_arn)
            return True
        return False

    def _invoke(self, rule: EventRule, event: dict[str, Any]) -> bool:
        answer = self._lambda.invoke(FunctionName=rule.function, Payload=json.dumps(event).encode())
        if answer.get("FunctionError"):
            told = answer["Payload"].read()
            log.warning("%s failed on an execution's status change: %s", rule.function, told)
            return False
        self.delivered += 1
        return True

    def _event(self, execution: dict[str, Any]) -> dict[str, Any]:
        def millis(at: datetime | None) -> int | None:
            return int(at.timestamp() * 1000) if at else None

        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [execution["executionArn"]],
            "detail": {
                "executionArn": execution["executionArn"],
                "stateMachineArn": execution["stateMachineArn"],
                "name": execution["name"],
                "status": execution["status"],
                "startDate": millis(execution.get("startDate")),
                "stopDate": millis(execution.get("stopDate")),
                "input": execution.get("input"),
                "output": execution.get("output"),
                "error": execution.get("error"),
                "cause": execution.get("cause"),
            },
        }


def _ended_statuses(rules: list[EventRule]) -> set[str]:
    """The ended statuses some rule asks for (all of them if one does not say)."""
    asked: set[str] = set()
    for rule in rules:
        asked.update(rule.pattern.get("detail", {}).get("status", ENDED))
    return asked & set(ENDED)
