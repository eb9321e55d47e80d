"""The template's AWS::Events::Rule resources in moto: the rule on its event bus, with its targets, so
that moto's EventBridge routes what is put on that bus to them (it delivers to SQS targets; moto
5.2.5 applies a target's InputTransformer but not its InputPath). The bus is not the template's: a
partner event bus is associated outside the stack (README), locally by tidemark.local.amazon.

moto 5.2.5 takes an event bus's name as the last "/" segment of what it is given, the way it reads an
ARN: a partner bus's name ("aws.partner/<partner>/<source>") is cut to its last segment and no rule
or event finds it. `install` reads a name whole and an ARN after its "event-bus/".
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.events.models import EventsBackend

    from tidemark.local.deploy import Deployed, _Deployer

_originals: dict[str, Any] = {}


def _bus_name(self: EventsBackend, name_or_arn: str | None) -> str:
    if name_or_arn is None:
        return "default"
    return name_or_arn.split(":event-bus/", 1)[1] if name_or_arn.startswith("arn:") else name_or_arn


def install() -> None:
    from moto.events.models import EventsBackend

    if "normalize" not in _originals:
        _originals["normalize"] = EventsBackend._normalize_event_bus_arn
        EventsBackend._normalize_event_bus_arn = _bus_name  # type: ignore[method-assign, assignment]


def undo() -> None:
    from moto.events.models import EventsBackend

    if "normalize" in _originals:
        EventsBackend._normalize_event_bus_arn = _originals.pop("normalize")  # type: ignore[method-assign]


def put_rule(deployer: _Deployer, logical_id: str, resource: dict[str, Any]) -> Deployed:
    from tidemark.local.deploy import Deployed

    p = deployer.resolve(resource["Properties"])
    name = p.get("Name") or f"{deployer.result.stack_name}-{logical_id}"
    bus = p.get("EventBusName", "default")
    events = deployer.aws("events")
    arn = events.put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=json.dumps(p["EventPattern"]),
        State=p.get("State", "ENABLED"),
        Description=p.get("Description", ""),
    )["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=p.get("Targets", []))
    # CloudFormation's Ref of a rule on a bus other than the default: "<bus>|<rule>"
    ref = name if bus == "default" else f"{bus}|{name}"
    return Deployed(resource["Type"], ref, {"Arn": arn})
