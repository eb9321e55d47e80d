"""Who may do what on the console API. API Gateway's JWT authorizer has verified the Cognito access
token before the function runs and put its claims in requestContext.authorizer.jwt.claims (every
value a string: `cognito:groups` is "[operator viewer]"); here the caller's group decides:
operator -> everything, viewer -> GET and HEAD only, no group -> nothing. A refusal changes
nothing: it is answered before any route runs.

`GET /v1/openapi.json` and `GET /v1/auth/config` are open (the template gives them no authorizer).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Router

OPEN_ROUTES = frozenset({("GET", "/v1/openapi.json"), ("GET", "/v1/auth/config")})
READS = frozenset({"GET", "HEAD"})
OPERATOR, VIEWER = "operator", "viewer"
logger = Logger()
router = Router()  # type: ignore[no-untyped-call]
ACCESS_TOKEN = "access"  # noqa: S105 - the claim token_use of an access token, not a secret


@dataclass(frozen=True)
class Caller:
    username: str
    sub: str
    groups: frozenset[str]
    token_use: str


def caller(event: Mapping[str, Any]) -> Caller | None:
    """The signed-in caller the authorizer verified, or None on a request that carries no claims."""
    claims = (event.get("requestContext", {}).get("authorizer") or {}).get("jwt", {}).get("claims")
    if not isinstance(claims, dict):
        return None
    return Caller(
        username=str(claims.get("username") or claims.get("cognito:username") or ""),
        sub=str(claims.get("sub", "")),
        groups=frozenset(_groups(claims.get("cognito:groups"))),
        token_use=str(claims.get("token_use", "")),
    )


def _groups(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.strip().removeprefix("[").removesuffix("]").replace(",", " ").split()
    return []


def refusal(method: str, path: str, who: Caller | None) -> tuple[int, str] | None:
    """(status, message) when `who` may not make this request; None when it may."""
    if (method, path) in OPEN_ROUTES:
        return None
    if who is None:
        return 401, "not signed in: send 'Authorization: Bearer <access token>' (tidemark login)"
    if who.token_use != ACCESS_TOKEN:
        return 401, f"send the access token, not the {who.token_use or 'unknown'} token"
    if OPERATOR in who.groups:
        return None
    if VIEWER in who.groups:
        return None if method in READS else (403, f"your role ({VIEWER}) reads only: ask an operator")
    return 403, "you are in no group (operator or viewer): ask an administrator to add you to one"


def refusal_answer(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The answer refusing the event's caller, or None when the request may go on to its route. Who
    called (username, sub, groups; never the token) is added to every log line of the request, until
    forget_caller()."""
    who = caller(event)
    if who is not None:  # this thread's only: locally, other functions log in other threads of one process
        logger.thread_safe_append_keys(username=who.username, sub=who.sub, groups=sorted(who.groups))
    http = event["requestContext"]["http"]
    found = refusal(http["method"], event.get("rawPath") or http["path"], who)
    if found is None:
        return None
    logger.info("request refused", extra={"status": found[0], "method": http["method"], "path": http["path"]})
    return refused(*found)


def forget_caller() -> None:
    logger.thread_safe_remove_keys(["username", "sub", "groups"])


def refused(status: int, message: str) -> dict[str, Any]:
    """An API Gateway (payload 2.0) answer of a refusal: the console API's {"message"} body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message}),
        "isBase64Encoded": False,
    }


@router.get(
    "/v1/auth/config", summary="What a client signs in with (open): user pool, app client, Cognito URL"
)
def auth_config() -> dict[str, str]:
    """What a client signs in with: the user pool, its app client, and Cognito's endpoint (on the
    laptop, the local runtime's: COGNITO_URL)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return {
        "region": region,
        "user_pool_id": os.environ["USER_POOL_ID"],
        "client_id": os.environ["USER_POOL_CLIENT_ID"],
        "cognito_url": os.environ.get("COGNITO_URL") or f"https://cognito-idp.{region}.amazonaws.com/",
    }
