"""A channel's sync schedule: the rates it takes, the one form each is kept in, the modes it runs."""

import pytest
from pydantic import ValidationError

from shared.domain.channel import RATE_FORMS, Schedule, normalize_rate, rate_expression
from shared.domain.job import SyncMode
from shared.services.schedules import ScheduleRequest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "kept", "expression"),
    [
        ("1h", "1h", "rate(1 hour)"),
        ("30m", "30m", "rate(30 minutes)"),
        ("2d", "2d", "rate(2 days)"),
        ("90 minutes", "90m", "rate(90 minutes)"),
        ("1 hour", "1h", "rate(1 hour)"),
        ("1 minute", "1m", "rate(1 minute)"),
        ("60m", "1h", "rate(1 hour)"),
        ("120 mins", "2h", "rate(2 hours)"),
        ("1440m", "1d", "rate(1 day)"),
        (" 5 Min ", "5m", "rate(5 minutes)"),
        ("3 hrs", "3h", "rate(3 hours)"),
        ("365 days", "365d", "rate(365 days)"),
    ],
)
def test_a_rate_is_kept_in_its_largest_whole_unit(given, kept, expression):
    assert normalize_rate(given) == kept
    assert rate_expression(kept) == rate_expression(given) == expression


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("0m", "too often"),
        ("30s", "not a rate"),
        ("1.5h", "not a rate"),
        ("-1h", "not a rate"),
        ("h", "not a rate"),
        ("hourly", "not a rate"),
        ("1 hour 30", "not a rate"),
        ("", "not a rate"),
        ("366d", "too seldom"),
    ],
)
def test_anything_else_is_refused_with_the_forms_it_takes(given, why):
    with pytest.raises(ValueError, match=why) as refused:
        normalize_rate(given)
    assert RATE_FORMS in str(refused.value)


def test_the_default_schedule_is_hourly_smart_and_on():
    assert Schedule() == Schedule(enabled=True, rate="1h", mode=SyncMode.SMART)
    assert Schedule(rate="60 minutes").rate == "1h"


def test_a_schedule_never_runs_a_selected_sync():
    with pytest.raises(ValidationError) as refused:
        Schedule(mode=SyncMode.SELECTED)
    assert [e["loc"] for e in refused.value.errors()] == [("mode",)]


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        ({"rate": "5 fortnights"}, "rate", "30m, 1h, 2d"),
        ({"rate": "0h"}, "rate", "from 1 minute"),
        ({"rate": 5}, "rate", "string"),
        ({"mode": "selected"}, "mode", "full, partial or smart"),
        ({"mode": "sideways"}, "mode", "'full'"),
        ({"enabled": "maybe"}, "enabled", "boolean"),
        ({"state": "off"}, "state", "not permitted"),
    ],
)
def test_a_bad_schedule_request_names_its_field(body, field, hint):
    with pytest.raises(ValidationError) as refused:
        ScheduleRequest.model_validate(body)
    (error,) = refused.value.errors()
    assert error["loc"] == (field,)
    assert hint in error["msg"]


def test_what_a_request_leaves_out_is_none():
    request = ScheduleRequest.model_validate({"rate": "90 minutes"})
    assert (request.rate, request.mode, request.enabled) == ("90m", None, None)
    assert request.model_dump(exclude_none=True) == {"rate": "90m"}
