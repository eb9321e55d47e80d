"""`tidemark login` / `logout` against the local stack: the tokens kept per API URL (mode 0600),
every verb sending the access token, an expired one refreshed, a wrong password refused."""

import json
import stat

import boto3
import pytest
from typer.testing import CliRunner

from tidemark import auth
from tidemark.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()


def cli(*args, stdin=None):
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False, env={"COLUMNS": "200"})


def test_login_keeps_the_tokens_per_api_and_every_verb_sends_them(stack):
    auth.forget(stack.api_url)  # the fixture's login
    refused = cli("channels", "list", "--api", stack.api_url)
    assert refused.exit_code == 1
    assert "tidemark login" in refused.output

    operator = stack.users["operator"]
    signed_in = cli(
        "login",
        "--api",
        stack.api_url,
        "--username",
        operator.username,
        "--password-stdin",
        "--json",
        stdin=f"{operator.password}\n",
    )
    assert signed_in.exit_code == 0, signed_in.output
    shown = json.loads(signed_in.output)
    assert shown["username"] == "operator"

    path = auth.config_dir() / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored[stack.api_url]["username"] == "operator"
    assert operator.password not in path.read_text()
    assert cli("channels", "list", "--api", stack.api_url).exit_code == 0


def test_an_expired_token_is_refreshed_and_saved(stack):
    login = auth.load(stack.api_url)
    assert login is not None
    expired = auth.Login(**{**login.__dict__, "expires_at": 0.0})
    auth.save(stack.api_url, expired)

    assert cli("channels", "list", "--api", stack.api_url).exit_code == 0
    refreshed = auth.load(stack.api_url)
    assert refreshed.expires_at > 0
    assert refreshed.refresh_token == login.refresh_token


def test_a_viewer_signed_in_reads_and_is_told_its_change_is_refused(stack):
    viewer = stack.users["viewer"]
    assert (
        cli(
            "login", "--api", stack.api_url, "--username", "viewer", "--password-stdin", stdin=viewer.password
        ).exit_code
        == 0
    )
    assert cli("channels", "list", "--api", stack.api_url).exit_code == 0
    refused = cli("settings", "auto-sync-rules", "--manual", "on", "--api", stack.api_url)
    assert refused.exit_code == 1
    assert "your role (viewer) reads only: ask an operator" in refused.output


def test_a_wrong_password_is_refused_and_keeps_nothing(stack):
    auth.forget(stack.api_url)
    wrong = cli("login", "--api", stack.api_url, "--username", "operator", "--password-stdin", stdin="nope\n")
    assert wrong.exit_code == 1
    assert "NotAuthorizedException" in wrong.output
    assert auth.load(stack.api_url) is None


def test_logout_forgets_the_apis_tokens_only(stack):
    auth.save(stack.api_url, stack.login())
    auth.save("http://127.0.0.1:1", stack.login())
    assert "signed out" in cli("logout", "--api", stack.api_url).output
    assert auth.load(stack.api_url) is None
    assert auth.load("http://127.0.0.1:1") is not None
    assert "not signed in" in cli("logout", "--api", stack.api_url).output
    assert json.loads(cli("logout", "--api", stack.api_url, "--json").output) == {
        "api": stack.api_url,
        "signed_out": False,
    }
    auth.forget("http://127.0.0.1:1")


def test_a_temporary_password_is_replaced_at_the_first_login(stack):
    pool = stack.deployment.outputs["UserPoolId"]
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    cognito.admin_create_user(
        UserPoolId=pool, Username="newcomer", TemporaryPassword="Temporary-pass-1", MessageAction="SUPPRESS"
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="newcomer", GroupName="viewer")

    def login(stdin):
        return cli("login", "--api", stack.api_url, "--username", "newcomer", "--password-stdin", stdin=stdin)

    missing = login("Temporary-pass-1\n")
    assert missing.exit_code == 1
    assert "the password is temporary" in missing.output
    assert login("Temporary-pass-1\nChosen-pass-2345!\n").exit_code == 0
    assert cli("channels", "list", "--api", stack.api_url).exit_code == 0
    assert login("Chosen-pass-2345!\n").exit_code == 0
    assert login("Temporary-pass-1\n").exit_code == 1
