"""Cold import time of each Lambda handler, as Lambda would import it.

The handlers are imported from a directory laid out like the deployed function: the function's
folder plus a copy of the SharedLayer (the pinned runtime dependencies of pyproject.toml and
the project's shared/ package), in a fresh interpreter without site-packages, with the
environment Lambda gives. Measured with `python -X importtime`, median of several runs.

Prints each handler's time and its ratio to the 300 ms budget; merges
`cold_import.<handler>.ms` into bench/results.json.
"""

from __future__ import annotations

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


def import_ms(function_dir: Path) -> float:
    code = f"import sys; sys.path[:0] = [{str(function_dir)!r}, {str(LAYER)!r}]; import handler"
    answer = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", code],
        env=LAMBDA_ENVIRONMENT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in answer.stderr.splitlines() if line.rstrip().endswith("| handler"))
    return int(line.split("|")[1]) / 1000


def main() -> None:
    build_layer()
    figures = {}
    for function_dir in sorted(p.parent for p in ROOT.glob("functions/*/handler.py")):
        import_ms(function_dir)  # compile once: what Lambda runs is already compiled
        median = statistics.median(import_ms(function_dir) for _ in range(RUNS))
        figures[f"cold_import.{function_dir.name}.ms"] = round(median, 1)
        ratio = median / BUDGET_MS
        print(f"{function_dir.name:10} {median:7.1f} ms   {ratio:5.2f} of the {BUDGET_MS:.0f} ms budget")
    merge(figures)


if __name__ == "__main__":
    main()
