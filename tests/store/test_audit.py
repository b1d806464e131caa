"""The audit record, its hash chain and ``verify`` on records in memory."""

from __future__ import annotations

import hashlib
import json

import pytest

from dicetm.errors import StoreError
from dicetm.model.register import AuditHead, Register, ThreatEntry, ThreatStatus
from dicetm.store.audit import (
    ZERO_HASH,
    AuditRecord,
    canonical_json,
    digest,
    parse_log,
    parse_record,
    record_hash,
    register_digest,
    timestamp,
    verify,
)

REGISTER = Register(system="demo", threats=[ThreatEntry(id="T-LLM-001@bot", rule="T-LLM-001", title="t")])


def chain(count: int, register: Register = REGISTER) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    previous = ZERO_HASH
    for seq in range(1, count + 1):
        record = AuditRecord.sealed({
            "seq": seq, "time": f"2026-11-26T02:30:{seq:02d}.000000Z", "actor": "Dana", "action": "accept",
            "target": f"T-LLM-001@e{seq}", "before": None, "after": digest({"n": seq}),
            "register": register_digest(register), "reason": "ok", "details": {"n": seq}, "version": "0.1.0",
            "prev": previous,
        })
        records.append(record)
        previous = record.hash
    return records


def headed(records: list[AuditRecord], register: Register = REGISTER) -> Register:
    last = records[-1]
    return register.model_copy(update={"audit_head": AuditHead(seq=last.seq, hash=last.hash)}, deep=True)


def forged(seq: int, previous: str) -> AuditRecord:
    """A record someone wrote by hand, with a correct hash."""
    return AuditRecord.sealed({**chain(1)[0].model_dump(exclude={"hash"}), "seq": seq, "prev": previous,
                               "reason": "slipped in"})


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'.encode()


def test_digest_of_model_equals_digest_of_its_json_dump() -> None:
    entry = REGISTER.threats[0]
    assert digest(entry) == digest(entry.model_dump(mode="json"))
    assert digest(entry) == hashlib.sha256(canonical_json(entry.model_dump(mode="json"))).hexdigest()
    assert digest(None) is None


def test_register_digest_leaves_out_the_audit_head() -> None:
    assert register_digest(REGISTER) == register_digest(headed(chain(2)))
    assert register_digest(REGISTER) != register_digest(REGISTER.model_copy(update={"iteration": 2}))


def test_timestamp_is_utc_with_microseconds() -> None:
    assert len(timestamp()) == len("2026-11-26T02:30:00.123456Z")
    assert timestamp().endswith("Z") and timestamp()[19] == "."


def test_records_are_chained_from_zeros() -> None:
    records = chain(3)
    assert records[0].prev == ZERO_HASH
    assert [r.prev for r in records[1:]] == [r.hash for r in records[:-1]]
    for record in records:
        without_hash = {k: v for k, v in json.loads(record.line()).items() if k != "hash"}
        assert record.hash == hashlib.sha256(canonical_json(without_hash)).hexdigest() == record_hash(record)
    assert list(json.loads(records[0].line())) == sorted(AuditRecord.model_fields)


def test_intact_chain_and_register_verify() -> None:
    records = chain(5)
    result = verify(records, headed(records))
    assert result.ok and result.problems == [] and result.first_bad_seq is None and result.records == 5


def test_empty_log_without_register_is_ok() -> None:
    assert verify([], None).ok


def test_edited_record() -> None:
    records = chain(5)
    records[2] = records[2].model_copy(update={"reason": "rubber stamp"})
    result = verify(records, headed(records))
    assert not result.ok and result.first_bad_seq == 3
    assert "edited" in result.problems[0] and len(result.problems) == 1


def test_edited_record_with_its_hash_recomputed_breaks_the_next_link() -> None:
    records = chain(5)
    fields = records[2].model_dump(exclude={"hash"})
    records[2] = AuditRecord.sealed({**fields, "reason": "rubber stamp"})
    result = verify(records, headed(records))
    assert result.first_bad_seq == 4 and "does not link" in result.problems[0]


def test_deleted_record() -> None:
    records = chain(5)
    del records[2]
    result = verify(records, headed(records))
    assert result.first_bad_seq == 3 and len(result.problems) == 1


def test_inserted_copy_of_a_record() -> None:
    records = chain(5)
    records.insert(2, records[4])
    assert verify(records, headed(records)).first_bad_seq == 3


def test_inserted_forged_record() -> None:
    records = chain(5)
    records.insert(2, forged(3, records[1].hash))
    result = verify(records, headed(records))
    assert result.first_bad_seq == 3


def test_reordered_records() -> None:
    records = chain(5)
    records[2], records[3] = records[3], records[2]
    assert verify(records, headed(records)).first_bad_seq == 3


def test_truncated_log() -> None:
    records = chain(5)
    register = headed(records)
    result = verify(records[:3], register)
    assert result.first_bad_seq == 4 and "cut short" in result.problems[0]
    assert verify([], register).first_bad_seq == 1


def test_edited_register() -> None:
    records = chain(5)
    register = headed(records)
    register.threats[0].status = ThreatStatus.accepted
    result = verify(records, register)
    assert result.first_bad_seq == 5 and "edited" in result.problems[0]


def test_register_older_than_the_log() -> None:
    records = chain(5)
    result = verify(records, headed(records[:3]))
    assert result.first_bad_seq == 4 and "older" in result.problems[0]


def test_register_missing_or_unrecorded() -> None:
    records = chain(2)
    assert verify(records, None).first_bad_seq == 2
    assert not verify([], REGISTER).ok
    assert verify(records, REGISTER).first_bad_seq == 2


def test_first_bad_seq_is_the_earliest_of_several_problems() -> None:
    records = chain(6)
    register = headed(records)
    records[4] = records[4].model_copy(update={"actor": "Eve"})
    del records[1]
    result = verify(records, register)
    assert result.first_bad_seq == 2 and len(result.problems) == 2


def test_a_line_in_another_json_form_counts_as_edited() -> None:
    record = chain(1)[0]
    spaced = json.dumps(json.loads(record.line()), sort_keys=True)  # same content, ", " and ": " separators
    parsed = parse_record(spaced, "log", 1)
    assert parsed.model_dump() == record.model_dump() and not parsed.hash_matches()
    assert verify([parsed], headed([record])).first_bad_seq == 1


@pytest.mark.parametrize(("text", "message"), [
    ('{"seq": 1', "line 2 of the audit log is not JSON"),
    ('{"seq": 1}', "line 2 of the audit log is not an audit record"),
    ("", "line 2 of the audit log is not JSON"),
])
def test_damaged_line_is_a_located_store_error(text: str, message: str) -> None:
    good = chain(1)[0].line()
    with pytest.raises(StoreError) as caught:
        parse_log(f"{good}\n{text}\n".encode(), "dicetm-audit.jsonl")
    problem = caught.value.problems[0]
    assert message in problem.message and problem.location.file == "dicetm-audit.jsonl"
    assert problem.location.line == 2 and problem.hint


def test_missing_final_newline_and_bad_utf8_are_located() -> None:
    good = chain(1)[0].line().encode()
    with pytest.raises(StoreError, match="incomplete") as caught:
        parse_log(good + b"\n" + good, "log")
    assert caught.value.problems[0].location.line == 2
    with pytest.raises(StoreError, match="not UTF-8") as caught:
        parse_log(good[:-2] + b"\xff}\n", "log")
    assert caught.value.problems[0].location.line == 1


def test_types_are_strict() -> None:
    data = json.loads(chain(1)[0].line())
    with pytest.raises(StoreError, match="seq"):
        parse_record(json.dumps({**data, "seq": "1"}), "log", 1)
