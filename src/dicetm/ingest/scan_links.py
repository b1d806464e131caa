"""Exfiltration through links and images: URLs built to carry conversation or secret data to someone's server."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from dicetm.ingest.scan_format import RawHit
from dicetm.ingest.scan_phrases import make_hit, phrase_hits
from dicetm.ingest.scan_text import Hit, Text, fold
from dicetm.ingest.scan_words import compile_

COLLECTOR = compile_(r"(?:^|[./@])(?:webhook\.site|requestbin\.(?:com|net|io)|[\w-]*\.?pipedream\.net|"
                     r"ngrok(?:-free)?\.(?:io|app|dev)|burpcollaborator\.net|oastify\.com|interact\.sh|"
                     r"oast\.(?:fun|pro|live|site|online|me)|requestcatcher\.com|hookbin\.com|beeceptor\.com|"
                     r"postb\.in|canarytokens\.(?:com|org)|dnslog\.cn|ceye\.io|trycloudflare\.com|loca\.lt|"
                     r"serveo\.net|ptsv[23]\.com|webhook\.cool|putsreq\.com|mockbin\.(?:org|io))(?=[/:?#]|$)")
# ------------------------------------------------------------------------------------------------- URLs

URL = compile_(r"\bhttps?://[^\s)\]>\"'`]{1,2000}")
MD_IMAGE = compile_(r"!\[[^\]\n]{0,300}\]\(\s*<?(https?://[^\s)>]{1,2000})")
HTML_IMAGE = compile_(r"<img\b[^>]{0,500}?\bsrc\s*=\s*[\"']?(https?://[^\s\"'>]{1,2000})")
PLACEHOLDER = compile_(r"\{\{?[^{}\s]{0,60}\}|\$\{?[a-z_][a-z0-9_]*|<[a-z_][a-z0-9_ ]{0,40}>|\[[a-z_ ]{2,40}\]|"
                       r"%s\b|\binsert\w*|placeholder")
CONVERSATION_PLACEHOLDER = compile_(r"(?:^|[^a-z])(?:conversation|chat|history|transcript|prompt|context|summary|"
                                    r"secrets?|findings|memory|previous|messages|answers?|system)(?:$|[^a-z])")
EMPTY_PARAMETER = compile_(r"[?&][\w.-]{1,40}=$")
# A slot for data in one part of a link or image URL (folded): a template placeholder or an ellipsis.
TARGET_SLOT = compile_(r"\{\{?[^{}\s]{0,60}\}|\$\{?[a-z_][a-z0-9_]*|<[a-z_][a-z0-9_ -]{0,40}>|\[[a-z_ -]{2,40}\]|"
                       r"%s\b|^\.{3}$")
# A query value in capitals that names data rather than being data (matched as written, not folded).
DATA_VALUE = re.compile(r"(?:[A-Z0-9]+[_-])*(?:SECRETS?|TOKENS?|KEYS?|PASSWORDS?|CREDENTIALS?|DATA|CHAT|HISTORY|"
                        r"CONVERSATION|TRANSCRIPT|PROMPT|CONTEXT|SUMMARY|MESSAGES?|INPUT|CONTENT|HERE|EMAIL|"
                        r"COOKIES?|SESSION|DATI|DATOS|DADOS|DATEN|DONNEES|DONNÉES|GEGEVENS|DANE|CONTENUTO|CONTENIDO|"
                        r"CONTEUDO|CONTEÚDO|INHALT|CONTENU|INHOUD|TRESC|TREŚĆ|ELENCO|LISTA|LISTE|LIJST)"
                        r"(?:[_-][A-Z0-9]+)*")
IMAGE_PATH = compile_(r"\.(?:png|gif|jpe?g|svg|webp|bmp|ico)(?:[?#]|$)")


def url_hits(text: Text) -> Iterator[RawHit]:
    norm = text.norm
    if "http" not in norm:
        return
    images: set[int] = set()
    for pattern in (MD_IMAGE, HTML_IMAGE):
        for match in pattern.finditer(norm):
            images.add(match.start(1))
            url = match.group(1)
            written = text.original[text.original_offset(match.start(1)):text.original_offset(match.end(1))]
            if PLACEHOLDER.search(url) or EMPTY_PARAMETER.search(url) or _collector(url) or (
                    _target_verdict(written, fetched=True) is not None):
                yield (match.start(), match.end(), "exfiltration.image-url", "high",
                       "image whose URL would carry data to another server when rendered")
    for match in URL.finditer(norm):
        if match.start() in images:
            continue
        url = match.group(0)
        slots = " ".join(m.group(0) for m in PLACEHOLDER.finditer(url))
        if IMAGE_PATH.search(url) and (slots or EMPTY_PARAMETER.search(url)):
            yield (match.start(), match.end(), "exfiltration.image-url", "high",
                   "image URL with a slot for data: rendering it would send that data to another server")
        elif slots and CONVERSATION_PLACEHOLDER.search(slots):
            yield (match.start(), match.end(), "exfiltration.url-placeholder", "high",
                   "link whose URL is a template for conversation or secret data")
        elif _collector(url) and "?" in url:
            yield (match.start(), match.end(), "exfiltration.collector", "medium",
                   "link to a request-collector service with parameters")


# The markup the readers give a link-target span (see ``read_html`` and ``readers``).
_MARKDOWN_TARGET = re.compile(r"(?P<image>!?)\[.*\]\((?P<url>.*)\)|\[[^\]\n]*\]:\s*(?P<definition>.*)")
_HTML_TARGET = re.compile(r'<(?P<tag>[\w:-]+) (?P<attribute>[\w:-]+)="(?P<url>.*)">', re.S)
_CSS_TARGET = re.compile(r"url\((?P<url>.*)\)", re.S)
# URL attributes followed only when someone clicks (or never); every other one is fetched as the page renders.
_CLICKED = frozenset({"href", "action", "formaction", "ping", "cite", "longdesc"})
_FETCHED_HREF = frozenset({"link", "image", "use", "feimage"})  # stylesheets, icons, SVG images


def link_target_hits(text: Text) -> Iterator[Hit]:
    """Role markup in a link or image, and a URL built to carry data away (see ``_target_verdict``)."""
    for start, end, rule, severity in phrase_hits(text, "markup", addressed=False):
        yield make_hit(text, start, end, rule.category, severity, rule.rule, rule.message, False, "")
    urls, fetched = _target_urls(text.original)
    for url in urls:
        verdict = _target_verdict(url, fetched)
        if verdict is not None:
            yield Hit(0, len(text.original), "exfiltration", *verdict)
            return


def _target_urls(markup: str) -> tuple[list[str], bool]:
    """The URLs in a link-target span and whether a viewer fetches them without a click."""
    if match := _MARKDOWN_TARGET.fullmatch(markup):
        return [(match.group("url") or match.group("definition") or "").strip()], bool(match.group("image"))
    if match := _HTML_TARGET.fullmatch(markup):
        tag, attribute, value = match.group("tag").lower(), match.group("attribute").lower(), match.group("url")
        urls = [part.split()[0] for part in value.split(",") if part.strip()] if attribute == "srcset" else [value]
        return urls, attribute not in _CLICKED or tag in _FETCHED_HREF
    if match := _CSS_TARGET.fullmatch(markup):
        return [match.group("url")], True
    return [], False


def _target_verdict(url: str, fetched: bool) -> tuple[str, str, str] | None:
    """(severity, rule, message) when a URL has a slot for data, or goes to a request collector with some.

    Slots are placeholders (``{x}``, ``{{x}}``, ``$X``, ``<x>``, ``[X]``, ``...``) in a query value or the fragment,
    and, for what a viewer fetches by itself, also in the path, an empty last parameter, or a value in capitals
    naming data (``SECRET``, ``PASTE_HERE``). Names are not slots: ``?filter[status]=open`` is an ordinary query.
    """
    try:
        parts = urlsplit(html.unescape(url.strip()))
    except ValueError:
        return None
    values = [unquote(pair.partition("=")[2]) for pair in re.split(r"[&;]", parts.query) if pair]
    slots = [fold(value) for value in values] + [fold(unquote(parts.fragment))]
    if fetched:
        slots.append(fold(unquote(parts.path)))
    slot = " ".join(s for s in slots if TARGET_SLOT.search(s))
    collector = bool(COLLECTOR.search(parts.hostname or ""))
    if fetched:
        data_value = any(len(value) <= 60 and DATA_VALUE.fullmatch(value) for value in values)
        if slot or collector or data_value or (parts.query and EMPTY_PARAMETER.search("?" + parts.query)):
            return ("high", "exfiltration.image-url",
                    "image or resource fetched when the document is rendered, with a URL that can carry data away")
        return None
    if slot:
        severity = "high" if CONVERSATION_PLACEHOLDER.search(slot) else "medium"
        return severity, "exfiltration.url-placeholder", "link whose URL is a template with a slot for data"
    if collector and any(values):
        return "medium", "exfiltration.collector", "link to a request-collector service with parameters"
    return None


def _collector(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return bool(COLLECTOR.search(host))
