"""Where a read of the whole catalog is: searchListingsItems pages of SEARCH_PAGE sorted by creation,
and past one search's 1,000 items a new search from the last creation time read (createdAfter),
skipping the SKUs already read at exactly that time."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from shared.channels.base import ChannelError

SEARCH_PAGE = 20  # searchListingsItems' largest pageSize


@dataclass(frozen=True)
class Cursor:
    token: str | None = None  # the search's pageToken
    after: str | None = None  # the search's createdAfter
    seen: frozenset[str] = field(default_factory=frozenset)  # SKUs read already, created at `after`
    read: int = 0  # items this search answered so far
    last: str | None = None  # the latest creation time read
    at_last: frozenset[str] = field(default_factory=frozenset)  # the SKUs read created then

    @classmethod
    def decode(cls, cursor: str | None) -> Cursor:
        if not cursor:
            return cls()
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            return cls(
                token=raw.get("t"),
                after=raw.get("a"),
                seen=frozenset(raw.get("s", [])),
                read=int(raw.get("r", 0)),
                last=raw.get("l"),
                at_last=frozenset(raw.get("al", [])),
            )
        except (ValueError, TypeError, AttributeError) as error:
            raise ChannelError(
                "the catalog cursor is not one this client made: read the catalog again", retryable=False
            ) from error

    def encode(self) -> str:
        raw = {
            "t": self.token,
            "a": self.after,
            "s": sorted(self.seen),
            "r": self.read,
            "l": self.last,
            "al": sorted(self.at_last),
        }
        return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()

    def _latest(self, items: list[dict[str, Any]]) -> tuple[str | None, set[str]]:
        """The latest creation time read (this page's items included), and the SKUs read created then."""
        last, at_last = self.last, set(self.at_last)
        for item in items:
            created = _created(item)
            if created is None:
                continue
            if created != last:
                last, at_last = created, set()
            at_last.add(str(item["sku"]))
        return last, at_last

    def after_page(self, answer: dict[str, Any], items: list[dict[str, Any]]) -> str | None:
        """The cursor of the next page, or None when the catalog was read to its end."""
        last, at_last = self._latest(items)
        read = self.read + len(items)
        token = _next_token(answer)
        if token:
            return Cursor(token, self.after, self.seen, read, last, frozenset(at_last)).encode()
        total = answer.get("numberOfResults")
        if not isinstance(total, int) or read >= total or not items or last is None:
            return None
        # the search stopped at its limit: search again from the last creation time read
        if last == self.after and frozenset(at_last) <= self.seen:
            raise ChannelError(
                f"more than one search's worth of listings were created at {last}: Amazon's search "
                "cannot page past them; read the catalog with a report instead",
                retryable=False,
            )
        seen = frozenset(at_last) | (self.seen if last == self.after else frozenset())
        return Cursor(None, last, seen, 0, last, seen).encode()


def _next_token(answer: dict[str, Any]) -> Any:
    pagination = answer.get("pagination")
    return pagination.get("nextToken") if isinstance(pagination, dict) else None


def _created(item: dict[str, Any]) -> str | None:
    summaries = item.get("summaries")
    if isinstance(summaries, list) and summaries and isinstance(summaries[0], dict):
        created = summaries[0].get("createdDate")
        return str(created) if created else None
    return None
