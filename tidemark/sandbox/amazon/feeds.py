"""The Feeds API (2021-06-30) for JSON_LISTINGS_FEED: documents uploaded to a presigned URL, feeds
processed after a while (IN_QUEUE, IN_PROGRESS, then DONE or FATAL), and the processing report."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tidemark.sandbox.amazon.records import (
    FEED_BYTES_MAX,
    FEED_MESSAGES_MAX,
    JSON_LISTINGS_FEED,
    MARKETPLACES,
    SpApiError,
    invalid_input,
    iso,
)
from tidemark.sandbox.amazon.store import AmazonStore

# The inventory and price feeds Amazon stopped taking on 2025-07-31.
RETIRED_FEEDS = (
    "POST_INVENTORY_AVAILABILITY_DATA",
    "POST_PRODUCT_PRICING_DATA",
    "POST_FLAT_FILE_INVLOADER_DATA",
)


@dataclass
class Document:
    document_id: str
    content_type: str
    content: bytes | None = None


@dataclass
class Feed:
    feed_id: str
    marketplace_ids: list[str]
    document_id: str
    created: float
    created_at: datetime
    status: str = "IN_QUEUE"
    result_document_id: str | None = None
    started: datetime | None = None
    done: datetime | None = None


@dataclass
class Feeds:
    store: AmazonStore
    clock: Callable[[], float]
    processing_seconds: float = 1.0  # from createFeed to DONE (half of it IN_QUEUE)
    documents: dict[str, Document] = field(default_factory=dict)
    feeds: dict[str, Feed] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_feed: int = 50_001_000_000

    def create_document(self, body: Any, root: str) -> dict[str, Any]:
        content_type = body.get("contentType") if isinstance(body, dict) else None
        if not isinstance(content_type, str) or not content_type:
            raise invalid_input("Missing required 'contentType'.")
        document_id = "amzn1.tortuga.4.na." + uuid.uuid4().hex
        with self._lock:
            self.documents[document_id] = Document(document_id, content_type)
        return {"feedDocumentId": document_id, "url": f"{root}/sandbox-s3/feed-documents/{document_id}"}

    def upload(self, document_id: str, content: bytes, content_type: str) -> None:
        """The presigned PUT; S3 refuses a Content-Type other than the one the URL was made for."""
        with self._lock:
            document = self.documents.get(document_id)
            if document is None:
                raise KeyError(document_id)
            if _media(content_type) != _media(document.content_type):
                raise ValueError(f"Content-Type must be {document.content_type}")
            document.content = content

    def download(self, document_id: str) -> bytes:
        with self._lock:
            document = self.documents.get(document_id)
        if document is None or document.content is None:
            raise KeyError(document_id)
        return document.content

    def create_feed(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid_input("Request body must be a CreateFeedSpecification.")
        feed_type = body.get("feedType")
        if feed_type in RETIRED_FEEDS:
            raise invalid_input(f"Feed type {feed_type} is no longer supported: use JSON_LISTINGS_FEED.")
        if feed_type != JSON_LISTINGS_FEED:
            raise invalid_input(f"Invalid 'feedType': {feed_type}.")
        marketplaces = body.get("marketplaceIds")
        if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
            raise invalid_input("'marketplaceIds' must hold 1 to 25 marketplace ids.")
        for marketplace in marketplaces:
            if marketplace not in MARKETPLACES:
                raise invalid_input(f"Invalid 'marketplaceIds' provided: {marketplace}.")
        document_id = body.get("inputFeedDocumentId")
        with self._lock:
            document = self.documents.get(document_id) if isinstance(document_id, str) else None
            if document is None or document.content is None or not isinstance(document_id, str):
                raise invalid_input(f"'inputFeedDocumentId' {document_id}: no uploaded feed document has it.")
            self._next_feed += 1
            feed_id = str(self._next_feed)
            self.feeds[feed_id] = Feed(
                feed_id, list(marketplaces), document_id, self.clock(), datetime.now(UTC)
            )
        return {"feedId": feed_id}

    def get_feed(self, feed_id: str) -> dict[str, Any]:
        with self._lock:
            feed = self.feeds.get(feed_id)
        if feed is None:
            raise SpApiError(404, "NotFound", f"Feed {feed_id} not found.")
        self._advance(feed)
        view: dict[str, Any] = {
            "feedId": feed.feed_id,
            "feedType": JSON_LISTINGS_FEED,
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": iso(feed.created_at),
            "processingStatus": feed.status,
        }
        if feed.started:
            view["processingStartTime"] = iso(feed.started)
        if feed.done:
            view["processingEndTime"] = iso(feed.done)
        if feed.result_document_id:
            view["resultFeedDocumentId"] = feed.result_document_id
        return view

    def get_document(self, document_id: str, root: str) -> dict[str, Any]:
        with self._lock:
            document = self.documents.get(document_id)
        if document is None or document.content is None:
            raise SpApiError(404, "NotFound", f"Feed document {document_id} not found.")
        return {"feedDocumentId": document_id, "url": f"{root}/sandbox-s3/feed-documents/{document_id}"}

    def _advance(self, feed: Feed) -> None:
        with self._lock:
            elapsed = self.clock() - feed.created
            if feed.status == "IN_QUEUE" and elapsed >= self.processing_seconds / 2:
                feed.status, feed.started = "IN_PROGRESS", datetime.now(UTC)
            if feed.status != "IN_PROGRESS" or elapsed < self.processing_seconds:
                return
            content = self.documents[feed.document_id].content or b""
        status, report = self._process(feed, content)
        result_id = "amzn1.tortuga.4.na." + uuid.uuid4().hex
        with self._lock:
            self.documents[result_id] = Document(result_id, "application/json", json.dumps(report).encode())
            feed.status, feed.result_document_id, feed.done = status, result_id, datetime.now(UTC)

    def _process(self, feed: Feed, content: bytes) -> tuple[str, dict[str, Any]]:
        header = {"sellerId": self.store.seller_id, "version": "2.0", "feedId": feed.feed_id}
        fatal = _fatal(content, self.store.seller_id)
        if fatal is not None:
            return "FATAL", {
                "header": header,
                "issues": [{"code": "100001", "severity": "ERROR", "message": fatal}],
                "summary": {
                    "errors": 1,
                    "warnings": 0,
                    "messagesProcessed": 0,
                    "messagesAccepted": 0,
                    "messagesInvalid": 0,
                },
            }
        messages = json.loads(content)["messages"]
        issues: list[dict[str, Any]] = []
        accepted = invalid = 0
        for message in messages:
            found = self.store.apply_message(message)
            where = {
                "messageId": message.get("messageId") if isinstance(message, dict) else None,
                "sku": message.get("sku") if isinstance(message, dict) else None,
            }
            issues += [{**where, **issue} for issue in found]
            if any(issue["severity"] == "ERROR" for issue in found):
                invalid += 1
            else:
                accepted += 1
        errors = sum(1 for issue in issues if issue["severity"] == "ERROR")
        summary = {
            "errors": errors,
            "warnings": len(issues) - errors,
            "messagesProcessed": len(messages),
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        }
        return "DONE", {"header": header, "issues": issues, "summary": summary}


def _fatal(content: bytes, seller_id: str) -> str | None:
    """Why the whole feed is refused, or None."""
    if len(content) > FEED_BYTES_MAX:
        return f"The feed is {len(content)} bytes: at most {FEED_BYTES_MAX} (10 MiB)."
    try:
        document = json.loads(content)
    except ValueError:
        return "The feed document is not valid JSON."
    header = document.get("header") if isinstance(document, dict) else None
    if not isinstance(header, dict) or header.get("version") != "2.0":
        return "The feed needs a 'header' with 'sellerId' and 'version' 2.0."
    if header.get("sellerId") != seller_id:
        return f"The header's 'sellerId' {header.get('sellerId')!r} is not the seller who sent the feed."
    messages = document.get("messages")
    if not isinstance(messages, list) or not messages:
        return "The feed needs one or more 'messages'."
    if len(messages) > FEED_MESSAGES_MAX:
        return f"The feed holds {len(messages)} messages: at most {FEED_MESSAGES_MAX}."
    return None


def _media(content_type: str) -> str:
    return content_type.split(";", maxsplit=1)[0].strip().lower()
