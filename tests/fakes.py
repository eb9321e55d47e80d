"""Test doubles shared by the tests."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from starlette.types import ASGIApp


class FakeClock:
    """Time for a sandbox's limits and a client's pacing: sleeping moves it on, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        """Time passing while nobody sleeps."""
        self.now += seconds


class InProcess(httpx.BaseTransport):
    """A sandbox's ASGI app answering a plain httpx.Client in process, without a socket."""

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def answer() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            assert isinstance(response.stream, httpx.AsyncByteStream)
            content = b"".join([chunk async for chunk in response.stream])
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run(answer())


class FailingOnce:
    """A call (a boto3 client's method, say) that raises `error` the first time, then is itself."""

    def __init__(self, call: Callable[..., Any], error: Exception) -> None:
        self._call = call
        self._error = error
        self.calls = 0

    def __call__(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise self._error
        return self._call(**kwargs)


class InMemoryJobs:
    """The jobs storage port (shared/storage/jobs.py) in memory: the parts the push service uses,
    with its once-per-batch record and its cap on kept failures."""

    def __init__(self, *jobs: Any) -> None:
        self.jobs = {job.id: job for job in jobs}
        self.recorded: dict[str, set[str]] = {}
        self.plans: dict[str, dict[tuple[str, str], Any]] = {}  # by (sku, field), as the table keys them

    def get(self, job_id: str) -> Any:
        return self.jobs[job_id]

    def put_plan(self, job_id: str, changes: Any, at: Any) -> None:
        self.plans.setdefault(job_id, {}).update(((change.sku, change.field), change) for change in changes)

    def record_batch(
        self, job_id: str, batch_id: str, counts: Any, at: Any, *, push: bool = False, failures: Any = ()
    ) -> bool:
        from shared.storage.jobs import MAX_RECORDED_FAILURES

        done = self.recorded.setdefault(job_id, set())
        if batch_id in done:
            return False
        done.add(batch_id)
        job = self.jobs[job_id]
        added = {name: getattr(job.counts, name) + n for name, n in counts.items()}
        below_cap = len(job.failures) < MAX_RECORDED_FAILURES
        kept = (*job.failures, *failures[:MAX_RECORDED_FAILURES]) if below_cap else job.failures
        self.jobs[job_id] = job.model_copy(
            update={"counts": job.counts.model_copy(update=added), "failures": kept}
        )
        return True


class InMemoryChannels:
    def __init__(self, *channels: Any) -> None:
        self.channels = {channel.name: channel for channel in channels}

    def get(self, name: str) -> Any:
        return self.channels.get(name)


class InMemoryListings:
    def __init__(self, *listings: Any) -> None:
        self.listings = {listing.sku: listing for listing in listings}

    def get_many(self, skus: Any) -> dict[str, Any]:
        return {sku: self.listings[sku] for sku in skus if sku in self.listings}

    def touch(self, skus: Any, at: Any) -> dict[str, Any]:
        moved = {
            sku: self.listings[sku].model_copy(update={"updated_at": at})
            for sku in skus
            if sku in self.listings
        }
        self.listings.update(moved)
        return moved


class InMemoryLinks:
    def __init__(self, *links: Any) -> None:
        self.links = {(link.channel, link.sku): link for link in links}

    def get_many(self, channel: str, skus: Any) -> dict[str, Any]:
        return {sku: self.links[(channel, sku)] for sku in skus if (channel, sku) in self.links}

    def shard_page(self, channel: str, shard: int, after: str | None, page_size: int) -> Any:
        """Shard 0 holds every link here."""
        held = sorted(sku for (name, sku) in self.links if name == channel and shard == 0)
        skus = [sku for sku in held if sku > (after or "")][:page_size]
        return [self.links[(channel, sku)] for sku in skus], (skus[-1] if len(skus) == page_size else None)


class InMemoryLocationMaps:
    """shared/storage/locations.py's channel maps: the channels' maps by name."""

    def __init__(self, **maps: Any) -> None:
        self.maps = maps

    def get_map(self, channel: str) -> Any:
        return self.maps.get(channel)


class InMemoryBundles:
    """shared/storage/bundles.py's reads: bundle SKU -> its components."""

    def __init__(self, **bundles: dict[str, int]) -> None:
        self.bundles = bundles

    def reachable(self, skus: Any) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        todo = list(skus)
        while todo:
            sku = todo.pop()
            if sku in self.bundles and sku not in found:
                found[sku] = self.bundles[sku]
                todo += list(self.bundles[sku])
        return found


class InMemoryChannelRules:
    """The allocation rules' storage port (shared/storage/channel_rules.py) in memory."""

    def __init__(
        self, rules: dict[str, Any] | None = None, overrides: dict[tuple[str, str], Any] | None = None
    ):
        self.rules = rules or {}
        self.overrides = overrides or {}

    def for_skus(self, channel: str, skus: Any) -> Any:
        from shared.domain.allocation import Rules
        from shared.storage.channel_rules import ChannelRules

        if skus is None:  # every override of the channel
            skus = [sku for (name, sku) in self.overrides if name == channel]
        found = {sku: self.overrides[(channel, sku)] for sku in skus if (channel, sku) in self.overrides}
        return ChannelRules(self.rules.get(channel, Rules()), found)

    def put(self, channel: str, rules: Any) -> None:
        self.rules[channel] = rules


def sqs_record(body: str, group: str) -> dict[str, Any]:
    """One SQS message as Lambda hands it over; every record is a message of its own."""
    return {
        "messageId": uuid.uuid4().hex,
        "receiptHandle": uuid.uuid4().hex,
        "body": body,
        "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q.fifo",
        "awsRegion": "us-east-1",
    }
