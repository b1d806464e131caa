"""The register file, ``dicetm-register.yaml``, in one stable form, and loading it with located errors.

Keys follow the model's field order and the three lists are sorted (threats and countermeasures by id,
residual risks by threat), so one register always gives the same text and a small change a small diff.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from dicetm.model.register import Register
from dicetm.store.yamlfile import parse_yaml_model, read_yaml_model

REGISTER_FILENAME = "dicetm-register.yaml"
HEADER = "# Written by dicetm. Record decisions with dicetm; the audit log flags any edit made by hand.\n"
_HINT = "dicetm writes this file; undo the hand edit or restore it from version control"
# The C emitter when PyYAML has it (several times faster, same output); pure Python otherwise.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def normalized(register: Register) -> Register:
    """A validated deep copy of ``register`` with its lists in file order."""
    data = register.model_dump(mode="json")
    data["threats"].sort(key=lambda item: item["id"])
    data["countermeasures"].sort(key=lambda item: item["id"])
    data["residual_risks"].sort(key=lambda item: item["threat"])
    return Register.model_validate(data)


def dump_register(register: Register) -> str:
    """The file text of a register (pass it through ``normalized`` first for the stable order)."""
    body = yaml.dump(register.model_dump(mode="json"), Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
    return HEADER + body


def load_register(path: Path) -> Register | None:
    """The register stored at ``path``, or None when there is no such file."""
    return read_yaml_model(path, Register, "the register", _HINT)


def parse_register(text: str, filename: str) -> Register:
    """Register file text as a Register; StoreError lists every problem with its line and field."""
    return parse_yaml_model(text, filename, Register, "the register", _HINT)
