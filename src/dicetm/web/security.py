"""Safe by default: who may talk to the workbench, and proof that a change comes from its own pages.

- The server binds to loopback. A request whose ``Host`` is not a loopback name is refused there, so a web page
  elsewhere cannot reach the workbench through DNS rebinding.
- Bound to another address, every request needs the access token printed at start (once given in the URL it is
  kept in a cookie for the browser session).
- Every state-changing request carries the session's CSRF token (a form field or the ``X-CSRF-Token`` header)
  and, when the browser sends one, an ``Origin`` of the workbench itself.
- Every response carries a Content-Security-Policy without inline scripts or styles, and no caching of pages.
- Each browser session names its reviewer once; a blank name is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SESSION_COOKIE = "dicetm_session"
TOKEN_COOKIE = "dicetm_token"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
FORM_TYPE = "application/x-www-form-urlencoded"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MAX_REVIEWER = 200
# Paths served before the reviewer has named themselves.
OPEN_PATHS = ("/whoami", "/static/", "/api/version", "/favicon.ico")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or host.startswith("127.")


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    reviewer: str | None = None
    skipped: list[str] = field(default_factory=list)  # review items skipped in this session
    drafts: dict[str, Any] = field(default_factory=dict)  # the describe page's pending drafted items
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) shown once on the next page

    def flash(self, kind: str, text: str) -> None:
        self.flashes.append((kind, text))


class Sessions:
    """Browser sessions in memory: a restart asks each browser for its reviewer again. At most ``limit`` are
    kept; the oldest is forgotten first (its browser is asked for the reviewer's name again)."""

    def __init__(self, limit: int = 1000) -> None:
        self._by_id: dict[str, Session] = {}
        self._limit = limit

    def get(self, session_id: str | None) -> tuple[str, Session]:
        if session_id and session_id in self._by_id:
            return session_id, self._by_id[session_id]
        while len(self._by_id) >= self._limit:
            del self._by_id[next(iter(self._by_id))]
        new_id = secrets.token_urlsafe(32)
        self._by_id[new_id] = Session()
        return new_id, self._by_id[new_id]


def check_reviewer(name: str) -> str | None:
    """The error to show for a reviewer name, or None when it is acceptable."""
    text = name.strip()
    if not text:
        return "a decision needs a named person: type your name (and e-mail, if you like)"
    if len(text) > MAX_REVIEWER:
        return f"at most {MAX_REVIEWER} characters, please"
    if any(not ch.isprintable() for ch in text):
        return "the name holds control characters; type it plainly"
    return None


class ScreenClock:
    """Signed timestamps put in a decision form when it is shown, so the time an item was on screen is measured
    by the server and cannot be forged by the page."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def stamp(self, item: str, seen: str = "") -> str:
        """The form's stamp: when the item was shown, and the version of it the page showed (``seen``, from
        ``review.item_version``), so a decision on an item someone changed meanwhile is recorded with a warning."""
        now = f"{time.time():.3f}"
        return f"{now}|{seen}|{self._sign(item, now, seen)}"

    def read(self, item: str, stamp: str) -> tuple[float, str | None] | None:
        """Seconds on screen and the version seen, or None for a stamp this server did not sign for ``item``."""
        parts = stamp.split("|")
        if len(parts) != 3 or not parts[0] or not _same(parts[2], self._sign(item, parts[0], parts[1])):
            return None
        try:
            seconds = round(max(0.0, time.time() - float(parts[0])), 3)
        except ValueError:
            return None
        return seconds, parts[1] or None

    def _sign(self, item: str, shown: str, seen: str) -> str:
        return hmac.new(self._key, f"{item}\n{shown}\n{seen}".encode(), hashlib.sha256).hexdigest()[:32]


class Guard(BaseHTTPMiddleware):
    """Host, token, session, reviewer, CSRF and Origin checks, and the security headers on every response."""

    def __init__(self, app: Any, *, sessions: Sessions, token: str | None, loopback: bool) -> None:
        super().__init__(app)
        self.sessions = sessions
        self.token = token
        self.loopback = loopback

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        refused = self._refusal(request)
        if refused is not None:
            return _secure(refused)
        if self.token and _same(request.query_params.get("token"), self.token):
            clean = request.url.remove_query_params("token")
            response: Response = RedirectResponse(str(clean.replace(scheme="", netloc="")) or "/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return _secure(response)
        session_id, session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        request.state.session = session
        path = request.url.path
        if request.method not in ("GET", "HEAD"):
            problem = await self._csrf_problem(request, session)
            if problem:
                return _secure(PlainTextResponse(problem, status_code=403))
        if session.reviewer is None and not path.startswith(OPEN_PATHS):
            target = URL("/whoami").include_query_params(next=_local_next(request))
            response = RedirectResponse(str(target), status_code=303)
        else:
            response = await call_next(request)
        if request.cookies.get(SESSION_COOKIE) != session_id:
            response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict")
        return _secure(response)

    def _refusal(self, request: Request) -> Response | None:
        host = (request.url.hostname or "").lower()
        if self.loopback and not is_loopback(host):
            return PlainTextResponse("refused: this workbench answers only to localhost", status_code=421)
        if self.token and not _same(request.cookies.get(TOKEN_COOKIE), self.token) and \
                not _same(request.query_params.get("token"), self.token):
            return PlainTextResponse("this workbench needs the access token printed when `dicetm serve` started: "
                                     "open the URL it printed", status_code=401)
        return None

    async def _csrf_problem(self, request: Request, session: Session) -> str | None:
        origin = request.headers.get("origin")
        if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
            return "refused: the request came from another site"
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPE):
            # Read the raw body (the route reads it again from the cache); form() here would consume it.
            values = parse_qs((await request.body()).decode("utf-8", "replace")).get(CSRF_FIELD)
            sent = values[0] if values else None
        if not _same(sent, session.csrf):
            return "refused: the form is stale or did not come from this workbench (reload the page and try again)"
        return None


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _local_next(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def safe_next(value: str | None) -> str:
    """Only a path on this server is a place to go back to (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _secure(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Cache-Control", "no-store")
    return response
