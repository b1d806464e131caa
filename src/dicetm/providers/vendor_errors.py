"""Turn a vendor's HTTP failure into the provider error family, without ever letting the API key through.

Both SDKs raise exceptions carrying the HTTP status, the response headers and a message; the adapters pass
those here so the classification (what is worth a retry, what hint to give) is the same for every vendor.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from dicetm.errors import Location, Problem
from dicetm.providers.interface import PermanentProviderError, ProviderError, TransientProviderError

_REDACTED = "[redacted]"
_QUOTA_CODES = ("insufficient_quota", "billing_hard_limit_reached")


def scrub(text: str, secret: str | None) -> str:
    """``text`` without ``secret``, nor any word that looks like a masked echo of it (same first 6 characters)."""
    if not secret or len(secret) < 8:
        return text
    text = text.replace(secret, _REDACTED)
    return re.sub(rf"{re.escape(secret[:6])}[^\s'\",;)]{{2,}}", _REDACTED, text)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` as seconds or an HTTP date; None if absent."""
    lowered = {name.lower(): value for name, value in headers.items()}
    milliseconds = lowered.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def translate_sdk_error(sdk: Any, exc: Exception, *, vendor: str, model: str, key: str | None,
                        key_variable: str) -> ProviderError:
    """The provider error for an exception of the openai or anthropic SDK (both name their classes alike)."""
    message = scrub(message_of(exc), key)
    if isinstance(exc, sdk.APITimeoutError):
        return TransientProviderError(f"{vendor} did not answer in time: {message}", kind="timeout")
    if isinstance(exc, sdk.APIConnectionError):
        return TransientProviderError(f"cannot reach {vendor}: {message}", kind="connection")
    if isinstance(exc, sdk.APIStatusError):
        return status_error(exc.status_code, message, exc.response.headers, vendor=vendor, model=model,
                            key_variable=key_variable, code=getattr(exc, "code", None))
    return PermanentProviderError([Problem(f"{vendor} client failed: {message}", Location(path=f"{vendor}/{model}"),
                                           hint=f"check the base URL and the installed {sdk.__name__} version")])


def status_error(status: int, message: str, headers: Mapping[str, str], *, vendor: str, model: str,
                 key_variable: str, code: str | None = None) -> ProviderError:
    """The error for an HTTP status: transient (worth a retry) or permanent with a hint on what to fix."""
    where = Location(path=f"{vendor}/{model}")
    text = f"{vendor} answered HTTP {status}: {message}"
    if status == 429 and code not in _QUOTA_CODES:
        return TransientProviderError(text, kind="rate-limit", retry_after=parse_retry_after(headers))
    if status == 408:
        return TransientProviderError(text, kind="timeout", retry_after=parse_retry_after(headers))
    if status == 409 or status >= 500:
        return TransientProviderError(text, kind="server", retry_after=parse_retry_after(headers))
    return PermanentProviderError([Problem(text, where, hint=_hint(status, model, key_variable))])


def _hint(status: int, model: str, key_variable: str) -> str:
    if status == 401:
        return f"check the API key in {key_variable} (is it current and for this provider?)"
    if status == 403:
        return f"the key in {key_variable} is not allowed to use model '{model}'; check its project and permissions"
    if status == 404:
        return f"check the model name '{model}' (Azure: the deployment name) and the base URL"
    if status in (402, 429):
        return "the account's quota or billing limit is exhausted; check it with the provider"
    if status == 413:
        return "the prompt is too large for this endpoint; pass fewer or smaller documents"
    return f"the request was refused; check the model name '{model}', the base URL and the API version"


def message_of(exc: Exception) -> str:
    """The server's own error message when the body has one, else the SDK's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]  # a proxy's HTML or text error page
    return str(getattr(exc, "message", None) or exc)
