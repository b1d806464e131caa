"""Workbench benchmark: how long each page takes to render and each decision takes to complete on a model with
about 1,000 threats (the targets of issue 11: pages <= 300 ms, decisions <= 150 ms).

Usage: python benchmarks/workbench.py [--threats 1000] [--repeat 5] [--decisions 10]

The model is the synthetic one of ``benchmarks/scale.py``, grown until the analysis lists the wanted number of
threats, written to a temporary workspace. Requests go through FastAPI's TestClient (in process, so no network
time is counted); each page is fetched ``--repeat`` times and the median and the slowest are printed. Decisions
are accepts of the first item of the review queue, as a reviewer clicks through it, each a POST /decide that
returns once the register and the audit log are written.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from scale import synthetic_model

STAMP = re.compile(r'name="item" value="([^"]+)">\s*<input type="hidden" name="shown" value="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def build_workspace(folder: Path, wanted: int) -> tuple[int, int]:
    """Write the smallest synthetic model (in steps of 25 elements) with at least ``wanted`` threats."""
    from dicetm.errors import InputError
    from dicetm.pipeline.run import analyze
    from dicetm.store.modelfile import parse_system_text

    size = max(25, wanted * 2 // 3 // 25 * 25)
    while True:
        text = yaml.safe_dump(synthetic_model(size), sort_keys=False)
        try:
            threats = len(analyze(parse_system_text(text, "dicetm.yaml").system).threats)
        except InputError:  # some sizes make a ring flow start and end at one element; try the next size
            size += 25
            continue
        if threats >= wanted:
            (folder / "dicetm.yaml").write_text(text, encoding="utf-8")
            return size, threats
        size += 25


def timed(call: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()  # type: ignore[operator]
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threats", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=10)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from dicetm.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="dicetm-workbench-") as name:
        folder = Path(name)
        elements, threats = build_workspace(folder, args.threats)
        print(f"model: {elements} elements, {elements} flows, {threats} threats")
        with TestClient(create_app(folder), base_url="http://127.0.0.1") as http:
            csrf = CSRF.search(http.get("/whoami").text).group(1)  # type: ignore[union-attr]
            http.post("/whoami", data={"csrf": csrf, "reviewer": "Bench Mark", "next": "/"},
                      follow_redirects=False)  # the first visit of each page is measured below (max ms)
            first_threat = STAMP.findall(http.get("/review").text)[0][0]
            pages = ["/", "/threats", f"/threats/{first_threat}", "/review", "/countermeasures", "/risks",
                     "/evaluate", "/elements/e1", "/model", "/model/elements/e1", "/iterations"]
            print(f"{'page':<34} {'median ms':>10} {'max ms':>8} {'KB':>7}")
            for page in pages:
                times, size = [], 0
                for _ in range(args.repeat):
                    seconds, response = timed(lambda page=page: http.get(page))
                    assert response.status_code == 200, (page, response.status_code)  # type: ignore[attr-defined]
                    times.append(seconds)
                    size = len(response.content)  # type: ignore[attr-defined]
                print(f"{page[:34]:<34} {statistics.median(times) * 1000:>10.0f} {max(times) * 1000:>8.0f} "
                      f"{size / 1024:>7.0f}")
            workbench = http.app.state.ui.workbench  # type: ignore[attr-defined]
            snapshots = [timed(workbench.snapshot)[0] for _ in range(args.repeat)]
            print(f"{'(of each page: analysis, snapshot())':<34} {statistics.median(snapshots) * 1000:>10.0f} "
                  f"{max(snapshots) * 1000:>8.0f}")
            decisions = []
            for _ in range(args.decisions):
                item, stamp = STAMP.findall(http.get("/review").text)[0]
                seconds, response = timed(lambda item=item, stamp=stamp: http.post(
                    "/decide", data={"csrf": csrf, "item": item, "action": "accept", "shown": stamp,
                                     "next": "/review"}, follow_redirects=False))
                assert response.status_code == 303, response  # type: ignore[attr-defined]
                decisions.append(seconds)
            print(f"{'decision (POST /decide, accept)':<34} {statistics.median(decisions) * 1000:>10.0f} "
                  f"{max(decisions) * 1000:>8.0f}")


if __name__ == "__main__":
    main()
