"""The client for a channel, built from its type and credentials, pooled per container."""

from __future__ import annotations

from shared.channels.base import ChannelClient, ChannelError
from shared.domain.channel import Channel, ChannelType

_clients: dict[tuple[str, str, str], ChannelClient] = {}


def connect(channel_type: ChannelType, store_url: str, credentials: dict[str, str]) -> ChannelClient:
    """A new client; raises ChannelError when the credentials do not fit the channel type."""
    if channel_type is ChannelType.SHOPIFY:
        from shared.channels.shopify import ShopifyClient

        if not credentials.get("token"):
            raise ChannelError("a Shopify channel needs an access token: pass --token", retryable=False)
        return ShopifyClient(store_url, credentials["token"])
    if channel_type is ChannelType.EBAY:
        return _ebay(store_url, credentials)
    from shared.channels.woocommerce import WooCommerceClient

    if not credentials.get("key") or not credentials.get("secret"):
        raise ChannelError(
            "a WooCommerce channel needs a consumer key and secret: pass --key and --secret", retryable=False
        )
    return WooCommerceClient(store_url, credentials["key"], credentials["secret"])


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
