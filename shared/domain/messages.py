"""The messages that cross the push queues."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from shared.domain.channel import ChannelType
from shared.domain.model import Model


class PushMessage(Model):
    """One push batch of a job: what goes through the FIFO queue (group: channel and SKU shard)."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    channel: str
    batch_id: str
    skus: list[str] = Field(min_length=1)

    def idempotency_key(self, call: str = "") -> str:
        """The same for every delivery of this batch's `call`, so a retried channel call is applied once."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tidemark:{self.job_id}:{self.batch_id}:{call}"))


class PushOrigin(StrEnum):
    """Why a listing is pushed outside a job (its history's job column shows it)."""

    AUTO_SYNC = "auto-sync"  # its balance changed and its auto-sync flag is on
    SYNC_NOW = "sync-now"  # an operator's `listings sync-now`
    CHANNEL_EDIT = "channel-edit"  # the channel holds another quantity than was pushed: master wins
    RULE_CHANGE = "rule-change"  # an allocation rule (or a listing's override) moved what it gets
    RESUMED = "resumed"  # auto pushes the guard's breaker held, sent once it was resumed


class AutoPushMessage(Model):
    """Listings pushed to one channel at once, ahead of the jobs (the auto-push queue; group:
    channel and SKU shard, so one listing's pushes never race)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    channel: str
    origin: PushOrigin
    skus: list[str] = Field(min_length=1)

    def idempotency_key(self, call: str = "") -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tidemark:{self.origin}:{self.id}:{call}"))


class WebhookMessage(Model):
    """A verified channel webhook on the webhook queue (group: the channel and the resource it is
    about, an order, a product or an inventory item), its body trimmed to the fields the worker
    reads (shared.domain.webhooks.trimmed). A body too large for a message even trimmed is kept in
    S3 (shared.storage.webhook_bodies): the message carries its key, and its body is empty."""

    model_config = ConfigDict(frozen=True)

    channel: str
    type: ChannelType
    topic: str
    delivery: str  # the key duplicates and replays share (a hash of the topic and the signed body)
    event: str = ""  # the channel's own id of it, unsigned (Shopify's event id, WooCommerce's delivery id)
    body: str
    body_key: str | None = None  # where the body is kept when it is not in the message

    @model_validator(mode="after")
    def _one_body(self) -> WebhookMessage:
        if self.body_key is not None and self.body:
            raise ValueError("a message with a body_key carries no body")
        return self
