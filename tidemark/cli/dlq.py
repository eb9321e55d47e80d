"""Dead-letter queues: what failed and why, and moving it back."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, connect, print_json, run
from tidemark.render import console

app = typer.Typer(help="Dead-letter queues: what failed and why, and moving it back.")


class DeadLetterQueue(StrEnum):
    PUSH = "push"
    WEBHOOKS = "webhooks"
    AUTO_PUSH = "auto-push"
    STREAM = "stream"


@app.command("list")
def dlq_list(
    queue: Annotated[DeadLetterQueue | None, typer.Option(help="only this queue")] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Every dead-letter queue's messages: what each was, how often it was received, why it failed."""
    answer = run(lambda: connect(api).dead_letters(queue), as_json)
    if as_json:
        print_json(answer)
        return
    for q in answer["queues"]:
        hidden = q["messages"] - q["shown"]
        more = (
            f" ({hidden} more behind them, not shown: see again once these are redriven)"
            if hidden > 0
            else ""
        )
        count = f"{q['messages']} message" + ("" if q["messages"] == 1 else "s")
        console.print(f"[bold]{q['queue']}[/]: {count}{more}")
    if not answer["messages"]:
        console.print("no dead letters")
        return
    table = Table(title="dead letters")
    for column in ("queue", "id", "what", "received", "sent", "failed", "why"):
        table.add_column(column, overflow="fold", no_wrap=column == "id")
    for m in answer["messages"]:
        received = "-" if m["receive_count"] is None else str(m["receive_count"])
        table.add_row(
            m["queue"], m["id"], m["what"], received, _when(m["sent_at"]), _when(m["failed_at"]), m["why"]
        )
    console.print(table)


def _when(at: str | None) -> str:
    """An API time, to the second: 2026-11-23 20:33:32."""
    return at[:19].replace("T", " ") if at else "-"


@app.command("redrive")
def dlq_redrive(
    queue: Annotated[DeadLetterQueue | None, typer.Option(help="only this queue")] = None,
    message_id: Annotated[
        list[str] | None, typer.Option("--id", help="a message id from `dlq list` (repeat); none: every one")
    ] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Move dead letters back to their queues (stream failures: their listings pushed again)."""
    answer = run(lambda: connect(api).redrive(queue, message_id), as_json)
    if as_json:
        print_json(answer)
        return
    if answer["redriven"] or answer["left"]:
        table = Table(title="redrive")
        for column in ("queue", "id", "what", "result"):
            table.add_column(column, overflow="fold", no_wrap=column == "id")
        for m in answer["redriven"]:
            table.add_row(m["queue"], m["id"], m["what"], m["result"])
        for m in answer["left"]:
            table.add_row(m["queue"], m["id"], m["what"], f"[yellow]{m['result']}[/]")
        console.print(table)
    console.print(f"{len(answer['redriven'])} redriven, {len(answer['left'])} left")
    for missing in answer["not_found"]:
        console.print(
            f"[yellow]not found[/] {missing}: not in the queue (redriven already?); see `tidemark dlq list`"
        )
