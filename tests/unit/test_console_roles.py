"""The roles the console API enforces on the claims API Gateway's JWT authorizer passed on."""

import io
import json
import logging

import pytest

from shared.console_roles import caller, refusal, refused

pytestmark = pytest.mark.unit

VIEWER_REFUSAL = (403, "your role (viewer) reads only: ask an operator")


def event(claims=None):
    context = {"http": {"method": "GET", "path": "/v1/channels"}}
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {"requestContext": context}


def access(groups):
    return {"username": "ana", "sub": "s-1", "token_use": "access", "cognito:groups": groups}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [("[operator]", {"operator"}), ("[operator viewer]", {"operator", "viewer"}), (["viewer"], {"viewer"})],
)
def test_groups_are_read_as_api_gateway_writes_them_and_as_a_list(groups, expected):
    assert caller(event(access(groups))).groups == expected


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"])
def test_an_operator_does_everything(method):
    assert refusal(method, "/v1/channels", caller(event(access("[operator]")))) is None
    assert refusal(method, "/v1/channels", caller(event(access("[viewer operator]")))) is None


@pytest.mark.parametrize(("method", "expected"), [("GET", None), ("HEAD", None), ("POST", VIEWER_REFUSAL)])
def test_a_viewer_reads_only(method, expected):
    assert refusal(method, "/v1/jobs", caller(event(access("[viewer]")))) == expected


def test_no_group_no_claims_or_an_id_token_is_refused_but_the_open_routes_are_open():
    assert refusal("GET", "/v1/jobs", caller(event(access(None))))[0] == 403
    assert refusal("GET", "/v1/jobs", caller(event()))[0] == 401
    assert refusal("GET", "/v1/jobs", caller(event({**access("[operator]"), "token_use": "id"})))[0] == 401
    assert refusal("GET", "/v1/auth/config", None) is None
    assert refusal("GET", "/v1/openapi.json", None) is None
    assert refusal("POST", "/v1/auth/config", None)[0] == 401


def test_a_refusal_is_the_console_apis_message():
    answer = refused(*VIEWER_REFUSAL)
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"]) == {"message": VIEWER_REFUSAL[1]}


def test_a_refusal_logs_who_called_and_never_the_token():
    from shared import console_roles

    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(console_roles.logger.registered_formatter)
    console_roles.logger.addHandler(handler)
    console_roles.logger.setLevel("INFO")
    request = event(access("[viewer]"))
    request["requestContext"]["http"]["method"] = "POST"
    request["headers"] = {"authorization": "Bearer eyJ-the-token"}
    try:
        assert console_roles.refusal_answer(request)["statusCode"] == 403
    finally:
        console_roles.forget_caller()
        console_roles.logger.removeHandler(handler)
    (line,) = [json.loads(line) for line in written.getvalue().splitlines()]
    assert (line["username"], line["sub"], line["groups"], line["status"]) == ("ana", "s-1", ["viewer"], 403)
    assert "eyJ" not in json.dumps(line)
