"""bench/results.json: every bench script merges the figures it prints (name -> number)."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


def merge(figures: dict[str, float]) -> None:
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current.update(figures)
    RESULTS.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")
