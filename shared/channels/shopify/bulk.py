"""Reading a catalog past 25,000 variants: one bulk operation, its JSONL output paged with HTTP Range."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from shared.channels.base import CatalogPage, ChannelError, ChannelVariant
from shared.channels.retry import Retrying, send
from shared.channels.shopify.answers import UserError, catalog_variant
from shared.channels.shopify.documents import (
    BULK_CATALOG_QUERY,
    BULK_OPERATION_QUERY,
    CURRENT_BULK_OPERATION_QUERY,
    MUTATION_COST,
    RUN_BULK_QUERY_MUTATION,
    VARIANT_COUNT_QUERY,
)

# productVariants pages stop at 25,000 objects; past that the catalog is read in bulk.
BULK_THRESHOLD = 25_000
BULK_CURSOR = "bulk:"  # bulk:<byte offset>:<url of the JSONL>
BULK_PAGE_BYTES = 512 * 1024  # about 1,000 variants with their inventory levels
BULK_TIMEOUT_SECONDS = 90.0  # under the link function's 120 s; a retry resumes the running operation
BULK_POLL_SECONDS = 1.0
BULK_POLL_MAX_SECONDS = 10.0
BULK_BUSY_CODES = ("LIMIT_REACHED", "OPERATION_IN_PROGRESS")
BULK_ENDED = ("FAILED", "CANCELED", "CANCELING", "EXPIRED")


def whole_records(chunk: bytes, *, at_end: bool) -> tuple[list[dict[str, Any]], int]:
    """The JSONL lines of the variants that lie whole in `chunk` (a variant's line, then the lines of its
    inventory levels, which carry `__parentId`), and how many bytes they take. A variant is whole once
    the next one starts, or the file ends."""
    lines: list[dict[str, Any]] = []
    whole, whole_length, length = 0, 0, 0
    for raw in chunk.splitlines(keepends=True):
        if not raw.endswith(b"\n") and not at_end:
            break  # the range cut this line
        line = json.loads(raw)
        if "__parentId" not in line:
            whole, whole_length = len(lines), length
        lines.append(line)
        length += len(raw)
    else:
        if at_end:
            whole, whole_length = len(lines), length
    return lines[:whole], whole_length


def bulk_variants(lines: list[dict[str, Any]]) -> list[ChannelVariant]:
    """Variants from the bulk JSONL: each level line joins the variant (or inventory item) it names."""
    variants: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for line in lines:
        if "__parentId" not in line:
            line["inventoryItem"] = dict(line.get("inventoryItem") or {}, inventoryLevels={"nodes": []})
            variants.append(line)
            by_id[str(line["id"])] = by_id[str(line["inventoryItem"].get("id"))] = line
        elif (parent := by_id.get(str(line["__parentId"]))) is not None:
            parent["inventoryItem"]["inventoryLevels"]["nodes"].append(line)
    return [catalog_variant(variant) for variant in variants]


def bulk_refused(store_url: str, error: UserError) -> ChannelError:
    if error.code in BULK_BUSY_CODES:
        return ChannelError(
            f"Shopify is running as many bulk operations for the Tidemark app on {store_url} as it allows: "
            "nothing was lost; the link tries again once one has finished",
            retryable=True,
        )
    return ChannelError(
        f"Shopify refused Tidemark's bulk catalog query ({error.code}: {error.message}); "
        "this is a Tidemark bug: report it",
        retryable=False,
    )


class BulkCatalog:
    """A catalog too large to page through, read with one bulk operation and paged through its JSONL."""

    def __init__(
        self,
        call: Callable[..., dict[str, Any]],
        http: httpx.Client,
        retrying: Retrying,
        *,
        clock: Callable[[], float],
        threshold: int,
        timeout: float,
    ) -> None:
        self._call = call
        self._http = http
        self._retrying = retrying
        self._store_url = retrying.store_url
        self._clock = clock
        self._sleep = retrying.sleep
        self._threshold = threshold
        self._timeout = timeout

    def needed(self) -> bool:
        """Whether the store has more variants than pages reach (counted up to one past the threshold)."""
        data = self._call(VARIANT_COUNT_QUERY, {"limit": self._threshold + 1}, cost=1)
        return int((data["productVariantsCount"] or {}).get("count") or 0) > self._threshold

    def run(self) -> str | None:
        """Run the bulk catalog query (or follow the one an earlier attempt left running) to its end;
        the cursor of its first page, or None when it found no variants."""
        current = self._call(CURRENT_BULK_OPERATION_QUERY, {}, cost=1)["currentBulkOperation"]
        if current and current["status"] in ("CREATED", "RUNNING") and current["query"] == BULK_CATALOG_QUERY:
            operation_id = str(current["id"])
        else:
            payload = self._call(RUN_BULK_QUERY_MUTATION, {"query": BULK_CATALOG_QUERY}, cost=MUTATION_COST)[
                "bulkOperationRunQuery"
            ]
            if payload["userErrors"]:
                raise bulk_refused(self._store_url, UserError.parse(payload["userErrors"][0]))
            operation_id = str(payload["bulkOperation"]["id"])
        url = self._await_bulk(operation_id)
        return f"{BULK_CURSOR}0:{url}" if url else None

    def _await_bulk(self, operation_id: str) -> str | None:
        """Poll the operation until it completed; the URL of its output (None: it found nothing)."""
        deadline = self._clock() + self._timeout
        wait = BULK_POLL_SECONDS
        while True:
            operation = self._call(BULK_OPERATION_QUERY, {"id": operation_id}, cost=1)["node"] or {}
            status = operation.get("status")
            if status == "COMPLETED":
                return str(operation["url"]) if operation.get("url") else None
            if status is None or status in BULK_ENDED:
                raise ChannelError(
                    f"Shopify's bulk read of the catalog of {self._store_url} ended {status or 'unknown'} "
                    f"({operation.get('errorCode') or 'no error code'}): nothing was changed; start the link "
                    "again, and if it keeps failing check Shopify's status page",
                    retryable=True,
                )
            if self._clock() + wait > deadline:
                raise ChannelError(
                    f"Shopify's bulk read of the catalog of {self._store_url} did not complete within "
                    f"{self._timeout:.0f} s: nothing was lost; the next attempt follows the same read",
                    retryable=True,
                )
            self._sleep(wait)
            wait = min(BULK_POLL_MAX_SECONDS, wait * 2)

    def read_page(self, cursor: str) -> CatalogPage:
        """The whole variants (each with its inventory levels) in the next BULK_PAGE_BYTES of the JSONL."""
        _, offset_text, url = cursor.split(":", 2)
        offset = int(offset_text)
        size = BULK_PAGE_BYTES
        while True:
            chunk, total = self._download(url, offset, offset + size - 1)
            lines, length = whole_records(chunk, at_end=offset + len(chunk) >= total)
            if lines:
                break
            size *= 2  # one variant's lines are longer than a page: read more at once
        end = offset + length
        return CatalogPage(
            variants=bulk_variants(lines), next_cursor=f"{BULK_CURSOR}{end}:{url}" if end < total else None
        )

    def _download(self, url: str, first: int, last: int) -> tuple[bytes, int]:
        """Bytes first..last of the bulk output and its total size. The URL is signed: it takes no token."""

        def read(response: httpx.Response) -> tuple[bytes, int]:
            if response.status_code == 206:
                return response.content, int(response.headers["Content-Range"].rsplit("/", 1)[1])
            if response.status_code == 200:  # a server that ignores Range sends it all
                return response.content[first : last + 1], len(response.content)
            raise ChannelError(
                f"the bulk catalog of {self._store_url} could not be downloaded (HTTP "
                f"{response.status_code}: its link expired or was refused): start the link again to read "
                "the catalog afresh",
                retryable=False,
            )

        return send(
            lambda: self._http.get(url, headers={"Range": f"bytes={first}-{last}"}),
            read,
            replace(
                self._retrying,
                unreachable="could not download the bulk catalog",
                answered="the bulk catalog download answered",
            ),
        )
