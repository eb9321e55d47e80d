"""Bad input that used to reach AWS and come back a 500 (issue 17, part 6), through the local HTTP
API: each is answered 400 (413 past a size limit) naming the field and its fix, and changes
nothing; an import that fails part way says exactly what it wrote."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.domain.importing import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, MAX_QUANTITY
from shared.storage import listings

pytestmark = pytest.mark.integration
LONG = "x" * 3_000  # past DynamoDB's 2,048-byte partition key and 1,024-byte sort key


@pytest.fixture(scope="module")
def http(stack, operator_headers):
    with httpx.Client(base_url=stack.api_url, headers=operator_headers, timeout=120) as client:
        client.post(
            "/v1/listings/import", content="sku,on_hand\nBAD-IN-1,5\n", headers={"content-type": "text/csv"}
        )
        yield client


def fields(answer: httpx.Response) -> list[str]:
    return [error.get("field", "") for error in answer.json().get("errors", [])]


@pytest.mark.parametrize(
    ("method", "path", "params", "field"),
    [
        ("GET", f"/v1/listings/{LONG}", {}, "sku"),
        ("GET", f"/v1/history/{LONG}", {}, "sku"),
        ("GET", "/v1/history/BAD-IN-1", {"channel": LONG}, "channel"),
        ("GET", f"/v1/channels/{LONG}", {}, "name"),
        ("PATCH", f"/v1/channels/{LONG}", {}, "name"),
        ("DELETE", f"/v1/channels/{LONG}", {}, "name"),
        ("PUT", f"/v1/channels/{LONG}/schedule", {}, "name"),
        ("GET", f"/v1/jobs/{LONG}", {}, "job_id"),
        ("GET", f"/v1/jobs/{LONG}/plan", {}, "job_id"),
        ("POST", f"/v1/jobs/{LONG}/cancel", {}, "job_id"),
        ("POST", f"/v1/jobs/{LONG}/prioritize", {}, "job_id"),
        ("POST", f"/v1/jobs/{LONG}/rerun", {}, "job_id"),
        ("GET", "/v1/jobs", {"channel": LONG}, "channel"),
    ],
)
def test_a_path_or_query_value_past_its_models_limit_is_400(http, method, path, params, field):
    body = {"rate": "1h"} if path.endswith("/schedule") else {} if method in ("PATCH", "PUT") else None
    answer = http.request(method, path, params=params, json=body)
    assert answer.status_code == 400, answer.text
    assert field in fields(answer), answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "manual", "sku": "BAD-IN-1", "on_hand": MAX_QUANTITY + 1},
        {"reason": "manual", "sku": "BAD-IN-1", "delta": 10**40},
        {"reason": "manual", "sku": "BAD-IN-1", "delta": -(10**40)},
        {"reason": "manual", "sku": "BAD-IN-1", "committed": 10**39},
        {"reason": "manual", "csv": f"sku,on_hand\nBAD-IN-1,{10**40}\n"},
    ],
)
def test_a_quantity_past_a_billion_is_400_and_changes_nothing(http, body):
    before = listings.get("BAD-IN-1")
    answer = http.post("/v1/listings/adjust", json=body)
    assert answer.status_code == 400, answer.text
    assert {"on_hand", "delta", "committed"} & set(fields(answer)), answer.text
    assert listings.get("BAD-IN-1") == before


def csv_import(http: httpx.Client, text: str | bytes) -> httpx.Response:
    return http.post("/v1/listings/import", content=text, headers={"content-type": "text/csv"})


@pytest.mark.parametrize(
    ("text", "column"),
    [
        (f"sku,on_hand\nBAD-IN-2,{10**40}\n", "on_hand"),
        (f"sku,committed\nBAD-IN-2,{MAX_QUANTITY + 1}\n", "committed"),
        (f"sku,safety_buffer\nBAD-IN-2,{10**30}\n", "safety_buffer"),
        (f"sku,price\nBAD-IN-2,{10**40}\n", "price"),
        (f"sku,title\nBAD-IN-2,{'t' * 3000}\n", "title"),
        (f"sku\n{'s' * 300}\n", "sku"),
    ],
)
def test_an_import_cell_past_its_limit_is_400_and_changes_nothing(http, text, column):
    answer = csv_import(http, text)
    assert answer.status_code == 400, answer.text
    assert column in fields(answer), answer.text
    assert listings.get("BAD-IN-2") is None


def test_a_file_the_csv_reader_cannot_read_is_400_naming_the_line(http):
    answer = csv_import(http, 'sku,title\nBAD-IN-3,"' + "a" * 140_000 + '"\n')
    assert answer.status_code == 400, answer.text
    assert "line 2" in answer.json()["message"] and listings.get("BAD-IN-3") is None


def test_an_import_past_its_row_or_byte_limit_is_413_with_the_limit(http):
    rows = csv_import(http, "sku\n" + "".join(f"ROWS-{n}\n" for n in range(MAX_IMPORT_ROWS + 1)))
    assert rows.status_code == 413, rows.text
    assert f"{MAX_IMPORT_ROWS:,} rows" in rows.json()["message"] and listings.get("ROWS-0") is None
    big = csv_import(
        http, "sku,title\n" + "".join(f"BYTES-{n},{'t' * 900}\n" for n in range(MAX_IMPORT_BYTES // 900))
    )
    assert big.status_code == 413, big.text
    assert f"{MAX_IMPORT_BYTES:,} bytes" in big.json()["message"] and listings.get("BYTES-0") is None


def test_an_import_that_fails_part_way_says_exactly_what_it_wrote(http, monkeypatch):
    from shared.storage import listings as store

    real: Any = store._update_columns
    csv_import(http, "sku,on_hand\nPART-1,1\nPART-2,1\nPART-3,1\n")

    def flaky(dynamodb: Any, table_name: str, listing: Any, columns: Any) -> Any:
        if listing.sku == "PART-2":
            raise RuntimeError("DynamoDB did not answer")
        return real(dynamodb, table_name, listing, columns)

    monkeypatch.setattr(store, "_update_columns", flaky)
    answer = csv_import(http, "sku,on_hand\nPART-1,7\nPART-2,7\nPART-3,7\nPART-4,7\n")
    assert answer.status_code == 503, answer.text
    written = {e["sku"] for e in answer.json()["errors"] if e["field"] == "written"}
    assert written == {"PART-1", "PART-3", "PART-4"}
    assert "send the same file again" in answer.json()["message"]
    assert [listings.get(f"PART-{n}").on_hand for n in (1, 2, 3, 4)] == [7, 1, 7, 7]
