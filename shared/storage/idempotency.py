"""Idempotency records (Powertools idempotency), in the one table: the console API's requests and
the pushes at once (auto-push queue messages).

Access patterns (template.yaml, Table):
- one request's record, by its Idempotency-Key:  PK=IDEMPOTENCY, SK=<route>#<hash of the key>;
                                                 TTL expires_at
- one auto push's record, by its message id:     PK=IDEMPOTENCY, SK=auto-push#<hash of the id>;
                                                 TTL expires_at
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from shared.settings import settings
from shared.storage.aws import client


def store(use: str) -> DynamoDBPersistenceLayer:
    """The persistence layer of one use (its key prefix) on this container's DynamoDB client (a new
    stack, a new one). One a use: Powertools configures a layer once, by the first config it is
    given, and keeps that key path and expiry for every later call."""
    return _store(client("dynamodb"), settings().table_name, use)


@cache
def _store(dynamodb: Any, table_name: str, use: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY",
        expiry_attr="expires_at",
        boto3_client=dynamodb,
    )
