"""Where a process's CPU goes: the product against the emulator (issue 22, item 1).

A sampling profiler weighted by CPU time. A thread wakes every INTERVAL_S and, for every other
thread alive, reads the thread's own CPU clock (time.clock_gettime(time.pthread_getcpuclockid(ident)):
Linux's per-thread CPU time, user and system) and its current stack (sys._current_frames()). The
CPU a thread spent since the previous sample is given to the stacks it had then and has now. A
thread that waits (a lock, a socket, a sleep) spends no CPU, so it is given nothing: no guess of
which frames wait.

A thread that ran some code and then blocked elsewhere in one interval spent that CPU somewhere
between the stack seen at the interval's start and the one at its end: half goes to each (and
the side's CPU with all of it given to the start's, or to the end's, is printed as a bound).

A stack is walked from its innermost frame outward until a frame from a decisive path:
- emulator: moto, the local runtime (tidemark/local) and the sandboxes (tidemark/sandbox), the
  servers that serve them (starlette, uvicorn, werkzeug, responses, xmltodict, jinja2, joserfc) and
  the bench itself;
- product: the handlers (functions/) and shared/, and what they bring to Lambda: botocore, boto3,
  s3transfer, jmespath, dateutil, urllib3, httpx, httpcore, pydantic (and pydantic_core,
  annotated_types, typing_inspection), aws_lambda_powertools.
Anything else (the standard library, libraries both sides use: h11, anyio, idna, cryptography,
typing_extensions) decides nothing: the walk goes on outward, so json.dumps called by botocore is
the product's and called by moto the emulator's. A stack with no decisive frame is `other`.

Its error: a sample stands for its interval, so a share is estimated from n samples with a
relative error of about 1/sqrt(n) of that share's samples (printed); CPU spent by a thread that
ended between two samples, or before its first, is missed: the CPU the samples attributed is set
against the process's own (resource.getrusage) less the sampler's, and printed as coverage.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType

INTERVAL_S = 0.004
ROOT = Path(__file__).resolve().parents[1]

PRODUCT = "product"
EMULATOR = "emulator"
OTHER = "other"

EMULATOR_LIBRARIES = frozenset(
    {"moto", "starlette", "uvicorn", "werkzeug", "responses", "xmltodict", "jinja2", "joserfc", "flask"}
)
PRODUCT_LIBRARIES = frozenset(
    {
        "botocore",
        "boto3",
        "s3transfer",
        "jmespath",
        "dateutil",
        "urllib3",
        "httpx",
        "httpcore",
        "pydantic",
        "pydantic_core",
        "annotated_types",
        "typing_inspection",
        "aws_lambda_powertools",
    }
)
EMULATOR_FOLDERS = (("tidemark", "local"), ("tidemark", "sandbox"), ("tidemark",), ("bench",))
PRODUCT_FOLDERS = (("shared",), ("functions",))


@dataclass(frozen=True)
class Place:
    """What one source file decides: its side (None: nothing), and a short name for the tables."""

    side: str | None
    name: str


_places: dict[str, Place] = {}


def place(filename: str) -> Place:
    known = _places.get(filename)
    if known is None:
        known = _places[filename] = _classify(filename)
    return known


def _classify(filename: str) -> Place:
    parts = Path(filename).parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        top = rest[0].removesuffix(".py") if rest else ""
        name = "/".join(rest)
        if top in EMULATOR_LIBRARIES:
            return Place(EMULATOR, name)
        if top in PRODUCT_LIBRARIES:
            return Place(PRODUCT, name)
        return Place(None, name)
    try:
        rest = Path(filename).resolve().relative_to(ROOT).parts
    except ValueError:
        return Place(None, filename)
    name = "/".join(rest)
    if any(rest[: len(folder)] == folder for folder in PRODUCT_FOLDERS):
        return Place(PRODUCT, name)
    if any(rest[: len(folder)] == folder for folder in EMULATOR_FOLDERS):
        return Place(EMULATOR, name)
    return Place(None, name)


def decide(frame: FrameType | None) -> tuple[str, str, str]:
    """(side, the innermost frame of that side as module:function, the innermost frame of our own
    code: shared/ or functions/, or "" when none is on the stack).

    A library the product brings (botocore, pydantic, ...) is the product's when our own code or
    nothing calls it, the emulator's when the emulator does (the local runtime's queue pollers call
    botocore, as Lambda's event sources would, outside the product); the bench's frames between
    our code and botocore (its request counter) pass it on."""
    library = ""
    while frame is not None:
        code = frame.f_code
        found = place(code.co_filename)
        here = f"{found.name}:{code.co_name}"
        if found.side == PRODUCT:
            if found.name.startswith(("shared/", "functions/")):
                return PRODUCT, library or here, here
            library = library or here
        elif found.side == EMULATOR and not (library and found.name.startswith("bench/")):
            return EMULATOR, here, ""
        frame = frame.f_back
    return (PRODUCT, library, "") if library else (OTHER, "", "")


def _thread_cpu(ident: int) -> float | None:
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except OSError:  # the thread ended since it was listed
        return None


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Split:
    """CPU seconds by side, and the product's and emulator's by module:function."""

    seconds: Counter[str] = field(default_factory=Counter)
    samples: Counter[str] = field(default_factory=Counter)
    where: dict[str, Counter[str]] = field(default_factory=lambda: {PRODUCT: Counter(), EMULATOR: Counter()})
    own: Counter[str] = field(default_factory=Counter)  # the product's, by the innermost of our own code
    at_end: Counter[str] = field(default_factory=Counter)  # by side, each interval to its later stack
    at_start: Counter[str] = field(default_factory=Counter)  # by side, each interval to its earlier stack
    process_s: float = 0.0
    sampler_s: float = 0.0
    wall_s: float = 0.0

    def add(self, decided: tuple[str, str, str], seconds: float) -> None:
        side, where, own = decided
        self.seconds[side] += seconds
        if side in self.where:
            self.where[side][where] += seconds
        if side == PRODUCT:
            self.own[own or "(no frame of shared/ or functions/)"] += seconds

    def bounds(self, side: str) -> tuple[float, float]:
        """The side's CPU seconds with every interval given wholly to its earlier stack, and to its
        later: a thread that ran some code and then blocked elsewhere spent its interval's CPU
        somewhere between the two stacks seen."""
        return self.at_start[side], self.at_end[side]

    @property
    def attributed_s(self) -> float:
        return sum(self.seconds.values())

    @property
    def coverage(self) -> float:
        measured = self.process_s - self.sampler_s
        return self.attributed_s / measured if measured > 0 else 0.0

    def share(self, side: str) -> float:
        return self.seconds[side] / self.attributed_s if self.attributed_s else 0.0

    def error(self, side: str) -> float:
        """The share's relative sampling error, about 1/sqrt(its samples)."""
        n = self.samples[side]
        return 1 / math.sqrt(n) if n else 1.0


class CpuSampler:
    """While entered, samples every thread but its own; `split` holds what it found."""

    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.split = Split()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._last: dict[int, float] = {}  # native thread id -> its CPU clock at the last sample
        self._stack: dict[int, tuple[str, str, str]] = {}  # native thread id -> its stack then, decided
        self._started = (0.0, 0.0)

    def __enter__(self) -> CpuSampler:
        self._started = (_process_cpu(), time.perf_counter())
        self._baseline()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # the last interval
        process, wall = self._started
        self.split.process_s = _process_cpu() - process
        self.split.wall_s = time.perf_counter() - wall

    def _baseline(self) -> None:
        for thread in threading.enumerate():
            if thread.ident is not None and thread.native_id is not None:
                cpu = _thread_cpu(thread.ident)
                if cpu is not None:
                    self._last[thread.native_id] = cpu

    def _run(self) -> None:
        own_start = time.thread_time()
        while not self._stop.wait(self.interval):
            self._sample()
        self.split.sampler_s = time.thread_time() - own_start

    def _sample(self) -> None:
        me = threading.get_ident()
        natives = {t.ident: t.native_id for t in threading.enumerate()}
        split = self.split
        for ident, frame in sys._current_frames().items():
            native = natives.get(ident)
            if ident == me or native is None:
                continue
            cpu = _thread_cpu(ident)
            if cpu is None:
                continue
            spent = cpu - self._last.get(native, 0.0)  # a thread new since the last: all it spent
            self._last[native] = cpu
            now = decide(frame)
            before = self._stack.get(native, now)
            self._stack[native] = now
            if spent <= 0:
                continue
            # the CPU was spent between the stack seen last and this one: half to each
            split.add(before, spent / 2)
            split.add(now, spent / 2)
            split.samples[now[0]] += 1
            split.at_end[now[0]] += spent
            split.at_start[before[0]] += spent


def by_module(counts: Counter[str]) -> Counter[str]:
    modules: Counter[str] = Counter()
    for where, seconds in counts.items():
        modules[where.split(":", 1)[0]] += seconds
    return modules


def report(split: Split, listings: int, label: str, top: int = 12) -> dict[str, float]:
    """Print the split and return its figures (`product_cpu_ms_per_listing`, `emulator_share`)."""
    product_ms = split.seconds[PRODUCT] * 1000 / listings if listings else 0.0
    print(
        f"  CPU ({label}): {split.process_s:.1f} s in the process over {split.wall_s:.1f} s "
        f"(load {os.getloadavg()[0]:.2f}); sampled {split.attributed_s:.1f} s in "
        f"{sum(split.samples.values()):,} samples, coverage {split.coverage:.3f} of the process's CPU "
        f"less the sampler's {split.sampler_s:.1f} s",
        flush=True,
    )
    for side in (PRODUCT, EMULATOR, OTHER):
        low, high = sorted(split.bounds(side))
        print(
            f"    {side:8} {split.seconds[side]:8.1f} s  share {split.share(side):.3f} "
            f"(sampling +/- {split.share(side) * split.error(side):.3f}, {split.samples[side]:,} samples; "
            f"{low:.1f} to {high:.1f} s with each interval given to its earlier or its later stack)",
            flush=True,
        )
    print(
        f"    product CPU per pushed listing: {product_ms:.3f} ms (goal <= 0.4) over {listings:,} listings",
        flush=True,
    )
    total = split.seconds[PRODUCT] or 1.0
    for title, counts in (
        ("product by module (innermost product frame)", by_module(split.where[PRODUCT])),
        ("product by function (innermost product frame)", split.where[PRODUCT]),
        ("product by our own code (innermost frame of shared/ or functions/)", split.own),
    ):
        print(f"    {title}:", flush=True)
        for where, seconds in counts.most_common(top):
            print(
                f"      {seconds * 1000 / listings:7.3f} ms/listing {seconds / total:6.1%}  {where}",
                flush=True,
            )
    emulator = by_module(split.where[EMULATOR])
    print("    emulator by module:", flush=True)
    for where, seconds in emulator.most_common(6):
        print(f"      {seconds * 1000 / listings:7.3f} ms/listing  {where}", flush=True)
    return {
        "product_cpu_ms_per_listing": round(product_ms, 4),
        "emulator_share": round(split.share(EMULATOR), 4),
        "cpu_coverage": round(split.coverage, 4),
    }
