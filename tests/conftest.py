import os
import tempfile

# pytest-xdist's workers start with COLUMNS=80 and LINES=24, and rich fixes a console's width from
# COLUMNS when the console is made (tidemark.render's, at import): the CLI's tables would keep 80
# columns whatever width a test's CliRunner asks for. Without them rich reads COLUMNS at each print.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

import pytest
from hypothesis import settings

from tidemark import auth
from tidemark.local.runtime import LocalRuntime

# CI runs the property tests on fixed examples, so a gate passes or fails the same way on every run;
# a local run explores new examples each time (and prints the blob that replays a failure).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The tests' logins (tidemark login, the stack fixture's) are kept apart from the user's own.
os.environ["TIDEMARK_CONFIG_DIR"] = tempfile.mkdtemp(prefix="tidemark-tests-config-")
# A channel's guard (shared/domain/guard.py) is on by default. The tests written before it sync
# sandboxes whose every quantity differs from master, which the guard would stop: they run with it
# off by default, and the guard's own tests turn it on per channel (`channels guard NAME --on`).
os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")


@pytest.fixture(scope="module")
def stack():
    """The whole local stack (template deployed into moto, a Shopify sandbox), one per test module;
    its operator signed in for the CLI (the login saved for its API URL, as `tidemark login` does)."""
    with LocalRuntime(port=0, shopify_variants=60, woocommerce_products=60, seed=3) as runtime:
        auth.save(runtime.api_url, runtime.login())
        yield runtime
        auth.forget(runtime.api_url)


@pytest.fixture(scope="module")
def api(stack):
    client = stack.client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def operator_headers(stack) -> dict[str, str]:
    """The Authorization header of the stack's operator, for tests that call the API with httpx."""
    return {"authorization": f"Bearer {stack.login().access_token}"}


# The storage tests (marker `storage`) run on moto, and again on AWS's own DynamoDB Local with
# `pytest -m storage --dynamodb=local` (make test runs both): tests/dynamodb_local.py.
def pytest_addoption(parser):
    parser.addoption(
        "--dynamodb",
        choices=("moto", "local"),
        default="moto",
        help="where the storage tests' table lives: moto (default) or DynamoDB Local",
    )


@pytest.fixture(scope="session")
def dynamodb_endpoint(request):
    """DynamoDB Local's endpoint URL for this session under --dynamodb=local, else None (moto)."""
    if request.config.getoption("--dynamodb") != "local":
        yield None
        return
    from tests.dynamodb_local import dynamodb_local

    with dynamodb_local() as endpoint:
        yield endpoint


# The longest modules first (make test's --durations), so make test's two workers end together.
LONGEST_FIRST = (
    "tests/e2e/test_api_fuzz.py",
    "tests/integration/test_sync_convergence.py",
    "tests/e2e/test_soak.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        first = (n for n, path in enumerate(LONGEST_FIRST) if item.nodeid.startswith(path))
        return next(first, len(LONGEST_FIRST))

    items.sort(key=rank)
