"""The evidence pack built from hand-made inputs: its contents, its manifest, and that verify_pack finds
every kind of tampering and names it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dicetm import __version__
from dicetm.errors import InputError
from dicetm.evidence import EvidenceInputs, IterationCopy, build_pack, verify_pack, write_pack
from dicetm.evidence.pack import inputs_for
from dicetm.model.register import CountermeasureReview, Register, ThreatStatus
from gate.builders import CRITICAL, HIGH, chatbot, countermeasure, threat_entry

from .chain import chain, iteration_info

CREATED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
REPORT_1 = b"# Threat model, iteration 1\n"


def inputs() -> EvidenceInputs:
    register = Register(system="Support chatbot",
                        threats=[threat_entry(CRITICAL, ThreatStatus.accepted),
                                 threat_entry(HIGH, ThreatStatus.rejected, reason="output is plain text")],
                        countermeasures=[countermeasure("C-OUT-001", CountermeasureReview.implemented,
                                                        evidence="https://ci.example/run/7")])
    info = iteration_info(1, REPORT_1)
    audit, register = chain(register, [("accept", CRITICAL, {}), ("reject", HIGH, {}),
                                       ("iteration-new", "iteration:1",
                                        {"iteration_json_sha256": hashlib.sha256(info).hexdigest()})])
    copy = IterationCopy(number=1, info=json.loads(info), files={"iteration.json": info, "report.md": REPORT_1})
    return inputs_for(chatbot(), register, audit, (copy,), date(2026, 6, 1), source=None, svg=None)


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    files, _report = build_pack(inputs(), created=CREATED, today=date(2026, 6, 1))
    write_pack(files, tmp_path / "pack")
    return tmp_path / "pack"


EXPECTED = ["audit.jsonl", "compliance.json", "compliance.md", "iterations/1/iteration.json", "iterations/1/report.md",
            "iterations/index.json", "iterations/index.md", "manifest.json", "model/dicetm.yaml", "register.json",
            "report.html", "report.md"]


def test_pack_holds_every_part_and_a_manifest_of_hashes() -> None:
    files, report = build_pack(inputs(), created=CREATED, today=date(2026, 6, 1))
    assert sorted(files) == EXPECTED
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "dicetm-evidence/2" and manifest["dicetm_version"] == __version__
    assert files["model/dicetm.yaml"] == chatbot().path.read_bytes() and manifest["model_file"] == "model/dicetm.yaml"
    assert (manifest["as_of"], manifest["source"], manifest["signed_by"]) == ("2026-06-01", None, None)
    assert manifest["created"] == "2026-06-01T12:00:00+00:00" and manifest["audit_records"] == 3
    assert manifest["audit_head"] == json.loads(files["register.json"])["audit_head"]
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert sorted(listed) == [name for name in EXPECTED if name != "manifest.json"]
    for name, entry in listed.items():
        assert entry == {"path": name, "sha256": hashlib.sha256(files[name]).hexdigest(), "size": len(files[name])}
    assert manifest["compliance"] == report.counts
    index = json.loads(files["iterations/index.json"])["iterations"]
    assert index == [{"number": 1, "reason": "design review", "actor": "Dana Lee <dana@example.com>",
                      "time": "2026-01-01T00:00:00Z", "threats": 22, "audit_head": None,
                      "files": ["iterations/1/iteration.json", "iterations/1/report.md"]}]
    assert b"### Rejected threats" in files["report.md"] and b"output is plain text" in files["report.md"]


def test_building_is_deterministic() -> None:
    first, _ = build_pack(inputs(), created=CREATED, today=date(2026, 6, 1))
    again, _ = build_pack(inputs(), created=CREATED, today=date(2026, 6, 1))
    assert first == again


def test_an_untouched_pack_verifies(pack: Path) -> None:
    check = verify_pack(pack)
    assert check.ok, check.problems
    assert (check.files, check.records) == (len(EXPECTED) - 1, 3)


def _rehash(pack: Path) -> None:
    """What a careful forger does after editing files: recompute the manifest."""
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (pack / entry["path"]).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    (pack / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_an_edited_file_is_named(pack: Path) -> None:
    report = pack / "report.md"
    report.write_bytes(report.read_bytes().replace(b"UNREVIEWED", b"ACCEPTED  ", 1))
    check = verify_pack(pack)
    assert not check.ok
    assert check.problems[0] == "report.md: its sha256 differs from the manifest (the file was changed)"
    assert check.problems[1].startswith("report.md does not match its register and model: line ")
    assert "ACCEPTED" in check.problems[1] and len(check.problems) == 2


def test_added_removed_and_resized_files(pack: Path) -> None:
    size = (pack / "iterations" / "index.md").stat().st_size
    compliance = (pack / "compliance.md").read_text(encoding="utf-8")
    (pack / "notes.txt").write_text("hi", encoding="utf-8")
    (pack / "compliance.md").unlink()
    (pack / "iterations" / "index.md").write_text("short", encoding="utf-8")
    assert verify_pack(pack).problems == [
        "compliance.md: missing",
        f"iterations/index.md: 5 bytes, the manifest says {size} (the file was changed)",
        "notes.txt: not listed in the manifest (a file was added)",
        "compliance.md does not match its register and model: it has 0 lines, the register and model give "
        f"{len(compliance.splitlines())}",
    ]


def test_a_rehashed_register_edit_is_caught_by_the_audit_chain(pack: Path) -> None:
    data = json.loads((pack / "register.json").read_text(encoding="utf-8"))
    data["threats"][1]["status"] = "accepted"
    (pack / "register.json").write_text(json.dumps(data), encoding="utf-8")
    _rehash(pack)
    problems = verify_pack(pack).problems
    assert problems[0] == ("audit chain: the register differs from the state record 3 committed (the register file "
                           "was edited)")
    assert all(problem.startswith(("report.md does not match", "report.html does not match", "compliance.",
                                   "manifest.json states")) for problem in problems[1:])


def test_a_rehashed_audit_edit_is_caught(pack: Path) -> None:
    log = pack / "audit.jsonl"
    log.write_bytes(log.read_bytes().replace(b'"action":"reject"', b'"action":"accept"', 1))
    _rehash(pack)
    problems = verify_pack(pack).problems
    assert problems[0] == "audit chain: line 2 (seq 2): the record does not match its hash (it was edited)"


def test_a_rehashed_iteration_edit_is_caught(pack: Path) -> None:
    (pack / "iterations" / "1" / "report.md").write_bytes(b"# something else\n")
    _rehash(pack)
    assert verify_pack(pack).problems == [
        "iterations/1/report.md differs from the digest in its iteration.json"]


def test_a_missing_or_foreign_manifest(pack: Path) -> None:
    (pack / "manifest.json").write_text("[]", encoding="utf-8")
    assert verify_pack(pack).problems == ["manifest.json is not a dicetm-evidence/2 manifest"]
    (pack / "manifest.json").unlink()
    assert verify_pack(pack).problems[0].startswith("no manifest.json")


def test_manifest_paths_cannot_leave_the_pack(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"].append({"path": "../../etc/passwd", "sha256": "0" * 64, "size": 1})
    (pack / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_pack(pack).problems[0].startswith("manifest.json has a malformed file entry")


def test_manifest_head_must_match_the_log(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["audit_head"]["seq"] = 2
    (pack / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_pack(pack).problems[0].startswith("manifest.json names audit head")


def test_an_empty_workspace_packs_and_verifies(tmp_path: Path) -> None:
    empty = inputs_for(chatbot(), Register(), b"", (), date(2026, 6, 1), source=None, svg=None)
    files, report = build_pack(empty, created=CREATED, today=date(2026, 6, 1))
    write_pack(files, tmp_path / "pack")
    assert verify_pack(tmp_path / "pack").ok
    process = next(item for item in report.items if item.id == "ai-act-9-1")
    assert process.status == "missing"
    assert process.missing[:2] == ["no audit records yet: no decision has been recorded",
                                   "no iteration snapshot has been recorded yet"]
    assert process.missing[2].endswith("(new, stale or retired items) not yet recorded in the audit log")


def test_write_pack_needs_a_new_or_empty_folder(tmp_path: Path) -> None:
    files, _ = build_pack(inputs(), created=CREATED, today=date(2026, 6, 1))
    (tmp_path / "empty").mkdir()
    write_pack(files, tmp_path / "empty")
    assert verify_pack(tmp_path / "empty").ok
    with pytest.raises(InputError, match="already exists and is not empty"):
        write_pack(files, tmp_path / "empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no staging folder left behind


def test_an_edited_report_with_a_recomputed_manifest_is_caught(pack: Path) -> None:
    """The finding: editing report.md and hashing it again used to pass. The reports are recomputed now."""
    report = pack / "report.md"
    report.write_bytes(report.read_bytes().replace(b"| Unreviewed |", b"| Reviewed |", 1)
                       .replace(b"UNREVIEWED", b"ACCEPTED", 1))
    _rehash(pack)
    problems = verify_pack(pack).problems
    assert len(problems) == 1 and problems[0].startswith("report.md does not match its register and model: line ")


@pytest.mark.parametrize("name", ["report.html", "compliance.md", "compliance.json"])
def test_every_computed_file_is_recomputed(pack: Path, name: str) -> None:
    path = pack / name
    path.write_bytes(path.read_bytes().replace(b"missing", b"met", 1))
    _rehash(pack)
    assert verify_pack(pack).problems[0].startswith(f"{name} does not match its register and model")


def test_figures_in_the_manifest_are_recomputed(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["compliance"] = {"met": 21, "partial": 0, "missing": 0}
    manifest["unrecorded_changes"] = 0
    (pack / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    problems = verify_pack(pack).problems
    assert any(p.startswith("manifest.json states unrecorded_changes 0, the register and model give ")
               for p in problems)
    assert any(p.startswith("manifest.json states compliance {'met': 21") for p in problems)


def test_an_edited_model_copy_is_caught(pack: Path) -> None:
    model = pack / "model" / "dicetm.yaml"
    model.write_bytes(model.read_bytes().replace(b"exposure: internet", b"exposure: internal"))
    _rehash(pack)
    assert any(p.startswith("report.md does not match") for p in verify_pack(pack).problems)


def test_a_pack_from_another_version_cannot_be_recomputed(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    manifest["dicetm_version"] = "0.0.1"
    (pack / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    problems = verify_pack(pack).problems
    assert problems == [f"the pack was made by dicetm 0.0.1 with catalogue {manifest['catalog_version']}; this is "
                        f"dicetm {__version__} with catalogue {manifest['catalog_version']}: verify with the version "
                        "that made it to recompute its reports"]
