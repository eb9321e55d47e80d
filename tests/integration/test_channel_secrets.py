"""A channel's secrets through its lifecycle (issue 17, part 7), on moto with the sandboxes: created
with the channel, deleted with it (`DELETE /v1/channels/{name}`, `tidemark channels remove`, which
also stop its schedule and cancel its jobs), encrypted with the stack's own key when asked, read
again after the channel refuses a stale one, and two webhook secrets during a rotation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from shared.channels.base import VariantRef
from shared.domain.channel import ChannelType
from shared.domain.job import Job, JobKind, JobStatus
from shared.domain.link import LinkStatus
from shared.domain.link_state import IndexedState
from shared.services import clients
from shared.services.webhooks import receive
from shared.settings import settings
from shared.storage import channels, jobs, link_states, links, secrets
from shared.storage.aws import client, reset
from tests.e2e.test_auto_sync import shopify_order, signed
from tidemark.api_client import ApiError
from tidemark.cli import app

pytestmark = pytest.mark.integration
SECRET = "lifecycle-secret"


def add_shop(stack, api, name: str) -> dict[str, Any]:
    shop = stack.sandboxes["shopify"]
    body = {
        "name": name,
        "type": "shopify",
        "store_url": shop.url,
        "webhook_secret": SECRET,
        "allow_insecure_url": True,
        **shop.credentials,
    }
    return api.add_channel(body)


def secret_exists(name: str, of: str = "credentials") -> bool:
    secret = secrets.name_for(name) if of == "credentials" else secrets.webhook_name_for(name)
    try:
        client("secretsmanager").describe_secret(SecretId=secret)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False
    return True


def schedule_exists(name: str) -> bool:
    try:
        client("scheduler").get_schedule(Name=name, GroupName=settings().schedule_group)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False
    return True


def queued_job(channel: str) -> Job:
    """A job waiting on the channel's queue (no execution behind it)."""
    job = Job(id=uuid.uuid4().hex, channel=channel, kind=JobKind.RECONCILE, created_at=datetime.now(UTC))
    jobs.create(job)
    return job


def test_a_removed_channel_takes_its_secret_schedule_jobs_and_links_with_it(stack, api):
    name = "to-remove"
    add_shop(stack, api, name)
    assert secret_exists(name) and secret_exists(name, "webhook") and schedule_exists(name)
    assert api.wait_for_job(api.start_job({"channel": name, "kind": "link"})["id"])["status"] == "completed"
    sku = next(v.sku for v in stack.sandboxes["shopify"].store.variants())
    api.import_listings(f"sku,on_hand\n{sku},4\n")
    api.wait_for_job(api.start_job({"channel": name, "kind": "link"})["id"])
    assert links.get_many(name, [sku])[sku].status is LinkStatus.LINKED
    waiting = queued_job(name)

    removed = api.remove_channel(name)

    assert removed["name"] == name and removed["schedule_deleted"] and removed["secret_deleted"]
    assert waiting.id in removed["jobs_cancelled"] and removed["links_deleted"] >= 1
    assert jobs.get(waiting.id).status is JobStatus.CANCELLED
    assert channels.get(name) is None and links.get_many(name, [sku]) == {}
    assert name not in link_states.counts()  # the Overview's counter and notes go with it
    assert all(link_states.count(name, state) == 0 for state in IndexedState)
    assert not secret_exists(name) and not secret_exists(name, "webhook") and not schedule_exists(name)
    with pytest.raises(ApiError) as gone:
        api.remove_channel(name)
    assert gone.value.status == 404 and "no channel named 'to-remove'" in str(gone.value)
    add_shop(stack, api, name)  # the name is free again, its secret created anew
    assert secret_exists(name) and secrets.read_webhook(name, fresh=True)["webhook_secret"] == SECRET


def test_tidemark_channels_remove_says_what_went_as_json(stack, api):
    add_shop(stack, api, "cli-remove")
    answer = CliRunner().invoke(
        app,
        ["channels", "remove", "cli-remove", "--yes", "--json", "--api", stack.api_url],
        catch_exceptions=False,
    )
    assert answer.exit_code == 0, answer.output
    removed = json.loads(answer.output)
    assert (removed["name"], removed["secret_deleted"], removed["schedule_deleted"]) == (
        "cli-remove",
        True,
        True,
    )
    assert channels.get("cli-remove") is None


def test_a_viewer_cannot_remove_a_channel(stack, api):
    add_shop(stack, api, "kept")
    viewer = stack.client("viewer")
    with pytest.raises(ApiError) as refused:
        viewer.remove_channel("kept")
    viewer.close()
    assert refused.value.status == 403
    assert channels.get("kept") is not None and secret_exists("kept")


def test_a_secret_the_channel_refuses_is_read_again_before_the_call_fails(stack, api):
    name = "reread"
    add_shop(stack, api, name)
    good = secrets.read(name, fresh=True)
    secrets.store(name, {**good, "token": "shpat_revoked"})
    secrets.read(name, fresh=True)  # this container now holds the old token, as a stale cache would
    secrets.store(name, good)  # another container's edit: the cache here does not know yet
    variant = stack.sandboxes["shopify"].store.variants()[0]
    ref = VariantRef(
        sku=variant.sku,
        variant_id=variant.variant_id,
        product_id=variant.product_id,
        inventory_item_id=variant.inventory_item_id,
        location_id=variant.location_id,
    )
    channel = channels.get(name)
    assert channel is not None
    (found,) = clients.call(channel, lambda c: c.read_variants([ref]))
    assert found is not None and found.sku == variant.sku


def test_during_a_rotation_both_webhook_secrets_are_accepted(stack, api):
    name = "rotating"
    add_shop(stack, api, name)
    api.edit_channel(name, {"webhook_secret": "the-new-secret"})
    for n, secret in enumerate(["the-new-secret", SECRET]):
        body = shopify_order(61_000 + n, "SKU-NONE", 1, 1)
        headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": signed(secret, body)}
        assert receive(ChannelType.SHOPIFY, name, headers, body).message == "queued", secret
    body = shopify_order(61_009, "SKU-NONE", 1, 1)
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": signed("another", body)}
    assert receive(ChannelType.SHOPIFY, name, headers, body).status == 401


def test_with_the_stacks_own_key_a_channels_secret_is_encrypted_with_it(stack, api, monkeypatch):
    key = client("kms").create_key(Description="tidemark secrets")["KeyMetadata"]["Arn"]
    monkeypatch.setenv("SECRETS_KMS_KEY_ID", key)
    reset()
    try:
        add_shop(stack, api, "own-key")
        described = client("secretsmanager").describe_secret(SecretId=secrets.name_for("own-key"))
        assert described["KmsKeyId"] == key
    finally:
        monkeypatch.delenv("SECRETS_KMS_KEY_ID")
        reset()
