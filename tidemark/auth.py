"""Signing in to the console API as the page does: the API's open GET /v1/auth/config names the user
pool's app client and Cognito's endpoint (cognito_url; locally the local runtime's), where an
InitiateAuth with USER_PASSWORD_AUTH gives the tokens, and REFRESH_TOKEN_AUTH new ones.

The tokens are kept per API URL in the user's config folder (credentials.json, mode 0600):
$TIDEMARK_CONFIG_DIR, else $XDG_CONFIG_HOME/tidemark, else ~/.config/tidemark. Every request then
carries `Authorization: Bearer <access token>`, refreshed when it has expired.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx

AMZ_JSON = "application/x-amz-json-1.1"
INITIATE_AUTH = "AWSCognitoIdentityProviderService.InitiateAuth"
RESPOND_TO_AUTH_CHALLENGE = "AWSCognitoIdentityProviderService.RespondToAuthChallenge"
# Refreshed this long before it expires, so a request never leaves with a token about to expire.
EARLY_S = 60


class SignInError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Login:
    username: str
    client_id: str
    cognito_url: str
    access_token: str
    refresh_token: str
    expires_at: float

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at - EARLY_S


def config_dir() -> Path:
    given = os.environ.get("TIDEMARK_CONFIG_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tidemark"


def _credentials_file() -> Path:
    return config_dir() / "credentials.json"


def _key(api_url: str) -> str:
    return api_url.rstrip("/")


def auth_config(api_url: str) -> dict[str, str]:
    try:
        answer = httpx.get(f"{_key(api_url)}/v1/auth/config", timeout=30)
    except httpx.TransportError as error:
        raise SignInError(f"cannot reach the console API at {api_url}: {error}") from error
    if answer.is_error:
        raise SignInError(f"{api_url}/v1/auth/config answered {answer.status_code}: is it the console API?")
    config: dict[str, str] = answer.json()
    return config


def _cognito(cognito_url: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"content-type": AMZ_JSON, "x-amz-target": target}
    try:
        answer = httpx.post(cognito_url, content=json.dumps(body), headers=headers, timeout=30)
    except httpx.TransportError as error:
        raise SignInError(f"cannot reach Cognito at {cognito_url}: {error}") from error
    result: dict[str, Any] = answer.json() if answer.content else {}
    if answer.is_error:
        kind = str(result.get("__type", answer.status_code)).rsplit("#", 1)[-1]
        raise SignInError(f"{kind}: {result.get('message') or result.get('Message') or answer.text}")
    return result


def _tokens(result: dict[str, Any]) -> dict[str, Any]:
    if "AuthenticationResult" not in result:
        challenge = result.get("ChallengeName", "a challenge")
        raise SignInError(
            f"Cognito asks for {challenge}, which tidemark login does not answer: use the console page"
        )
    tokens: dict[str, Any] = result["AuthenticationResult"]
    return tokens


def _initiate_auth(cognito_url: str, body: dict[str, Any]) -> dict[str, Any]:
    return _tokens(_cognito(cognito_url, INITIATE_AUTH, body))


def sign_in(
    api_url: str, username: str, password: str, new_password: Callable[[], str] | None = None
) -> Login:
    """Sign in; a user whose password is temporary (an administrator's new user) sets `new_password()`."""
    config = auth_config(api_url)
    client_id, cognito_url = config["client_id"], config["cognito_url"]
    parameters = {"USERNAME": username, "PASSWORD": password}
    body = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id, "AuthParameters": parameters}
    result = _cognito(cognito_url, INITIATE_AUTH, body)
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and new_password is not None:
        responses = {"USERNAME": username, "NEW_PASSWORD": new_password()}
        answer = {
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "ClientId": client_id,
            "Session": result["Session"],
            "ChallengeResponses": responses,
        }
        result = _cognito(cognito_url, RESPOND_TO_AUTH_CHALLENGE, answer)
    tokens = _tokens(result)
    return Login(
        username,
        client_id,
        cognito_url,
        tokens["AccessToken"],
        tokens["RefreshToken"],
        time.time() + int(tokens["ExpiresIn"]),
    )


def refresh(login: Login) -> Login:
    """New tokens from the refresh token (Cognito gives no new refresh token: the old one stays)."""
    tokens = _initiate_auth(
        login.cognito_url,
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": login.client_id,
            "AuthParameters": {"REFRESH_TOKEN": login.refresh_token},
        },
    )
    return replace(
        login,
        access_token=tokens["AccessToken"],
        refresh_token=tokens.get("RefreshToken") or login.refresh_token,
        expires_at=time.time() + int(tokens["ExpiresIn"]),
    )


def _read_all() -> dict[str, Any]:
    try:
        stored: dict[str, Any] = json.loads(_credentials_file().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return stored


def _write_all(stored: dict[str, Any]) -> None:
    path = _credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as f:
        json.dump(stored, f, indent=2)
    os.chmod(temporary, 0o600)  # an older file of another mode keeps it through O_CREAT
    temporary.replace(path)


_store_lock = threading.Lock()


def save(api_url: str, login: Login) -> Path:
    with _store_lock:
        stored = _read_all()
        stored[_key(api_url)] = asdict(login)
        _write_all(stored)
    return _credentials_file()


def load(api_url: str) -> Login | None:
    found = _read_all().get(_key(api_url))
    if not isinstance(found, dict):
        return None
    try:
        return Login(**found)
    except TypeError:
        return None


def forget(api_url: str) -> bool:
    """Remove the API's tokens; False when there were none."""
    with _store_lock:
        stored = _read_all()
        if stored.pop(_key(api_url), None) is None:
            return False
        _write_all(stored)
    return True


class BearerToken(httpx.Auth):
    """Sends the login's access token, refreshed (and saved, when it came from the store) once expired."""

    def __init__(self, login: Login, api_url: str | None = None) -> None:
        self._login = login
        self._save_for = api_url
        self._lock = threading.Lock()

    def _fresh(self) -> Login:
        with self._lock:
            if self._login.expired:
                self._login = refresh(self._login)
                if self._save_for is not None:
                    save(self._save_for, self._login)
            return self._login

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["authorization"] = f"Bearer {self._fresh().access_token}"
        yield request


def stored_auth(api_url: str) -> BearerToken | None:
    """The API's saved login (tidemark login), or None when it has none."""
    login = load(api_url)
    return BearerToken(login, api_url) if login else None
