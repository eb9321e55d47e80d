"""`tidemark login` and `tidemark logout`, and the local stack's sign-in as `local up` and the demo show it.

Registered on the CLI's app by `register(app)`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from tidemark import auth
from tidemark.api_client import DEFAULT_API
from tidemark.render import console

if TYPE_CHECKING:
    from tidemark.local.runtime import LocalRuntime

ApiOption = Annotated[str, typer.Option("--api", envvar="TIDEMARK_API", help="console API base URL")]


def login(
    api: ApiOption = DEFAULT_API,
    username: Annotated[str | None, typer.Option(help="the console user (asked when not given)")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="read the password from standard input's first line (a temporary one's new one: the second)",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the login as JSON")] = False,
) -> None:
    """Sign in to the console API (its Cognito user pool); every verb then sends the access token."""
    user = username or typer.prompt("username")
    password = (
        sys.stdin.readline().rstrip("\r\n") if password_stdin else typer.prompt("password", hide_input=True)
    )
    try:
        signed_in = auth.sign_in(api, user, password, lambda: _new_password(password_stdin))
    except auth.SignInError as error:
        console.print(f"[red]error[/] {error.message}")
        raise typer.Exit(1) from error
    where = auth.save(api, signed_in)
    if as_json:
        shown = {"api": api, "username": user, "expires_at": signed_in.expires_at, "credentials": str(where)}
        typer.echo(json.dumps(shown))
        return
    console.print(f"signed in to {api} as [bold]{user}[/] (tokens in {where}, refreshed when they expire)")


def _new_password(from_stdin: bool) -> str:
    """A temporary password's replacement: standard input's next line, or asked twice."""
    if from_stdin:
        given = sys.stdin.readline().rstrip("\r\n")
        if not given:
            raise auth.SignInError(
                "the password is temporary: give the new one on standard input's second line"
            )
        return given
    console.print("your password is temporary: choose a new one")
    return str(typer.prompt("new password", hide_input=True, confirmation_prompt=True))


def logout(
    api: ApiOption = DEFAULT_API,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
) -> None:
    """Forget the console API's tokens on this machine."""
    forgotten = auth.forget(api)
    if as_json:
        typer.echo(json.dumps({"api": api, "signed_out": forgotten}))
    else:
        console.print(f"signed out of {api}" if forgotten else f"not signed in to {api}")


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(logout)


@contextlib.contextmanager
def local_login(runtime: LocalRuntime) -> Iterator[None]:
    """The local operator signed in for the CLI while the stack runs (as `tidemark login` would)."""
    auth.save(runtime.api_url, runtime.login("operator"))
    try:
        yield
    finally:
        auth.forget(runtime.api_url)


def show_sign_in(runtime: LocalRuntime) -> None:
    """The console's address and its local users' sign-in."""
    console.print(f"[bold]console[/] {runtime.api_url}/")
    for group, user in runtime.users.items():
        console.print(
            f"  sign in as {group}: user [bold]{user.username}[/]  password [bold]{user.password}[/]"
        )
    console.print(f"  the CLI is signed in as operator for {runtime.api_url} (tidemark logout forgets it)")
