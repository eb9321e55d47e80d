"""A listing's sync history."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, connect, print_json, run
from tidemark.render import console


def history(
    sku: str,
    channel: Annotated[str | None, typer.Option(help="only this channel")] = None,
    limit: Annotated[int, typer.Option(help="entries a page")] = 50,
    cursor: Annotated[str | None, typer.Option(help="the page after this one")] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """A listing's sync history, newest first."""
    page = run(lambda: connect(api).history(sku, channel, limit, cursor), as_json)
    if as_json:
        print_json(page)
        return
    table = Table(title=f"history of {sku}")
    for column in ("when", "channel", "job", "field", "from", "to", "result"):
        table.add_column(column)
    for e in page["entries"]:
        result = e["outcome"] + (f": {e['message']}" if e["message"] else "")
        table.add_row(
            e["at"], e["channel"], e["job_id"], e["field"], e["from_value"] or "-", e["to_value"], result
        )
    console.print(table)
    if page["next"]:
        console.print(f"more: --cursor {page['next']}")
