"""Connecting a channel: a test call to the store first, credentials to Secrets Manager."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from shared.channels.base import ChannelAuthError, ChannelError
from shared.channels.factory import AMAZON_CREDENTIALS, connect
from shared.domain.channel import (
    CHANNEL_FIELDS_BY_TYPE,
    DEFAULT_PRIORITIES,
    Channel,
    ChannelName,
    ChannelType,
    LinkPriority,
    Schedule,
    store_host,
    store_url_problem,
)
from shared.domain.fields import FieldError, FieldRule
from shared.domain.marketplaces import marketplace_problem
from shared.domain.model import Model
from shared.domain.webhooks import rotated
from shared.storage import channels, schedules, secrets

NonEmpty = Annotated[str, Field(min_length=1)]
Url = Annotated[str, Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")]
# A seller's merchant token (Seller Central > Settings > Account Info > Merchant Token).
SellerId = Annotated[str, Field(pattern=r"^[A-Z0-9]{5,20}$")]

# What each marketplace field is (the API's descriptions).
HELP = {
    "client_id": "Amazon: the LWA client id of the app (amzn1.application-oa2-client...); eBay: the app's "
    "client id (App ID)",
    "client_secret": "Amazon: the LWA client secret of the app; eBay: the app's client secret (Cert ID)",
    "refresh_token": "Amazon: the refresh token the seller's authorization gave (Atzr|...); eBay: the "
    "seller's OAuth refresh token",
    "seller_id": "Amazon: the seller's merchant token (Seller Central > Settings > Merchant Token)",
    "marketplace_id": "Amazon: the marketplace id it sells in, e.g. ATVPDKIKX0DER (US); eBay: the "
    "marketplace id of the channel's offers, like EBAY_US",
    "lwa_url": "Amazon: the Login with Amazon token endpoint (default https://api.amazon.com/auth/o2/token)",
    "dev_id": "eBay: the app's Dev ID (Application Keys), to verify its Platform Notifications; optional",
}
EBAY_VERIFICATION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,80}$")
EBAY_DEV_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _printable_ascii(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
    if not (text.isascii() and text.isprintable()):
        raise ValueError(
            "a credential is printable ASCII: paste it as the store shows it, without spaces around"
        )
    return value


# Sent in HTTP headers or a URL: a character outside printable ASCII cannot go there.
Credential = Annotated[SecretStr, AfterValidator(_printable_ascii)]


ALLOW_INSECURE_URL = (
    "accept any http(s) store URL, for a store of your own (a sandbox, a store on this machine); "
    "otherwise Shopify takes only https://<shop>.myshopify.com and WooCommerce only https"
)


class ChannelRequest(Model):
    model_config = ConfigDict(extra="forbid")

    name: ChannelName = Field(description="lower-case letters, digits and dashes, like 'main-shop'")
    type: ChannelType
    store_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")]
    token: Credential | None = Field(default=None, description="Shopify Admin API access token")
    key: Credential | None = Field(default=None, description="WooCommerce consumer key")
    secret: Credential | None = Field(default=None, description="WooCommerce consumer secret")
    client_id: Credential | None = Field(default=None, description=HELP["client_id"])
    client_secret: Credential | None = Field(default=None, description=HELP["client_secret"])
    refresh_token: Credential | None = Field(default=None, description=HELP["refresh_token"])
    dev_id: Credential | None = Field(default=None, description=HELP["dev_id"])
    seller_id: SellerId | None = Field(default=None, description=HELP["seller_id"])
    marketplace_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{2,30}$")] | None = Field(
        default=None, description=HELP["marketplace_id"]
    )
    lwa_url: Url | None = Field(default=None, description=HELP["lwa_url"])
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shopify, WooCommerce: the webhook secret; eBay: the Notification API verification token",
    )
    priorities: list[LinkPriority] = Field(default_factory=lambda: list(DEFAULT_PRIORITIES), min_length=1)
    link_after_build: bool = True
    allow_insecure_url: bool = Field(default=False, description=ALLOW_INSECURE_URL)

    @model_validator(mode="after")
    def _priorities_fit_the_channel(self) -> ChannelRequest:
        check_priorities(self.type, self.priorities)
        problem = store_url_problem(self.type, self.store_url, allow_insecure_url=self.allow_insecure_url)
        if problem:
            raise FieldRule("store_url", problem)
        if self.type is ChannelType.AMAZON:
            check_amazon(self)
        problem = dev_id_problem(self.type, self.dev_id)
        if problem:
            raise FieldRule("dev_id", problem)
        token = self.webhook_secret.get_secret_value() if self.webhook_secret else None
        if self.type is ChannelType.EBAY and token is not None and not EBAY_VERIFICATION_TOKEN.match(token):
            raise FieldRule(
                "webhook_secret",
                "eBay's verification token is 32 to 80 letters, digits, underscores or hyphens: "
                "give the one set on the notification destination",
            )
        return self

    def credentials(self) -> dict[str, str]:
        found = _secrets_given(self)
        plain = {"seller_id": self.seller_id, "marketplace_id": self.marketplace_id, "lwa_url": self.lwa_url}
        return {**found, **{name: value for name, value in plain.items() if value}}


class ChannelEdit(Model):
    """What to change on a channel; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    store_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(:\d+)?(/.*)?$")] | None = None
    token: Credential | None = Field(default=None, description="Shopify Admin API access token")
    key: Credential | None = Field(default=None, description="WooCommerce consumer key")
    secret: Credential | None = Field(default=None, description="WooCommerce consumer secret")
    client_id: Credential | None = Field(default=None, description=HELP["client_id"])
    client_secret: Credential | None = Field(default=None, description=HELP["client_secret"])
    refresh_token: Credential | None = Field(default=None, description=HELP["refresh_token"])
    dev_id: Credential | None = Field(default=None, description=HELP["dev_id"])
    webhook_secret: SecretStr | None = Field(
        default=None, description="a new one: the one it replaces is still accepted for 7 days (a rotation)"
    )
    priorities: list[LinkPriority] | None = Field(
        default=None, min_length=1, description="replaces the whole list, in order"
    )
    link_after_build: bool | None = None
    allow_insecure_url: bool = Field(default=False, description=ALLOW_INSECURE_URL)

    def credentials(self) -> dict[str, str]:
        return _secrets_given(self)


SECRET_FIELDS = (
    "token",
    "key",
    "secret",
    "client_id",
    "client_secret",
    "refresh_token",
    "dev_id",
    "webhook_secret",
)
# Given alone, these are not checked with a call to the store: its API is not called with them.
_NOT_THE_STORES = {"webhook_secret", "dev_id", "notification_dev_id"}


def _secrets_given(model: BaseModel) -> dict[str, str]:
    """The secrets a channel's form or edit gives, in plain text (they go to the secret store only)."""
    given = {name: getattr(model, name) for name in SECRET_FIELDS}
    return {name: value.get_secret_value() for name, value in given.items() if value is not None}


def check_priorities(channel_type: ChannelType, priorities: Sequence[LinkPriority]) -> None:
    """A FieldRule naming the priority whose channel field the type lacks: priorities.N.channel_field."""
    allowed = CHANNEL_FIELDS_BY_TYPE[channel_type]
    for at, priority in enumerate(priorities):
        if priority.channel_field not in allowed:
            raise FieldRule(
                f"priorities.{at}.channel_field",
                f"'{priority.channel_field}' is not a {channel_type.value} field: "
                f"use one of {', '.join(allowed)}",
            )


def dev_id_problem(channel_type: ChannelType, dev_id: SecretStr | None) -> str | None:
    """What is wrong with a dev_id given (None: nothing, or none given)."""
    if dev_id is None:
        return None
    if channel_type is not ChannelType.EBAY:
        return f"a dev_id is an eBay app's key: leave it out of a {channel_type.value} channel"
    if not EBAY_DEV_ID.match(dev_id.get_secret_value()):
        return (
            "eBay's Dev ID is a UUID (8-4-4-4-12 hexadecimal digits): copy it from the developer "
            "account's Application Keys, beside the App ID and Cert ID"
        )
    return None


def check_amazon(request: ChannelRequest) -> None:
    """A FieldRule naming the first Amazon field missing or wrong."""
    for name, option in AMAZON_CREDENTIALS.items():
        if not getattr(request, name):
            raise FieldRule(name, f"an Amazon channel needs its {name}: pass {option}")
    problem = marketplace_problem(request.marketplace_id or "")
    if problem:
        raise FieldRule("marketplace_id", problem)


class ChannelAlreadyExists(ValueError):
    pass


class UnknownChannel(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no channel named '{name}': see `tidemark channels list`")


class InvalidEdit(FieldError):
    """An edit the channel cannot take: its field, and the fix."""


class ChannelRefused(FieldError):
    """The store refused the credentials or did not answer: the field at fault, what it said and the fix."""


def add_channel(request: ChannelRequest) -> Channel:
    """Check the store accepts the credentials, save the channel, keep its credentials in Secrets
    Manager, give it its default sync schedule (hourly, smart). The save is a conditional create and
    the first write: of two adds of one name at once, the loser writes nothing and is refused."""
    taken = ChannelAlreadyExists(
        f"a channel named '{request.name}' already exists: pick another name or edit that one"
    )
    if channels.get(request.name) is not None:
        raise taken
    store_url = request.store_url.rstrip("/")
    credentials = _with_notification_keys(request.type, request.credentials())
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
    )
    try:
        channels.create(channel)  # without its schedule: a channel never shows one that does not exist
    except channels.ChannelExists:
        raise taken from None
    secrets.store(channel.name, credentials)
    schedules.put(channel.name, schedule, exists=False)
    channels.save_schedule(channel.name, schedule)
    return channel.model_copy(update={"schedule": schedule})


def edit_channel(name: str, edit: ChannelEdit) -> Channel:
    """Change a channel. New credentials or a new store URL are checked with a test call first;
    anything refused changes nothing."""
    channel = channels.get(name)
    if channel is None:
        raise UnknownChannel(name)
    if edit.priorities is not None:
        try:
            check_priorities(channel.type, edit.priorities)
        except FieldRule as error:
            raise InvalidEdit(error.field, error.fix) from error
    problem = dev_id_problem(channel.type, edit.dev_id)
    if problem:
        raise InvalidEdit("dev_id", problem)
    given = _with_notification_keys(channel.type, edit.credentials())
    if edit.store_url is not None:
        _check_new_url(channel, edit.store_url, given, allow_insecure_url=edit.allow_insecure_url)
    credentials = secrets.read_all(name, fresh=True)
    changes = _store_changes(channel, edit.store_url, credentials, given)
    if edit.priorities is not None:
        changes["priorities"] = tuple(edit.priorities)
    if edit.link_after_build is not None:
        changes["link_after_build"] = edit.link_after_build
    if given:
        secrets.store(name, rotated(credentials, given, datetime.now(UTC)))
        secrets.read_all(name, fresh=True)  # this container's cache; others refresh within minutes
    edited = channel.model_copy(update=changes)
    channels.put(edited)
    return edited


def _store_changes(
    channel: Channel, store_url: str | None, credentials: dict[str, str], given: dict[str, str]
) -> dict[str, object]:
    """The store's URL and its name, read with a test call, when the edit moves the store or gives
    credentials its API is called with (a new webhook secret alone is not checked against it)."""
    if store_url is None and not set(given) - _NOT_THE_STORES:
        return {}
    url = (store_url or channel.store_url).rstrip("/")
    return {"store_name": _check_access(channel.type, url, {**credentials, **given}), "store_url": url}


def _with_notification_keys(channel_type: ChannelType, values: dict[str, str]) -> dict[str, str]:
    """eBay: the app's client id and secret also beside the webhook secret, where the webhooks
    function fetches eBay's public keys with them, and with the dev id verifies Platform
    Notifications (the seller's refresh token stays out of its reach)."""
    if channel_type is not ChannelType.EBAY:
        return values
    keys = ("client_id", "client_secret", "dev_id")
    copies = {f"notification_{k}": values[k] for k in keys if k in values}
    return {**values, **copies}


# What a store's API is called with: asked for again when the store moves to another host.
_STORE_CREDENTIALS = {
    ChannelType.SHOPIFY: ("token",),
    ChannelType.WOOCOMMERCE: ("key", "secret"),
    ChannelType.AMAZON: ("client_id", "client_secret", "refresh_token"),
    ChannelType.EBAY: ("client_id", "client_secret", "refresh_token"),
}


def _check_new_url(channel: Channel, url: str, given: dict[str, str], *, allow_insecure_url: bool) -> None:
    """InvalidEdit for a URL the channel's type does not take, or one on another host without
    the store's credentials: the stored ones are never sent to a new host."""
    if url.rstrip("/") == channel.store_url:
        return  # the URL it has (an edit form sends it back as it is)
    problem = store_url_problem(channel.type, url, allow_insecure_url=allow_insecure_url)
    if problem:
        raise InvalidEdit("store_url", problem)
    if store_host(url) == store_host(channel.store_url):
        return
    missing = [field for field in _STORE_CREDENTIALS[channel.type] if field not in given]
    if missing:
        raise InvalidEdit(
            missing[0],
            f"the store moves to another host ({store_host(url)}): give its "
            f"{' and '.join(missing)} with the new store_url (the stored ones are never sent to a new host)",
        )


# The field a store's refusal of the credentials is about.
_CREDENTIAL = {
    ChannelType.SHOPIFY: "token",
    ChannelType.WOOCOMMERCE: "key",
    ChannelType.AMAZON: "refresh_token",
    ChannelType.EBAY: "client_id",
}


def _check_access(channel_type: ChannelType, store_url: str, credentials: dict[str, str]) -> str:
    """The store's name; ChannelRefused naming the credential it refused, or the URL it did not
    answer at (a 4xx for the caller to fix: a URL or a store that is down)."""
    try:
        client = connect(channel_type, store_url, credentials)
    except ChannelError as error:
        raise ChannelRefused(error.field or _CREDENTIAL[channel_type], error.message) from error
    try:
        return client.check_access()
    except ChannelAuthError as error:
        raise ChannelRefused(error.field or _CREDENTIAL[channel_type], error.message) from error
    except ChannelError as error:
        if error.field and not error.retryable:
            raise ChannelRefused(error.field, error.message) from error
        raise ChannelRefused(
            "store_url", f"{error.message}; check the URL, or try again once the store is up"
        ) from error
    finally:
        client.close()


def list_channels() -> list[Channel]:
    return channels.list_all()


def get_channel(name: str) -> Channel:
    """The channel; UnknownChannel when there is none of that name."""
    channel = channels.get(name)
    if channel is None:
        raise UnknownChannel(name)
    return channel
