"""Connecting a channel: a test call to the store first, credentials to Secrets Manager."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from shared.channels.base import ChannelAuthError, ChannelError
from shared.channels.factory import connect
from shared.domain.channel import (
    CHANNEL_FIELDS_BY_TYPE,
    DEFAULT_PRIORITIES,
    Channel,
    ChannelName,
    ChannelType,
    LinkPriority,
    Schedule,
)
from shared.storage import channels, schedules, secrets

NonEmpty = Annotated[str, Field(min_length=1)]


def _printable_ascii(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
    if not (text.isascii() and text.isprintable()):
        raise ValueError(
            "a credential is printable ASCII: paste it as the store shows it, without spaces around"
        )
    return value


# Sent in HTTP headers or a URL: a character outside printable ASCII cannot go there.
Credential = Annotated[SecretStr, AfterValidator(_printable_ascii)]


class ChannelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ChannelName = Field(description="lower-case letters, digits and dashes, like 'main-shop'")
    type: ChannelType
    store_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")]
    token: Credential | None = Field(default=None, description="Shopify Admin API access token")
    key: Credential | None = Field(default=None, description="WooCommerce consumer key")
    secret: Credential | None = Field(default=None, description="WooCommerce consumer secret")
    webhook_secret: SecretStr | None = None
    priorities: list[LinkPriority] = Field(default_factory=lambda: list(DEFAULT_PRIORITIES), min_length=1)
    link_after_build: bool = True

    @model_validator(mode="after")
    def _priorities_fit_the_channel(self) -> ChannelRequest:
        check_priorities(self.type, self.priorities)
        return self

    def credentials(self) -> dict[str, str]:
        given = {
            "token": self.token,
            "key": self.key,
            "secret": self.secret,
            "webhook_secret": self.webhook_secret,
        }
        return {name: value.get_secret_value() for name, value in given.items() if value is not None}


class ChannelEdit(BaseModel):
    """What to change on a channel; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    store_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")] | None = None
    token: Credential | None = Field(default=None, description="Shopify Admin API access token")
    key: Credential | None = Field(default=None, description="WooCommerce consumer key")
    secret: Credential | None = Field(default=None, description="WooCommerce consumer secret")
    webhook_secret: SecretStr | None = None
    priorities: list[LinkPriority] | None = Field(
        default=None, min_length=1, description="replaces the whole list, in order"
    )
    link_after_build: bool | None = None

    def credentials(self) -> dict[str, str]:
        given = {
            "token": self.token,
            "key": self.key,
            "secret": self.secret,
            "webhook_secret": self.webhook_secret,
        }
        return {name: value.get_secret_value() for name, value in given.items() if value is not None}


def check_priorities(channel_type: ChannelType, priorities: Sequence[LinkPriority]) -> None:
    allowed = CHANNEL_FIELDS_BY_TYPE[channel_type]
    for priority in priorities:
        if priority.channel_field not in allowed:
            raise ValueError(
                f"priorities: '{priority.channel_field}' is not a {channel_type.value} field: "
                f"use one of {', '.join(allowed)}"
            )


class ChannelAlreadyExists(ValueError):
    pass


class UnknownChannel(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no channel named '{name}': see `tidemark channels list`")


class InvalidEdit(ValueError):
    pass


class ChannelRefused(ValueError):
    """The store refused the credentials or did not answer: "<field>: <what it said and the fix>"."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")


def add_channel(request: ChannelRequest) -> Channel:
    """Check the store accepts the credentials, keep them in Secrets Manager, give the channel its
    default sync schedule (hourly, smart), save the channel."""
    if channels.get(request.name) is not None:
        raise ChannelAlreadyExists(
            f"a channel named '{request.name}' already exists: pick another name or edit that one"
        )
    store_url = request.store_url.rstrip("/")
    credentials = request.credentials()
    store_name = _check_access(request.type, store_url, credentials)
    schedule = Schedule()
    channel = Channel(
        name=request.name,
        type=request.type,
        store_url=store_url,
        store_name=store_name,
        priorities=tuple(request.priorities),
        link_after_build=request.link_after_build,
        created_at=datetime.now(UTC),
        schedule=schedule,
    )
    secrets.store(channel.name, credentials)
    # The schedule before the channel: a channel never shows a schedule that does not exist.
    schedules.put(channel.name, schedule, exists=False)
    channels.create(channel)
    return channel


def edit_channel(name: str, edit: ChannelEdit) -> Channel:
    """Change a channel. New credentials or a new store URL are checked with a test call first;
    anything refused changes nothing."""
    channel = channels.get(name)
    if channel is None:
        raise UnknownChannel(name)
    if edit.priorities is not None:
        try:
            check_priorities(channel.type, edit.priorities)
        except ValueError as error:
            raise InvalidEdit(str(error)) from error
    changes: dict[str, object] = {}
    credentials = secrets.read(name, fresh=True)
    given = edit.credentials()
    if edit.store_url is not None or set(given) - {"webhook_secret"}:
        store_url = (edit.store_url or channel.store_url).rstrip("/")
        changes["store_name"] = _check_access(channel.type, store_url, {**credentials, **given})
        changes["store_url"] = store_url
    if edit.priorities is not None:
        changes["priorities"] = tuple(edit.priorities)
    if edit.link_after_build is not None:
        changes["link_after_build"] = edit.link_after_build
    if given:
        secrets.store(name, {**credentials, **given})
        secrets.read(name, fresh=True)  # this container's cache; others refresh within minutes
    edited = channel.model_copy(update=changes)
    channels.put(edited)
    return edited


# The field a store's refusal of the credentials is about.
_CREDENTIAL = {ChannelType.SHOPIFY: "token", ChannelType.WOOCOMMERCE: "key"}


def _check_access(channel_type: ChannelType, store_url: str, credentials: dict[str, str]) -> str:
    """The store's name; ChannelRefused naming the credential it refused, or the URL it did not
    answer at (a 4xx for the caller to fix: a URL or a store that is down)."""
    try:
        client = connect(channel_type, store_url, credentials)
    except ChannelError as error:
        raise ChannelRefused(_CREDENTIAL[channel_type], error.message) from error
    try:
        return client.check_access()
    except ChannelAuthError as error:
        raise ChannelRefused(_CREDENTIAL[channel_type], error.message) from error
    except ChannelError as error:
        raise ChannelRefused(
            "store_url", f"{error.message}; check the URL, or try again once the store is up"
        ) from error
    finally:
        client.close()
