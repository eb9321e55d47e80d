"""The storage layer used from several threads at once: boto3's resources are not thread safe (a
Table builds each request's expression placeholders with one counter it resets per request), and a
shared one mixed two requests' names: "Query condition missed key schema element" in local mode, where
a function's concurrent invocations are threads of one process, and the same under the thread pools
of listings.update_columns and catalog writes on AWS. Each thread gets a Table of its own."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from shared.storage import aws
from shared.storage.aws import Attr, Key, table
from tests import storage

pytestmark = [pytest.mark.integration, pytest.mark.storage]
THREADS = 8
QUERIES = 150


@pytest.fixture(scope="module", autouse=True)
def deployed(dynamodb_endpoint: str | None) -> Iterator[None]:
    with storage.deployed(dynamodb_endpoint):
        yield


@pytest.fixture
def switching_often() -> Iterator[None]:
    """Threads switched as often as the interpreter can: a race needing an unlucky switch shows sooner."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_each_thread_has_a_table_of_its_own_and_keeps_it() -> None:
    main = table()
    tables: dict[int, object] = {}

    def take(n: int) -> None:
        tables[n] = table()
        assert table() is tables[n]

    threads = [threading.Thread(target=take, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(t) for t in [main, *tables.values()]}) == 4 and table() is main
    aws.reset()  # and a reset drops them all: the next call builds a new one
    assert table() is not tables.get(0)


def test_queries_from_many_threads_keep_their_own_expressions(switching_often: None) -> None:
    failures: list[str] = []

    def query(n: int) -> None:
        for _ in range(QUERIES):
            try:
                table().query(
                    KeyConditionExpression=Key("PK").eq(f"THREADS#{n}") & Key("SK").begins_with("S"),
                    FilterExpression=Attr("a").eq(1) & Attr("b").exists(),
                )
            except Exception as error:  # every failure is the finding: collected, then asserted
                failures.append(str(error)[:200])

    threads = [threading.Thread(target=query, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
