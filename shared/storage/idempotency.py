"""Idempotency records of the console API's requests (Powertools idempotency), in the one table.

Access patterns (template.yaml, Table):
- one request's record, by its Idempotency-Key:  PK=IDEMPOTENCY, SK=<route>#<hash of the key>;
                                                 TTL expires_at
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from shared.settings import settings
from shared.storage.aws import client


def store() -> DynamoDBPersistenceLayer:
    """The persistence layer on this container's DynamoDB client (a new stack, a new one)."""
    return _store(client("dynamodb"), settings().table_name)


@cache
def _store(dynamodb: Any, table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY",
        expiry_attr="expires_at",
        boto3_client=dynamodb,
    )
