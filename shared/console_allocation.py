"""Allocation's routes: a channel's rules, a listing's override of them, and explain. A Powertools
router, included by the console API's handler (as shared/console_views.py is)."""

from dataclasses import asdict
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared import console_api
from shared.console_api import ChannelPath, JobIdPath, SkuPath
from shared.domain.guard import Guard
from shared.services import allocation, guard, jobs
from shared.services.allocation import (
    BadRules,
    OverrideChange,
    OverrideEdit,
    RuleChange,
    RulesEdit,
    UnknownChannel,
    UnknownListing,
)
from shared.services.guard import BreakerState, GuardEdit, UnknownGuardChannel

router = Router()  # type: ignore[no-untyped-call]

DryRun = Annotated[
    bool, Query(description="say what the rules would move for each linked listing; save nothing")
]
ExplainChannel = Annotated[
    str | None,
    Query(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="one channel (default: every channel)"),
]


@router.exception_handler([UnknownChannel, UnknownListing, BadRules, UnknownGuardChannel])  # type: ignore[untyped-decorator]
def _refused(error: UnknownChannel | UnknownListing | BadRules | UnknownGuardChannel) -> Response[Any]:
    if (
        isinstance(error, UnknownChannel | UnknownGuardChannel)
        and "/explain" not in router.current_event.path
    ):
        error.field = (
            "name"  # the channel is the route's path parameter `name` (explain: its query's `channel`)
        )
    return console_api.field_error(400 if isinstance(error, BadRules) else 404, error)


@router.get("/v1/channels/<name>/rules", summary="A channel's allocation rules (quantity and price)")
def show_channel_rules(name: ChannelPath) -> dict[str, Any]:
    return {"channel": name, "rules": allocation.channel_rules_now(name).model_dump(mode="json")}


@router.patch(
    "/v1/channels/<name>/rules",
    summary="Set a channel's allocation rules (null clears one; clear: true starts over); dry_run: "
    "what each linked listing would get, from and to, nothing saved",
)
def edit_channel_rules(name: ChannelPath, edit: RulesEdit, dry_run: DryRun = False) -> RuleChange:
    return allocation.set_channel_rules(name, edit, dry_run=dry_run)


@router.get(
    "/v1/listings/<sku>/channels/<name>/rules",
    summary="A listing's override of one channel's allocation rules",
)
def show_override(sku: SkuPath, name: ChannelPath) -> dict[str, Any]:
    rules = allocation.override_now(sku, name)
    return {"sku": sku, "channel": name, "rules": rules.model_dump(mode="json")}


@router.patch(
    "/v1/listings/<sku>/channels/<name>/rules",
    summary="Override a channel's allocation rules for one listing (null clears one; clear: true "
    "drops the override; without: the channel's rules it does without); dry_run: what it would move, "
    "nothing saved",
)
def edit_override(
    sku: SkuPath, name: ChannelPath, edit: OverrideEdit, dry_run: DryRun = False
) -> OverrideChange:
    return allocation.set_override(sku, name, edit, dry_run=dry_run)


@router.get(
    "/v1/listings/<sku>/explain",
    summary="Why this number: every step from on hand to the quantity pushed and from price to the "
    "price pushed, per channel, naming each rule and override",
)
def explain(sku: SkuPath, channel: ExplainChannel = None) -> dict[str, Any]:
    return {"sku": sku, "channels": [asdict(found) for found in allocation.explain(sku, channel)]}


@router.get(
    "/v1/channels/<name>/guard", summary="A channel's guard: on, and the shares of linked listings it allows"
)
def show_guard(name: ChannelPath) -> Guard:
    return guard.guard_now(name)


@router.patch(
    "/v1/channels/<name>/guard",
    summary="Set a channel's guard: on or off, the share of linked listings a sync may send 0 "
    "(max_zeroed) or change (max_changed), in percent",
)
def edit_guard(name: ChannelPath, edit: GuardEdit) -> Guard:
    return guard.set_guard(name, edit)


@router.get(
    "/v1/guard",
    summary="Every channel's guard and auto sync's breaker: paused (when, why, how many pushes held) or not",
)
def show_breakers() -> list[BreakerState]:
    return guard.states()


@router.post(
    "/v1/channels/<name>/guard/resume",
    summary="Resume a channel's auto sync the breaker paused: every held push is sent once, from master now",
)
def resume_auto_sync(name: ChannelPath) -> BreakerState:
    return guard.resume(name)


@router.post(
    "/v1/jobs/<job_id>/confirm",
    summary="Run a sync the guard stopped (awaiting_confirmation): it pushes, from master as it is then",
)
def confirm_job(job_id: JobIdPath) -> dict[str, Any]:
    return jobs.confirm(job_id).model_dump(mode="json")
