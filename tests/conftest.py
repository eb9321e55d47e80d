import os

import pytest
from hypothesis import settings

from tidemark.api_client import ConsoleApi
from tidemark.local.runtime import LocalRuntime

# CI runs the property tests on fixed examples, so a gate passes or fails the same way on every run;
# a local run explores new examples each time (and prints the blob that replays a failure).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def stack():
    """The whole local stack (template deployed into moto, a Shopify sandbox), one per test module."""
    with LocalRuntime(port=0, shopify_variants=60, woocommerce_products=60, seed=3) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def api(stack):
    client = ConsoleApi(stack.api_url)
    yield client
    client.close()
