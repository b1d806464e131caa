"""Run the workbench with uvicorn on a socket bound here, so the caller knows the real port before it starts."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from dicetm.web.security import is_loopback


@dataclass
class Bound:
    """A workbench ready to run: the app, the bound socket, and the URL to open (with the token, if any)."""

    server: object  # uvicorn.Server
    sock: socket.socket
    url: str
    token: str | None

    def run(self) -> None:
        self.server.run(sockets=[self.sock])  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]


def bind(path: Path, host: str = "127.0.0.1", port: int = 8765) -> Bound:
    """Create the app for ``path`` and bind ``host:port`` (port 0: any free port). Off loopback a fresh access
    token is required on every request; it is part of the returned URL."""
    import uvicorn

    from dicetm.web.app import create_app

    token = None if is_loopback(host) else secrets.token_urlsafe(24)
    app = create_app(path, host=host, token=token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    real_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{real_port}/" + (f"?token={token}" if token else "")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return Bound(uvicorn.Server(config), sock, url, token)
