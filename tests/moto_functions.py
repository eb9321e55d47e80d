"""moto set-ups the event-source tests share: a consumer function run in process through the local
Lambda seam, and a plain table with a stream (both inside a test's `mock_aws()`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from tidemark.local import lambdas
from tidemark.local.deploy import _placeholder_zip

REGION = "us-east-1"


def consumer_function(name: str, handler: Callable[[Any, Any], Any]) -> None:
    """Create function `name` in moto and have the seam run `handler` for it (install_seam first)."""
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument="{}"
    )
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="h.h",
        Code={"ZipFile": _placeholder_zip()},
    )
    lambdas._registry[name] = handler


def table_with_stream(dynamodb: Any, name: str = "t") -> dict[str, Any]:
    """A PK/SK table streaming new and old images; its description."""
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
