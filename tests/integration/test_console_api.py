"""The console API on moto: bad input gets a 4xx naming the field and the fix, and changes nothing."""

from concurrent.futures import ThreadPoolExecutor

import boto3
import httpx
import pytest

from tidemark.api_client import ApiError

pytestmark = pytest.mark.integration


def shopify_channel(stack, name, **changes):
    shop = stack.sandboxes["shopify"]
    return {
        "name": name,
        "type": "shopify",
        "store_url": shop.url,
        "allow_insecure_url": True,
        "token": shop.credentials["token"],
        **changes,
    }


def test_openapi_describes_the_routes(stack):
    schema = httpx.get(f"{stack.api_url}/v1/openapi.json").json()
    assert schema["info"]["title"] == "Tidemark console API"
    assert {"/v1/channels", "/v1/jobs", "/v1/listings/import", "/v1/history/{sku}"} <= set(schema["paths"])


def test_a_file_with_a_bad_row_is_refused_whole(api):
    with pytest.raises(ApiError) as refused:
        api.import_listings("sku,on_hand\nBAD-1,4\nBAD-2,-1\n")
    assert refused.value.status == 400
    assert refused.value.errors == [
        {"line": 3, "field": "on_hand", "message": refused.value.errors[0]["message"]}
    ]
    assert "whole number of 0 or more" in refused.value.message
    with pytest.raises(ApiError) as missing:
        api.listing("BAD-1")
    assert missing.value.status == 404


def test_reimport_updates_and_counts(api):
    assert api.import_listings("sku,on_hand\nRE-1,4\n").items() >= {"created": 1, "updated": 0}.items()
    assert api.import_listings("sku,on_hand,title\nRE-1,9,Mug\n") == {
        "created": 0,
        "updated": 1,
        "link_jobs": [],
    }
    listing = api.listing("RE-1")
    assert (listing["on_hand"], listing["title"]) == (9, "Mug")


def test_bad_credentials_are_refused_and_nothing_is_saved(stack, api):
    with pytest.raises(ApiError) as refused:
        api.add_channel(shopify_channel(stack, "wrong-token", token="shpat_wrong"))
    assert refused.value.status == 400
    assert "refused" in refused.value.message.lower()
    names = [c["name"] for c in api.channels()]
    assert "wrong-token" not in names
    secrets = boto3.client("secretsmanager").list_secrets()["SecretList"]
    assert not [s for s in secrets if s["Name"].endswith("/wrong-token")]


@pytest.mark.parametrize(
    ("changes", "field", "hint"),
    [
        ({"name": "Bad Name"}, "name", "pattern"),
        ({"type": "etsy"}, "type", "shopify"),
        ({"store_url": "not a url"}, "store_url", "pattern"),
        (
            {"priorities": [{"listing_field": "sku", "channel_field": "colour"}]},
            "priorities",
            "use one of sku, barcode",
        ),
        ({"priorities": [{"listing_field": "weight", "channel_field": "sku"}]}, "priorities", "sku"),
        ({"surprise": 1}, "surprise", "xtra"),
    ],
)
def test_a_bad_channel_names_the_field(stack, api, changes, field, hint):
    with pytest.raises(ApiError) as refused:
        api.add_channel(shopify_channel(stack, "bad-channel") | changes)
    assert refused.value.status == 400
    assert field in refused.value.message and hint in refused.value.message
    assert "bad-channel" not in [c["name"] for c in api.channels()]


def test_a_channel_name_is_taken_once(stack, api):
    api.add_channel(shopify_channel(stack, "taken"))
    with pytest.raises(ApiError) as refused:
        api.add_channel(shopify_channel(stack, "taken"))
    assert refused.value.status == 409


def test_credentials_never_appear_in_answers_or_the_table(stack, api):
    token = stack.sandboxes["shopify"].credentials["token"]
    channel = api.add_channel(shopify_channel(stack, "secretive", webhook_secret="whsec-visible-nowhere"))
    assert token not in str(channel) and token not in str(api.channel("secretive"))
    items = boto3.resource("dynamodb").Table("tidemark-Table").scan()["Items"]
    assert not [i for i in items if token in str(i) or "whsec-visible-nowhere" in str(i)]


@pytest.mark.parametrize(
    ("body", "status", "hint"),
    [
        ({"channel": "nowhere", "kind": "link"}, 404, "no channel named 'nowhere'"),
        ({"channel": "taken", "kind": "explode"}, 400, "kind"),
        ({"channel": "taken", "kind": "sync"}, 400, "mode"),
        ({"channel": "taken", "kind": "sync", "mode": "sideways"}, 400, "mode"),
        ({"channel": "taken", "kind": "sync", "mode": "selected"}, 400, "skus"),
        ({"channel": "taken", "kind": "link", "mode": "full"}, 400, "only sync jobs take a mode"),
    ],
)
def test_bad_job_requests_are_refused(stack, api, body, status, hint):
    if not any(c["name"] == "taken" for c in api.channels()):
        api.add_channel(shopify_channel(stack, "taken"))
    with pytest.raises(ApiError) as refused:
        api.start_job(body)
    assert refused.value.status == status
    assert hint in refused.value.message


def test_unknown_job_and_listing_are_404(api):
    for call in (lambda: api.job("nope"), lambda: api.listing("NOPE"), lambda: api.jobs("nowhere")):
        with pytest.raises(ApiError) as missing:
            call()
        assert missing.value.status == 404


def test_editing_a_channel_replaces_its_priorities_and_toggles_link_after_build(stack, api):
    api.add_channel(shopify_channel(stack, "editable"))
    edited = api.edit_channel(
        "editable",
        {
            "priorities": [
                {"listing_field": "upc", "channel_field": "barcode"},
                {"listing_field": "sku", "channel_field": "sku"},
            ],
            "link_after_build": False,
        },
    )
    assert [p["channel_field"] for p in edited["priorities"]] == ["barcode", "sku"]
    assert api.channel("editable")["link_after_build"] is False


@pytest.mark.parametrize(
    ("body", "status", "hint"),
    [
        (
            {"priorities": [{"listing_field": "sku", "channel_field": "colour"}]},
            400,
            "use one of sku, barcode",
        ),
        ({"priorities": [{"listing_field": "weight", "channel_field": "sku"}]}, 400, "priorities"),
        ({"priorities": []}, 400, "priorities"),
        ({"token": "shpat_wrong"}, 400, "refused the access token"),
        ({"store_url": "ftp://x"}, 400, "store_url"),
        ({"name": "renamed"}, 400, "name"),
    ],
)
def test_a_bad_edit_names_the_field_and_changes_nothing(stack, api, body, status, hint):
    if not any(c["name"] == "steady" for c in api.channels()):
        api.add_channel(shopify_channel(stack, "steady"))
    before = api.channel("steady")
    secret_before = boto3.client("secretsmanager").get_secret_value(SecretId="tidemark/channels/steady")
    with pytest.raises(ApiError) as refused:
        api.edit_channel("steady", body)
    assert refused.value.status == status
    assert hint in refused.value.message
    assert api.channel("steady") == before
    secret_after = boto3.client("secretsmanager").get_secret_value(SecretId="tidemark/channels/steady")
    assert secret_after["SecretString"] == secret_before["SecretString"]


def test_editing_an_unknown_channel_is_404(api):
    with pytest.raises(ApiError) as missing:
        api.edit_channel("nowhere", {"link_after_build": False})
    assert missing.value.status == 404
    assert "no channel named 'nowhere'" in missing.value.message


def test_requests_at_once_each_get_their_own_answer(stack, operator_headers):
    """Powertools keeps the request being answered in class attributes of its resolver, shared by
    the process: local mode answers one console request at a time, as separate Lambda containers
    would answer them side by side."""
    ids = [f"missing-{n:03d}" for n in range(60)]
    with (
        httpx.Client(base_url=stack.api_url, headers=operator_headers, timeout=30) as http,
        ThreadPoolExecutor(12) as pool,
    ):
        answers = list(pool.map(lambda job_id: http.get(f"/v1/jobs/{job_id}"), ids))

    assert [answer.status_code for answer in answers] == [404] * len(ids)
    wrong = [job_id for job_id, answer in zip(ids, answers, strict=True) if job_id not in answer.text]
    assert wrong == []
