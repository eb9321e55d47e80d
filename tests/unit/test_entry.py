"""`pip install .` with the documented extras gives a working `tidemark`; without the CLI's extra,
the command names the extra to install (tidemark/entry.py)."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def run_entry(blocked: str | None) -> subprocess.CompletedProcess[str]:
    block = f"import sys; sys.modules[{blocked!r}] = None; " if blocked else ""
    code = f"{block}sys.argv = ['tidemark', '--help']; from tidemark.entry import main; main()"
    return subprocess.run(
        [sys.executable, "-c", f"import sys; {code}"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_is_the_entry_point_and_its_extra_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["tidemark"] == "tidemark.entry:main"
    assert any(pin.startswith("typer==") for pin in project["optional-dependencies"]["local"])


def test_without_the_local_extra_the_command_names_it() -> None:
    answer = run_entry("typer")
    assert answer.returncode == 1
    assert "needs the 'local' extra (typer is not installed)" in answer.stderr
    assert "pip install 'tidemark[local]'" in answer.stderr


def test_with_it_the_command_runs() -> None:
    answer = run_entry(None)
    assert answer.returncode == 0, answer.stderr
    assert "Usage" in answer.stdout
