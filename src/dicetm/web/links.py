"""Where ids lead in the workbench: one page per threat, element and flow; anchors on the list pages."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from dicetm.report.common import anchor
from dicetm.report.html import Links

_PAGES = {"threat": "/threats/", "el": "/elements/", "flow": "/flows/"}
_ANCHORS = {"cm": "/countermeasures", "cov": "/evaluate", "q": "/evaluate", "rr": "/risks"}


def path_of(kind: str, raw: str) -> str | None:
    if kind in _PAGES:
        return _PAGES[kind] + quote(raw, safe="@:")
    if kind in _ANCHORS:
        return f"{_ANCHORS[kind]}#{anchor(kind, raw)}"
    if kind == "zone":
        return "/?" + urlencode({"zone": raw})
    return None


def web_links(known: dict[str, frozenset[str]]) -> Links:
    """Links to workbench pages for the ids that exist (``known``: kind -> ids); other ids stay plain code."""
    return Links(lambda kind, raw: path_of(kind, raw) if raw in known.get(kind, frozenset()) else None, external=True)
