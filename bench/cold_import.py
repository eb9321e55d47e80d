"""Cold import time of each Lambda handler, as Lambda would import it.

The handlers are imported from a directory laid out like the deployed function: the function's
folder plus a copy of the SharedLayer (the pinned runtime dependencies of pyproject.toml and
the project's shared/ package), in a fresh interpreter without site-packages, with the
environment Lambda gives. Measured with `python -X importtime`, median of several runs.

Prints each handler's time and its ratio to the 300 ms budget; merges
`cold_import.<handler>.ms` into bench/results.json, and `cold_import.<handler>.cpu_ms`, the CPU time
of the import (on a machine others load, the wall clock also counts the waits for a core).

`--built DIR` checks what `sam build` made instead (make build-check, in make test): every function
of DIR (.aws-sam/build) imports with only the SharedLayer it was built with; it fails naming the
function otherwise, prints each one's time, and merges nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tomllib
from pathlib import Path

from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "build" / "bench-layer" / "python"
BUDGET_MS = 300.0
RUNS = 7
# LAMBDA_TASK_ROOT matters: outside Lambda the X-Ray SDK builds two botocore clients at import
# for centralized sampling; inside it samples locally.
LAMBDA_ENVIRONMENT = {
    "PATH": os.environ.get("PATH", ""),
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "LAMBDA_TASK_ROOT": "/tmp",
    "POWERTOOLS_SERVICE_NAME": "tidemark",
    "POWERTOOLS_METRICS_NAMESPACE": "Tidemark",
}


def build_layer() -> None:
    """The SharedLayer as `make build-SharedLayer` lays it out, rebuilt when the pins change."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    stamp = hashlib.sha256("\n".join(dependencies).encode()).hexdigest()
    marker = LAYER.parent / "pins.sha256"
    if not (marker.exists() and marker.read_text() == stamp):
        shutil.rmtree(LAYER.parent, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(LAYER), *dependencies],
            check=True,
        )
        marker.write_text(stamp)
    shutil.rmtree(LAYER / "shared", ignore_errors=True)
    shutil.copytree(ROOT / "shared", LAYER / "shared", ignore=shutil.ignore_patterns("__pycache__"))


def import_ms(function_dir: Path, layer: Path = LAYER) -> tuple[float, float]:
    """The handler's import: wall milliseconds (-X importtime) and the CPU milliseconds it took."""
    code = (
        f"import sys, time; sys.path[:0] = [{str(function_dir)!r}, {str(layer)!r}]; "
        "t = time.process_time(); import handler; print(1000 * (time.process_time() - t))"
    )
    answer = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", code],
        env=LAMBDA_ENVIRONMENT,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        error = answer.stderr.splitlines()[-1] if answer.stderr else f"exit {answer.returncode}"
        raise SystemExit(f"{function_dir.name}: its handler does not import with only {layer}: {error}")
    line = next(line for line in answer.stderr.splitlines() if line.rstrip().endswith("| handler"))
    return int(line.split("|")[1]) / 1000, float(answer.stdout.split()[-1])


def measure(function_dirs: list[Path], layer: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Each function's median wall and CPU milliseconds. On a machine others load, the wall clock
    counts the waits for a core; the CPU time is what the import itself took."""
    figures = {}
    for function_dir in function_dirs:
        import_ms(function_dir, layer)  # compile once: what Lambda runs is already compiled
        taken = [import_ms(function_dir, layer) for _ in range(runs)]
        wall, cpu = (round(statistics.median(t[i] for t in taken), 1) for i in (0, 1))
        figures[function_dir.name] = (wall, cpu)
        ratio = wall / BUDGET_MS
        print(
            f"{function_dir.name:22} {wall:7.1f} ms ({cpu:6.1f} ms CPU)   "
            f"{ratio:5.2f} of the {BUDGET_MS:.0f} ms budget"
        )
    return figures


def check_built(build_dir: Path, runs: int) -> None:
    """sam build's functions, each with only the built layer: all of them, each importing in budget."""
    layer = build_dir / "SharedLayer" / "python"
    built = sorted(p.parent for p in build_dir.glob("*/handler.py"))
    expected = len(list(ROOT.glob("functions/*/handler.py")))
    if not (layer / "shared").is_dir() or len(built) != expected:
        raise SystemExit(
            f"{build_dir}: expected {expected} functions and SharedLayer/python/shared: run make build"
        )
    over = {name: wall for name, (wall, _) in measure(built, layer, runs).items() if wall > BUDGET_MS}
    if over:  # a loaded machine's wall clock is no measure: the bench's own run is (figures cold_import.*)
        print(f"note: over the {BUDGET_MS:.0f} ms budget on this machine now: {over}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--built", type=Path, help="sam build's output (.aws-sam/build) to check")
    parser.add_argument("--runs", type=int, default=RUNS)
    given = parser.parse_args()
    if given.built:
        check_built(given.built, given.runs)
        return
    build_layer()
    function_dirs = sorted(p.parent for p in ROOT.glob("functions/*/handler.py"))
    figures = measure(function_dirs, LAYER, given.runs)
    merge({f"cold_import.{name}.ms": wall for name, (wall, _) in figures.items()})
    merge({f"cold_import.{name}.cpu_ms": cpu for name, (_, cpu) in figures.items()})


if __name__ == "__main__":
    main()
