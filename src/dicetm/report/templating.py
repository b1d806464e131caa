"""The Jinja2 environment of the HTML report, shared with the workbench (``dicetm.web``).

Autoescaping is on for every template: model names, descriptions and document text are data, never markup.
"""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from dicetm.report import common, views
from dicetm.report.figures import STATUS_COLUMNS
from dicetm.textsafe import lines as safe_lines

TEMPLATE_DIR = Path(__file__).with_name("templates")
STATUS_CLASSES = views.STATUS_CLASSES


def configure(env: Environment) -> Environment:
    """Add the globals every dicetm template may use."""
    env.globals.update(c=common, anchor=common.anchor, STATUS_CLASSES=STATUS_CLASSES, STATUS_COLUMNS=STATUS_COLUMNS,
                       include_css=stylesheet, risk_badge=_risk, status_badge=views.status_badge,
                       scored_badge=views.scored_badge)
    return env


def make_environment(loader: BaseLoader) -> Environment:
    env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, auto_reload=False, finalize=_visible)
    return configure(env)


@functools.cache
def environment() -> Environment:
    """The report's environment (templates compiled once per process)."""
    return make_environment(FileSystemLoader(TEMPLATE_DIR))


@functools.cache
def stylesheet() -> Markup:
    """The shared stylesheet, to inline in the report (the workbench serves the same file)."""
    return Markup((TEMPLATE_DIR / "dicetm.css").read_text(encoding="utf-8"))


def _visible(value: object) -> object:
    """Every ``{{ value }}`` of a template: control characters in text are shown as escapes (``\\x1b``) before
    autoescaping, so model text can never move the cursor, clear a screen or hide a line in what people read."""
    if isinstance(value, str) and not isinstance(value, Markup) and not (value.isascii() and value.isprintable()):
        return safe_lines(value)
    return value


def _risk(level: object, text: str | None = None) -> Markup:
    return views.risk_badge(str(getattr(level, "value", level)), text)
