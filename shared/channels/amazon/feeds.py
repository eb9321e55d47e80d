"""Bulk pushes by JSON_LISTINGS_FEED (Feeds API 2021-06-30): a document of PATCH messages uploaded to
its presigned URL, the feed created, its processing waited for (getFeed, backing off to
POLL_MAX_SECONDS between reads), then its processing report read: each message's ERROR issues are
that listing's failure; a FATAL or CANCELLED feed fails every push of it with the reason.

A feed holds at most MAX_MESSAGES messages (25,000) and 10 MiB; createFeed's usage plan is 0.0083
a second with a burst of 15, so feeds are for large work only (client.FEED_THRESHOLD)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from shared.channels.amazon.answers import failed, issues_failure, json_of, pushed
from shared.channels.base import ChannelError, PushResult

MAX_MESSAGES = 25_000
MAX_BYTES = 10 * 1024 * 1024
POLL_FIRST_SECONDS = 1.0
POLL_MAX_SECONDS = 30.0
FEED_WAIT_SECONDS = 900.0  # a feed still processing after this is given up on (retryably)
FEEDS = "/feeds/2021-06-30"

# call(operation, method, path, body) -> the JSON answer of an authenticated SP-API call
Call = Callable[[str, str, str, dict[str, Any] | None], Any]
# transfer(method, url, content) -> the response of a presigned-URL request
Transfer = Callable[[str, str, bytes | None], httpx.Response]


@dataclass(frozen=True)
class Message:
    sku: str
    product_type: str
    patches: list[dict[str, Any]]


@dataclass
class FeedRun:
    """One feed's life, for logs and tests."""

    feed_id: str = ""
    status: str = ""
    polls: int = 0


class FeedSender:
    def __init__(
        self,
        call: Call,
        transfer: Transfer,
        seller_id: str,
        marketplace_id: str,
        sleep: Callable[[float], None],
    ) -> None:
        self._call = call
        self._transfer = transfer
        self._seller_id = seller_id
        self._marketplace_id = marketplace_id
        self._sleep = sleep
        self.runs: list[FeedRun] = []

    def push(self, messages: Sequence[Message], what: str) -> list[PushResult]:
        """One feed of these messages; one result per message, in order."""
        if len(messages) > MAX_MESSAGES:
            raise ValueError(f"a feed holds at most {MAX_MESSAGES} messages, not {len(messages)}")
        document = json.dumps(
            {
                "header": {"sellerId": self._seller_id, "version": "2.0", "issueLocale": "en_US"},
                "messages": [
                    {
                        "messageId": number,
                        "sku": message.sku,
                        "operationType": "PATCH",
                        "productType": message.product_type,
                        "patches": message.patches,
                    }
                    for number, message in enumerate(messages, start=1)
                ],
            },
            separators=(",", ":"),
        ).encode()
        if len(document) > MAX_BYTES:
            raise ValueError(f"the feed document is {len(document)} bytes, past Amazon's 10 MiB")
        run = FeedRun()
        self.runs.append(run)
        created = self._call(
            "createFeedDocument", "POST", f"{FEEDS}/documents", {"contentType": "application/json"}
        )
        self._upload(str(created["url"]), document)
        spec = {
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [self._marketplace_id],
            "inputFeedDocumentId": created["feedDocumentId"],
        }
        run.feed_id = str(self._call("createFeed", "POST", f"{FEEDS}/feeds", spec)["feedId"])
        feed = self._wait(run)
        report = self._report(feed)
        if run.status != "DONE":
            reason = "; ".join(
                str(i.get("message", "")) for i in report.get("issues", []) if isinstance(i, dict)
            )
            message = (
                f"Amazon's feed {run.feed_id} ended {run.status}"
                + (f": {reason}" if reason else "")
                + f"; nothing of it was applied: push the {what} again"
            )
            return [failed(m.sku, message) for m in messages]
        return _results(messages, report, what)

    def _upload(self, url: str, document: bytes) -> None:
        response = self._transfer("PUT", url, document)
        if response.status_code >= 300:
            raise ChannelError(
                f"Amazon's feed document storage refused the upload (HTTP {response.status_code}): "
                "push again",
                retryable=True,
            )

    def _wait(self, run: FeedRun) -> dict[str, Any]:
        waited, pause = 0.0, POLL_FIRST_SECONDS
        while True:
            feed = self._call("getFeed", "GET", f"{FEEDS}/feeds/{run.feed_id}", None)
            run.polls += 1
            run.status = str(feed.get("processingStatus", ""))
            if run.status in ("DONE", "FATAL", "CANCELLED"):
                return dict(feed)
            if waited >= FEED_WAIT_SECONDS:
                raise ChannelError(
                    f"Amazon's feed {run.feed_id} is still {run.status} after {waited:.0f} s: the push is "
                    "tried again later (its values are absolute, so applying it twice is harmless)",
                    retryable=True,
                )
            self._sleep(pause)
            waited += pause
            pause = min(POLL_MAX_SECONDS, pause * 2)

    def _report(self, feed: dict[str, Any]) -> dict[str, Any]:
        document_id = feed.get("resultFeedDocumentId")
        if not document_id:
            return {}
        document = self._call("getFeedDocument", "GET", f"{FEEDS}/documents/{document_id}", None)
        response = self._transfer("GET", str(document["url"]), None)
        report = json_of(response) if response.status_code < 300 else None
        if not isinstance(report, dict):
            raise ChannelError(
                f"Amazon's processing report of feed {feed.get('feedId')} could not be read "
                f"(HTTP {response.status_code}): push again",
                retryable=True,
            )
        return report


def _results(messages: Sequence[Message], report: dict[str, Any], what: str) -> list[PushResult]:
    by_message: dict[int, list[Any]] = {}
    for found in report.get("issues") or []:
        if isinstance(found, dict) and isinstance(found.get("messageId"), int):
            by_message.setdefault(found["messageId"], []).append(found)
    results = []
    for number, message in enumerate(messages, start=1):
        failure = issues_failure(message.sku, by_message.get(number, []), what)
        results.append(failure or pushed(message.sku))
    return results
