"""The console API's HTTP conventions, around Powertools' resolver: every refusal is
{"message", "errors": [{"field", "message"}, ...]} naming the field at fault (the API's own
4xx and Powertools' alike), bodies are JSON only, a path parameter takes any character but "/",
and the OpenAPI document says so."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import console_roles
from shared.domain.fields import FieldError as FieldError  # noqa: PLC0414 (re-exported for the handler)

# Path and query values checked against their models' own limits before they become keys (a longer
# one reached DynamoDB, past its key sizes, and came back a 500).
SkuPath = Annotated[
    str, Path(min_length=1, max_length=255, description="a listing's SKU (1 to 255 characters)")
]
ChannelPath = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="a channel's name: lower-case letters, digits, dashes",
    ),
]
JobIdPath = Annotated[str, Path(min_length=1, max_length=64, description="a job's id")]
ChannelQuery = Annotated[
    str | None, Query(min_length=1, max_length=64, description="a channel, or _listings (jobs over listings)")
]

# Where Powertools says a validation error was, before the field's own path.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class _JsonBodies(OpenAPIRequestValidationMiddleware):
    """Bodies are JSON only, as the document says: Powertools would also parse forms, and answered a
    multipart type without its boundary, or a body that is not UTF-8, with a 500."""

    def _get_body(self, app: Any) -> dict[str, Any]:
        given = app.current_event.headers.get("content-type", "").strip()
        if given and not given.lower().startswith("application/json"):
            raise RequestUnsupportedContentType("Unsupported content type", errors=[])
        try:
            body: dict[str, Any] = super()._get_body(app)
        except UnicodeDecodeError as error:
            broken = {"type": "json_invalid", "loc": ("body", error.start), "msg": "not UTF-8", "input": {}}
            raise RequestValidationError([broken]) from error
        return body


class ConsoleResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, validating, with JSON bodies only; a path parameter takes any
    character but "/": a SKU may hold "©" or a quote, which Powertools' router (URI-safe characters
    only) would answer 404 for, though the listing exists. The caller's role is checked before
    anything else (shared/console_roles.py), and GET /v1/auth/config is served."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        self._request_validation_middleware = _JsonBodies()  # type: ignore[no-untyped-call]
        self.include_router(console_roles.router)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            refused = console_roles.refusal_answer(event)
            return refused if refused is not None else super().resolve(event, context)
        finally:
            console_roles.forget_caller()

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}$") -> re.Pattern[str]:
        return re.compile(base_regex.format(re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule)))


def error(
    status: int,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def field_error(status: int, raised: FieldError) -> Response[Any]:
    """An error naming the field at fault and its fix."""
    return error(status, str(raised), [{"field": raised.field, "message": raised.fix}])


def invalid_request(problems: Sequence[Any]) -> Response[Any]:
    """400 naming each field, from Powertools' (pydantic's) validation errors."""
    errors = []
    for e in problems:
        if e["type"] == "json_invalid":  # its location is the character where the JSON broke
            errors.append({"field": "body", "message": f"not JSON ({e['msg']}): send a JSON object"})
            continue
        rule = e.get("ctx", {}).get("error")  # a rule across fields (FieldRule) names its own
        if isinstance(rule, FieldError):
            errors.append({"field": rule.field, "message": rule.fix})
        else:
            errors.append({"field": field_of(e["loc"]), "message": e["msg"]})
    return error(400, "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def field_of(loc: Sequence[Any]) -> str:
    """The field a validation error's location names, without where it was ("body", "query"...):
    ("query", "limit") -> "limit"; ("body", "priorities", 0) -> "priorities.0"; ("body",) -> "body"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def not_json(content_type: str) -> Response[Any]:
    problem = f"send the body as application/json, not {content_type}"
    return error(415, f"content-type: {problem}", [{"field": "content-type", "message": problem}])


def not_found(raised: NotFoundError, method: str, path: str, document: dict[str, Any]) -> Response[Any]:
    """A route's own 404 says what is not there; a path with no route for the method: 405 naming the
    methods it has, or 404 naming the path."""
    if raised.msg != NotFoundError().msg:
        return error(404, str(raised.msg))
    allowed = methods_of(path, document)
    if not allowed:
        return error(404, f"no route {method} {path}: see /v1/openapi.json")
    use = f"{method}: use {', '.join(allowed)}"
    return error(
        405,
        f"{path} does not take {use}",
        [{"field": "method", "message": use}],
        {"Allow": ", ".join(allowed)},
    )


def methods_of(path: str, document: dict[str, Any]) -> list[str]:
    for template, operations in document["paths"].items():
        parts = re.split(r"(\{[^}]+\})", template)
        if re.fullmatch("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts), path):
            return sorted(method.upper() for method in operations)
    return []


# What every refusal answers (Powertools documents a 422 of its own shape, which this API never sends).
ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "description": "what is wrong and the fix"},
        "errors": {
            "type": "array",
            "description": "each field at fault: a body property, a parameter, a header or a CSV column",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "line": {"type": "integer", "description": "the CSV line, for a file's rows"},
                },
            },
        },
    },
}
REFUSED = {
    "description": "Refused (nothing changed): `errors` names each field at fault and the fix",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}

# The import's body, which the route reads raw.
CSV_BODY = {
    "required": True,
    "content": {"text/csv": {"schema": {"type": "string", "description": "a header row, then rows"}}},
}


def with_refusals(document: dict[str, Any]) -> dict[str, Any]:
    """The document Powertools generates, with the refusals this API answers instead of its 422."""
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
            operation["responses"]["4XX"] = REFUSED
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        components.pop(unused, None)
    components["Error"] = ERROR_SCHEMA
    return document
