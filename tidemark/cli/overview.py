"""What needs attention: the console's Overview."""

from __future__ import annotations

from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, connect, print_json, run
from tidemark.render import console

COUNTS = ("linked", "unlinked", "duplicate", "out_of_sync", "failed")


def overview(api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Per channel its listings by link state, jobs and schedule; dead letters; each problem with its fix."""
    shown = run(lambda: connect(api).overview(), as_json)
    if as_json:
        print_json(shown)
        return
    table = Table(title="channels")
    for column in ("channel", *COUNTS, "running", "next job", "next scheduled run"):
        table.add_column(column.replace("_", " "))
    for c in shown["channels"]:
        running, queued, schedule = c["running_job"], c["next_job"], c["schedule"]
        table.add_row(
            c["name"],
            *(str(c["counts"][name]) for name in COUNTS),
            f"{running['kind']} {running['id']}" if running else "-",
            f"{queued['kind']} {queued['id']}" if queued else "-",
            (schedule["next_run_at"] or "off") if schedule else "none",
        )
    console.print(table)
    letters = ", ".join(f"{d['queue']} {d['messages']}" for d in shown["dead_letters"])
    console.print(f"dead letters: {letters}")
    for alarm in shown["alarms"]:
        if alarm["state"] == "ALARM":
            console.print(f"[red]alarm[/] {alarm['name']}: {alarm['description']}")
    if not shown["needs_attention"]:
        console.print("[green]nothing needs attention[/]")
    for p in shown["problems"]:
        action = p["action"]
        does = f" -> {action['label']}: {action['method']} {action['path']}" if action else ""
        console.print(f"[yellow]{p['cause']}[/] {p['message']}\n  fix: {p['fix']}{does}")
