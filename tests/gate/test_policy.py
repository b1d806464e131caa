"""The policy file: defaults, valid settings, and every mistake reported at once with line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.gate import Policy, load_policy, parse_policy
from dicetm.model import RiskLevel


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_policy(text, "policy.yaml")
    return [f"{p.location.line}:{p.location.column} {p.message} | {p.hint}" for p in caught.value.problems]


def test_defaults_are_strict() -> None:
    policy = Policy()
    assert policy.block_unreviewed_at_or_above is RiskLevel.high
    assert policy.require_coverage_for_accepted is True
    assert policy.require_audit_chain is True
    assert policy.max_quick_accepts is None


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_file_keeps_the_defaults(text: str) -> None:
    assert parse_policy(text, "p.yaml") == Policy()


def test_every_setting_can_be_given() -> None:
    policy = parse_policy("block_unreviewed_at_or_above: critical\nrequire_coverage_for_accepted: false\n"
                          "require_audit_chain: false\nmax_quick_accepts: 3\n", "p.yaml")
    assert policy == Policy(block_unreviewed_at_or_above=RiskLevel.critical, require_coverage_for_accepted=False,
                            require_audit_chain=False, max_quick_accepts=3)


def test_null_switches_the_unreviewed_rule_off() -> None:
    assert parse_policy("block_unreviewed_at_or_above: null\n", "p.yaml").block_unreviewed_at_or_above is None


def test_all_mistakes_are_reported_with_line_and_column() -> None:
    found = problems("block_unreviewed_at_or_above: severe\n"
                     "require_coverage_for_accepted: maybe\n"
                     "max_quick_accepts: -1\n"
                     "require_audit_chian: true\n")
    assert found[0].startswith("1:31 block_unreviewed_at_or_above: 'severe' is not a risk level")
    assert "low, medium, high, critical" in found[0]
    assert found[1].startswith("2:32 require_coverage_for_accepted: 'maybe' is not true or false")
    assert found[2].startswith("3:20 max_quick_accepts: -1 is not a whole number")
    assert found[3].startswith("4:1 unknown setting 'require_audit_chian' | did you mean require_audit_chain?")
    assert len(found) == 4


def test_types_are_not_coerced() -> None:
    assert "is not a whole number" in problems("max_quick_accepts: '3'\n")[0]
    assert "is not true or false" in problems("require_audit_chain: 1\n")[0]


def test_a_setting_given_twice_is_refused() -> None:
    assert problems("require_audit_chain: true\nrequire_audit_chain: false\n") == [
        "2:1 require_audit_chain is set twice | the first one is at line 1"]


def test_not_a_mapping() -> None:
    assert problems("- high\n")[0].startswith("1:1 the policy must be a mapping of settings")


def test_yaml_syntax_error_is_located() -> None:
    found = problems("block_unreviewed_at_or_above: [high\n")
    assert len(found) == 1 and "not valid YAML" in found[0] and found[0].startswith("2:")


def test_load_policy_reads_a_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "dicetm-policy.yaml"
    path.write_text("max_quick_accepts: 0\n", encoding="utf-8")
    assert load_policy(path).max_quick_accepts == 0
    path.write_text("max_quick_accepts: x\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_policy(path)
    assert caught.value.problems[0].location.file == str(path)
    with pytest.raises(InputError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.yaml")
