from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.providers.config import (
    CONFIG_FILENAME,
    DEFAULT_AZURE_API_VERSION,
    LOCAL_PLACEHOLDER_KEY,
    LLMConfig,
    api_key_from_env,
    describe_config,
    is_local_url,
    load_llm_config,
)
from dicetm.providers.interface import ProviderUnavailable

FAKE_KEY = "sk-dicetm-FAKE-KEY-0123456789abcdef"


def write_config(folder: Path, text: str) -> Path:
    path = folder / CONFIG_FILENAME
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_and_no_variables_means_offline(tmp_path: Path) -> None:
    assert load_llm_config(tmp_path, {}) is None
    assert load_llm_config(None, {"OPENAI_API_KEY": FAKE_KEY}) is None


def test_file_section_is_read_with_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, "report:\n  title: x\nllm:\n  provider: OpenAI\n  model: gpt-4o-mini\n  timeout: 30\n")
    config = load_llm_config(tmp_path, {"OPENAI_API_KEY": FAKE_KEY})
    assert config == LLMConfig(provider="openai", model="gpt-4o-mini", timeout=30)
    assert (config.max_retries, config.concurrency, config.price_input_per_mtok) == (4, 4, None)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: openai\n  model: gpt-4o-mini\n  concurrency: 2\n")
    env = {"OPENAI_API_KEY": FAKE_KEY, "DICETM_LLM_MODEL": "gpt-4.1", "DICETM_LLM_TIMEOUT": "12.5",
           "DICETM_LLM_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": FAKE_KEY}
    config = load_llm_config(tmp_path, env)
    assert config is not None
    assert (config.provider, config.model, config.timeout, config.concurrency) == ("anthropic", "gpt-4.1", 12.5, 2)


def test_environment_alone_configures_a_provider() -> None:
    config = load_llm_config(None, {"DICETM_LLM_PROVIDER": "openai", "DICETM_LLM_MODEL": "llama3.1",
                                    "DICETM_LLM_BASE_URL": "http://localhost:11434/v1/"})
    assert config is not None
    assert config.base_url == "http://localhost:11434/v1"


def test_provider_none_in_the_environment_turns_a_configured_file_off(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: openai\n  model: gpt-4o-mini\n")
    assert load_llm_config(tmp_path, {"DICETM_LLM_PROVIDER": "none"}) is None


@pytest.mark.parametrize("name", ["api_key", "key", "token", "secret", "openai_api_key"])
def test_a_key_in_the_file_is_refused_without_echoing_it(tmp_path: Path, name: str) -> None:
    write_config(tmp_path, f"llm:\n  provider: openai\n  model: gpt-4o\n  {name}: {FAKE_KEY}\n")
    with pytest.raises(InputError) as caught:
        load_llm_config(tmp_path, {"OPENAI_API_KEY": FAKE_KEY})
    problem = caught.value.problems[0]
    assert problem.location.line == 4
    assert problem.location.path == f"llm.{name}"
    assert "read only from the environment" in problem.message and "OPENAI_API_KEY" in problem.message
    assert FAKE_KEY not in str(caught.value)


def test_a_key_in_an_anthropic_section_names_the_anthropic_variable(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: anthropic\n  model: claude\n  api_key: x\n")
    with pytest.raises(InputError, match="ANTHROPIC_API_KEY"):
        load_llm_config(tmp_path, {})


def test_provider_without_model_is_an_input_error(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: openai\n")
    with pytest.raises(InputError) as caught:
        load_llm_config(tmp_path, {"OPENAI_API_KEY": FAKE_KEY})
    problem = caught.value.problems[0]
    assert "no model" in problem.message
    assert problem.location.line == 2 and problem.location.file and problem.location.file.endswith(CONFIG_FILENAME)
    assert problem.hint and "DICETM_LLM_MODEL" in problem.hint


def test_bad_values_are_reported_at_their_line_all_at_once(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: openai\n  model: m\n  timeout: -1\n  concurrency: many\n  colour: red\n")
    with pytest.raises(InputError) as caught:
        load_llm_config(tmp_path, {"OPENAI_API_KEY": FAKE_KEY})
    where = {problem.location.path: problem.location.line for problem in caught.value.problems}
    assert where == {"llm.timeout": 4, "llm.concurrency": 5, "llm.colour": 6}
    assert all(problem.hint for problem in caught.value.problems)


def test_unknown_provider_gets_a_hint_listing_the_choices(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: gemini\n  model: m\n")
    with pytest.raises(InputError) as caught:
        load_llm_config(tmp_path, {})
    problem = caught.value.problems[0]
    assert problem.location.line == 2 and problem.hint and "anthropic" in problem.hint


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(InputError) as caught:
        load_llm_config(None, {"DICETM_LLM_PROVIDER": "openai", "DICETM_LLM_MODEL": "m",
                               "DICETM_LLM_TIMEOUT": "soon", "OPENAI_API_KEY": FAKE_KEY})
    assert caught.value.problems[0].location.path == "DICETM_LLM_TIMEOUT"


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: openai\n  model: [unclosed\n")
    with pytest.raises(InputError) as caught:
        load_llm_config(tmp_path, {})
    assert caught.value.problems[0].location.line is not None
    assert "invalid YAML" in caught.value.problems[0].message


def test_llm_section_must_be_a_mapping(tmp_path: Path) -> None:
    write_config(tmp_path, "llm: openai\n")
    with pytest.raises(InputError, match="must be a mapping"):
        load_llm_config(tmp_path, {})


def test_prices_come_in_pairs(tmp_path: Path) -> None:
    write_config(tmp_path, "llm:\n  provider: openai\n  model: m\n  price_input_per_mtok: 2.5\n")
    with pytest.raises(InputError, match="price_output_per_mtok"):
        load_llm_config(tmp_path, {"OPENAI_API_KEY": FAKE_KEY})


@pytest.mark.parametrize("provider, variable", [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")])
def test_remote_provider_without_key_is_unavailable_and_names_the_variable(provider: str, variable: str) -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        load_llm_config(None, {"DICETM_LLM_PROVIDER": provider, "DICETM_LLM_MODEL": "m"})
    assert variable in str(caught.value)


@pytest.mark.parametrize("url", ["http://localhost:11434/v1", "http://127.0.0.1:8000/v1", "http://[::1]:1234/v1",
                                 "http://192.168.1.20:11434/v1", "http://10.0.0.5/v1", "http://ollama:11434/v1",
                                 "http://gpu-box.lan:8000/v1"])
def test_local_server_needs_no_key(url: str) -> None:
    config = load_llm_config(None, {"DICETM_LLM_PROVIDER": "openai", "DICETM_LLM_MODEL": "llama3",
                                    "DICETM_LLM_BASE_URL": url})
    assert config is not None
    assert api_key_from_env(config, {}) == LOCAL_PLACEHOLDER_KEY
    assert api_key_from_env(config, {"OPENAI_API_KEY": FAKE_KEY}) == FAKE_KEY


@pytest.mark.parametrize("url", ["https://api.openai.com/v1", "https://8.8.8.8/v1", "https://openrouter.ai/api/v1"])
def test_public_urls_are_not_local(url: str) -> None:
    assert not is_local_url(url)
    with pytest.raises(ProviderUnavailable, match="OPENAI_API_KEY"):
        load_llm_config(None, {"DICETM_LLM_PROVIDER": "openai", "DICETM_LLM_MODEL": "m", "DICETM_LLM_BASE_URL": url})


def test_azure_takes_endpoint_from_environment_and_defaults_the_api_version() -> None:
    config = load_llm_config(None, {"DICETM_LLM_PROVIDER": "Azure", "DICETM_LLM_MODEL": "my-deployment",
                                    "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/",
                                    "AZURE_OPENAI_API_KEY": FAKE_KEY})
    assert config is not None
    assert (config.base_url, config.api_version) == ("https://res.openai.azure.com", DEFAULT_AZURE_API_VERSION)


def test_azure_without_endpoint_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="AZURE_OPENAI_ENDPOINT"):
        load_llm_config(None, {"DICETM_LLM_PROVIDER": "azure", "DICETM_LLM_MODEL": "d",
                               "AZURE_OPENAI_API_KEY": FAKE_KEY})


def test_azure_without_key_names_the_azure_variable() -> None:
    with pytest.raises(ProviderUnavailable, match="AZURE_OPENAI_API_KEY"):
        load_llm_config(None, {"DICETM_LLM_PROVIDER": "azure", "DICETM_LLM_MODEL": "d",
                               "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com"})


def test_describe_config_is_one_line_without_secrets() -> None:
    config = LLMConfig(provider="openai", model="gpt-4o", base_url=f"https://user:{FAKE_KEY}@proxy.example/v1?k=1",
                       price_input_per_mtok=2.5, price_output_per_mtok=10)
    text = describe_config(config)
    assert "\n" not in text
    assert FAKE_KEY not in text and "user" not in text and "k=1" not in text
    assert "openai model gpt-4o at https://proxy.example/v1" in text
    assert "USD 2.5 in / 10 out" in text
    assert "the default endpoint" in describe_config(LLMConfig(provider="anthropic", model="claude"))
