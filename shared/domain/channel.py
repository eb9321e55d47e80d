"""A connected store. Its credentials live in Secrets Manager, never on this model."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from shared.domain.job import SyncMode
from shared.domain.model import Model

ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class ChannelType(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    AMAZON = "amazon"
    EBAY = "ebay"


ListingField = Literal["sku", "upc", "mpn"]

# The variant fields a linking priority may name, per channel type.
CHANNEL_FIELDS_BY_TYPE: dict[ChannelType, tuple[str, ...]] = {
    ChannelType.SHOPIFY: ("sku", "barcode"),
    ChannelType.WOOCOMMERCE: ("sku", "global_unique_id"),
    # Amazon: the seller SKU, the UPC or EAN of the product, its ASIN (a listing holding it as MPN)
    ChannelType.AMAZON: ("sku", "external_product_id", "asin"),
    ChannelType.EBAY: ("sku", "upc", "ean"),  # the inventory item's product.upc / product.ean
}

# How many quantities one channel call sets (Shopify's input array limit, WooCommerce's batch limit).
# Amazon: one JSON_LISTINGS_FEED per batch (at most 25,000 messages; 5,000 SKUs keep the batch's
# queue message under SQS's 256 KiB with SKUs of Amazon's longest, 40 characters).
PUSH_BATCH_SIZE: dict[ChannelType, int] = {
    ChannelType.SHOPIFY: 250,
    ChannelType.WOOCOMMERCE: 100,
    ChannelType.AMAZON: 5_000,
    ChannelType.EBAY: 25,  # bulk_update_price_quantity
}


# Channels with no listing status: a listing hidden in master is sent quantity 0 there (Amazon documents
# closing a listing so), its status is neither pushed nor compared.
HIDES_BY_QUANTITY = frozenset({ChannelType.AMAZON})


class LinkPriority(Model):
    """Link when the listing's field equals exactly one channel variant's field."""

    model_config = ConfigDict(frozen=True)

    listing_field: ListingField
    channel_field: str


DEFAULT_PRIORITIES = (LinkPriority(listing_field="sku", channel_field="sku"),)


MAX_RATE_MINUTES = 365 * 24 * 60
RATE_FORMS = (
    "a whole number of minutes, hours or days, from 1 minute to 365 days: 30m, 1h, 2d, '90 minutes', '1 hour'"
)
_RATE = re.compile(r"\s*([0-9]+)\s*([a-z]+)\s*")
_UNIT_MINUTES = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "day", "days"), 24 * 60),
}
# Largest unit first: a rate is written in the largest unit that divides it (90m, 2h, 1d).
_UNITS = (("d", "day", 24 * 60), ("h", "hour", 60), ("m", "minute", 1))


def rate_minutes(text: str) -> int:
    """The minutes between syncs of a rate like '30m', '1h', '2d', '90 minutes' or '1 hour'."""
    match = _RATE.fullmatch(text.lower())
    if match is None or match.group(2) not in _UNIT_MINUTES:
        raise ValueError(f"'{text}' is not a rate: give {RATE_FORMS}")
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2)]
    if minutes < 1:
        raise ValueError(f"'{text}' is too often: give {RATE_FORMS}")
    if minutes > MAX_RATE_MINUTES:
        raise ValueError(f"'{text}' is too seldom: give {RATE_FORMS}")
    return minutes


def _in_largest_unit(minutes: int) -> tuple[int, str, str]:
    for short, word, size in _UNITS:
        if minutes % size == 0:
            return minutes // size, short, word
    raise AssertionError("every whole number of minutes divides by 1")


def normalize_rate(text: str) -> str:
    """A rate in its one written form: '90 minutes' -> '90m', '60m' -> '1h', '1 day' -> '1d'."""
    count, short, _ = _in_largest_unit(rate_minutes(text))
    return f"{count}{short}"


def rate_expression(rate: str) -> str:
    """EventBridge Scheduler's form of a rate: '1h' -> 'rate(1 hour)', '30m' -> 'rate(30 minutes)'."""
    count, _, word = _in_largest_unit(rate_minutes(rate))
    return f"rate({count} {word}{'' if count == 1 else 's'})"


def _not_selected(mode: SyncMode) -> SyncMode:
    if mode is SyncMode.SELECTED:
        raise ValueError("a schedule syncs full, partial or smart: a selected sync needs its SKUs")
    return mode


Rate = Annotated[str, AfterValidator(normalize_rate)]
ScheduleMode = Annotated[SyncMode, AfterValidator(_not_selected)]


class Schedule(Model):
    """A channel's sync schedule (one EventBridge Scheduler schedule named after the channel)."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    rate: Rate = "1h"
    mode: ScheduleMode = SyncMode.SMART


class Channel(Model):
    model_config = ConfigDict(frozen=True)

    name: ChannelName
    type: ChannelType
    store_url: str
    store_name: str = ""
    priorities: tuple[LinkPriority, ...] = Field(default=DEFAULT_PRIORITIES, min_length=1)
    link_after_build: bool = True
    created_at: datetime
    synced_full_at: datetime | None = None
    # None: added before channels had schedules (there is none in EventBridge Scheduler yet).
    schedule: Schedule | None = None


# A Shopify store's own address: https://<shop>.myshopify.com (a custom domain is not its API's host).
_SHOPIFY_HOST = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# Amazon's SP-API hosts, one a region (North America, Europe, Far East).
_AMAZON_HOST = re.compile(r"^sellingpartnerapi-(na|eu|fe)\.amazon\.com$")


EBAY_HOSTS = frozenset({"api.ebay.com", "api.sandbox.ebay.com"})


@dataclass(frozen=True)
class _ApiHost:
    """Where a channel type's API answers, which its store URL must name, and the fix when it does not."""

    names: Callable[[str], object]  # truthy for a host of the API
    fix: str
    any_port: bool = False

    def admits(self, parts: SplitResult) -> bool:
        return bool(self.names(parts.hostname or "")) and (self.any_port or parts.port in {None, 443})


_API_HOSTS = {
    ChannelType.SHOPIFY: _ApiHost(
        _SHOPIFY_HOST.match,
        "a Shopify store's API is at https://<shop>.myshopify.com (its admin's address, "
        "not a custom domain): use that one (allow_insecure_url for a test store of your own)",
    ),
    ChannelType.AMAZON: _ApiHost(
        _AMAZON_HOST.match,
        "Amazon's Selling Partner API is at https://sellingpartnerapi-na.amazon.com (or -eu, -fe, the "
        "seller's region): use that one (allow_insecure_url for a sandbox of your own)",
    ),
    ChannelType.EBAY: _ApiHost(
        EBAY_HOSTS.__contains__,
        "eBay's APIs are at https://api.ebay.com (https://api.sandbox.ebay.com for eBay's own sandbox): "
        "use one of those (allow_insecure_url for a sandbox of your own)",
        any_port=True,
    ),
}


def store_url_problem(channel_type: ChannelType, url: str, *, allow_insecure_url: bool) -> str | None:
    """What is wrong with a store URL for its channel type (with the fix), or None. Shopify takes
    only https://<shop>.myshopify.com and WooCommerce only https, unless the operator allows any
    http(s) URL for a store of their own (a sandbox or a store on this machine)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (it raises for a port past 65535)
    except ValueError:
        return "its port is past 65535: give the port the store answers on"
    if allow_insecure_url:
        return None
    if parts.scheme != "https":
        return (
            "the store's API is reached over https only: use its https:// address "
            "(allow_insecure_url for a store of your own on http)"
        )
    api = _API_HOSTS.get(channel_type)
    return api.fix if api is not None and not api.admits(parts) else None


def store_host(url: str) -> str:
    """Where a store URL sends its credentials: scheme, host and port."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"
