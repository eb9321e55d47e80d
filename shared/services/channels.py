"""Connecting a channel: a test call to the store first, credentials to Secrets Manager."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from shared.channels.factory import connect
from shared.domain.channel import (
    CHANNEL_FIELDS_BY_TYPE,
    DEFAULT_PRIORITIES,
    Channel,
    ChannelName,
    ChannelType,
    LinkPriority,
)
from shared.storage import channels, secrets

NonEmpty = Annotated[str, Field(min_length=1)]


class ChannelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ChannelName = Field(description="lower-case letters, digits and dashes, like 'main-shop'")
    type: ChannelType
    store_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")]
    token: SecretStr | None = Field(default=None, description="Shopify Admin API access token")
    key: SecretStr | None = Field(default=None, description="WooCommerce consumer key")
    secret: SecretStr | None = Field(default=None, description="WooCommerce consumer secret")
    webhook_secret: SecretStr | None = None
    priorities: list[LinkPriority] = Field(default_factory=lambda: list(DEFAULT_PRIORITIES), min_length=1)
    link_after_build: bool = True

    @model_validator(mode="after")
    def _priorities_fit_the_channel(self) -> ChannelRequest:
        allowed = CHANNEL_FIELDS_BY_TYPE[self.type]
        for priority in self.priorities:
            if priority.channel_field not in allowed:
                raise ValueError(
                    f"priorities: '{priority.channel_field}' is not a {self.type.value} field: "
                    f"use one of {', '.join(allowed)}"
                )
        return self

    def credentials(self) -> dict[str, str]:
        given = {
            "token": self.token,
            "key": self.key,
            "secret": self.secret,
            "webhook_secret": self.webhook_secret,
        }
        return {name: value.get_secret_value() for name, value in given.items() if value is not None}


class ChannelAlreadyExists(ValueError):
    pass


def add_channel(request: ChannelRequest) -> Channel:
    """Check the store accepts the credentials, keep them in Secrets Manager, save the channel."""
    if channels.get(request.name) is not None:
        raise ChannelAlreadyExists(
            f"a channel named '{request.name}' already exists: pick another name or edit that one"
        )
    store_url = request.store_url.rstrip("/")
    credentials = request.credentials()
    client = connect(request.type, store_url, credentials)
    try:
        store_name = client.check_access()
    finally:
        client.close()
    channel = Channel(
        name=request.name,
        type=request.type,
        store_url=store_url,
        store_name=store_name,
        priorities=tuple(request.priorities),
        link_after_build=request.link_after_build,
        created_at=datetime.now(UTC),
    )
    secrets.store(channel.name, credentials)
    channels.create(channel)
    return channel
