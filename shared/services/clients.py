"""A channel's client with its credentials as Secrets Manager holds them: a call the channel
refuses (401) is tried once more with the secret read again, when it changed (another container
edited it within the read cache's minutes). The clients themselves know nothing of secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.channels.base import ChannelAuthError, ChannelClient
from shared.channels.factory import client_for
from shared.domain.channel import Channel
from shared.storage import secrets

T = TypeVar("T")


def call(channel: Channel, work: Callable[[ChannelClient], T]) -> T:
    """`work` with the channel's client; after a 401, once more with the secret read afresh."""
    credentials = secrets.read(channel.name)
    try:
        return work(client_for(channel, credentials))
    except ChannelAuthError:
        fresh = secrets.read(channel.name, fresh=True)
        if fresh == credentials:
            raise
        return work(client_for(channel, fresh))
