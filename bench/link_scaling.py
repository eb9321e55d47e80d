"""Link job scaling: a Shopify sandbox of 10,000 and of 100,000 variants, as many master listings,
and the link job's steps run against moto as its state machine runs them: read the catalog a few
pages a step (bulk read past 25,000 variants), then match every shard of listings.

Prints, at each size, variants linked per second, DynamoDB requests per variant (it must not grow
with the catalog) and the peak memory of one step (it must stay bounded: pages are streamed, never
the whole catalog). Memory is measured with tracemalloc on a second, fresh job's first steps, so
that tracing does not slow the timed run. Merges link.variants_per_s.<size>,
link.requests_per_variant.<size> and link.peak_mb.<size> into bench/results.json.

moto answers every request in-process, a few milliseconds each and one at a time: variants per
second here measure moto more than DynamoDB; requests per variant and memory are what carry over.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.client import BaseClient
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

from shared.domain.job import Job, JobKind, JobStatus
from shared.services.channels import ChannelRequest, add_channel
from shared.services.linking import match_shard, read_catalog
from shared.services.listings import import_listings
from shared.settings import settings
from shared.storage import jobs
from tidemark.local.runtime import LocalRuntime
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app

SIZES = {"10k": 10_000, "100k": 100_000}
TOKEN = "shpat_bench"
SAMPLED_STEPS = 3


@contextmanager
def counted_requests() -> Iterator[Counter[str]]:
    """Count the API requests every botocore client makes, by service."""
    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(client: Any, operation: str, params: Any) -> Any:
        counts[client.meta.service_model.service_name] += 1
        return original(client, operation, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def new_job(channel: str) -> str:
    job = Job(
        id=uuid.uuid4().hex,
        channel=channel,
        kind=JobKind.LINK,
        status=JobStatus.RUNNING,
        created_at=datetime.now(UTC),
    )
    jobs.create(job)
    return job.id


def run_job(job_id: str) -> None:
    """The link job's task steps in the order its state machine runs them (one shard at a time)."""
    cursor = read_catalog(job_id, None).cursor
    while cursor is not None:
        cursor = read_catalog(job_id, cursor).cursor
    for shard in range(settings().push_shards):
        after = match_shard(job_id, shard, None).after
        while after is not None:
            after = match_shard(job_id, shard, after).after


def peak_step_mb(channel: str) -> float:
    """The most memory one step holds at once beyond what is still held after it: what the step
    itself needs, not what moto keeps of the items it wrote."""
    job_id = new_job(channel)
    tracemalloc.start()
    peak = 0
    try:
        cursor: str | None = None
        for _ in range(SAMPLED_STEPS):
            tracemalloc.reset_peak()
            cursor = read_catalog(job_id, cursor).cursor
            peak = max(peak, _above_current())
            if cursor is None:
                break
        for shard in range(SAMPLED_STEPS):
            tracemalloc.reset_peak()
            match_shard(job_id, shard, None)
            peak = max(peak, _above_current())
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _above_current() -> int:
    current, peak = tracemalloc.get_traced_memory()
    return peak - current


def run(size: str, variants: int) -> dict[str, float]:
    store = ShopifyStore.generate(variants, seed=1, plan="enterprise")
    with LocalRuntime(port=0, sandboxes=False) as runtime, serve_in_thread(create_app(store, TOKEN)) as shop:
        for poller in runtime.pollers:  # the bench runs the steps itself; no auto sync reads the stream
            poller.stop()
        rows = "\n".join(f"SKU-{i:05d},{i % 50}" for i in range(1, variants + 1))
        import_listings(f"sku,on_hand\n{rows}\n")
        add_channel(
            ChannelRequest.model_validate(
                {
                    "name": "bench",
                    "type": "shopify",
                    "store_url": shop.url,
                    "allow_insecure_url": True,
                    "token": TOKEN,
                }
            )
        )
        job_id = new_job("bench")
        started = time.perf_counter()
        with counted_requests() as requests:
            run_job(job_id)
        elapsed = time.perf_counter() - started
        job = jobs.get(job_id)
        figures = {
            f"link.variants_per_s.{size}": round(variants / elapsed, 1),
            f"link.requests_per_variant.{size}": round(requests["dynamodb"] / variants, 3),
        }
        print(
            f"{size:>5}: {job.counts.linked} of {variants} linked in {elapsed:.1f} s "
            f"({figures[f'link.variants_per_s.{size}']} variants/s), {requests['dynamodb']} DynamoDB "
            f"requests ({figures[f'link.requests_per_variant.{size}']} a variant); then memory, traced",
            flush=True,
        )
        figures[f"link.peak_mb.{size}"] = round(peak_step_mb("bench"), 1)
    print(f"{size:>5}: peak {figures[f'link.peak_mb.{size}']} MB a step", flush=True)
    return figures


def main() -> None:
    wanted = sys.argv[1:] or list(SIZES)
    figures: dict[str, float] = {}
    for size in wanted:
        figures |= run(size, SIZES[size])
    if len(wanted) == len(SIZES):
        ratio = figures["link.requests_per_variant.100k"] / figures["link.requests_per_variant.10k"]
        print(f"requests per variant, 100k / 10k: {ratio:.2f} (goal: does not grow, <= 1.1)")
    merge(figures)


if __name__ == "__main__":
    main()
