"""A removed channel's items: every item the table keeps for one channel, found by its keys.

Access patterns (template.yaml, Table):
- its links:        GSI1PK=LINKS#<channel>#<shard> (every shard) -> PK=LISTING#<sku>, SK=LINK#<channel>
- its watermark:    PK=WATERMARK#<channel>, SK=WATERMARK
- its running job:  PK=QUEUE#<channel>, SK=RUNNING
- the channel:      PK=CHANNELS, SK=<name> (shared.storage.channels)
- its link job's notes:  GSI5PK=STATE#<channel>#{duplicate,unmatched}#<shard> -> PK=LISTING#<sku>,
  SK=UNMATCHED#<channel>; its count of linked listings: PK=LINK_COUNTS, SK=<channel>
  (shared.storage.link_states)
Left to their TTLs: its ended jobs and their SKU lists, its webhook deliveries and the times last
applied to its resources. Its order lines (PK=ORDER#<channel>#...) have no index by channel: they
stay, and a channel added again under the name applies only orders it has not seen.
"""

from __future__ import annotations

from shared.domain.link_state import IndexedState
from shared.settings import settings
from shared.storage import link_states, links, watermarks
from shared.storage.aws import table


def delete_all(channel: str) -> int:
    """Delete the channel's links, the link job's notes, its count of linked listings, watermark and
    running-job claim; the number of links deleted."""
    deleted = 0
    with table().batch_writer() as writer:
        for shard in range(settings().push_shards):
            for skus in links.shard_skus(channel, shard):
                for sku in skus:
                    writer.delete_item(Key=links.key(sku, channel))
                deleted += len(skus)
        for state in (IndexedState.DUPLICATE, IndexedState.UNMATCHED):
            for sku in _noted(channel, state):
                writer.delete_item(Key=link_states.note_key(sku, channel))
        writer.delete_item(Key=link_states.count_key(channel))
        writer.delete_item(Key=watermarks.key(channel))
        writer.delete_item(Key={"PK": f"QUEUE#{channel}", "SK": "RUNNING"})
    return deleted


def _noted(channel: str, state: IndexedState) -> list[str]:
    """Every SKU the link job left a note on in `state` for `channel` (read before any is deleted)."""
    found: list[str] = []
    after, more = None, True
    while more:
        page, more = link_states.state_page(channel, state, after, "", 500)
        found += page
        after = page[-1] if page else None
        more = more and bool(page)
    return found
