"""Which LLM to use: the ``llm:`` section of ``dicetm-config.yaml``, overridden by ``DICETM_LLM_*`` variables.

API keys are never part of the configuration: they are read from the provider's usual environment variable
(``OPENAI_API_KEY``, ``AZURE_OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``) at the moment a client is made, so a
config file can be committed and shared without leaking anything.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dicetm.errors import InputError, Location, Problem
from dicetm.providers.interface import ProviderUnavailable

CONFIG_FILENAME = "dicetm-config.yaml"
ENV_PREFIX = "DICETM_LLM_"
OFFLINE_WORDS = frozenset({"none", "off", "offline"})
DEFAULT_AZURE_API_VERSION = "2024-10-21"  # the first GA version with json_schema structured outputs
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
LOCAL_PLACEHOLDER_KEY = "dicetm-local-no-key"  # local servers (Ollama, vLLM, LM Studio) ignore the key
_SECRET_NAME = re.compile(r"(^|_)(api_?key|key|token|secret|password)$")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["openai", "azure", "anthropic"]
    model: str = Field(min_length=1, description="Model name; for Azure, the deployment name.")
    base_url: str | None = Field(None, description="API root; for Azure, the resource endpoint.")
    api_version: str | None = Field(None, description="Azure only: the API version query parameter.")
    timeout: float = Field(60.0, gt=0, le=3600, description="Seconds per HTTP call.")
    max_retries: int = Field(4, ge=0, le=20, description="Retries after a timeout, 429 or 5xx.")
    concurrency: int = Field(4, ge=1, le=64, description="Calls in flight at once.")
    price_input_per_mtok: float | None = Field(None, ge=0, description="USD per million input tokens.")
    price_output_per_mtok: float | None = Field(None, ge=0, description="USD per million output tokens.")

    @field_validator("provider", mode="before")
    @classmethod
    def _lower_provider(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("model", "api_version")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host name")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _prices_come_in_pairs(self) -> LLMConfig:
        if (self.price_input_per_mtok is None) != (self.price_output_per_mtok is None):
            raise ValueError("give both price_input_per_mtok and price_output_per_mtok, or neither")
        return self


def load_llm_config(workspace_dir: Path | None, env: Mapping[str, str]) -> LLMConfig | None:
    """The configured LLM, or None when no provider is set (everything then runs offline).

    Raises InputError for a bad config file or variable, ProviderUnavailable when the key is missing.
    """
    file_name: str | None = None
    section: dict[str, Any] = {}
    lines: dict[str, int] = {}
    section_line: int | None = None
    if workspace_dir is not None and (Path(workspace_dir) / CONFIG_FILENAME).is_file():
        path = Path(workspace_dir) / CONFIG_FILENAME
        file_name = str(path)
        section, lines, section_line = _read_llm_section(path)

    env_values = _env_overrides(env)
    merged = {**section, **env_values}
    provider = merged.get("provider")
    if provider is None or (isinstance(provider, str) and provider.strip().lower() in OFFLINE_WORDS):
        return None
    if not str(merged.get("model") or "").strip():
        where = Location(path=f"{ENV_PREFIX}PROVIDER") if "provider" in env_values else Location(
            file_name, lines.get("provider", section_line), path="llm.provider")
        raise InputError([Problem(f"an LLM provider ({provider}) is set but no model", where,
                                  hint=f"set llm.model in {CONFIG_FILENAME} or {ENV_PREFIX}MODEL")])
    if str(provider).strip().lower() == "azure" and not merged.get("base_url") and env.get("AZURE_OPENAI_ENDPOINT"):
        merged["base_url"] = env["AZURE_OPENAI_ENDPOINT"]

    try:
        config = LLMConfig.model_validate(merged)
    except ValidationError as exc:
        raise InputError([_problem(error, env_values, file_name, lines, section_line)
                          for error in exc.errors()]) from None
    config = _with_provider_defaults(config, file_name, section_line)
    api_key_from_env(config, env)  # fail now, before any work, when the key is missing
    return config


def api_key_from_env(config: LLMConfig, env: Mapping[str, str]) -> str:
    """The key for ``config`` from its environment variable; a placeholder for a local server without one."""
    variable = KEY_VARIABLES[config.provider]
    key = (env.get(variable) or "").strip()
    if key:
        return key
    if config.base_url and is_local_url(config.base_url):
        return LOCAL_PLACEHOLDER_KEY
    raise ProviderUnavailable([Problem(
        f"no API key for the {config.provider} provider: the environment variable {variable} is not set",
        Location(path=variable),
        hint=f"export {variable}=... (keys are read only from the environment, never from {CONFIG_FILENAME})")])


def is_local_url(url: str) -> bool:
    """True for loopback, private and link-local addresses and for names that only resolve on a local network."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local


def describe_config(config: LLMConfig) -> str:
    """One line for the CLI and the audit log; never holds a key (URLs lose any user:password and query)."""
    where = _public_url(config.base_url) if config.base_url else "the default endpoint"
    text = f"{config.provider} model {config.model} at {where}"
    if config.api_version:
        text += f" (api-version {config.api_version})"
    text += f"; timeout {config.timeout:g} s, {config.max_retries} retries, concurrency {config.concurrency}"
    if config.price_input_per_mtok is not None and config.price_output_per_mtok is not None:
        text += (f"; USD {config.price_input_per_mtok:g} in / {config.price_output_per_mtok:g} out"
                 " per million tokens")
    return text


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _with_provider_defaults(config: LLMConfig, file_name: str | None, section_line: int | None) -> LLMConfig:
    if config.provider != "azure":
        return config
    if not config.base_url:
        raise ProviderUnavailable([Problem(
            "the azure provider needs the resource endpoint", Location(file_name, section_line, path="llm.base_url"),
            hint="set AZURE_OPENAI_ENDPOINT (or llm.base_url), e.g. https://my-resource.openai.azure.com")])
    if not config.api_version:
        return config.model_copy(update={"api_version": DEFAULT_AZURE_API_VERSION})
    return config


def _env_overrides(env: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in LLMConfig.model_fields:
        value = env.get(ENV_PREFIX + name.upper(), "").strip()
        if value:
            values[name] = value
    return values


def _read_llm_section(path: Path) -> tuple[dict[str, Any], dict[str, int], int | None]:
    """The ``llm`` mapping, the line of each of its keys, and the line of the section itself."""
    file_name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InputError([Problem(f"cannot read the config file: {exc.strerror or exc}", Location(file_name),
                                  hint="check the file's permissions")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem("the config file is not UTF-8 text", Location(file_name),
                                  hint="save it as UTF-8")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = Location(file_name, mark.line + 1, mark.column + 1) if mark else Location(file_name)
        raise InputError([Problem(f"invalid YAML: {exc.problem or exc}", where,
                                  hint="fix the YAML syntax (indentation, quotes, colons)")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"invalid YAML: {exc}", Location(file_name))]) from None

    if data is None:
        return {}, {}, None
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise InputError([Problem("the config file must be a mapping of sections", Location(file_name, 1),
                                  hint="start with a line 'llm:' followed by indented settings")])
    llm_key, llm_node = next(((k, v) for k, v in root.value if k.value == "llm"), (None, None))
    section = data.get("llm")
    if llm_key is None or section is None:
        return {}, {}, None
    section_line = llm_key.start_mark.line + 1
    if not isinstance(section, dict) or not isinstance(llm_node, yaml.MappingNode):
        raise InputError([Problem("the llm section must be a mapping", Location(file_name, section_line, path="llm"),
                                  hint="indent provider:, model: and the other settings under llm:")])
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in llm_node.value}
    section = {str(k): v for k, v in section.items()}
    secrets = [name for name in section if _SECRET_NAME.search(name.lower())]
    if secrets:
        provider = str(section.get("provider") or "").strip().lower()
        variable = KEY_VARIABLES.get(provider, " / ".join(KEY_VARIABLES.values()))
        raise InputError([Problem(
            f"'{name}' is not allowed here: API keys are read only from the environment ({variable})",
            Location(file_name, lines.get(name), path=f"llm.{name}"),
            hint=f"delete it from the file (and rotate the key if the file was shared), then export {variable}")
            for name in secrets])
    return section, lines, section_line


def _problem(error: Any, env_values: Mapping[str, str], file_name: str | None, lines: Mapping[str, int],
             section_line: int | None) -> Problem:
    field = str(error["loc"][0]) if error["loc"] else ""
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    hint = f"allowed settings: {', '.join(LLMConfig.model_fields)}"
    if field == "provider":
        hint = "use openai (also for Ollama, vLLM, LM Studio), azure or anthropic; none turns LLM help off"
    if field in env_values:
        return Problem(f"{message} (value {env_values[field]!r})", Location(path=ENV_PREFIX + field.upper()), hint=hint)
    where = Location(file_name, lines.get(field, section_line), path=f"llm.{field}" if field else "llm")
    return Problem(message, where, hint=hint)
