"""The local HTTP API answers a function's requests side by side, as Lambda's containers do, except
a function whose module holds a Powertools resolver (the console API's): that keeps the request it
answers in class attributes shared by the process, so it answers one at a time."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tidemark.local import lambdas

pytestmark = pytest.mark.integration
HOLD_S = 0.3


def most_at_once(stack, logical_id: str, request) -> int:
    """Six requests at once to a function held HOLD_S seconds each: how many it held at once."""
    name = next(s.name for s in stack.deployment.functions.values() if s.logical_id == logical_id)
    original = lambdas._registry[name]
    lock = threading.Lock()
    holding, most = 0, 0

    def held(event, context):
        nonlocal holding, most
        with lock:
            holding += 1
            most = max(most, holding)
        time.sleep(HOLD_S)
        with lock:
            holding -= 1
        return original(event, context)

    lambdas._registry[name] = held
    try:
        with httpx.Client(base_url=stack.api_url, timeout=30) as http, ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: request(http), range(6)))
    finally:
        lambdas._registry[name] = original
    assert all(answer.status_code < 500 for answer in answers)
    return most


def test_the_webhook_endpoint_answers_deliveries_side_by_side(stack):
    def delivery(http):
        return http.post("/v1/webhooks/shopify/no-such-channel", content=b"{}")

    assert most_at_once(stack, "WebhooksFunction", delivery) >= 3


def test_the_console_api_answers_one_request_at_a_time(stack):
    assert most_at_once(stack, "ApiFunction", lambda http: http.get("/v1/openapi.json")) == 1
