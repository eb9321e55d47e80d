"""Settings of the whole catalog."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, Switch, connect, print_json, run
from tidemark.render import console

app = typer.Typer(help="Settings of the whole catalog.")


@app.command("auto-sync-rules")
def settings_auto_sync_rules(
    manual: Annotated[Switch | None, typer.Option(help="listings created by hand")] = None,
    file_import: Annotated[Switch | None, typer.Option(help="listings created by a file import")] = None,
    order_import: Annotated[Switch | None, typer.Option(help="listings created by an order import")] = None,
    feed: Annotated[Switch | None, typer.Option(help="listings created by an inventory feed")] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """The auto-sync flag new listings start with, by how they were created (no option: show them)."""
    given = {"manual": manual, "file_import": file_import, "order_import": order_import, "feed": feed}
    changes = {name: state is Switch.ON for name, state in given.items() if state is not None}
    rules = run(lambda: connect(api).auto_sync_rules(changes), as_json)
    if as_json:
        print_json(rules)
        return
    table = Table(title="auto sync of new listings")
    for column in ("created by", "auto sync"):
        table.add_column(column)
    for name, on in rules.items():
        table.add_row(name, "[green]on[/]" if on else "off")
    console.print(table)
