"""The bucket of webhook bodies too large for a queue message (issue 17, item 3): private, encrypted,
reached over TLS only, emptied by its lifecycle once no message can point at an object, and
written by the webhooks function and read by the worker, under the one prefix the code writes."""

from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.storage.webhook_bodies import PREFIX, key_for
from tests.integration.test_template_production import FUNCTIONS, QUEUES, RESOURCES, ROOT, statements
from tidemark.local.deploy import deploy

pytestmark = pytest.mark.integration
BUCKET = RESOURCES["WebhookBodiesBucket"]
PROPERTIES = BUCKET["Properties"]
OBJECTS = {"Fn::Sub": "${WebhookBodiesBucket.Arn}/webhooks/*"}
DAY = 24 * 3600


def s3_statements(function: str) -> list[dict[str, Any]]:
    return [s for s in statements(function) if str(s["Action"]).startswith("s3:")]


def test_the_bucket_is_private_encrypted_and_kept():
    assert PROPERTIES["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert PROPERTIES["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (encryption,) = PROPERTIES["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert (BUCKET["DeletionPolicy"], BUCKET["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_bucket_refuses_every_request_that_is_not_tls():
    policy = RESOURCES["WebhookBodiesBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "WebhookBodiesBucket"}
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Resource"] == [
        {"Fn::GetAtt": ["WebhookBodiesBucket", "Arn"]},
        {"Fn::Sub": "${WebhookBodiesBucket.Arn}/*"},
    ]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_a_body_outlives_every_message_that_may_point_at_it():
    (rule,) = PROPERTIES["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and "Prefix" not in rule and "TagFilters" not in rule
    queue = QUEUES["WebhookQueue"]["Properties"]
    dead_letters = QUEUES[queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Properties"]
    # a FIFO dead letter is kept its queue's retention from when it was moved there: the two add up
    longest_wait = queue["MessageRetentionPeriod"] + dead_letters["MessageRetentionPeriod"]
    assert longest_wait == 18 * DAY
    assert rule["ExpirationInDays"] * DAY > longest_wait
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_the_door_only_writes_bodies_and_the_worker_only_reads_them():
    (write,) = s3_statements("WebhooksFunction")
    assert (write["Effect"], write["Action"], write["Resource"]) == ("Allow", "s3:PutObject", OBJECTS)
    (read,) = s3_statements("WebhookWorkerFunction")
    assert (read["Effect"], read["Action"], read["Resource"]) == ("Allow", "s3:GetObject", OBJECTS)
    others = {name for name in FUNCTIONS if s3_statements(name)} - {
        "WebhooksFunction",
        "WebhookWorkerFunction",
    }
    assert others == set()
    assert key_for("shop", "abc").startswith(PREFIX) and OBJECTS["Fn::Sub"].endswith(f"/{PREFIX}*")
    for name in ("WebhooksFunction", "WebhookWorkerFunction"):
        variables = FUNCTIONS[name]["Environment"]["Variables"]
        assert variables["WEBHOOK_BODIES_BUCKET"] == {"Ref": "WebhookBodiesBucket"}, name


def test_local_mode_creates_the_bucket_and_hands_its_name_to_both_functions():
    with mock_aws():
        deployment = deploy(ROOT / "template.yaml")
        name = deployment.resources["WebhookBodiesBucket"].ref
        s3 = boto3.client("s3", region_name="us-east-1")
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        blocked = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert all(blocked.values()) and len(blocked) == 4
        # moto would deny every object call by the TLS-only statement (it tests no condition): left out
        with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
            s3.get_bucket_policy(Bucket=name)
        s3.put_object(Bucket=name, Key=key_for("shop", "abc"), Body=b"{}")
        given = {
            spec.logical_id: spec.environment.get("WEBHOOK_BODIES_BUCKET")
            for spec in deployment.functions.values()
            if spec.logical_id in ("WebhooksFunction", "WebhookWorkerFunction")
        }
        assert given == {"WebhooksFunction": name, "WebhookWorkerFunction": name}
