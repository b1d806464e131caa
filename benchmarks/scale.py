"""Scale benchmark: synthetic models of growing size, wall time and peak memory per phase.

Usage: python benchmarks/scale.py [--sizes 100,1000,5000,10000]

Each size runs in a fresh child process so its peak RSS is its own. A model of N elements has N flows,
mixes classic and AI kinds, sits in trust boundaries of 50 elements each, and is written as YAML so
loading and validation are measured too.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

KINDS = ["external_entity", "process", "data_store", "llm", "agent", "tool", "vector_store", "retriever",
         "knowledge_source", "embedding_pipeline", "memory", "log_store", "model_provider", "guardrail",
         "training_data", "fine_tuning_pipeline"]


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
    # A ring plus chords, so every element has flows and paths are long.
    flows = [{"id": f"f{i}", "source": f"e{i}", "target": f"e{(i * 7 + 1) % size}", "data": f"data {i}",
              "encrypted": i % 5 != 0, "authenticated": i % 3 != 0 if i % 2 else None} for i in range(size)]
    boundaries = [{"id": f"b{j}", "name": f"zone {j}",
                   "elements": [f"e{i}" for i in range(j * 50, min(size, (j + 1) * 50))]}
                  for j in range((size + 49) // 50)]
    return {"version": 1, "name": f"synthetic {size}", "elements": elements, "flows": flows,
            "trust_boundaries": boundaries}


def measure_one(size: int, workdir: Path) -> dict[str, float]:
    from dicetm.pipeline.run import analyze
    from dicetm.report.dfd import svg
    from dicetm.report.html import render_html
    from dicetm.report.json_out import render_json
    from dicetm.store.modelfile import load_system

    path = workdir / f"model-{size}.yaml"
    path.write_text(yaml.safe_dump(synthetic_model(size), sort_keys=False), encoding="utf-8")
    started = time.perf_counter()
    loaded = load_system(path)
    loaded_at = time.perf_counter()
    result = analyze(loaded.system)
    analysed_at = time.perf_counter()
    json_text = render_json(result)
    json_at = time.perf_counter()
    html = render_html(result, loaded.system, svg(loaded.system))
    html_at = time.perf_counter()
    return {
        "elements": size, "flows": size, "threats": len(result.threats), "raw_findings": result.raw_findings,
        "load_s": loaded_at - started, "analyze_s": analysed_at - loaded_at, "json_s": json_at - analysed_at,
        "load_analyze_json_s": json_at - started, "html_s": html_at - json_at,
        "html_mb": len(html) / 1e6, "json_mb": len(json_text) / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,5000,10000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default="/tmp/dicetm-bench", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(measure_one(args.one, workdir)))
        return
    header = ("elements", "flows", "threats", "raw", "load s", "analyze s", "json s", "load+analyze+json s",
              "html s", "html MB", "peak RSS MB")
    print(" | ".join(header))
    for size in (int(s) for s in args.sizes.split(",")):
        child = subprocess.run([sys.executable, __file__, "--one", str(size), "--workdir", str(workdir)],
                               capture_output=True, text=True, check=True)
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(" | ".join([str(r["elements"]), str(r["flows"]), str(r["threats"]), str(r["raw_findings"]),
                          f"{r['load_s']:.2f}", f"{r['analyze_s']:.2f}", f"{r['json_s']:.2f}",
                          f"{r['load_analyze_json_s']:.2f}", f"{r['html_s']:.2f}", f"{r['html_mb']:.1f}",
                          f"{r['peak_rss_mb']:.0f}"]))


if __name__ == "__main__":
    main()
