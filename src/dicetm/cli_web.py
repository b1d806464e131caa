"""``dicetm serve``: the workbench, a local web page for the whole DICE loop (needs the ``[web]`` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from dicetm.cli_common import PathArg, err, out
from dicetm.cli_common import fail as _fail
from dicetm.errors import DicetmError


def serve(
    path: PathArg,
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback (127.0.0.1, ::1) "
                                           "requires the access token printed at start.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8765,
) -> None:
    """Open the workbench in your browser: diagram, threats, review, countermeasures, iterations, describe and
    model editing, over the same library as the CLI (a decision made there is the same audit record)."""
    try:
        from dicetm.web.server import bind
    except ImportError as exc:
        err.print(f"error: the workbench needs the web extra ({exc.name} is not installed)", markup=False)
        err.print("    hint: pip install 'dicetm[web]'", markup=False)
        raise typer.Exit(2) from None
    try:
        bound = bind(path, host, port)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    except OSError as exc:
        err.print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", markup=False)
        err.print("    hint: choose another --port (0 picks a free one)", markup=False)
        raise typer.Exit(2) from None
    out.print(f"dicetm workbench for {path}: {bound.url}", markup=False)
    if bound.token:
        out.print("not on loopback: the page needs the access token in that URL; share it only with reviewers",
                  markup=False)
    out.print("stop it with Ctrl-C", markup=False)
    bound.run()


def register_commands(app: typer.Typer) -> None:
    app.command("serve")(serve)
