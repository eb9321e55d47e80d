"""The eBay channel: the Sell Inventory API v1 (client.py), its OAuth (auth.py) and daily quota (quota.py)."""

from shared.channels.ebay.client import EbayClient

__all__ = ["EbayClient"]
