"""`make demo` with no terminal (CI, or no TTY) shows what it did and exits; in one it stays up."""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tidemark import auth, demo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


DEMO = [str(Path(sys.executable).parent / "tidemark"), "demo", "--variants", "12"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def without_ci(config_dir: Path) -> dict[str, str]:
    """The environment `make demo` runs in: no CI, and the guard on, as it is by default (the tests
    turn it off: tests/conftest.py)."""
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    return environment | {
        "TIDEMARK_CONFIG_DIR": str(config_dir),
        "COLUMNS": "200",
        "TIDEMARK_GUARD_DEFAULT": "on",
    }


def test_the_demo_without_a_terminal_exits_after_showing_what_it_did(tmp_path):
    environment = without_ci(tmp_path)
    finished = subprocess.run(
        DEMO,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    # the sandboxes' quantities differ from master's almost everywhere: each channel's first full sync
    # stops for confirmation, and the demo confirms it, as the merchant would
    assert finished.stdout.count("the guard stopped the sync") == 2, finished.stdout[-3000:]
    assert finished.stdout.count("confirmed: tidemark jobs confirm") == 2
    assert "all 12 quantities equal master balances" in finished.stdout
    assert "Ctrl-C" not in finished.stdout
    assert (
        not (tmp_path / "credentials.json").exists()
        or "127.0.0.1" not in (tmp_path / "credentials.json").read_text()
    )


def read_until(descriptor: int, text: str, timeout_s: float) -> str:
    seen, deadline = "", time.monotonic() + timeout_s
    while text not in ANSI.sub("", seen):
        assert time.monotonic() < deadline, f"no {text!r} in {timeout_s} s: {ANSI.sub('', seen)[-2000:]}"
        if select.select([descriptor], [], [], 1)[0]:
            try:
                seen += os.read(descriptor, 65536).decode(errors="replace")
            except OSError:  # the demo closed its terminal
                break
    return ANSI.sub("", seen)


def test_the_demo_in_a_terminal_stays_up_with_the_consoles_sign_in_until_ctrl_c(tmp_path):
    terminal, its_end = pty.openpty()
    process = subprocess.Popen(
        DEMO, cwd=ROOT, env=without_ci(tmp_path), stdin=its_end, stdout=its_end, stderr=its_end
    )
    os.close(its_end)
    try:
        shown = read_until(terminal, "Ctrl-C stops it", 600)
        assert "all 12 quantities equal master balances" in shown
        (url,) = re.findall(r"console (http://127\.0\.0\.1:\d+)/", shown)
        user, password = re.search(r"sign in as operator: user (\S+)\s+password (\S+)", shown).groups()

        token = auth.sign_in(url, user, password).access_token
        listing = httpx.get(f"{url}/v1/listings/SKU-00001", headers={"authorization": f"Bearer {token}"})
        assert listing.status_code == 200  # the demo's data, still up
        assert url in (tmp_path / "credentials.json").read_text()  # the CLI signed in as operator

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0
        assert url not in (tmp_path / "credentials.json").read_text()
    finally:
        if process.poll() is None:
            process.kill()
        os.close(terminal)


class Tty:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("stdin", "stdout", "ci", "expected"),
    [
        (True, True, None, True),
        (True, True, "true", False),
        (False, True, None, False),
        (True, False, None, False),
    ],
)
def test_a_terminal_is_both_ends_a_tty_and_no_ci(monkeypatch, stdin, stdout, ci, expected):
    monkeypatch.setattr(sys, "stdin", Tty(stdin))
    monkeypatch.setattr(sys, "stdout", Tty(stdout))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    assert demo.in_a_terminal() is expected
