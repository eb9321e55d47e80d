"""Channels' sync schedules on moto: a channel is added with one, the console API changes it in
EventBridge Scheduler and on the channel, and bad input gets a 4xx naming the field and changes nothing."""

import json
import os

import boto3
import pytest

from tidemark.api_client import ApiError

pytestmark = pytest.mark.integration


def add_shopify_channel(stack, api, name):
    shop = stack.sandboxes["shopify"]
    return api.add_channel(
        {
            "name": name,
            "type": "shopify",
            "store_url": shop.url,
            "allow_insecure_url": True,
            "token": shop.credentials["token"],
        }
    )


def scheduled(stack, name):
    """The channel's schedule as EventBridge Scheduler holds it."""
    return boto3.client("scheduler").get_schedule(GroupName=stack.deployment.schedule_groups[0], Name=name)


def schedule_function(stack):
    return next(f for f in stack.deployment.functions.values() if f.logical_id == "ScheduleFunction")


def test_the_handlers_know_the_schedule_functions_arn(stack):
    assert os.environ["SCHEDULE_FUNCTION_ARN"] == schedule_function(stack).arn
    assert os.environ["SCHEDULER_ROLE_ARN"] == stack.deployment.resources["SchedulerRole"].attributes["Arn"]
    assert os.environ["SCHEDULE_GROUP"] == stack.deployment.schedule_groups[0]


def test_a_channel_is_added_with_an_hourly_smart_schedule_that_invokes_the_schedule_function(stack, api):
    channel = add_shopify_channel(stack, api, "hourly")
    assert channel["schedule"] == {"enabled": True, "rate": "1h", "mode": "smart"}
    assert api.channel("hourly")["schedule"] == channel["schedule"]

    schedule = scheduled(stack, "hourly")
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == schedule_function(stack).arn
    assert target["RoleArn"] == stack.deployment.resources["SchedulerRole"].attributes["Arn"]
    assert json.loads(target["Input"]) == {
        "channel": "hourly",
        "mode": "smart",
        "scheduled_at": "<aws.scheduler.scheduled-time>",  # Scheduler fills the firing's time in
    }


def test_a_schedule_changes_only_what_is_given(stack, api):
    add_shopify_channel(stack, api, "tuned")

    channel = api.set_schedule("tuned", {"rate": "90 minutes", "mode": "full"})
    assert channel["name"] == "tuned"
    assert channel["schedule"] == {"enabled": True, "rate": "90m", "mode": "full"}
    assert scheduled(stack, "tuned")["ScheduleExpression"] == "rate(90 minutes)"
    assert json.loads(scheduled(stack, "tuned")["Target"]["Input"])["mode"] == "full"

    off = api.set_schedule("tuned", {"enabled": False})
    assert off["schedule"] == {"enabled": False, "rate": "90m", "mode": "full"}
    assert scheduled(stack, "tuned")["State"] == "DISABLED"
    assert scheduled(stack, "tuned")["ScheduleExpression"] == "rate(90 minutes)"

    on = api.set_schedule("tuned", {"enabled": True, "rate": "2 days", "mode": "partial"})
    assert on["schedule"] == {"enabled": True, "rate": "2d", "mode": "partial"}
    assert (scheduled(stack, "tuned")["State"], scheduled(stack, "tuned")["ScheduleExpression"]) == (
        "ENABLED",
        "rate(2 days)",
    )
    assert api.channel("tuned") == on


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        ({"rate": "5x"}, "rate", "30m, 1h, 2d, '90 minutes', '1 hour'"),
        ({"rate": "30s"}, "rate", "from 1 minute"),
        ({"rate": "0m"}, "rate", "too often"),
        ({"rate": "1.5h", "mode": "full"}, "rate", "whole number"),
        ({"mode": "selected"}, "mode", "full, partial or smart"),
        ({"mode": "sideways", "rate": "5m"}, "mode", "full"),
        ({"enabled": "maybe"}, "enabled", "boolean"),
        ({"state": "DISABLED"}, "state", "not permitted"),
    ],
)
def test_a_bad_schedule_names_the_field_and_changes_nothing(stack, api, body, field, hint):
    if not any(c["name"] == "fixed" for c in api.channels()):
        add_shopify_channel(stack, api, "fixed")
    before, in_scheduler = api.channel("fixed"), scheduled(stack, "fixed")
    with pytest.raises(ApiError) as refused:
        api.set_schedule("fixed", body)
    assert refused.value.status == 400
    assert refused.value.message.startswith(f"{field}: ") and hint in refused.value.message
    assert [e["field"] for e in refused.value.errors] == [field]
    assert api.channel("fixed") == before
    after = scheduled(stack, "fixed")
    assert (after["ScheduleExpression"], after["State"], after["Target"]) == (
        in_scheduler["ScheduleExpression"],
        in_scheduler["State"],
        in_scheduler["Target"],
    )


def test_the_schedule_of_an_unknown_channel_is_404_and_creates_nothing(stack, api):
    with pytest.raises(ApiError) as missing:
        api.set_schedule("nowhere", {"rate": "1h"})
    assert missing.value.status == 404
    assert "no channel named 'nowhere'" in missing.value.message
    names = boto3.client("scheduler").list_schedules(GroupName=stack.deployment.schedule_groups[0])
    assert "nowhere" not in [s["Name"] for s in names["Schedules"]]


def test_the_openapi_document_has_the_schedule_route(stack, api):
    import httpx

    schema = httpx.get(f"{stack.api_url}/v1/openapi.json").json()
    assert "put" in schema["paths"]["/v1/channels/{name}/schedule"]


def test_the_schedule_function_ignores_a_channel_that_is_gone(stack):
    answer = boto3.client("lambda").invoke(
        FunctionName=schedule_function(stack).arn,
        Payload=json.dumps(
            {"channel": "long-gone", "mode": "full", "scheduled_at": "2026-03-01T10:00:00Z"}
        ).encode(),
    )
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"job_id": None}


def test_the_schedule_function_queues_a_sync_of_the_channel(stack, api):
    add_shopify_channel(stack, api, "fired")
    answer = boto3.client("lambda").invoke(
        FunctionName=schedule_function(stack).arn,
        Payload=json.dumps(
            {"channel": "fired", "mode": "full", "scheduled_at": "2026-03-01T10:00:00Z"}
        ).encode(),
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    job_id = json.loads(answer["Payload"].read())["job_id"]
    job = api.job(job_id)
    assert (job["channel"], job["kind"], job["mode"]) == ("fired", "sync", "full")
    api.wait_for_job(job_id, timeout_s=60)
