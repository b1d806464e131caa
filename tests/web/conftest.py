"""Fixtures for the workbench: a copy of the bundled chatbot, an in-process client with a named reviewer, and
a real server on a free loopback port for the browser tests."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the workbench tests need the [web] extra")

from fastapi.testclient import TestClient

from dicetm.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "support-chatbot"
REVIEWER = "Dana Lee <dana@example.com>"
ARTEFACTS = REPO / "test-artefacts" / "screenshots"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "chatbot"
    folder.mkdir()
    shutil.copy(EXAMPLE / "dicetm.yaml", folder / "dicetm.yaml")
    return folder


class Client:
    """A TestClient with a session: the reviewer is named and the CSRF token is at hand."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.csrf = ""

    def login(self, reviewer: str = REVIEWER) -> Client:
        page = self.http.get("/whoami")
        self.csrf = token_of(page.text)
        done = self.http.post("/whoami", data={"csrf": self.csrf, "reviewer": reviewer, "next": "/"},
                              follow_redirects=False)
        assert done.status_code == 303, done.text
        return self

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.http.get(url, **kwargs)  # type: ignore[arg-type]

    def post(self, url: str, data: dict[str, object], **kwargs: object):  # type: ignore[no-untyped-def]
        return self.http.post(url, data={"csrf": self.csrf, **data}, **kwargs)  # type: ignore[arg-type]


def token_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def client(workspace: Path) -> Iterator[Client]:
    with TestClient(create_app(workspace), base_url="http://127.0.0.1") as http:
        yield Client(http).login()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright; skipped only when it is not installed (never in CI)."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium for the browser tests (.ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture
def server(workspace: Path) -> Iterator[str]:
    """The workbench on a free loopback port, served by uvicorn in a thread; its base URL."""
    from dicetm.web.server import bind

    bound = bind(workspace, "127.0.0.1", 0)
    thread = threading.Thread(target=bound.run, daemon=True)
    thread.start()
    base = bound.url.rstrip("/")
    deadline = time.monotonic() + 20
    import urllib.request

    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/api/version", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    yield base
    bound.stop()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, server: str):  # type: ignore[no-untyped-def]
    """A fresh browser page signed in as the reviewer; console errors and CSP violations are collected."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda message: tab.problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.problems.append(str(error)))
    tab.goto(server + "/")
    tab.fill("#reviewer", REVIEWER)
    tab.click("text=Continue")
    tab.wait_for_url(server + "/")
    tab.base = server
    yield tab
    context.close()


def screenshot(tab, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=False)
    return path
