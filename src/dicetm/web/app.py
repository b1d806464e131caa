"""The workbench application: FastAPI with Jinja2 templates (autoescaped) and vendored static files.

``create_app(path)`` builds one app for one workspace. Routes live in ``pages`` (reading), ``decisions``
(review, countermeasures, residual risks) and ``editing`` (model forms, describe); all of them go through
``adapter.Workbench`` for anything on disk.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, FileSystemLoader

from dicetm.report.templating import TEMPLATE_DIR, make_environment
from dicetm.web.adapter import Workbench
from dicetm.web.security import Guard, ScreenClock, Session, Sessions, is_loopback

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"


class Ui:
    """What every route needs: the workbench, the templates and the screen clock."""

    def __init__(self, workbench: Workbench) -> None:
        self.workbench = workbench
        self.env = make_environment(ChoiceLoader([FileSystemLoader(WEB_DIR / "templates"),
                                                  FileSystemLoader(TEMPLATE_DIR)]))
        self.clock = ScreenClock(secrets.token_bytes(32))

    def page(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        session: Session = request.state.session
        flashes, session.flashes = session.flashes, []
        html = self.env.get_template(template).render(
            request_path=request.url.path, reviewer=session.reviewer, csrf=session.csrf, flashes=flashes,
            version=self.workbench.version(), model_name=self.workbench.model_path.name, **context)
        return HTMLResponse(html, status_code=status_code)


def ui(request: Request) -> Ui:
    found: Ui = request.app.state.ui
    return found


def create_app(path: Path, *, host: str = "127.0.0.1", token: str | None = None) -> FastAPI:
    """The workbench for the workspace at ``path``. Off loopback, ``token`` is required on every request."""
    from dicetm.web import decisions, editing, pages

    if not is_loopback(host) and not token:
        raise ValueError("a workbench bound to a non-loopback address needs an access token")
    app = FastAPI(title="dicetm workbench", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ui = Ui(Workbench(path))
    app.add_middleware(Guard, sessions=Sessions(), token=token, loopback=is_loopback(host))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/static/dicetm.css", include_in_schema=False)
    def shared_css() -> Response:  # the report's stylesheet, served from the report's templates
        return Response((TEMPLATE_DIR / "dicetm.css").read_bytes(), media_type="text/css")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    for _ in range(2):
        app.router.routes.insert(0, app.router.routes.pop())  # both before the static mount
    app.include_router(pages.router)
    app.include_router(decisions.router)
    app.include_router(editing.router)
    return app
