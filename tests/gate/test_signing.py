"""Tamper-evident against whom (issue 9, item 4): the hash chain alone can be re-sealed by anyone with the
library; SSH signatures (ssh-keygen -Y, as git uses them) tie the log and evidence packs to keys.

Every key is a throwaway ed25519 key made with ssh-keygen in a temporary folder."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dicetm.model.register import AuditHead
from dicetm.store.audit import AuditRecord, read_log
from dicetm.store.registerfile import dump_register, load_register

from .builders import CRITICAL, REVIEWER
from .cli_app import invoke, snapshot

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
SECOND = "Sam Roe <sam@example.com>"
MALLORY = "Mallory <mallory@example.com>"


def make_key(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    found = {name: make_key(folder, name) for name in ("dana", "sam", "mallory")}
    allowed = folder / "allowed_signers"
    lines = [f"{email} {' '.join(found[name].with_suffix('.pub').read_text().split()[:2])}"
             for name, email in (("dana", "dana@example.com"), ("sam", "sam@example.com"))]
    allowed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found["allowed"] = allowed
    return found


def decide(workspace: Path, *args: str | Path, reviewer: str = REVIEWER) -> str:
    done = invoke("decide", workspace, *args, "--reviewer", reviewer)
    assert done.code == 0, done.stderr
    return done.stdout


def reseal(workspace: Path, seq: int, actor: str) -> None:
    """What someone with write access and the library does: change a record, then seal the chain again."""
    records, previous, sealed = read_log(workspace / "dicetm-audit.jsonl"), "0" * 64, []
    for record in records:
        fields = record.model_dump(mode="json", exclude={"hash"})
        fields.update(prev=previous, actor=actor if record.seq == seq else record.actor)
        sealed.append(AuditRecord.sealed(fields))
        previous = sealed[-1].hash
    (workspace / "dicetm-audit.jsonl").write_text("".join(r.line() + "\n" for r in sealed), encoding="utf-8")
    register = load_register(workspace / "dicetm-register.yaml")
    assert register is not None
    register.audit_head = AuditHead(seq=sealed[-1].seq, hash=sealed[-1].hash)
    (workspace / "dicetm-register.yaml").write_text(dump_register(register), encoding="utf-8")


def test_the_chain_alone_is_resealed_without_a_trace(workspace: Path) -> None:
    """The finding, kept as a fact the README states: without signatures, a re-sealed log verifies."""
    decide(workspace, CRITICAL, "--accept")
    reseal(workspace, seq=len(read_log(workspace / "dicetm-audit.jsonl")), actor="CISO")
    assert invoke("audit", "verify", workspace).code == 0


def test_signed_decisions_verify_and_a_resealed_log_does_not(workspace: Path, keys: dict[str, Path]) -> None:
    out = decide(workspace, CRITICAL, "--accept", "--sign-key", keys["dana"])
    assert "signed the audit log up to record #" in out and "as dana@example.com" in out
    good = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"], "--require-signatures")
    assert good.code == 0, good.stderr
    assert "signatures: 1 valid, covering all" in good.stdout
    decision = next(r for r in read_log(workspace / "dicetm-audit.jsonl") if r.action == "accept")
    reseal(workspace, decision.seq, "CISO")
    bad = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"])
    assert bad.code == 1
    assert "audit log intact" in bad.stdout  # the chain itself was sealed again
    assert "with a hash the log does not hold (the log was rewritten after it was signed)" in bad.stderr
    assert f"record #{decision.seq} by CISO is not signed (by CISO)" in bad.stderr


def test_a_signature_by_another_key_does_not_count(workspace: Path, keys: dict[str, Path]) -> None:
    decide(workspace, CRITICAL, "--accept", "--sign-key", keys["mallory"])  # Dana's name, Mallory's key
    done = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"])
    assert done.code == 1 and "not a valid signature by dana@example.com" in done.stderr


def test_unsigned_records_are_reported_and_can_be_required(workspace: Path, keys: dict[str, Path]) -> None:
    decide(workspace, CRITICAL, "--accept")
    noted = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"])
    assert noted.code == 0 and "by Dana Lee <dana@example.com> is not signed (by dana@example.com)" in noted.stdout
    required = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"], "--require-signatures")
    assert required.code == 1 and "signature check failed: record" in required.stderr
    signed = invoke("audit", "sign", workspace, "--reviewer", REVIEWER, "--sign-key", keys["dana"])
    assert signed.code == 0 and "signed the audit log up to record" in signed.stdout
    after = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"], "--require-signatures")
    assert after.code == 0, after.stderr


def test_each_person_signs_their_own_records(workspace: Path, keys: dict[str, Path]) -> None:
    decide(workspace, CRITICAL, "--reject", "--reason", "the CRM holds no customer data here",
           "--sign-key", keys["dana"])
    decide(workspace, CRITICAL, "--confirm", reviewer=SECOND)  # Sam forgot to sign
    invoke("audit", "sign", workspace, "--reviewer", REVIEWER, "--sign-key", keys["dana"])
    done = invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"], "--require-signatures")
    assert done.code == 1 and f"by {SECOND} is not signed (by sam@example.com)" in done.stderr
    invoke("audit", "sign", workspace, "--reviewer", SECOND, "--sign-key", keys["sam"])
    assert invoke("audit", "verify", workspace, "--allowed-signers", keys["allowed"],
                  "--require-signatures").code == 0


def test_the_gate_can_require_signatures(workspace: Path, keys: dict[str, Path]) -> None:
    decide(workspace, CRITICAL, "--accept")
    policy = workspace / "dicetm-policy.yaml"
    policy.write_text(f"block_unreviewed_at_or_above: null\nrequire_coverage_for_accepted: false\n"
                      f"require_signatures: true\n"
                      f"allowed_signers: {keys['allowed']}\n", encoding="utf-8")
    done = invoke("check", workspace)
    assert done.code == 1 and "[require-signatures] the audit log is not signed as the policy asks" in done.stdout
    invoke("audit", "sign", workspace, "--reviewer", REVIEWER, "--sign-key", keys["dana"])
    assert invoke("check", workspace).code == 0


def test_a_workspace_key_from_the_policy_signs_for_everyone(workspace: Path, keys: dict[str, Path]) -> None:
    allowed = keys["allowed"]
    allowed.write_text(allowed.read_text() + "release-bot@example.com "
                       + " ".join(keys["mallory"].with_suffix(".pub").read_text().split()[:2]) + "\n")
    (workspace / "dicetm-policy.yaml").write_text(
        f"signing_key: {keys['mallory']}\nsigning_principal: release-bot@example.com\nallowed_signers: {allowed}\n",
        encoding="utf-8")
    out = decide(workspace, CRITICAL, "--accept")
    assert "as release-bot@example.com" in out
    assert invoke("audit", "verify", workspace, "--require-signatures").code == 0


def test_a_key_that_cannot_be_used_is_refused_before_anything_is_written(workspace: Path, tmp_path: Path) -> None:
    before = snapshot(workspace)
    done = invoke("decide", workspace, CRITICAL, "--accept", "--reviewer", REVIEWER, "--sign-key",
                  tmp_path / "no-such-key")
    assert done.code == 2 and "the signing key" in done.stderr and "does not exist" in done.stderr
    assert snapshot(workspace) == before


def test_evidence_packs_are_signed_and_checked(workspace: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    decide(workspace, CRITICAL, "--accept", "--sign-key", keys["dana"])
    pack = tmp_path / "pack"
    made = invoke("evidence", workspace, "--out", pack, "--sign-key", keys["dana"], "--reviewer", REVIEWER)
    assert made.code == 0 and "manifest signed as dana@example.com" in made.stdout
    assert json.loads((pack / "manifest.json").read_text())["signed_by"] == "dana@example.com"
    plain = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(keys["allowed"]), "-I", "dana@example.com",
                            "-n", "dicetm", "-s", str(pack / "manifest.json.sig")],
                           input=(pack / "manifest.json").read_bytes(), capture_output=True, check=False)
    assert plain.returncode == 0  # anyone can check it with ssh-keygen alone
    good = invoke("evidence", "verify", pack, "--allowed-signers", keys["allowed"], "--require-signatures")
    assert good.code == 0, good.stdout
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["system"] = "Someone else's chatbot"
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=2))
    bad = invoke("evidence", "verify", pack, "--allowed-signers", keys["allowed"])
    assert bad.code == 1 and "manifest.json.sig: not a valid signature by dana@example.com" in bad.stdout


def test_an_unsigned_pack_is_noted_and_can_be_required(workspace: Path, keys: dict[str, Path],
                                                        tmp_path: Path) -> None:
    decide(workspace, CRITICAL, "--accept")
    pack = tmp_path / "pack"
    assert invoke("evidence", workspace, "--out", pack).code == 0
    noted = invoke("evidence", "verify", pack)
    assert noted.code == 0 and "note: manifest.json is not signed" in noted.stdout
    required = invoke("evidence", "verify", pack, "--allowed-signers", keys["allowed"], "--require-signatures")
    assert required.code == 1 and "manifest.json is not signed" in required.stdout
