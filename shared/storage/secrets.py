"""Channel credentials and webhook secrets, in Secrets Manager: never in the table or the logs.

One secret per channel, named <SECRETS_PREFIX>/<channel>, holding a JSON object.
Reads go through Powertools parameters, cached for a few minutes per container.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from shared.settings import settings
from shared.storage.aws import client

CACHE_SECONDS = 300


def name_for(channel: str) -> str:
    return f"{settings().secrets_prefix}/{channel}"


def store(channel: str, values: dict[str, str]) -> None:
    secret = json.dumps(values)
    try:
        client("secretsmanager").create_secret(Name=name_for(channel), SecretString=secret)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise
        client("secretsmanager").put_secret_value(SecretId=name_for(channel), SecretString=secret)


def read(channel: str, *, fresh: bool = False) -> dict[str, str]:
    value = parameters.get_secret(
        name_for(channel), transform="json", max_age=CACHE_SECONDS, force_fetch=fresh
    )
    return cast(dict[str, Any], value)
