"""The client for a channel, built from its type and credentials, pooled per container."""

from __future__ import annotations

from functools import cache

from shared.channels.base import ChannelClient, ChannelError
from shared.domain.channel import Channel, ChannelType

_clients: dict[tuple[str, str, str], ChannelClient] = {}


def connect(channel_type: ChannelType, store_url: str, credentials: dict[str, str]) -> ChannelClient:
    """A new client; raises ChannelError when the credentials do not fit the channel type."""
    _trace_http()
    if channel_type is ChannelType.SHOPIFY:
        from shared.channels.shopify import ShopifyClient

        if not credentials.get("token"):
            raise ChannelError("a Shopify channel needs an access token: pass --token", retryable=False)
        return ShopifyClient(store_url, credentials["token"])
    if channel_type is ChannelType.AMAZON:
        return _amazon(store_url, credentials)
    if channel_type is ChannelType.EBAY:
        return _ebay(store_url, credentials)
    from shared.channels.woocommerce import WooCommerceClient

    if not credentials.get("key") or not credentials.get("secret"):
        raise ChannelError(
            "a WooCommerce channel needs a consumer key and secret: pass --key and --secret", retryable=False
        )
    return WooCommerceClient(store_url, credentials["key"], credentials["secret"])


@cache
def _trace_http() -> None:
    """X-Ray subsegments for the channels' calls, patched once, by the first client made."""
    from aws_lambda_powertools import Tracer

    Tracer(auto_patch=False).patch(("httpx",))


# What an Amazon channel's client needs, and the option that gives it.
AMAZON_CREDENTIALS = {
    "seller_id": "--seller-id",
    "marketplace_id": "--marketplace",
    "client_id": "--client-id",
    "client_secret": "--client-secret",
    "refresh_token": "--refresh-token",
}


def _amazon(endpoint: str, credentials: dict[str, str]) -> ChannelClient:
    from shared.channels.amazon import AmazonClient
    from shared.channels.amazon.lwa import DEFAULT_LWA_URL

    for name, option in AMAZON_CREDENTIALS.items():
        if not credentials.get(name):
            raise ChannelError(
                f"an Amazon channel needs its {name}: pass {option}", retryable=False, field=name
            )
    return AmazonClient(
        endpoint,
        seller_id=credentials["seller_id"],
        marketplace_id=credentials["marketplace_id"],
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        refresh_token=credentials["refresh_token"],
        lwa_url=credentials.get("lwa_url") or DEFAULT_LWA_URL,
    )


def _ebay(api_url: str, credentials: dict[str, str]) -> ChannelClient:
    from shared.channels.ebay import EbayClient
    from shared.channels.ebay.auth import EbayAuthError

    for field in ("client_id", "client_secret", "refresh_token"):
        if not credentials.get(field):
            raise EbayAuthError(
                field,
                "an eBay channel needs the app's keys and the seller's refresh token: pass --client-id, "
                "--client-secret and --refresh-token",
            )
    return EbayClient(
        api_url,
        credentials["client_id"],
        credentials["client_secret"],
        credentials["refresh_token"],
        credentials.get("marketplace_id") or "EBAY_US",
    )


def client_for(channel: Channel, credentials: dict[str, str]) -> ChannelClient:
    """The container's pooled client for this channel (a new one when its credentials changed)."""
    cache_key = (channel.name, channel.store_url, repr(sorted(credentials.items())))
    client = _clients.get(cache_key)
    if client is None:
        for stale in [k for k in _clients if k[0] == channel.name]:
            _clients.pop(stale).close()
        client = _clients[cache_key] = connect(channel.type, channel.store_url, credentials)
    return client
