"""Cold import time of each Lambda handler (python -X importtime, fresh interpreter each run).

Prints each handler's median over runs and its ratio to the 300 ms budget; merges
`cold_import.<handler>.ms` into bench/results.json.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 300.0
RUNS = 5
# What Lambda gives every function (template.yaml Globals and the runtime's own variables).
LAMBDA_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "tidemark",
    "POWERTOOLS_METRICS_NAMESPACE": "Tidemark",
    "PYTHONDONTWRITEBYTECODE": "",
}


def import_ms(module: str) -> float:
    env = {**os.environ, **LAMBDA_ENVIRONMENT}
    env.pop("PYTHONDONTWRITEBYTECODE")
    answer = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in answer.stderr.splitlines() if line.rstrip().endswith(f"| {module}"))
    return int(line.split("|")[1]) / 1000


def main() -> None:
    figures = {}
    for handler in sorted(ROOT.glob("functions/*/handler.py")):
        name = handler.parent.name
        module = f"functions.{name}.handler"
        import_ms(module)  # compile once: Lambda ships bytecode
        median = statistics.median(import_ms(module) for _ in range(RUNS))
        figures[f"cold_import.{name}.ms"] = round(median, 1)
        print(f"{name:10} {median:7.1f} ms   {median / BUDGET_MS:5.2f} of the {BUDGET_MS:.0f} ms budget")
    merge(figures)


if __name__ == "__main__":
    main()
