"""Scale benchmark: `dicetm analyze` on synthetic models of growing size, wall time and peak memory per phase.

Usage: python benchmarks/scale.py [--sizes 1000,5000,10000,20000] [--workspace] [--repeat 1] [--best]

A model of N elements has N flows, mixes classic and AI kinds, sits in trust boundaries of 50 elements each,
and is written as YAML, so loading and validation are measured too. Each size runs in fresh child processes:

- the phases, timed inside one child through the calls `dicetm analyze` makes (load, analyse with the
  register when there is one, render each of the four outputs into the bytes written, write them), in CPU
  seconds of that process; "children cpu-s" is the CPU time of the processes it started meanwhile (the child
  that runs part of a large model's rules, the Graphviz runs);
- the command itself, `python -m dicetm.cli analyze MODEL --out DIR`, timed from outside: wall-clock and CPU
  seconds (with the Graphviz runs and the child that renders reports beside the HTML page), and its peak RSS
  (the largest of the process and its children; they share most of their memory);
- "start-up cpu-s": the part of that which is Python starting and importing what `dicetm analyze` imports.

The package's modules are compiled to bytecode first, as pip does when it installs dicetm: with
PYTHONDONTWRITEBYTECODE set and no compiled files, every command would compile them again (a quarter of a
CPU second that no installed copy spends).

``--workspace`` first gives the model a review register (one decision), so the analysis reconciles the
register and overlays its decisions, as it does in a real workspace. Figures are wall-clock seconds on
whatever else the machine is doing: CPU seconds vary far less than wall-clock seconds on a busy machine, but
still compare runs made side by side. With ``--repeat`` each figure is the median of the runs (with ``--best``
the smallest, which is the closest to an idle machine); "load avg" is the machine's one-minute load average as
each command started: above the number of cores, wall-clock figures mostly measure the other work.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

KINDS = ["external_entity", "process", "data_store", "llm", "agent", "tool", "vector_store", "retriever",
         "knowledge_source", "embedding_pipeline", "memory", "log_store", "model_provider", "guardrail",
         "training_data", "fine_tuning_pipeline"]
PHASES = ("load", "analyse", "md", "html", "json", "csv", "write")


def synthetic_model(size: int) -> dict[str, object]:
    elements: list[dict[str, object]] = []
    for i in range(size):
        kind = KINDS[i % len(KINDS)]
        element: dict[str, object] = {"id": f"e{i}", "name": f"{kind.replace('_', ' ')} {i}", "kind": kind}
        if i % 3 == 0:
            element["exposure"] = "internet"
        if i % 4 == 0:
            element["classification"] = ["internal", "confidential", "personal", "secret"][i // 4 % 4]
        if kind == "tool":
            element["permissions"] = ["read", "write"] if i % 2 else ["read"]
            element["acts_on"] = f"e{(i + 1) % size}"
        if kind in ("llm", "agent"):
            element["output_rendered_as"] = ["markdown"] if i % 2 else ["html", "sql"]
        elements.append(element)
    # A ring plus chords, so every element has flows and paths are long (never a flow from an element to itself).
    targets = [(i * 7 + 1) % size if (i * 7 + 1) % size != i else (i + 1) % size for i in range(size)]
    flows = [{"id": f"f{i}", "source": f"e{i}", "target": f"e{targets[i]}", "data": f"data {i}",
              "encrypted": i % 5 != 0, "authenticated": i % 3 != 0 if i % 2 else None} for i in range(size)]
    boundaries = [{"id": f"b{j}", "name": f"zone {j}",
                   "elements": [f"e{i}" for i in range(j * 50, min(size, (j + 1) * 50))]}
                  for j in range((size + 49) // 50)]
    return {"version": 1, "name": f"synthetic {size}", "elements": elements, "flows": flows,
            "trust_boundaries": boundaries}


def prepare(size: int, workdir: Path, workspace: bool) -> Path:
    """A folder holding the synthetic model (and, with ``workspace``, a register with one decision)."""
    folder = workdir / f"{'ws' if workspace else 'model'}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "dicetm.yaml").write_text(yaml.safe_dump(synthetic_model(size), sort_keys=False), encoding="utf-8")
    if workspace:  # through the functions every dicetm release has, so older ones can be measured too
        from dicetm.review import DecisionInput, analyze_workspace, decide

        _loaded, register, _result = analyze_workspace(folder, write=True)
        decide(folder, [DecisionInput(item=register.threats[0].id, action="accept")], reviewer="Bench <b@x>")
    return folder


def phases(folder: Path, out_dir: Path) -> dict[str, float]:
    """The steps of `dicetm analyze` (see ``dicetm.api.write_analysis``), each timed."""
    import dicetm.report
    from dicetm.api import load
    from dicetm.pipeline.run import analyze
    from dicetm.report import FORMATS, OUTPUT_NAMES, render
    from dicetm.review import analyze_workspace
    from dicetm.store.atomic import write_bytes_atomic
    from dicetm.store.workspace import Workspace

    def rendered(fmt: str) -> list[bytes]:
        """The report's bytes as ``write_outputs`` makes them (in chunks, where the release writes chunks)."""
        if hasattr(dicetm.report, "chunks_of"):
            return list(dicetm.report.chunks_of(fmt, result, loaded.system))
        return [render(fmt, result, loaded.system).encode("utf-8")]

    figures: dict[str, float] = {}
    clock = time.process_time
    children_before = _children_cpu()
    started = clock()
    loaded = load(folder)
    figures["load"] = clock() - started
    started = clock()
    if Workspace.open(loaded.path).exists():
        loaded, _register, result = analyze_workspace(loaded.path, write=True, loaded=loaded)
    else:
        result = analyze(loaded.system, source=str(loaded.path), proposals=loaded.proposals)
    figures["analyse"] = clock() - started
    outputs = []
    for fmt in FORMATS:
        started = clock()
        outputs.append(rendered(fmt))
        figures[fmt] = clock() - started
    started = clock()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, parts in zip(OUTPUT_NAMES, outputs, strict=True):
        write_bytes_atomic(out_dir / name, b"".join(parts))
    figures["write"] = clock() - started
    figures["children_cpu"] = _children_cpu() - children_before
    figures["threats"] = len(result.threats)
    figures["outputs_mb"] = sum(len(part) for parts in outputs for part in parts) / 1e6
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command(folder: Path, out_dir: Path) -> dict[str, float]:
    """`dicetm analyze` as a user runs it: wall time and peak RSS of the whole process."""
    wall, cpu, rss = _timed([sys.executable, "-m", "dicetm.cli", "analyze", str(folder), "--out", str(out_dir)])
    _wall, start_up, _rss = _timed([sys.executable, "-c", "import dicetm.cli, dicetm.api, dicetm.report"])
    return {"cli_s": wall, "cli_cpu_s": cpu, "cli_rss_mb": rss, "start_up_cpu_s": start_up}


def _timed(args: list[str]) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds and peak RSS (MB) of a command, which must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[1:])} failed: {child.stderr.read().decode() if child.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000,10000,20000")
    parser.add_argument("--workspace", action="store_true", help="analyse in a workspace with a register")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median of each figure is shown")
    parser.add_argument("--best", action="store_true", help="show the smallest of the runs instead of the median")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default="/tmp/dicetm-bench", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    os.environ.setdefault("DICETM_CACHE_DIR", str(workdir / "cache"))  # keep the user's own cache out of it
    if args.one:
        folder = workdir / f"{'ws' if args.workspace else 'model'}-{args.one}"
        print(json.dumps(phases(folder, workdir / f"out-{args.one}")))
        return
    import dicetm

    compileall.compile_dir(Path(dicetm.__file__).parent, quiet=1)
    header = ("elements", "threats", *(f"{p} cpu-s" for p in PHASES), "sum cpu-s", "children cpu-s", "peak RSS MB",
              "dicetm analyze s", "its cpu-s", "start-up cpu-s", "its RSS MB", "outputs MB", "load avg")
    print(" | ".join(header))
    totals: dict[int, float] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        runs = []
        for _ in range(args.repeat):
            folder = _prepared(size, workdir, args.workspace)
            flags = ["--workspace"] if args.workspace else []
            child = subprocess.run([sys.executable, __file__, "--one", str(size), "--workdir", str(workdir), *flags],
                                   capture_output=True, text=True, check=True)
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            folder = _prepared(size, workdir, args.workspace)
            figures["load_avg"] = os.getloadavg()[0]
            figures.update(command(folder, workdir / f"cli-out-{size}"))
            runs.append(figures)
        pick = min if args.best else statistics.median
        best = {key: pick(run[key] for run in runs) for key in runs[0]}
        totals[size] = best["cli_cpu_s"]
        inside = sum(best[p] for p in PHASES)
        print(" | ".join([str(size), str(int(best["threats"])), *(f"{best[p]:.2f}" for p in PHASES), f"{inside:.2f}",
                          f"{best['children_cpu']:.2f}", f"{best['peak_rss_mb']:.0f}", f"{best['cli_s']:.2f}",
                          f"{best['cli_cpu_s']:.2f}", f"{best['start_up_cpu_s']:.2f}", f"{best['cli_rss_mb']:.0f}",
                          f"{best['outputs_mb']:.0f}", f"{best['load_avg']:.1f}"]))
    sizes = sorted(totals)
    for small, large in itertools.pairwise(sizes):
        print(f"{small} -> {large} elements: dicetm analyze takes {totals[large] / totals[small]:.2f}x the CPU time "
              f"for {large / small:.1f}x the model")


def _prepared(size: int, workdir: Path, workspace: bool) -> Path:
    """A fresh copy of the prepared folder, so every run starts from the same files (a workspace's register)."""
    source = workdir / f"source-{'ws' if workspace else 'model'}-{size}"
    if not source.exists():
        shutil.copytree(prepare(size, workdir, workspace), source)
    folder = workdir / f"{'ws' if workspace else 'model'}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source, folder)
    return folder


if __name__ == "__main__":
    main()
