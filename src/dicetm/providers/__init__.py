"""Optional LLM providers behind one protocol (``pip install 'dicetm[llm]'``).

With no provider configured, nothing in this package is imported and every command runs offline. The
factory below imports its modules (and, through the adapters, the vendor SDKs) only when it is called.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dicetm.providers.client import LLMClient
    from dicetm.providers.config import LLMConfig
    from dicetm.providers.interface import Provider


def make_provider(config: LLMConfig, api_key: str) -> Provider:
    """The adapter for ``config.provider``; raises ProviderUnavailable when its SDK is not installed."""
    if config.provider == "anthropic":
        from dicetm.providers.anthropic_messages import AnthropicProvider

        return AnthropicProvider(model=config.model, api_key=api_key, base_url=config.base_url,
                                 timeout=config.timeout)
    from dicetm.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider(model=config.model, api_key=api_key, base_url=config.base_url,
                                azure=config.provider == "azure", api_version=config.api_version,
                                timeout=config.timeout)


def make_client(config: LLMConfig, *, cache_dir: Path | None, no_cache: bool = False,
                env: Mapping[str, str] | None = None, sleep: Callable[[float], None] = time.sleep,
                rng: Callable[[], float] = random.random) -> LLMClient:
    """A ready ``LLMClient`` for ``config``: key from ``env`` (default ``os.environ``), answers cached in
    ``cache_dir`` unless ``no_cache`` or ``cache_dir`` is None."""
    from dicetm.providers.cache import ResponseCache
    from dicetm.providers.client import LLMClient
    from dicetm.providers.config import api_key_from_env

    provider = make_provider(config, api_key_from_env(config, os.environ if env is None else env))
    cache = None if no_cache or cache_dir is None else ResponseCache(cache_dir)
    return LLMClient(provider, cache=cache, timeout=config.timeout, max_retries=config.max_retries,
                     concurrency=config.concurrency, price_in=config.price_input_per_mtok,
                     price_out=config.price_output_per_mtok, sleep=sleep, rng=rng)
