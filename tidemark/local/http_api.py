"""The HTTP API on 127.0.0.1: each request becomes an API Gateway HTTP API (payload 2.0) event.

Routes come from the functions' HttpApi events in the template. As API Gateway does, the most
specific route wins: literal segments before {parameters}, and {proxy+} last. Outside /v1 it serves
the console's web page (tidemark/local/console_files.py). A route behind one of
the API's JWT authorizers takes a verified token only, its claims put in the event
(tidemark/local/jwt_auth.py, which also answers the local Cognito endpoint).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from tidemark.local import console_files, jwt_auth, lambdas
from tidemark.local.deploy import JwtAuthorizer, Route
from tidemark.local.template import ACCOUNT_ID

MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class _Compiled:
    route: Route
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


def _keeps_its_request(function: str) -> bool:
    """Whether the function's handler module holds a Powertools resolver (or is not known here)."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    handler = lambdas._registry.get(function)
    module = sys.modules.get(getattr(handler, "__module__", ""))
    if module is None:
        return True
    return any(isinstance(value, ApiGatewayResolver) for value in vars(module).values())


def _compile(route: Route) -> _Compiled:
    regex, literal, params = "", 0, 0
    for segment in route.path.strip("/").split("/"):
        if segment.endswith("+}"):
            regex += f"/(?P<{segment[1:-2]}>.+)"
            params += 100
        elif segment.startswith("{"):
            regex += f"/(?P<{segment[1:-1]}>[^/]+)"
            params += 1
        else:
            regex += "/" + re.escape(segment)
            literal += 1
    return _Compiled(route, re.compile(regex, re.DOTALL), (params, -literal))


class HttpApi:
    def __init__(self, routes: list[Route], region: str, authorizers: dict[str, JwtAuthorizer]) -> None:
        self._routes = sorted((_compile(r) for r in routes), key=lambda c: c.specificity)
        self._region = region
        self._lambda = lambdas.LocalLambda(region)
        self._verifiers = {name: jwt_auth.Verifier.for_authorizer(a) for name, a in authorizers.items()}
        unknown = {r.authorizer for r in routes} - {"NONE", *authorizers}
        if unknown:
            raise ValueError(f"routes name authorizers the API does not define: {sorted(unknown)}")
        # One request at a time of a function whose module holds a Powertools resolver, as one Lambda
        # container answers them: the resolver keeps the request being answered in class attributes,
        # shared by the process. Other functions (the webhooks') answer side by side, as Lambda's
        # containers do: one at a time, the endpoint held about 10 deliveries a second (issue 23).
        self._answering = {
            route.function: threading.Lock() if _keeps_its_request(route.function) else None
            for route in routes
        }
        # Every request, of any method and any path (a line break in it too), goes to _handle, as
        # API Gateway sends them all to the routes (a Starlette route's pattern stops at a line break).
        self.app = Starlette()
        self.app.router.default = self._asgi

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handle(Request(scope, receive))
        await response(scope, receive, send)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in ("ANY", method):
                continue
            found = compiled.pattern.fullmatch(path)
            if found:
                return compiled.route, found.groupdict()
        return None

    async def _handle(self, request: Request) -> Response:
        if request.scope["path"] == jwt_auth.COGNITO_PATH and request.method == "POST":
            return await jwt_auth.initiate_auth(request, self._region)
        if console_files.is_page(request.method, request.scope["path"]):
            return console_files.answer(request)  # the console's web page: public, before any authorizer
        found = self.match(request.method, request.scope["path"])
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        route, path_parameters = found
        try:
            authorizer = self._authorize(route, request)
        except jwt_auth.Unauthorized as error:
            return jwt_auth.unauthorized(error)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"message": "Request Entity Too Large"}, status_code=413)
        event = self._event(request, route, path_parameters, body)
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        import anyio.to_thread

        answer = await anyio.to_thread.run_sync(self._invoke, route.function, event)
        return answer

    def _authorize(self, route: Route, request: Request) -> dict[str, Any] | None:
        """requestContext.authorizer of the route's JWT authorizer, or None for an open route."""
        if route.authorizer == "NONE":
            return None
        headers = {k.lower(): v for k, v in request.headers.items()}
        return {"jwt": jwt_auth.as_api_gateway_claims(self._verifiers[route.authorizer].claims(headers))}

    def _invoke(self, function: str, event: dict[str, Any]) -> Response:
        with self._answering[function] or contextlib.nullcontext():
            answer = self._lambda.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError") or not isinstance(payload, dict):
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        raw = payload.get("body") or ""
        content = base64.b64decode(raw) if payload.get("isBase64Encoded") else raw.encode()
        headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
        response = Response(content=content, status_code=int(payload.get("statusCode", 200)), headers=headers)
        for cookie in payload.get("cookies") or []:
            response.headers.append("set-cookie", cookie)
        return response

    @staticmethod
    def _event(
        request: Request, route: Route, path_parameters: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        text_body = True
        try:
            decoded = body.decode()
        except UnicodeDecodeError:
            text_body = False
        now = time.time()
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": f"{route.method} {route.path}",
            "rawPath": request.scope["path"],
            "rawQueryString": request.url.query,
            # API Gateway adds X-Forwarded-Proto (a handler rebuilding its URL reads it)
            "headers": {
                "x-forwarded-proto": request.url.scheme,
                **{k.lower(): v for k, v in request.headers.items()},
            },
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "domainName": request.url.hostname or "127.0.0.1",
                "domainPrefix": "local",
                "http": {
                    "method": request.method,
                    "path": request.scope["path"],
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.client.host if request.client else "127.0.0.1",
                    "userAgent": request.headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": f"{route.method} {route.path}",
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": not text_body,
        }
        if request.query_params:
            event["queryStringParameters"] = {
                k: ",".join(request.query_params.getlist(k)) for k in request.query_params
            }
        if path_parameters:
            event["pathParameters"] = path_parameters
        if body:
            event["body"] = decoded if text_body else base64.b64encode(body).decode()
        return event
