"""The `tidemark` command. The CLI and everything it drives locally (the sandboxes, the local
runtime) need the `local` extra; installed without it, the command says which extra to install
instead of dying on an import."""

from __future__ import annotations

import sys

EXTRA = "local"
INSTALL = f"pip install 'tidemark[{EXTRA}]'"


def main() -> None:
    try:
        from tidemark.cli import app
    except ModuleNotFoundError as missing:
        sys.exit(
            f"tidemark: the command needs the '{EXTRA}' extra ({missing.name} is not installed): "
            f"run {INSTALL} (from a checkout: pip install '.[{EXTRA}]')"
        )
    app()
