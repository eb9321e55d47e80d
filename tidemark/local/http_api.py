"""The HTTP API on 127.0.0.1: each request becomes an API Gateway HTTP API (payload 2.0) event.

Routes come from the functions' HttpApi events in the template. As API Gateway does, the most
specific route wins: literal segments before {parameters}, and {proxy+} last.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from tidemark.local.deploy import Route
from tidemark.local.template import ACCOUNT_ID

MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class _Compiled:
    route: Route
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


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
    def __init__(self, routes: list[Route], region: str) -> None:
        self._routes = sorted((_compile(r) for r in routes), key=lambda c: c.specificity)
        self._lambda = boto3.client("lambda", region_name=region)
        # One request of a function at a time, as one Lambda container answers them: Powertools'
        # resolver keeps the request being answered in class attributes, shared by the process.
        self._answering = {route.function: threading.Lock() for route in routes}
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
        found = self.match(request.method, request.scope["path"])
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        route, path_parameters = found
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"message": "Request Entity Too Large"}, status_code=413)
        event = self._event(request, route, path_parameters, body)
        import anyio.to_thread

        answer = await anyio.to_thread.run_sync(self._invoke, route.function, event)
        return answer

    def _invoke(self, function: str, event: dict[str, Any]) -> Response:
        with self._answering[function]:
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
            "headers": {k.lower(): v for k, v in request.headers.items()},
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
        if route.authorizer == "AWS_IAM":
            event["requestContext"]["authorizer"] = {
                "iam": {
                    "accountId": ACCOUNT_ID,
                    "userArn": "arn:aws:iam::123456789012:user/local",
                }
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
