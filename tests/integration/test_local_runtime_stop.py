"""The local runtime stops whole even when a part of it fails to stop, and never hides the error
that ended its run (found by the soak: a seed's error was replaced by a sandbox's webhook flush
timing out in stop(), which also left moto running, so every later seed failed to deploy)."""

from __future__ import annotations

import os

import boto3
import pytest

from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION

pytestmark = pytest.mark.integration


class Boom(Exception):
    pass


def _failing_close():
    raise TimeoutError("webhooks were not all sent")


def test_a_part_that_fails_to_stop_stops_nothing_else_and_hides_no_error(monkeypatch):
    saved = dict(os.environ)
    runtime = LocalRuntime(port=0, shopify_variants=5, woocommerce_products=5)
    with pytest.raises(Boom), runtime:
        monkeypatch.setattr(runtime.sandboxes["shopify"].store, "close", _failing_close)
        raise Boom("the run's own error")

    assert dict(os.environ) == saved
    with LocalRuntime(port=0, sandboxes=False):  # a second stack deploys: the first was stopped whole
        assert boto3.client("sqs", region_name=REGION).list_queues()["QueueUrls"]


def test_a_part_that_fails_to_stop_is_raised_once_the_rest_stopped(monkeypatch):
    saved = dict(os.environ)
    runtime = LocalRuntime(port=0, shopify_variants=5, woocommerce_products=5).start()
    monkeypatch.setattr(runtime.sandboxes["shopify"].store, "close", _failing_close)
    with pytest.raises(TimeoutError):
        runtime.stop()
    assert dict(os.environ) == saved
