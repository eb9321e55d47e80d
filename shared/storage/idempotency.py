"""Idempotency records (Powertools idempotency), in the one table: the console API's requests and
the pushes at once (auto-push queue messages).

Access patterns (template.yaml, Table):
- one request's record, by its Idempotency-Key:  PK=<route>#<hash of the key>, SK=IDEMPOTENCY;
                                                 TTL expires_at
- one auto push's record, by its message id:     PK=auto-push#<hash of the id>, SK=IDEMPOTENCY;
                                                 TTL expires_at
Each record is a partition of its own: one partition for all of them would be a hot key.
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


class _KeyedByHash(DynamoDBPersistenceLayer):
    """Powertools' layout for a table keyed by the hash alone (what it reads back as the record's
    key is PK), plus the sort key the table has."""

    def _get_key(self, idempotency_key: str) -> dict[str, Any]:
        return {"PK": {"S": idempotency_key}, "SK": {"S": "IDEMPOTENCY"}}


@cache
def _store(dynamodb: Any, table_name: str, use: str) -> DynamoDBPersistenceLayer:
    return _KeyedByHash(table_name=table_name, key_attr="PK", expiry_attr="expires_at", boto3_client=dynamodb)
