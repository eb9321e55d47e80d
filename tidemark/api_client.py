"""The console API as the CLI and the demo speak to it.

Every request but the two open ones carries the signed-in user's Cognito access token (the API's
JWT authorizer checks it, on AWS and locally alike): `auth` given, or the login `tidemark login`
saved for the API's URL (tidemark.auth).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tidemark import auth as signin

DEFAULT_API = "http://127.0.0.1:8000"
FINISHED = {"completed", "completed_with_errors", "failed", "cancelled"}
# where a job stops for a person: the guard's (confirm or cancel it); waiting for a job ends there too
STOPPED = {*FINISHED, "awaiting_confirmation"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


class ConsoleApi:
    def __init__(
        self, base_url: str = DEFAULT_API, *, auth: httpx.Auth | None = None, timeout: float = 30.0
    ) -> None:
        given = auth or signin.stored_auth(base_url)
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, auth=given)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise ApiError(
                0,
                f"cannot reach the console API at {self._http.base_url}: {error}; "
                "start it with `tidemark local up` or pass --api URL",
            ) from error
        except signin.SignInError as error:
            raise ApiError(
                401, f"{error.message}; sign in again: tidemark login --api {self._http.base_url}"
            ) from error
        body = response.json() if response.content else None
        if response.is_error:
            message = body.get("message", response.text) if isinstance(body, dict) else response.text
            errors = body.get("errors") if isinstance(body, dict) else None
            if response.status_code == 401:
                message = f"{message}; sign in: tidemark login --api {self._http.base_url}"
            raise ApiError(response.status_code, message, errors)
        return body

    def import_listings(self, csv_text: str, created_by: str | None = None) -> dict[str, Any]:
        """`created_by` (manual, file_import, order_import, feed) gives new listings their auto sync."""
        result: dict[str, Any] = self._call(
            "POST",
            "/v1/listings/import",
            content=csv_text.encode(),
            headers={"content-type": "text/csv"},
            params={"created_by": created_by} if created_by else None,
        )
        return result

    def adjust(self, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """One listing's change (reason, sku and on_hand, delta or committed) or a file's (reason, csv)."""
        headers = {"idempotency-key": idempotency_key} if idempotency_key else None
        result: dict[str, Any] = self._call("POST", "/v1/listings/adjust", json=body, headers=headers)
        return result

    def set_auto_sync(self, body: dict[str, Any]) -> dict[str, Any]:
        """Auto sync on or off (auto_sync) for skus or filters; a large selection answers with a job."""
        result: dict[str, Any] = self._call("POST", "/v1/listings/auto-sync", json=body)
        return result

    def sync_now(self, skus: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/v1/listings/sync-now", json={"skus": skus})
        return result

    def auto_sync_rules(self, changes: dict[str, bool] | None = None) -> dict[str, Any]:
        """The rules; with `changes` (creation method -> on), set those first."""
        path = "/v1/settings/auto-sync-rules"
        result: dict[str, Any] = (
            self._call("PATCH", path, json=changes) if changes else self._call("GET", path)
        )
        return result

    def listing(self, sku: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/listings/{sku}")
        return result

    def locations(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/v1/locations")
        return result

    def add_location(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/v1/locations", json={"name": name})
        return result

    def remove_location(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/v1/locations/{name}")
        return result

    def location_map(self, channel: str, mapping: dict[str, list[str]] | None = None) -> dict[str, Any]:
        """The channel's location map; with `mapping`, set it first ({} clears it)."""
        path = f"/v1/channels/{channel}/locations"
        result: dict[str, Any] = (
            self._call("GET", path) if mapping is None else self._call("PUT", path, json={"map": mapping})
        )
        return result

    def stock(self, sku: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/listings/{sku}/stock")
        return result

    def set_bundle(self, sku: str, components: dict[str, int]) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT", f"/v1/listings/{sku}/bundle", json={"components": components}
        )
        return result

    def add_channel(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/v1/channels", json=body)
        return result

    def channels(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/v1/channels")
        return result

    def channel(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/channels/{name}")
        return result

    def edit_channel(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", f"/v1/channels/{name}", json=body)
        return result

    def remove_channel(self, name: str) -> dict[str, Any]:
        """Remove the channel: its schedule stopped, its jobs cancelled, its links and secret deleted."""
        result: dict[str, Any] = self._call("DELETE", f"/v1/channels/{name}")
        return result

    def set_schedule(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change the channel's sync schedule (rate, mode, enabled); returns the channel."""
        result: dict[str, Any] = self._call("PUT", f"/v1/channels/{name}/schedule", json=body)
        return result

    def rules(
        self,
        channel: str,
        edit: dict[str, Any] | None = None,
        *,
        sku: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """A channel's allocation rules, or (`sku`) one listing's override of them; with `edit`, set
        them (a dry run: only what they would move) and answer what they moved."""
        path = f"/v1/listings/{sku}/channels/{channel}/rules" if sku else f"/v1/channels/{channel}/rules"
        if edit is None:
            result: dict[str, Any] = self._call("GET", path)
        else:
            result = self._call("PATCH", path, json=edit, params={"dry_run": str(dry_run).lower()})
        return result

    def rule_change_done(
        self, change: dict[str, Any], moves: int = 100, timeout_s: float = 600
    ) -> dict[str, Any]:
        """A channel's rule change once its rules job has finished: the change with the finished job,
        its counts (checked, moved_listings, auto_pushed) and its first `moves` values moved."""
        job = self.wait_for_job(change["job"]["id"], timeout_s=timeout_s)
        counts = job["counts"]
        return {
            **change,
            "job": job,
            "checked": counts["checked"],
            "moved_listings": counts["moved"],
            "auto_pushed": counts["auto_pushed"],
            "moves": self.plan(job["id"], limit=moves)["changes"],
        }

    def guard(self, channel: str, edit: dict[str, Any] | None = None) -> dict[str, Any]:
        """A channel's guard; with `edit` (on, max_zeroed, max_changed), set it."""
        path = f"/v1/channels/{channel}/guard"
        result: dict[str, Any] = (
            self._call("GET", path) if edit is None else self._call("PATCH", path, json=edit)
        )
        return result

    def breakers(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/v1/guard")
        return result

    def resume(self, channel: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/v1/channels/{channel}/guard/resume")
        return result

    def explain(self, sku: str, channel: str | None = None) -> dict[str, Any]:
        params = {"channel": channel} if channel else {}
        result: dict[str, Any] = self._call("GET", f"/v1/listings/{sku}/explain", params=params)
        return result

    def start_job(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/v1/jobs", json=body)
        return result

    def jobs(
        self, channel: str | None = None, status: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        given = {"channel": channel, "status": status, "kind": kind, "limit": limit}
        result: list[dict[str, Any]] = self._call(
            "GET", "/v1/jobs", params={k: v for k, v in given.items() if v is not None}
        )
        return result

    def job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/jobs/{job_id}")
        return result

    def plan(self, job_id: str, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        result: dict[str, Any] = self._call("GET", f"/v1/jobs/{job_id}/plan", params=params)
        return result

    def job_action(self, job_id: str, action: str) -> dict[str, Any]:
        """prioritize, cancel or rerun."""
        result: dict[str, Any] = self._call("POST", f"/v1/jobs/{job_id}/{action}")
        return result

    def history(
        self, sku: str, channel: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        given = {"channel": channel, "limit": limit, "cursor": cursor}
        result: dict[str, Any] = self._call(
            "GET", f"/v1/history/{sku}", params={k: v for k, v in given.items() if v is not None}
        )
        return result

    def dead_letters(self, queue: str | None = None) -> dict[str, Any]:
        """Every dead-letter queue's messages (or one queue's: push, webhooks, auto-push, stream)."""
        result: dict[str, Any] = self._call("GET", "/v1/dlq", params={"queue": queue} if queue else None)
        return result

    def redrive(self, queue: str | None = None, ids: list[str] | None = None) -> dict[str, Any]:
        """Move dead letters back to their queues: of `queue` (none: all), the `ids` (none: every one)."""
        body = {"queue": queue, "ids": ids or []}
        result: dict[str, Any] = self._call("POST", "/v1/dlq/redrive", json=body)
        return result

    def listings(self, **filters: Any) -> dict[str, Any]:
        """One page of GET /v1/listings: `limit`, `cursor` and any filter it takes (None: not given)."""
        given = {k: v for k, v in filters.items() if v is not None}
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in given.items()}
        result: dict[str, Any] = self._call("GET", "/v1/listings", params=params)
        return result

    def overview(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/v1/overview")
        return result

    def wait_for_job(
        self, job_id: str, on_progress: Callable[[dict[str, Any]], None] | None = None, timeout_s: float = 600
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if on_progress:
                on_progress(job)
            if job["status"] in STOPPED:
                return job
            if time.monotonic() > deadline:
                shown = {k: job[k] for k in ("kind", "mode", "started_at", "counts", "error") if job.get(k)}
                raise ApiError(0, f"job {job_id} is still {job['status']} after {timeout_s:.0f} s: {shown}")
            time.sleep(0.25)
