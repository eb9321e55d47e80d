"""A dry run Amazon checks itself: for a small batch of an Amazon channel's dry run, each quantity is
sent as patchListingsItem with mode=VALIDATION_PREVIEW (nothing written), and what Amazon would
refuse becomes that listing's failure with the fix. A large batch is not checked (one call a listing
at 5 a second would make the dry run as slow as the sync); its plan stands alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.channels.base import ChannelClient, PushOutcome, PushResult, QuantityPush
from shared.domain.channel import Channel, ChannelType
from shared.domain.job import JobFailure
from shared.services import clients

VALIDATE_AT_MOST = 50  # listings a batch may hold to be checked (the client's feed threshold)


def refused(channel: Channel, pushes: Sequence[QuantityPush]) -> list[JobFailure]:
    """What Amazon would refuse of these pushes; [] for another channel type or a large batch."""
    if channel.type is not ChannelType.AMAZON or not pushes or len(pushes) > VALIDATE_AT_MOST:
        return []

    def check(client: ChannelClient) -> list[PushResult]:
        validate: Callable[[Sequence[QuantityPush]], list[PushResult]] | None = getattr(
            client, "validate", None
        )
        return validate(pushes) if validate is not None else []

    results = clients.call(channel, check)
    return [
        JobFailure(sku=result.sku, message=f"dry run: {result.message}")
        for result in results
        if result.outcome is PushOutcome.FAILED
    ]
