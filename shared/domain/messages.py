"""The messages that cross the push queue."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class PushMessage(BaseModel):
    """One push batch of a job: what goes through the FIFO queue (group: channel and SKU shard)."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    channel: str
    batch_id: str
    skus: list[str] = Field(min_length=1)

    def idempotency_key(self, call: str = "") -> str:
        """The same for every delivery of this batch's `call`, so a retried channel call is applied once."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tidemark:{self.job_id}:{self.batch_id}:{call}"))
