"""The storage tests' AWS: template.yaml deployed into moto, its table in moto or, under
`--dynamodb=local`, in AWS's own DynamoDB Local (tests/dynamodb_local.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from shared.storage import aws
from tidemark.local.deploy import Deployment, deploy
from tidemark.local.runtime import LOCAL_ENVIRONMENT, TEMPLATE, handler_environment


@contextmanager
def deployed(dynamodb_endpoint: str | None, **environment: str) -> Iterator[Deployment]:
    """The template in moto (its Step Functions only record executions), the handlers' environment
    set; the table in DynamoDB Local when an endpoint is given, deleted after."""
    saved = dict(os.environ)
    os.environ.update(LOCAL_ENVIRONMENT)
    mock = mock_aws()
    mock.start()
    try:
        deployment = deploy(TEMPLATE)
        if dynamodb_endpoint:
            _copy_tables(dynamodb_endpoint)
        os.environ.update(handler_environment(deployment), **environment)
        aws.reset()
        parameters.clear_caches()  # type: ignore[no-untyped-call]
        yield deployment
    finally:
        if dynamodb_endpoint and os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
            dynamodb = boto3.client("dynamodb")
            for name in dynamodb.list_tables()["TableNames"]:
                dynamodb.delete_table(TableName=name)
        mock.stop()
        os.environ.clear()
        os.environ.update(saved)
        aws.reset()
        parameters.clear_caches()  # type: ignore[no-untyped-call]


def _copy_tables(endpoint: str) -> None:
    """Every table deploy() made in moto, made again in DynamoDB Local (keys, indexes, stream, TTL);
    from here on the environment sends DynamoDB's calls there. (Its backups are AWS's alone: DynamoDB
    Local answers UpdateContinuousBackups with UnknownOperationException.)"""
    moto = boto3.client("dynamodb")
    described = [moto.describe_table(TableName=n)["Table"] for n in moto.list_tables()["TableNames"]]
    ttls = {t["TableName"]: moto.describe_time_to_live(TableName=t["TableName"]) for t in described}
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    local = boto3.client("dynamodb")
    for table in described:
        name = table["TableName"]
        request = {
            "TableName": name,
            "AttributeDefinitions": table["AttributeDefinitions"],
            "KeySchema": table["KeySchema"],
            "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode", "PAY_PER_REQUEST"),
        }
        if table.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = [
                {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                for index in table["GlobalSecondaryIndexes"]
            ]
        if table.get("StreamSpecification"):
            request["StreamSpecification"] = table["StreamSpecification"]
        local.create_table(**request)
        ttl = ttls[name]["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") == "ENABLED":
            local.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
