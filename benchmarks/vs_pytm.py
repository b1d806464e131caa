"""Side by side with pytm: the same synthetic systems analysed by `dicetm analyze` and by a pytm script.

Usage: python benchmarks/vs_pytm.py --pytm-python PYTHON [--sizes 1000,5000,10000] [--repeat 3]

PYTHON is an interpreter that can import pytm (pytm is not a dependency of dicetm: make a separate venv,
`python3 -m venv /tmp/pytm && /tmp/pytm/bin/pip install pytm==1.4.0`). For each size the synthetic model of
`scale.py` (N elements, N flows, trust boundaries of 50 elements) is written twice: as `dicetm.yaml` and as a
pytm script building the same elements, boundaries and flows (dicetm kinds mapped to pytm's nearest classes).
The runs are interleaved (dicetm, pytm, dicetm, pytm ...) so both see the same machine load, and each figure is
the median wall-clock time of the runs:

- `dicetm analyze MODEL --out DIR`: all four outputs (Markdown, HTML, JSON, CSV);
- `dicetm report MODEL -f json`: the JSON report alone;
- `python tm.py --json OUT`: pytm's threat resolution and JSON output (pytm's fastest complete output).

It prints each figure with its CPU seconds (user + system, which a busy machine disturbs less than wall-clock
time), the number of threats (dicetm) and findings (pytm) each tool reports, and dicetm's wall-clock time as a
share of pytm's.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import synthetic_model

PYTM_CLASS = {"external_entity": "Actor", "llm": "LLM", "agent": "Agent", "data_store": "Datastore",
              "vector_store": "Datastore", "log_store": "Datastore", "memory": "Datastore",
              "training_data": "Datastore", "knowledge_source": "Datastore"}


def pytm_script(model: dict) -> str:
    """A pytm script that builds the model's elements, boundaries and flows, then runs pytm's own CLI."""
    lines = ["from pytm import TM, Actor, Agent, Boundary, Dataflow, Datastore, LLM, Process",
             f"tm = TM({model['name']!r})", "tm.description = 'synthetic model from benchmarks/vs_pytm.py'",
             "b = {}", "e = {}"]
    zone_of = {}
    for boundary in model["trust_boundaries"]:
        lines.append(f"b[{boundary['id']!r}] = Boundary({boundary['name']!r})")
        zone_of.update({element: boundary["id"] for element in boundary["elements"]})
    for element in model["elements"]:
        cls = PYTM_CLASS.get(element["kind"], "Process")
        lines.append(f"e[{element['id']!r}] = {cls}({element['name']!r}, "
                     f"inBoundary=b[{zone_of[element['id']]!r}])")
    for flow in model["flows"]:
        lines.append(f"Dataflow(e[{flow['source']!r}], e[{flow['target']!r}], {flow['data']!r}, "
                     f"isEncrypted={bool(flow['encrypted'])}, "
                     f"authenticatesSource={bool(flow['authenticated'])})")
    lines.append("tm.process()")
    return "\n".join(lines) + "\n"


def timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, with the command's own children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(size: int, pytm_python: str, repeat: int, workdir: Path) -> dict[str, float]:
    model = synthetic_model(size)
    folder = workdir / f"model-{size}"
    folder.mkdir()
    (folder / "dicetm.yaml").write_text(yaml.safe_dump(model, sort_keys=False), encoding="utf-8")
    script = workdir / f"tm_{size}.py"
    script.write_text(pytm_script(model), encoding="utf-8")
    dicetm = [sys.executable, "-m", "dicetm.cli"]
    commands = {"analyze": [*dicetm, "analyze", str(folder), "--out", str(workdir / f"out-{size}")],
                "json": [*dicetm, "report", str(folder), "-f", "json", "-o", str(workdir / f"dicetm-{size}.json")],
                "pytm": [pytm_python, str(script), "--json", str(workdir / f"pytm-{size}.json")]}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(timed(command))
    figures = {}
    for name, values in runs.items():
        figures[name] = statistics.median(wall for wall, _cpu in values)
        figures[f"{name} cpu"] = statistics.median(cpu for _wall, cpu in values)
    dicetm_out = json.loads((workdir / f"dicetm-{size}.json").read_text(encoding="utf-8"))
    figures["dicetm threats"] = len(dicetm_out["threats"])
    pytm_out = json.loads((workdir / f"pytm-{size}.json").read_text(encoding="utf-8"))
    figures["pytm findings"] = len(pytm_out.get("findings", []))
    return figures


def _pair(figures: dict[str, float], name: str) -> str:
    return f"{figures[name]:.2f} ({figures[name + ' cpu']:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pytm-python", required=True, help="an interpreter that can import pytm")
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    probe = subprocess.run([args.pytm_python, "-c", "import importlib.metadata as m; print(m.version('pytm'))"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SystemExit(f"{args.pytm_python} cannot import pytm: {probe.stderr.strip()[-300:]}\n"
                         "hint: python3 -m venv /tmp/pytm && /tmp/pytm/bin/pip install pytm==1.4.0")
    print(f"pytm {probe.stdout.strip()}, median of {args.repeat} interleaved runs: wall-clock seconds "
          "(CPU seconds in brackets)")
    print(f"{'elements':>8} {'analyze':>14} {'json':>14} {'pytm':>16} {'analyze/pytm':>12} {'json/pytm':>9} "
          f"{'dicetm threats':>14} {'pytm findings':>13}")
    with tempfile.TemporaryDirectory(prefix="dicetm-vs-pytm-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            f = measure(size, args.pytm_python, args.repeat, Path(tmp))
            print(f"{size:>8} {_pair(f, 'analyze'):>14} {_pair(f, 'json'):>14} {_pair(f, 'pytm'):>16} "
                  f"{f['analyze'] / f['pytm']:>12.3f} {f['json'] / f['pytm']:>9.3f} "
                  f"{int(f['dicetm threats']):>14} {int(f['pytm findings']):>13}", flush=True)


if __name__ == "__main__":
    main()
