"""The job queue, and the verbs that queue a job on a channel: link, reconcile, sync."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import PLAN_SHOWN, ApiOption, JsonOption, connect, follow, print_json, run, start
from tidemark.render import console, job_table, jobs_table, plan_table

app = typer.Typer(help="The job queue.")


def link(
    channel: str,
    relink: Annotated[bool, typer.Option(help="only the listings not linked yet")] = False,
    wait: Annotated[bool, typer.Option(help="follow the job to its end")] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Link listings to the channel's variants by its priorities."""
    start(api, {"channel": channel, "kind": "relink" if relink else "link"}, wait, as_json)


def reconcile(
    channel: str,
    wait: Annotated[bool, typer.Option(help="follow the job to its end")] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Read the channel's values of every linked variant; mark what differs from master out of sync."""
    start(api, {"channel": channel, "kind": "reconcile"}, wait, as_json)


def sync(
    channel: str,
    mode: Annotated[str, typer.Option(help="full, partial, smart or selected")] = "full",
    sku: Annotated[list[str] | None, typer.Option(help="selected syncs: a SKU (repeat)")] = None,
    sku_file: Annotated[Path | None, typer.Option(help="selected syncs: a file of SKUs, one a line")] = None,
    dry_run: Annotated[bool, typer.Option(help="plan what would change, push nothing")] = False,
    relink: Annotated[
        bool, typer.Option(help="re-link the unlinked listings first, in the same job")
    ] = False,
    priority: Annotated[int, typer.Option(help="higher runs first in the channel's queue")] = 0,
    wait: Annotated[bool, typer.Option(help="follow the job to its end")] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Push master quantities, prices and statuses to the channel."""
    skus = list(sku or [])
    if sku_file:
        skus += [line.strip() for line in sku_file.read_text().splitlines() if line.strip()]
    body = {
        "channel": channel,
        "kind": "sync",
        "mode": mode,
        "skus": skus,
        "dry_run": dry_run,
        "relink": relink,
        "priority": priority,
    }
    start(api, body, wait, as_json)


@app.command("list")
def jobs_list(
    channel: Annotated[str | None, typer.Option(help="only this channel")] = None,
    status: Annotated[str | None, typer.Option(help="queued, running, completed, ...")] = None,
    kind: Annotated[str | None, typer.Option(help="link, relink, reconcile or sync")] = None,
    limit: Annotated[int, typer.Option(help="jobs to show")] = 50,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Jobs, newest first."""
    found = run(lambda: connect(api).jobs(channel, status, kind, limit), as_json)
    print_json(found) if as_json else console.print(jobs_table(found))


@app.command("show")
def jobs_show(job_id: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """One job: status, timestamps, counts, failures with their fixes."""
    job = run(lambda: connect(api).job(job_id), as_json)
    print_json(job) if as_json else console.print(job_table(job))


@app.command("plan")
def jobs_plan(
    job_id: str,
    limit: Annotated[int, typer.Option(help="changes a page")] = PLAN_SHOWN,
    cursor: Annotated[str | None, typer.Option(help="the page after this one")] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """What a dry run would change, from what to what."""
    plan = run(lambda: connect(api).plan(job_id, limit, cursor), as_json)
    if as_json:
        print_json(plan)
        return
    console.print(plan_table(plan))
    if plan["next"]:
        console.print(f"more: --cursor {plan['next']}")


@app.command("prioritize")
def jobs_prioritize(job_id: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Move a queued job to the top of its channel's queue."""
    job = run(lambda: connect(api).job_action(job_id, "prioritize"), as_json)
    if as_json:
        print_json(job)
        return
    console.print(f"job {job_id} is {job['status']}, priority {job['priority']}")


@app.command("cancel")
def jobs_cancel(job_id: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Cancel a queued or running job: no push leaves once this answers."""
    job = run(lambda: connect(api).job_action(job_id, "cancel"), as_json)
    if as_json:
        print_json(job)
        return
    console.print(f"job {job_id} cancelled")
    if job["pushes_in_flight"]:
        console.print(f"{job['pushes_in_flight']} push batches sent before the cancel are still finishing")


@app.command("rerun")
def jobs_rerun(
    job_id: str,
    wait: Annotated[bool, typer.Option(help="follow the new job to its end")] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Run a failed or partly failed job again, on current data."""
    client = connect(api)
    job = run(lambda: client.job_action(job_id, "rerun"), as_json)
    if not as_json:
        console.print(f"job {job['id']} {job['status']} (re-run of {job_id})")
    if wait:
        follow(client, job, as_json)
    elif as_json:
        print_json(job)
