"""The Amazon Selling Partner API channel client (client.py)."""

from shared.channels.amazon.client import AmazonClient

__all__ = ["AmazonClient"]
