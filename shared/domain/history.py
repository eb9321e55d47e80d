"""One push of one value to one channel, as the listing's sync history keeps it."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict

from shared.domain.channel_values import PushOutcome
from shared.domain.model import Model


class HistoryEntry(Model):
    model_config = ConfigDict(frozen=True)

    sku: str
    channel: str
    at: datetime
    job_id: str
    field: str
    from_value: str | None
    to_value: str
    outcome: PushOutcome
    message: str = ""
    rule: str = ""  # the allocation rules that shaped the value pushed ("" when none did)
