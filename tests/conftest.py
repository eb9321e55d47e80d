import pytest

from tidemark.api_client import ConsoleApi
from tidemark.local.runtime import LocalRuntime


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
