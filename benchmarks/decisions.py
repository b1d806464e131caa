"""Decision benchmark: how long one review decision takes on a model with 100 and with 1,000 threats.

Usage: python benchmarks/decisions.py [--threats 100,1000] [--decisions 20]

For each size a synthetic model (see ``scale.py``) with about that many threats is put in a workspace whose
register is already up to date, and decisions (accept, reject with a reason, in turn) are timed three ways:

- session: one ``ReviewSession`` deciding item after item, as `dicetm review` and the web workbench do;
- cold: a new process per decision, timed from the call to ``decide`` until it returns (what
  `dicetm decide` spends after starting Python and importing dicetm);
- command: `python -m dicetm.cli decide ...` from start to exit.

Median and worst time per decision are printed. Run with an older dicetm on ``PYTHONPATH`` to compare: where
there is no ``ReviewSession`` the session figures use ``dicetm.review.decide`` in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from scale import synthetic_model

REVIEWER = "Bench Reviewer <bench@example.com>"
COLD = """
import json, sys, time
from pathlib import Path
from dicetm.review import DecisionInput, decide
decision = DecisionInput(**json.loads(sys.argv[2]))
started = time.perf_counter()
decide(Path(sys.argv[1]), [decision], reviewer=sys.argv[3])
print(time.perf_counter() - started)
"""


def workspace(threats: int, workdir: Path) -> tuple[Path, list[str]]:
    """A workspace with at least ``threats`` threats, its register reconciled; returns it and the threat ids."""
    from dicetm.review import analyze_workspace

    size = max(10, threats * 3 // 4)
    while True:
        folder = workdir / f"decisions-{threats}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "dicetm.yaml").write_text(yaml.safe_dump(synthetic_model(size), sort_keys=False), encoding="utf-8")
        _loaded, register, _result = analyze_workspace(folder, write=True)
        if len(register.threats) >= threats:
            return folder, [t.id for t in register.threats]
        size = size * threats // max(1, len(register.threats)) + 5


def decisions(ids: list[str], count: int, start: int) -> list[dict[str, object]]:
    chosen = []
    for n, item in enumerate(ids[start:start + count]):
        if n % 2:
            chosen.append({"item": item, "action": "reject", "reason": "not reachable in this deployment",
                           "seconds_on_screen": 42.0})
        else:
            chosen.append({"item": item, "action": "accept", "seconds_on_screen": 42.0})
    return chosen


def in_session(folder: Path, items: list[dict[str, object]]) -> list[float]:
    from dicetm import review
    from dicetm.review import DecisionInput

    if hasattr(review, "ReviewSession"):
        session = review.ReviewSession(folder)

        def one(decision: DecisionInput) -> None:
            session.decide([decision], reviewer=REVIEWER)
    else:  # an older dicetm: what its `dicetm review` did for every decision

        def one(decision: DecisionInput) -> None:
            review.decide(folder, [decision], reviewer=REVIEWER)

    times = []
    for item in items:
        started = time.perf_counter()
        one(DecisionInput(**item))  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    return times


def cold(folder: Path, items: list[dict[str, object]]) -> list[float]:
    times = []
    for item in items:
        done = subprocess.run([sys.executable, "-c", COLD, str(folder), json.dumps(item), REVIEWER],
                              capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return times


def command(folder: Path, items: list[dict[str, object]]) -> list[float]:
    times = []
    for item in items:
        args = [sys.executable, "-m", "dicetm.cli", "decide", str(folder), str(item["item"]), f"--{item['action']}",
                "--reviewer", REVIEWER]
        if item.get("reason"):
            args += ["--reason", str(item["reason"])]
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f} / {max(times) * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threats", default="100,1000")
    parser.add_argument("--decisions", type=int, default=20, help="decisions timed per way")
    parser.add_argument("--workdir", default="/tmp/dicetm-bench")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    os.environ.setdefault("DICETM_CACHE_DIR", str(workdir / "cache"))  # keep the user's own cache out of it
    print("threats | register KB | session ms (median / worst) | cold ms | command ms")
    for wanted in (int(t) for t in args.threats.split(",")):
        folder, ids = workspace(wanted, workdir)
        count = args.decisions
        session = in_session(folder, decisions(ids, count + 1, 0))[1:]  # the first one loads the session
        fresh = cold(folder, decisions(ids, count, count + 1))
        whole = command(folder, decisions(ids, max(3, count // 4), 2 * count + 1))
        size = (folder / "dicetm-register.yaml").stat().st_size // 1024
        print(f"{len(ids)} | {size} | {_ms(session)} | {_ms(fresh)} | {_ms(whole)}")


if __name__ == "__main__":
    main()
