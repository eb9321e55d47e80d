"""What the console API's fuzzing (tests/e2e/test_api_fuzz.py) found, each kept as a test: every 4xx
names the field at fault, never a 5xx, and the OpenAPI document says what the handler does."""

from functools import cache
from urllib.parse import quote

import httpx
import pytest

from tidemark.auth import BearerToken

pytestmark = pytest.mark.integration


@cache
def signed_in(stack) -> BearerToken:
    return BearerToken(stack.login())


def call(stack, method, path, **kwargs):
    """A request of the stack's operator."""
    return httpx.request(method, f"{stack.api_url}{path}", timeout=30, auth=signed_in(stack), **kwargs)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/jobs"),
        ("POST", "/v1/listings/adjust"),
        ("PATCH", "/v1/channels/nowhere"),
        ("PUT", "/v1/channels/nowhere/schedule"),
        ("PATCH", "/v1/settings/auto-sync-rules"),
    ],
)
def test_a_missing_body_is_named_body(stack, method, path):
    answer = call(stack, method, path)
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "body", "message": "Field required"}]


@pytest.mark.parametrize(
    ("path", "field"), [("/v1/jobs?limit=0", "limit"), ("/v1/history/SKU-1?limit=201", "limit")]
)
def test_a_bad_query_parameter_is_named_without_its_location(stack, path, field):
    answer = call(stack, "GET", path)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_an_empty_channel_filter_is_refused_not_a_500(stack):
    answer = call(stack, "GET", "/v1/jobs?channel=")
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["channel"]


def test_a_body_that_is_not_json_is_415_naming_the_content_type(stack):
    answer = call(
        stack, "POST", "/v1/jobs", content=b'{"channel": "x"}', headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 415
    body = answer.json()
    assert [e["field"] for e in body["errors"]] == ["content-type"]
    assert "application/json" in body["message"] and "text/plain" in body["message"]


def test_a_method_the_path_does_not_take_is_405_naming_the_ones_it_does(stack):
    answer = call(stack, "PUT", "/v1/listings/SKU-1")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert answer.json()["errors"] == [{"field": "method", "message": "PUT: use GET"}]
    several = call(stack, "POST", "/v1/channels/shop")
    assert (several.status_code, several.headers["allow"]) == (405, "DELETE, GET, PATCH")


def test_an_unknown_route_is_404_naming_the_path(stack):
    answer = call(stack, "GET", "/v1/nothing-here")
    assert answer.status_code == 404
    assert "/v1/nothing-here" in answer.json()["message"]


def test_the_document_gives_the_errors_the_handler_answers(stack):
    document = call(stack, "GET", "/v1/openapi.json").json()
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert not [op["operationId"] for op in operations if "422" in op["responses"]]
    adjust = document["paths"]["/v1/listings/adjust"]["post"]
    assert adjust["responses"]["4XX"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["message"] and "errors" in error["properties"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_document_gives_the_import_its_csv_body(stack):
    document = call(stack, "GET", "/v1/openapi.json").json()
    body = document["paths"]["/v1/listings/import"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["text/csv"]["schema"]["type"] == "string"


def test_a_listing_whose_sku_has_any_character_but_a_slash_can_be_shown(stack, api):
    sku = 'MUG©1 "ü" (2)'
    api.import_listings(f'sku,on_hand\n"{sku.replace(chr(34), chr(34) * 2)}",3\n')
    answer = call(stack, "GET", f"/v1/listings/{quote(sku, safe='')}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["sku"] == sku
    history = call(stack, "GET", f"/v1/history/{quote(sku, safe='')}")
    assert (history.status_code, history.json()["sku"]) == (200, sku)


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded"])
def test_a_form_body_is_415_not_a_500(stack, content_type):
    answer = call(
        stack, "POST", "/v1/listings/sync-now", content=b"skus=A", headers={"content-type": content_type}
    )
    assert answer.status_code == 415
    assert [e["field"] for e in answer.json()["errors"]] == ["content-type"]


def test_a_job_on_an_empty_channel_name_is_refused_naming_it_not_a_500(stack):
    answer = call(stack, "POST", "/v1/jobs", json={"channel": "", "kind": "link"})
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["channel"]


@pytest.mark.parametrize(
    ("credentials", "field", "hint"),
    [
        ({}, "token", "needs an access token"),
        ({"token": "shpat_wrong"}, "token", "refused"),
    ],
)
def test_a_channel_the_store_refuses_names_the_credential(stack, credentials, field, hint):
    shop = stack.sandboxes["shopify"]
    body = {
        "name": "refused",
        "type": "shopify",
        "store_url": shop.url,
        "allow_insecure_url": True,
        **credentials,
    }
    answer = call(stack, "POST", "/v1/channels", json=body)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert hint in answer.json()["message"]


def test_a_store_that_does_not_answer_is_a_4xx_naming_the_url_not_a_502(stack):
    body = {"name": "unreachable", "type": "shopify", "store_url": "http://127.0.0.1:9", "token": "shpat_x"}
    body["allow_insecure_url"] = True
    answer = call(stack, "POST", "/v1/channels", json=body)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["store_url"]
    assert "check the URL" in answer.json()["message"]
    assert call(stack, "GET", "/v1/channels/unreachable").status_code == 404


def test_a_path_value_with_a_line_break_reaches_the_api_and_is_named(stack):
    answer = call(stack, "GET", "/v1/listings/A%0AB")
    assert answer.status_code == 404
    assert "no listing with SKU 'A\nB'" in answer.json()["message"]


def test_a_body_that_is_not_json_at_all_is_named_body(stack):
    answer = call(stack, "POST", "/v1/jobs", content=b"\x00", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["body"]
    assert "JSON" in answer.json()["message"]


def test_a_body_that_is_not_utf8_is_named_body_not_a_500(stack):
    answer = call(
        stack, "POST", "/v1/jobs", content=b"\xb7\x86{", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["body"]


@pytest.mark.parametrize("field", ["token", "key", "secret"])
def test_a_credential_that_is_not_printable_ascii_is_named_not_a_500(stack, field):
    shop = stack.sandboxes["shopify"]
    body = {
        "name": "odd-token",
        "type": "shopify",
        "store_url": shop.url,
        "allow_insecure_url": True,
        "token": "shpat_x",
        field: "tøken",
    }
    answer = call(stack, "POST", "/v1/channels", json=body)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    edit = call(stack, "PATCH", "/v1/channels/odd-token", json={field: "tøken\n"})
    assert edit.status_code == 400 and [e["field"] for e in edit.json()["errors"]] == [field]
