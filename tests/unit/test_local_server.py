"""The local HTTP servers (sandboxes, console API) keep an idle connection open longer than their
clients keep it in their pools, so a client never reuses one the server is closing."""

import socket
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tidemark.sandbox.server import serve_in_thread

pytestmark = pytest.mark.unit

REQUEST = b"GET / HTTP/1.1\r\nHost: local\r\n\r\n"


def answer(connection: socket.socket) -> bytes:
    """One whole answer (its body is "ok"), or what came before the server closed the connection."""
    received = b""
    while not received.endswith(b"\r\n\r\nok"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_an_idle_connection_outlives_a_clients_keep_alive():
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    with serve_in_thread(app) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(REQUEST)
            assert answer(connection).startswith(b"HTTP/1.1 200")
            time.sleep(6.0)  # past httpx's keepalive_expiry (5 s): a pool would have let it go
            connection.sendall(REQUEST)
            assert answer(connection).startswith(b"HTTP/1.1 200")
