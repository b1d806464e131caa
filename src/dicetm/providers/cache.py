"""Valid answers kept on disk by prompt hash, so re-running a command costs nothing and gives the same result.

One JSON file per answer at ``<folder>/<hash[:2]>/<hash>.json``. The hash covers provider, model and the
whole prompt, so a different model or a changed document is simply a miss. An entry that cannot be read
or does not parse is a miss too, and is overwritten by the next valid answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from dicetm.errors import Location, Problem, StoreError
from dicetm.store.atomic import write_text_atomic

FORMAT_VERSION = 1
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    created: str  # ISO 8601, UTC


class ResponseCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, prompt_hash: str) -> Path:
        if not _HASH.fullmatch(prompt_hash):
            raise ValueError(f"not a sha256 hex digest: {prompt_hash!r}")
        return self.folder / prompt_hash[:2] / f"{prompt_hash}.json"

    def get(self, prompt_hash: str) -> CachedAnswer | None:
        try:
            data = json.loads(self.path_for(prompt_hash).read_text(encoding="utf-8"))
            if data.get("version") != FORMAT_VERSION or data.get("prompt_hash") != prompt_hash:
                return None
            return CachedAnswer(text=str(data["text"]), model=str(data["model"]),
                                input_tokens=int(data["input_tokens"]), output_tokens=int(data["output_tokens"]),
                                created=str(data["created"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, prompt_hash: str, text: str, *, model: str, input_tokens: int, output_tokens: int) -> CachedAnswer:
        entry = CachedAnswer(text=text, model=model, input_tokens=input_tokens, output_tokens=output_tokens,
                             created=datetime.now(UTC).isoformat(timespec="seconds"))
        path = self.path_for(prompt_hash)
        record = {"version": FORMAT_VERSION, "prompt_hash": prompt_hash, **asdict(entry)}
        try:
            write_text_atomic(path, json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        except OSError as exc:
            raise StoreError([Problem(f"cannot write the LLM answer cache: {exc.strerror or exc}",
                                      Location(file=str(path)),
                                      hint="check the folder's permissions and free space, or run with --no-cache")
                              ]) from None
        return entry
