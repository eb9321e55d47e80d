"""Two functions invoked at once in local mode each log under their own name and correlation id.

Every handler's Powertools Logger is the one logger of the service (`tidemark`), and Lambda's context
keys (function_name, correlation_id) are kept on its formatter: one per process. On AWS a container
runs one invocation at a time; local mode runs invocations as threads of one process, so a line of
one function was written with the keys the other had set last (issue 22, item 5: a console API
failure logged as the webhooks function's). Local mode keeps those keys per invocation; its own
failure line is written inside the invocation too, with the function's traceback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from moto import mock_aws

from tidemark.local import lambdas
from tidemark.local.deploy import FunctionSpec, _placeholder_zip

pytestmark = pytest.mark.integration

REGION = "us-east-1"
FUNCTIONS = ("alpha", "beta")
logger = Logger(service="tidemark")  # as every handler's observability() makes it in local mode
both_started = threading.Barrier(len(FUNCTIONS), timeout=10)


def _work(name: str) -> None:
    logger.warning(f"{name} started")
    both_started.wait()  # the other invocation has set its keys by now
    logger.warning(f"{name} ending")
    raise RuntimeError(f"{name} broke")


@logger.inject_lambda_context(correlation_id_path="id")
def alpha(event: dict[str, Any], context: Any) -> None:
    _work("alpha")


@logger.inject_lambda_context(correlation_id_path="id")
def beta(event: dict[str, Any], context: Any) -> None:
    _work("beta")


class Lines(logging.Handler):
    """The service's log lines as written: formatted by its own formatter when each is logged."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logger.registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def deployed() -> Iterator[Lines]:
    with mock_aws():
        lambdas.install_seam()
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="r", AssumeRolePolicyDocument="{}"
        )
        for name in FUNCTIONS:
            answer = boto3.client("lambda", region_name=REGION).create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=role["Role"]["Arn"],
                Handler=f"{__name__}.{name}",
                Code={"ZipFile": _placeholder_zip()},
                Timeout=30,
            )
            lambdas.register(FunctionSpec(name, name, answer["FunctionArn"], __name__, name, {}, 30))
        lines, service = Lines(), logging.getLogger("tidemark")
        service.addHandler(lines)
        try:
            yield lines
        finally:
            service.removeHandler(lines)
            lambdas.remove_seam()


def invoke_at_once() -> dict[str, dict[str, Any]]:
    """Each of FUNCTIONS invoked through local mode's invoker, from a thread of its own: the answers."""
    answers: dict[str, dict[str, Any]] = {}

    def invoke(name: str) -> None:
        payload = json.dumps({"id": f"corr-{name}"}).encode()
        answers[name] = lambdas.LocalLambda(REGION).invoke(FunctionName=name, Payload=payload)

    threads = [threading.Thread(target=invoke, args=(name,)) for name in FUNCTIONS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_each_concurrent_invocation_logs_under_its_own_name_and_correlation_id(deployed):
    answers = invoke_at_once()

    assert all(answers[name].get("FunctionError") for name in FUNCTIONS)
    for name, other in (FUNCTIONS, FUNCTIONS[::-1]):
        own = [line for line in deployed.lines if line["message"].startswith(f"{name} ")]
        assert [line["message"].split(":")[0] for line in own] == [
            f"{name} started",
            f"{name} ending",
            f"{name} failed",  # local mode's line for the invocation's error (tidemark/local/lambdas.py)
        ]
        assert {(line["function_name"], line.get("correlation_id")) for line in own} == {
            (name, f"corr-{name}")
        }
        trace = own[-1]["exception"]
        assert "Traceback" in trace and f"in {name}" in trace and f"RuntimeError: {name} broke" in trace
        assert f"in {other}" not in trace and f"{other} broke" not in trace
