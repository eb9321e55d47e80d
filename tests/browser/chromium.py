"""Debian's Chromium as the browser tests and bench/console.py launch it (never a browser download
of Playwright's own: `make browser-deps` installs the `chromium` package when it is missing)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("TIDEMARK_CHROMIUM", "/usr/bin/chromium"))
# As root Chromium needs --no-sandbox; the rest keep it from calling hosts this network refuses.
ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make browser-deps` (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
