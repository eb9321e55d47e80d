"""What every verb group shares: the --api option, calling the API, following a job."""

from __future__ import annotations

import json
import signal
import threading
from enum import StrEnum
from typing import Annotated, Any

import typer

from tidemark.api_client import ApiError, ConsoleApi
from tidemark.render import console, job_table, plan_table, wait_with_progress

PLAN_SHOWN = 50

ApiOption = Annotated[str, typer.Option("--api", envvar="TIDEMARK_API", help="console API base URL")]
# Every verb that shows something takes --json (as gh and the aws CLI do): the API's answer, as is.
JsonOption = Annotated[bool, typer.Option("--json", help="print the API's answer as JSON, nothing else")]


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


def connect(url: str) -> ConsoleApi:
    return ConsoleApi(url)


def run(call: Any, as_json: bool = False) -> Any:
    """Run an API call; a refusal is printed with its fix (--json: as the API answered it) and exits 1."""
    try:
        return call()
    except ApiError as error:
        if as_json:
            print_json({"status": error.status, "message": error.message, "errors": error.errors})
            raise typer.Exit(1) from error
        console.print(f"[red]error[/] {error.message}")
        for detail in error.errors[:20]:
            where = f"line {detail['line']}, " if "line" in detail else ""
            console.print(f"  {where}{detail.get('field', '')}: {detail['message']}")
        raise typer.Exit(1) from error


def print_json(answer: Any) -> None:
    typer.echo(json.dumps(answer, indent=2))


def wait_forever() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


def start(api: str, body: dict[str, Any], wait: bool, as_json: bool = False) -> None:
    client = connect(api)
    job = run(lambda: client.start_job(body), as_json)
    if not as_json:
        console.print(f"job {job['id']} {job['status']}")
    if wait:
        follow(client, job, as_json)
    elif as_json:
        print_json(job)


def follow(client: ConsoleApi, job: dict[str, Any], as_json: bool = False) -> None:
    """Follow a job to its end (--json: no progress shown, the finished job printed); exit 1 if it failed."""
    if as_json:
        finished = run(lambda: client.wait_for_job(job["id"]), as_json)
        print_json(finished)
        if finished["status"] == "failed":
            raise typer.Exit(1)
        return
    finished = run(lambda: wait_with_progress(client, job))
    console.print(job_table(finished))
    if finished.get("dry_run"):
        plan = run(lambda: client.plan(finished["id"], limit=PLAN_SHOWN))
        console.print(plan_table(plan))
        if plan["next"]:
            console.print(f"more: tidemark jobs plan {finished['id']}")
    if finished["status"] == "failed":
        raise typer.Exit(1)
