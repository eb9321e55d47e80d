"""What every browser test does: sign in through the page, open a screen by its URL, check it with
axe-core, keep its screenshot, and read the sandbox stores through their own HTTP APIs."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tidemark.local.runtime import LocalRuntime

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# `make screenshots` writes them to docs/screenshots (the README's); any other run outside the tree,
# so a test run never changes the checkout.
SCREENSHOTS = Path(
    os.environ.get("TIDEMARK_SCREENSHOTS") or Path(tempfile.gettempdir()) / "tidemark-screenshots"
)
# Impacts a screen must not have (axe-core's scale: minor, moderate, serious, critical).
FORBIDDEN_IMPACTS = {"serious", "critical"}
SHOT_HEIGHT = 1400

expect.set_options(timeout=15_000)


def sign_in(page: Page, console: LocalRuntime, group: str) -> None:
    """Sign in through the page's form as the group's local user (the one `tidemark local up` prints)."""
    user = console.users[group]
    page.goto(console.api_url + "/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()


def open_screen(page: Page, console: LocalRuntime, route: str, heading: str | re.Pattern[str]) -> None:
    """Open a screen by its shareable URL (`#/jobs`, `#/listings/SKU-1`) and wait for its heading."""
    page.goto(f"{console.api_url}/#/{route.lstrip('/')}")
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()


def job_shown(page: Page) -> str:
    """The id of the job whose page is open (#/jobs/ID)."""
    return page.url.rsplit("/", 1)[-1]


def ended(page: Page, status: str = "completed", timeout: float = 90_000) -> None:
    """The job page shows the job's status `status` (as words)."""
    expect(page.get_by_text(status.replace("_", " "), exact=True).first).to_be_visible(timeout=timeout)


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA)."""
    if not AXE.exists():
        raise AssertionError(f"no {AXE}: run `make browser-deps` (npm ci in tests/browser)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }"""
    )
    return [v for v in result if v["impact"] in FORBIDDEN_IMPACTS]


def check_screen(page: Page, name: str) -> None:
    """No serious or critical axe-core violation on the screen; its screenshot kept for the README."""
    violations = accessibility_violations(page)
    shoot(page, name)
    assert not violations, f"{name}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}" for v in violations
    )


def shoot(page: Page, name: str) -> Path:
    """SCREENSHOTS/NAME.png: the screen from its top, down to SHOT_HEIGHT px of it at most, once
    nothing on it is still loading."""
    expect(page.get_by_text("Loading…")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    width, height = page.evaluate("() => [innerWidth, document.documentElement.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, SHOT_HEIGHT)}
    page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled", caret="hide")
    return path


class Sandbox:
    """A sandbox store through its admin HTTP API (tidemark/sandbox/admin.py): what the store itself
    holds and what a merchant does there by hand, never through Tidemark."""

    def __init__(self, console: LocalRuntime, kind: str) -> None:
        self.kind = kind
        self.url = console.sandboxes[kind].url
        self.credentials = console.sandboxes[kind].credentials

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        answer = httpx.request(method, f"{self.url}/admin/sandbox{path}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def variants(self) -> dict[str, dict[str, Any]]:
        return {row["sku"]: row for row in self._call("GET", "/variants")}

    def quantity(self, sku: str) -> int:
        return int(self.variants()[sku]["quantity"])

    def edit(self, sku: str, /, **edit: Any) -> None:
        """A by-hand edit of the variant that carries `sku` (quantity, sku, price, status)."""
        self._call("POST", f"/variants/{sku}", edit)

    def delete(self, sku: str) -> None:
        self._call("DELETE", f"/variants/{sku}")

    def faults(self, **rates: float) -> None:
        self._call("POST", "/faults", rates)
