"""Faults the local runtime injects into the invocations its event sources make, for the soak.

Lambda fails an invocation in ways no handler can rule out, and the event source then delivers
the batch again (SQS: after the visibility timeout; a stream: from its checkpoint):

- `batch_crash`: the handler raised in the middle of a batch, after it had processed part of it:
  here the handler runs on the batch's first records only and the invocation counts as failed,
  so the whole batch comes back, the part already done included.
- `handler_timeout`: the handler ran past its timeout: here it runs on the whole batch and the
  invocation counts as failed anyway, as Lambda reports a function it stopped at its timeout.

Only invocations by an event source (SQS or stream records) are faulted; the third fault of the
runtime, a restart of its workers with messages in flight, is `LocalRuntime.restart_workers`.
The plan is seeded, so a campaign replays; `PLAN` is the one the seam (lambdas.py) consults,
off until configured.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

KINDS = ("batch_crash", "handler_timeout")


@dataclass(frozen=True)
class RuntimeFaultRates:
    """Shares (0..1) of event-source invocations failed each way."""

    batch_crash: float = 0.0
    handler_timeout: float = 0.0


class InjectedFault(Exception):
    """What a faulted invocation reports as its error."""


class RuntimeFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rates = RuntimeFaultRates()
        self._rng = random.Random(0)
        self._injected: Counter[str] = Counter()

    def configure(self, rates: RuntimeFaultRates, seed: int | None = None) -> None:
        with self._lock:
            self._rates = rates
            if seed is not None:
                self._rng = random.Random(seed)
                self._injected.clear()

    def count(self, kind: str) -> None:
        """Count a fault injected outside the seam (a restart of the workers)."""
        with self._lock:
            self._injected[kind] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._injected)

    def draw(self, event: Any) -> tuple[str, int] | None:
        """The fault for one invocation, if any, with the records the handler gets to process."""
        records = event.get("Records") if isinstance(event, dict) else None
        if not records or not isinstance(records, list):
            return None
        with self._lock:
            for kind in KINDS:
                share = float(getattr(self._rates, kind))
                if share > 0 and self._rng.random() < share:
                    self._injected[kind] += 1
                    done = len(records) if kind == "handler_timeout" else self._rng.randrange(len(records))
                    return kind, done
        return None


PLAN = RuntimeFaults()
