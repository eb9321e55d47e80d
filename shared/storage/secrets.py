"""Channel credentials and webhook secrets, in Secrets Manager: never in the table or the logs.

Two secrets per channel, each a JSON object: its store credentials (the admin token, the consumer
key and secret) at <SECRETS_PREFIX>/<channel>, and its webhook secret apart, at
<WEBHOOK_SECRETS_PREFIX>/<channel>, the only one the internet-facing webhooks function may read.
Reads go through Powertools parameters, cached for a few minutes per container.
"""

from __future__ import annotations

import json
from typing import Any, cast

from botocore.exceptions import ClientError

from shared.settings import settings
from shared.storage.aws import client

CACHE_SECONDS = 300


def name_for(channel: str) -> str:
    return f"{settings().secrets_prefix}/{channel}"


def webhook_name_for(channel: str) -> str:
    return f"{settings().webhook_secrets_prefix}/{channel}"


def _is_webhook(key: str) -> bool:
    """A value of the webhook secret: the one the store signs with (and any kept beside it), and
    what eBay's notifications are checked with (the app's keys, for its public keys; never the
    seller's refresh token)."""
    return "webhook_secret" in key or key.startswith("notification_")


def store(channel: str, values: dict[str, str]) -> None:
    """Keep the credentials, and the webhook values in the webhook secret (when any are given)."""
    _put(name_for(channel), {k: v for k, v in values.items() if not _is_webhook(k)})
    webhook = {k: v for k, v in values.items() if _is_webhook(k)}
    if webhook:
        _put(webhook_name_for(channel), webhook)


def _put(name: str, values: dict[str, str]) -> None:
    secret = json.dumps(values)
    try:
        key = settings().secrets_kms_key_id
        extra = {"KmsKeyId": key} if key else {}  # else the account's aws/secretsmanager key
        client("secretsmanager").create_secret(Name=name, SecretString=secret, **extra)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise
        client("secretsmanager").put_secret_value(SecretId=name, SecretString=secret)


def read(channel: str, *, fresh: bool = False) -> dict[str, str]:
    """The channel's store credentials."""
    return _get(name_for(channel), fresh)


def read_webhook(channel: str, *, fresh: bool = False) -> dict[str, str]:
    """The channel's webhook values ({} for a channel given no webhook secret)."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        return _get(webhook_name_for(channel), fresh)
    except GetParameterError as error:
        if "ResourceNotFoundException" in str(error):
            return {}
        raise


def read_all(channel: str, *, fresh: bool = False) -> dict[str, str]:
    """The credentials and the webhook values together (an edit rewrites them)."""
    return {**read(channel, fresh=fresh), **read_webhook(channel, fresh=fresh)}


def _get(name: str, fresh: bool) -> dict[str, str]:
    # here: Powertools parameters imports boto3, which the import of a handler leaves out
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(name, transform="json", max_age=CACHE_SECONDS, force_fetch=fresh)
    return cast(dict[str, Any], value)


def delete(channel: str) -> bool:
    """Delete the channel's secrets, its credentials and its webhook secret, at once (no recovery
    window: a channel added again under the name creates its own); False when it had none."""
    deleted = False
    for name in (name_for(channel), webhook_name_for(channel)):
        try:
            client("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        else:
            deleted = True
    return deleted
