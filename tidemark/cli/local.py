"""The whole stack on this machine, and the demo."""

from __future__ import annotations

from typing import Annotated

import typer

from tidemark import login
from tidemark.cli.common import wait_forever
from tidemark.render import console

app = typer.Typer(help="The whole stack on this machine (moto, handlers, console API, sandboxes).")


def demo(variants: Annotated[int, typer.Option(help="variants in the sandbox store")] = 200) -> None:
    """Run the whole product locally and show what it did."""
    from tidemark.demo import run_demo

    _build_console()
    raise typer.Exit(run_demo(variants))


@app.command("up")
def local_up(
    port: Annotated[int, typer.Option(help="console API port on 127.0.0.1")] = 8000,
    sandboxes: Annotated[
        bool, typer.Option("--sandboxes/--no-sandboxes", help="start sandbox stores")
    ] = True,
    variants: Annotated[int, typer.Option(help="variants in the Shopify sandbox")] = 200,
    log_level: Annotated[str, typer.Option(help="handlers' log level")] = "INFO",
) -> None:
    """Run the stack until Ctrl-C."""
    from tidemark.local.runtime import LocalRuntime

    _build_console()
    runtime = LocalRuntime(port=port, sandboxes=sandboxes, shopify_variants=variants, log_level=log_level)
    with console.status("deploying template.yaml into moto"):
        runtime.start()
    try:
        with login.local_login(runtime):
            console.print(
                f"[bold]console API[/] {runtime.api_url}  (OpenAPI: {runtime.api_url}/v1/openapi.json)"
            )
            login.show_sign_in(runtime)
            for name, store in runtime.sandboxes.items():
                credentials = "  ".join(f"{k}={v}" for k, v in store.credentials.items())
                console.print(f"[bold]{name} sandbox[/] {store.url}  {credentials}")
            console.print("Ctrl-C stops everything.")
            wait_forever()
    finally:
        with console.status("stopping"):
            runtime.stop()


def _build_console() -> None:
    """The console's web page built when it is not (npm ci and npm run build in console/)."""
    from tidemark.local import console_files

    with console.status("building the console page (console/)"):
        problem = console_files.build_if_missing()
    if problem:
        console.print(f"[yellow]console page[/] {problem}")
