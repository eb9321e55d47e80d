"""Webhook bodies too large for a queue message even trimmed (AWS's large-payload pattern): the door
keeps the body in S3 and queues its key; the worker reads it back.

Access pattern (template.yaml, WebhookBodiesBucket; its name in WEBHOOK_BODIES_BUCKET):
- one body:  key webhooks/<channel>/<delivery key>.json: put by the webhooks function (a
  redelivery of one event writes the same object again), got by the webhook worker. Neither
  deletes it: a message redelivered, or redriven from the dead-letter queue, finds it still
  there; the bucket's lifecycle rule expires it once no message can point at it.
"""

from __future__ import annotations

import os

from shared.storage.aws import client, quick_client

PREFIX = "webhooks/"  # what the webhooks function may write (template.yaml)


def _bucket() -> str:
    return os.environ["WEBHOOK_BODIES_BUCKET"]


def key_for(channel: str, delivery: str) -> str:
    return f"{PREFIX}{channel}/{delivery}.json"


def put(channel: str, delivery: str, body: str) -> str:
    """Keep the body of `delivery` with the webhook door's client (short timeouts, two attempts);
    its key."""
    key = key_for(channel, delivery)
    quick_client("s3").put_object(
        Bucket=_bucket(), Key=key, Body=body.encode(), ContentType="application/json"
    )
    return key


def get(key: str) -> str:
    body: bytes = client("s3").get_object(Bucket=_bucket(), Key=key)["Body"].read()
    return body.decode()
