#!/usr/bin/env python3
"""Pod start-up through containerd (`--runtime containerd`): the containerd column of bench/pods.

Starts the e2e suite's private containerd (tests/e2e/test_containerd.py: its own root, state and socket,
runc and the CNI plugins, a local registry holding the busybox and pause images) and a throw-away
`kyvern server --agent --runtime containerd` on it, pre-pulls the busybox image into containerd, then runs
run.py's rounds (1, 10 and 100 pods created at once; latency from create request to Running and Ready
in the watch) with the same pod body. Prints a table and writes bench/reports/pods-containerd-latest.md
and a dated JSON. Runs separately from run.py (built-in runc runtime and the `runc run` floor): compare
the two reports of the same machine and build.

    .venv/bin/python bench/pods/containerd.py --bin .build/release/kyvern
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "pods"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import run as podbench  # noqa: E402
from api_bench import Client, Creds, git_commit, make_namespace, pct  # noqa: E402
from test_containerd import ContainerdNode, containerd_available  # noqa: E402

REPORTS = ROOT / "bench" / "reports"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("KYVERN_BIN", str(ROOT / ".build" / "release" / "kyvern")))
    ap.add_argument("--rounds", default="1,10,100")
    ap.add_argument("--min-samples", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args()
    ok, why = containerd_available()
    if not ok:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    binary = Path(args.bin).resolve()
    sizes = [int(s) for s in args.rounds.split(",") if s.strip()]
    build = "release" if "/release/" in str(binary) else "debug" if "/debug/" in str(binary) else "unknown"
    version = subprocess.run(["containerd", "--version"], capture_output=True, text=True).stdout.strip()
    rep: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "build": build, "commit": git_commit(),
                 "containerd": version, "cpus": os.cpu_count(), "rounds": []}
    node = ContainerdNode(binary)
    watch = None
    try:
        podbench.progress(f"== containerd and kyvern server --runtime containerd ({build} build)")
        node.start()
        subprocess.run(["ctr", "--address", str(node.containerd.socket), "-n", "k8s.io", "images", "pull", "--plain-http",
                        node.image], check=True, capture_output=True, timeout=120)
        podbench.IMAGE = node.image  # pod_body reads it; the pull policy stays Never
        cc = node.cluster.creds
        creds = Creds(node.proc.port, str(cc.ca_path), cc.token, str(cc.cert_path) if cc.cert_path else None,
                      str(cc.key_path) if cc.key_path else None)
        make_namespace(creds, podbench.NAMESPACE)
        c = Client(creds)
        _, body = c.call("GET", f"/api/v1/namespaces/{podbench.NAMESPACE}/pods?limit=1")
        c.close()
        watch = podbench.PodWatch(creds, json.loads(body)["metadata"]["resourceVersion"])
        for size in sizes:
            repeats = min(20, max(1, math.ceil(args.min_samples / size)))
            podbench.progress(f"== {size} pod(s) at once, {repeats} time(s)")
            runs = []
            for i in range(repeats):
                r = podbench.run_round(creds, watch, size, i, args.timeout)
                runs.append(r)
                podbench.progress(f"  round {i + 1}/{repeats}: p50 {pct(r['latency_ms'], 50):.0f} ms, "
                                  f"max {max(r['latency_ms']):.0f} ms, all Ready in {r['wall_s']:.2f} s")
            rep["rounds"].append(podbench.summarize(size, runs))
    except Exception:
        # What the failed pods' containers say, before everything is removed.
        pods = node.cluster.get(f"/api/v1/namespaces/{podbench.NAMESPACE}/pods").json().get("items", [])
        for item in pods:
            for status in item.get("status", {}).get("containerStatuses") or []:
                waiting = status.get("state", {}).get("waiting") or status.get("lastState", {}).get("terminated")
                if waiting and waiting.get("message"):
                    print(f"  {item['metadata']['name']}: {waiting.get('reason')}: {waiting['message']}", file=sys.stderr)
        raise
    finally:
        if watch is not None:
            watch.close()
        podbench.progress("== cleaning up")
        node.stop()

    lines = ["| pods at once | samples | p50 ms | p99 ms | max ms |", "|---:|---:|---:|---:|---:|"]
    for r in rep["rounds"]:
        lines.append(f"| {r['pods']} | {r['samples']} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_report:
        REPORTS.mkdir(parents=True, exist_ok=True)
        day = dt.date.today().isoformat()
        for r in rep["rounds"]:
            r.pop("latency_ms", None)
        (REPORTS / f"pods-containerd-{day}.json").write_text(json.dumps(rep, indent=1) + "\n")
        (REPORTS / "pods-containerd-latest.md").write_text(
            f"# Pod start-up through containerd\n\n{rep['date']}, {build} build of {rep['commit']}, {version}, "
            f"{rep['cpus']} CPUs. Create request → Running and Ready in the watch.\n\n{table}\n")
        podbench.progress(f"wrote bench/reports/pods-containerd-{day}.json and pods-containerd-latest.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
