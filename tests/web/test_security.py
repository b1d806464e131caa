"""Safe by default: loopback only, token off loopback, CSRF, CSP without inline code, a named reviewer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dicetm.web.app import STATIC_DIR, WEB_DIR, create_app
from dicetm.web.security import CSP

from .conftest import REVIEWER, Client, token_of

PAGES = ("/", "/threats", "/review", "/countermeasures", "/risks", "/evaluate", "/iterations", "/describe",
         "/model", "/model/elements/chat-ui", "/elements/chat-ui", "/threats/T-LLM-004@hosted-llm")


def _files(workspace: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in workspace.iterdir() if p.is_file()}


def test_every_page_carries_the_csp_and_the_reviewer(client: Client) -> None:
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP and "style-src 'self'" in CSP
        assert page.headers["cache-control"] == "no-store"
        assert f"Reviewing as <strong>{REVIEWER.replace('<', '&lt;').replace('>', '&gt;')}</strong>" in page.text


def test_templates_and_static_files_hold_no_inline_script_or_style() -> None:
    for template in (WEB_DIR / "templates").glob("*.j2"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert " style=" not in text and "<style" not in text, template.name
        assert not re.search(r"\son[a-z]+=", text), template.name  # no event-handler attributes
    assert (STATIC_DIR / "htmx.LICENSE.txt").is_file()


def test_a_page_asks_for_the_reviewer_first_and_a_blank_name_is_refused(workspace: Path) -> None:
    with TestClient(create_app(workspace), base_url="http://127.0.0.1") as http:
        first = http.get("/threats", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/whoami?next=%2Fthreats"
        csrf = token_of(http.get("/whoami").text)
        blank = http.post("/whoami", data={"csrf": csrf, "reviewer": "   ", "next": "/threats"})
        assert blank.status_code == 422 and "needs a named person" in blank.text
        assert 'aria-invalid="true"' in blank.text
        assert http.get("/threats", follow_redirects=False).status_code == 303  # still nobody
        elsewhere = http.post("/whoami", data={"csrf": csrf, "reviewer": "Ann", "next": "https://evil.example/"},
                              follow_redirects=False)
        assert elsewhere.headers["location"] == "/"  # never sent to another site


def test_state_changes_need_the_csrf_token_and_write_nothing_without_it(client: Client, workspace: Path) -> None:
    before = _files(workspace)
    data = {"item": "T-LLM-004@hosted-llm", "action": "accept", "shown": "1.x", "next": "/review"}
    for token in ("", "forged", "é-not-ascii"):
        refused = client.http.post("/decide", data={**data, "csrf": token}, follow_redirects=False)
        assert refused.status_code == 403
    other_site = client.http.post("/decide", data={**data, "csrf": client.csrf},
                                  headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert other_site.status_code == 403
    model_edit = client.http.post("/model/elements/chat-ui", data={"intent": "save", "name": "x"},
                                  follow_redirects=False)
    assert model_edit.status_code == 403
    assert _files(workspace) == before


def test_loopback_server_refuses_other_host_names(workspace: Path) -> None:
    with TestClient(create_app(workspace), base_url="http://evil.example") as http:
        assert http.get("/").status_code == 421


def test_off_loopback_every_request_needs_the_token(workspace: Path) -> None:
    with pytest.raises(ValueError, match="token"):
        create_app(workspace, host="0.0.0.0")
    app = create_app(workspace, host="0.0.0.0", token="s3cret-token")
    with TestClient(app, base_url="http://192.0.2.10:8765") as http:
        assert http.get("/").status_code == 401
        assert http.get("/api/version").status_code == 401
        entered = http.get("/?token=s3cret-token", follow_redirects=False)
        assert entered.status_code == 303 and "token" not in entered.headers["location"]
        assert http.get("/whoami").status_code == 200  # the cookie carries it from now on


def test_quoted_names_never_become_markup(client: Client, workspace: Path) -> None:
    model = workspace / "dicetm.yaml"
    text = model.read_text(encoding="utf-8")
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    model.write_text(text.replace("name: Support chatbot", f"name: '{evil}'", 1).replace(
        "name: Chat web app", "name: '\" onmouseover=\"alert(3)'", 1), encoding="utf-8")
    for path in ("/", "/threats", "/model", "/elements/chat-ui", "/model/elements/chat-ui"):
        text = client.get(path).text
        assert "<script>alert(1)" not in text and "<img src=x" not in text, path
        assert 'onmouseover="alert(3)' not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text or "onmouseover" in text, path
