"""Threat rules: metadata files + pure functions, registered in one explicit list (registry.py)."""
