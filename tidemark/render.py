"""How the CLI and the demo show things: rich tables and a job's progress bar."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tidemark.api_client import ConsoleApi

console = Console()

COUNT_NAMES = (
    "planned",
    "pushed",
    "skipped",
    "failed",
    "conflicts",
    "read",
    "linked",
    "already_linked",
    "no_match",
    "duplicate",
    "empty_value",
    "variant_gone",
    "value_changed",
    "checked",
    "out_of_sync",
    "compared",
    "changes",
    "unchanged",
    "matched",
    "flags_changed",
)


def job_table(job: dict[str, Any]) -> Table:
    table = Table(title=f"job {job['id']}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    what = (
        job["kind"]
        + (f" ({job['mode']})" if job.get("mode") else "")
        + (" dry run" if job.get("dry_run") else "")
        + _switch(job)
    )
    colour = {"completed": "green", "failed": "red", "completed_with_errors": "yellow"}.get(
        job["status"], "cyan"
    )
    table.add_row("channel", job["channel"])
    table.add_row("job", what + (" after a re-link" if job.get("relink") else ""))
    table.add_row("status", f"[{colour}]{job['status']}[/]")
    if job["kind"] == "auto_sync":
        table.add_row("selection", " and ".join(job["filters"]) or f"{job['selected']} SKUs")
    for name in ("note", "rerun_of"):
        if job.get(name):
            table.add_row(name.replace("_", " "), job[name])
    for stamp in ("created_at", "started_at", "finished_at"):
        table.add_row(stamp.replace("_at", ""), job.get(stamp) or "-")
    for name in COUNT_NAMES:
        if job["counts"].get(name):
            table.add_row(name.replace("_", " "), str(job["counts"][name]))
    if job.get("error"):
        table.add_row("error", f"[red]{job['error']}[/]")
    for failure in job.get("failures", [])[:10]:
        table.add_row("failure", f"{failure['sku']}: {failure['message']}")
    return table


def _switch(job: dict[str, Any]) -> str:
    """An auto_sync job's flag: " on" or " off"."""
    return "" if job.get("auto_sync") is None else (" on" if job["auto_sync"] else " off")


def jobs_table(jobs: list[dict[str, Any]]) -> Table:
    table = Table(title="jobs")
    for column in (
        "id",
        "channel",
        "kind",
        "status",
        "priority",
        "created",
        "planned",
        "pushed",
        "skipped",
        "failed",
    ):
        table.add_column(column)
    for job in jobs:
        counts = job["counts"]
        table.add_row(
            job["id"],
            job["channel"],
            job["kind"] + (f" {job['mode']}" if job.get("mode") else "") + _switch(job),
            job["status"],
            str(job["priority"]),
            job["created_at"],
            *(str(counts[n]) for n in ("planned", "pushed", "skipped", "failed")),
        )
    return table


def wait_with_progress(api: ConsoleApi, job: dict[str, Any]) -> dict[str, Any]:
    """Follow a job until it ends, with a bar over its planned listings."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"{job['kind']} {job['channel']}", total=None)

        def show(current: dict[str, Any]) -> None:
            counts = current["counts"]
            if current["kind"] == "auto_sync":
                progress.update(
                    task,
                    total=current["selected"] or None,
                    completed=counts["checked"],
                    description=f"auto sync{_switch(current)} ({current['status']}): "
                    f"{counts['matched']} matched, {counts['flags_changed']} changed",
                )
            elif current["kind"] == "sync":
                done = sum(counts[n] for n in ("pushed", "skipped", "failed", "conflicts", "compared"))
                progress.update(
                    task,
                    total=counts["planned"] or None,
                    completed=done,
                    description=f"sync {current['channel']} ({current['status']})",
                )
            else:
                progress.update(
                    task,
                    completed=counts["linked"] + counts["already_linked"],
                    description=f"{current['kind']} {current['channel']} ({current['status']})",
                )

        finished = api.wait_for_job(job["id"], on_progress=show)
        progress.update(
            task, total=progress.tasks[0].completed or 1, completed=progress.tasks[0].completed or 1
        )
    return finished


def plan_table(plan: dict[str, Any]) -> Table:
    table = Table(title=f"what job {plan['job_id']} would change")
    for column in ("sku", "field", "from", "to"):
        table.add_column(column)
    for change in plan["changes"]:
        table.add_row(change["sku"], change["field"], change["from_value"] or "-", change["to_value"])
    return table
