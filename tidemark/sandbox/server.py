"""Serve any ASGI app (a sandbox channel, the console API) with uvicorn in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

KEEP_ALIVE_S = 75


class RunningServer:
    """A uvicorn server running in a daemon thread; `stop()` shuts it down cleanly."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():  # open connections held the graceful shutdown up
            self._server.force_exit = True
            self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    startup_timeout: float = 10.0,
) -> RunningServer:
    """Start `app` on host:port (port 0: a free one) and return once it accepts connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that name TCP, and with Nagle on
    # every small answer waits for a delayed ACK (about 40 ms on loopback).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))  # bound here, so the free port is known before uvicorn starts
    bound_port = sock.getsockname()[1]

    # log_config=None: leave the host process's logging configuration alone. An idle connection is
    # kept well past the clients' own keep-alive (httpx's 5 s, uvicorn's default too): with equal
    # limits a client reuses a connection the server is closing at that moment, and its request
    # fails with "Server disconnected without sending a response".
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", access_log=False, timeout_keep_alive=KEEP_ALIVE_S
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{host}:{bound_port}", daemon=True
    )
    thread.start()

    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the server on {host}:{bound_port} did not start within {startup_timeout} s")
        time.sleep(0.01)
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    return RunningServer(server, thread, f"http://{url_host}:{bound_port}")
