"""Errors carry their field and fix as data (shared/domain/fields.py): the API names the field from
them, never from a message split at its first colon."""

import json

import pytest
from pydantic import ValidationError

from shared import console_api
from shared.domain.fields import FieldError, FieldRule
from shared.domain.selection import FilterError, ListingFilter
from shared.services.jobs import JobConflict, JobRequest, UnknownSkus
from shared.storage.items import BadCursor, decode_cursor

pytestmark = pytest.mark.unit


def test_each_error_names_its_field_and_fix() -> None:
    unknown = UnknownSkus(["A", "B"], field="sku")
    assert (unknown.field, str(unknown)) == ("sku", f"sku: {unknown.fix}")
    assert unknown.fix.startswith("no listing with SKU 'A', 'B'")
    conflict = JobConflict("job_id", "job J is done: only a queued job can be prioritized")
    assert (conflict.field, conflict.fix) == ("job_id", "job J is done: only a queued job can be prioritized")
    with pytest.raises(FilterError) as bad_filter:
        ListingFilter.parse(["colour=red"])
    assert bad_filter.value.field == "filters" and bad_filter.value.fix.startswith(
        "'colour=red': unknown filter"
    )
    with pytest.raises(BadCursor) as bad_cursor:
        decode_cursor("not-a-cursor")
    assert bad_cursor.value.field == "cursor" and isinstance(bad_cursor.value, FieldError)


def test_a_job_requests_own_checks_name_mode_and_skus() -> None:
    for body, field in (
        ({"channel": "c", "kind": "sync"}, "mode"),
        ({"channel": "c", "kind": "link", "mode": "full"}, "mode"),
        ({"channel": "c", "kind": "sync", "mode": "selected"}, "skus"),
        ({"channel": "c", "kind": "sync", "mode": "full", "skus": ["A"]}, "skus"),
        ({"channel": "c", "kind": "auto_sync"}, "kind"),
        ({"channel": "c", "kind": "rules"}, "kind"),  # a rule change starts it, with the rules
    ):
        with pytest.raises(ValidationError) as refused:
            JobRequest.model_validate(body)
        rule = refused.value.errors()[0]["ctx"]["error"]
        assert isinstance(rule, FieldRule) and rule.field == field and str(rule) == rule.fix


def test_the_api_answers_the_field_and_the_fix_of_the_error() -> None:
    raised = FieldError("cursor", "not a cursor this API gave out: pass the `next` of the previous page")
    response = console_api.field_error(400, raised)
    body = response.body if isinstance(response.body, dict) else json.loads(response.body)
    assert body == {
        "message": str(raised),
        "errors": [{"field": "cursor", "message": raised.fix}],
    }
