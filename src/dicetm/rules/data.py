"""data rules."""

from __future__ import annotations

from dicetm.rules.base import RuleFunction

FUNCTIONS: dict[str, RuleFunction] = {}
