"""Running Lambda handlers in-process: the one moto seam.

moto starts a Docker container in `LambdaFunction._invoke_lambda(self, event=None) ->
(payload_json, errored, logs)`. Replacing that one method makes every invocation moto
performs (Step Functions tasks, direct invokes) run the function's Python handler here.
It is a private API: moto is pinned and tests/integration/test_moto_seam.py is its canary.

Local mode's own event sources and HTTP API invoke through `LocalLambda`: a registered function runs
through the same seam without the round trip through boto3 and moto's Lambda API (the request and
the answer serialised twice, a few milliseconds of CPU an invocation, on the one core every handler
shares: issue 23).

Each in-process invocation runs in a context of its own, where the keys its Powertools Logger adds to
each line (function_name, correlation_id) are kept: invocations at once no longer share them.
"""

from __future__ import annotations

import contextvars
import importlib
import io
import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from tidemark.local.deploy import FunctionSpec
from tidemark.local.faults import PLAN, InjectedFault

Handler = Callable[[Any, Any], Any]

log = logging.getLogger(__name__)

SEAM_NAME = "_invoke_lambda"
_registry: dict[str, Handler] = {}
_original = getattr(LambdaFunction, SEAM_NAME)
# True inside an in-process invocation: its own copy of the context of the thread running it
_INVOKING: contextvars.ContextVar[bool] = contextvars.ContextVar("tidemark_local_invoking", default=False)
_logger_methods: dict[str, Any] = {}


@dataclass
class LocalContext:
    """What a Lambda context object offers the handlers (and Powertools) to read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def register(spec: FunctionSpec) -> None:
    module = importlib.import_module(spec.module)
    _registry[spec.name] = getattr(module, spec.attribute)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    handler = _registry.get(self.function_name)
    if handler is None:
        result: tuple[str, bool, str] = _original(self, event)
        return result
    # each invocation in a context of its own: the log keys it sets (_keys_per_invocation) are its own
    return contextvars.copy_context().run(_invoke_here, self, handler, event)


def _invoke_here(self: LambdaFunction, handler: Handler, event: Any) -> tuple[str, bool, str]:
    _INVOKING.set(True)
    payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
    context = LocalContext(
        function_name=self.function_name,
        invoked_function_arn=self.function_arn,
        memory_limit_in_mb=int(self.memory_size),
        timeout_s=int(self.timeout),
    )
    fault = PLAN.draw(payload)
    try:
        if fault is None:
            return json.dumps(handler(payload, context), default=_json_default), False, ""
        kind, done = fault
        if done:
            handler({**payload, "Records": payload["Records"][:done]}, context)
        raise InjectedFault(f"{kind} (injected) after {done} of {len(payload['Records'])} records")
    except Exception as error:
        # Lambda writes an uncaught error and its traceback to the function's log; so does local
        # mode, or a batch that an event source quietly retries after its visibility timeout leaves
        # no trace
        log.error("%s failed: %s: %s", self.function_name, type(error).__name__, error, exc_info=True)
        trace = traceback.format_exc()
        body = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": trace.splitlines(),
        }
        return json.dumps(body), True, trace
    finally:
        _drop_metrics()


def _drop_metrics() -> None:
    """Local mode runs with POWERTOOLS_METRICS_DISABLED, under which Powertools 3.37 never clears a
    handler's metrics at the end of its invocation, so they pile up across invocations and are
    printed anyway at 100 values of one metric (its auto-flush ignores the switch). Dropped here."""
    from aws_lambda_powertools import Metrics

    Metrics().clear_metrics()


def _keys_per_invocation() -> None:
    """Every handler's Powertools Logger is the service's one logger, and the keys it adds to each
    line (Lambda's context: function_name, the request id; correlation_id; a handler's own) are kept
    on its formatter, one per process. A Lambda container runs one invocation at a time; local mode
    runs invocations as threads of one process, where a line would carry the keys another invocation
    set last. Inside an invocation they are kept as Powertools' thread-safe keys are, in the
    invocation's own context (which wins over the formatter's when a line is written)."""
    from aws_lambda_powertools.logging.logger import Logger

    append, remove = Logger.append_keys, Logger.remove_keys
    _logger_methods.update(append_keys=append, remove_keys=remove)

    def append_keys(logger: Logger, **keys: object) -> None:
        if _INVOKING.get():
            logger.thread_safe_append_keys(**keys)
        else:
            append(logger, **keys)

    def remove_keys(logger: Logger, keys: Any) -> None:
        keys = list(keys)
        if _INVOKING.get():
            logger.thread_safe_remove_keys(keys)
        remove(logger, keys)

    for name, method in (("append_keys", append_keys), ("remove_keys", remove_keys)):
        setattr(Logger, name, method)


def _shared_keys_again() -> None:
    from aws_lambda_powertools.logging.logger import Logger

    for name, method in _logger_methods.items():
        setattr(Logger, name, method)
    _logger_methods.clear()


class LocalLambda:
    """Lambda's Invoke, as local mode's event sources and HTTP API call it (boto3's arguments and
    answer): a registered function runs here at once, any other through moto."""

    def __init__(self, region: str) -> None:
        self._region = region
        self._moto = boto3.client("lambda", region_name=region)

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # boto3's argument names
        function = self._function(FunctionName) if FunctionName in _registry else None
        if function is None:
            answer: dict[str, Any] = self._moto.invoke(FunctionName=FunctionName, Payload=Payload)
            return answer
        body, errored, _ = _invoke_in_process(function, Payload)
        answer = {"StatusCode": 200, "Payload": io.BytesIO(body.encode())}
        if errored:
            answer["FunctionError"] = "Handled"  # as moto answers a handler's error
        return answer

    def _function(self, name: str) -> LambdaFunction | None:
        try:
            function: LambdaFunction = lambda_backends[DEFAULT_ACCOUNT_ID][self._region].get_function(name)
        except Exception:  # not deployed into moto: its Invoke answers the error
            return None
        return function


def install_seam() -> None:
    if not callable(getattr(LambdaFunction, SEAM_NAME, None)):
        raise RuntimeError(f"moto's LambdaFunction.{SEAM_NAME} is gone: local mode cannot run handlers")
    setattr(LambdaFunction, SEAM_NAME, _invoke_in_process)
    if not _logger_methods:
        _keys_per_invocation()


def remove_seam() -> None:
    setattr(LambdaFunction, SEAM_NAME, _original)
    _shared_keys_again()
    _registry.clear()
