#!/usr/bin/env python3
"""Storage benchmark: claims of the default `local-path` class with one pod each, on the real node agent (runc).

Starts a throw-away `kyvern server --agent` (tests/e2e/node_cluster.py), then:

- the floor: `mkdir` of N directories like the ones the provisioner makes (same parent, same names), one
  at a time, each timed (the part of provisioning that touches the disk);
- rounds of N claims (WaitForFirstConsumer, so binding starts when the pod is scheduled) each with a pod
  (`sleep 3600`, mounting its claim), all created at once (claim first, then its pod; up to 16 client
  threads). Per claim: claim create request → first watch event showing it Bound; per pod: pod create
  request → first watch event showing it Running and Ready. Every round's pods and claims are deleted
  and gone (volumes and directories included) before the next;
- where the time goes: the first watch event of each intermediate step (the scheduler's selected-node
  annotation, the binder handing the claim to the provisioner, the volume created, the volume Bound, the
  claim naming its volume, the pod bound to the node), as p50/p99 from the same create requests.

Prints progress and a table, writes `bench/reports/storage-<date>.json` and `bench/reports/storage-latest.md`.
Everything the run made is removed at the end, also when it fails. Needs root, runc and the CNI plugins.

    .venv/bin/python bench/storage/run.py --bin .build/release/kyvern
    .venv/bin/python bench/storage/run.py --bin .build/debug/kyvern --rounds 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from api_bench import Client, Creds, cpu_model, fmt, git_commit, make_namespace, pct  # noqa: E402
from node_cluster import IMAGE, NodeCluster, runc_available  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
NAMESPACE = "storagebench"
TARGET_P99_MS = 1000.0  # claim → Bound p99 (issue 11)


def progress(msg: str) -> None:
    print(msg, flush=True)


def claim_body(name: str) -> bytes:
    return json.dumps({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": NAMESPACE},
                       "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "16Mi"}}}}).encode()


def pod_body(name: str, claim: str) -> bytes:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "Never", "command": ["sleep", "3600"],
                                 "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]},
    }).encode()


class Watch:
    """Watches one resource (of the bench namespace unless cluster-scoped); records per name when an
    event first satisfied `done(object)` and when it was deleted, and when each of `stages` first held
    (intermediate steps, to see where the time goes). `key` names an object (default: its name)."""

    def __init__(self, creds: Creds, resource: str, resource_version: str, done, stages: dict | None = None,
                 key=None, cluster_scoped: bool = False):
        self.conn = creds.connect()
        self.conn.sock.settimeout(None)
        path = f"/api/v1/{resource}" if cluster_scoped else f"/api/v1/namespaces/{NAMESPACE}/{resource}"
        self.stages = stages or {}
        self.stage_times: dict[str, dict[str, float]] = {s: {} for s in self.stages}
        self.key = key or (lambda obj: obj.get("metadata", {}).get("name"))
        self.conn.request("GET", f"{path}?watch=true&resourceVersion={resource_version}"
                                 f"&timeoutSeconds=3600", headers=creds.headers())
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"watch {resource} -> {self.resp.status}")
        self.done_when = done
        self.done: dict[str, float] = {}
        self.deleted: dict[str, float] = {}
        self.changed = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.resp.read1(1 << 16)
            except Exception:
                chunk = b""
            now = time.perf_counter()
            with self.changed:
                if not chunk:
                    self.closed = True
                    self.changed.notify_all()
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    obj = event.get("object", {})
                    name = self.key(obj)
                    if not name:
                        continue
                    if event.get("type") == "DELETED":
                        self.deleted.setdefault(name, now)
                        continue
                    if self.done_when(obj):
                        self.done.setdefault(name, now)
                    for stage, holds in self.stages.items():
                        if holds(obj):
                            self.stage_times[stage].setdefault(name, now)
                self.changed.notify_all()

    def wait(self, names: list[str], table: str, timeout: float, label: str) -> None:
        deadline = time.perf_counter() + timeout
        last = -1
        with self.changed:
            while True:
                got = getattr(self, table)
                count = sum(1 for n in names if n in got)
                if count >= len(names):
                    return
                now = time.perf_counter()
                if now >= deadline:
                    raise RuntimeError(f"only {count}/{len(names)} {label} after {timeout:.0f} s")
                if self.closed:
                    raise RuntimeError("a watch ended")
                if count != last and len(names) > 1:
                    progress(f"    {label}: {count}/{len(names)}")
                    last = count
                self.changed.wait(min(1.0, deadline - now))

    def close(self) -> None:
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def is_bound(obj: dict) -> bool:
    return obj.get("status", {}).get("phase") == "Bound"


def annotated(key: str):
    return lambda obj: key in (obj.get("metadata", {}).get("annotations") or {})


# Intermediate steps of a WaitForFirstConsumer claim and its pod, in the order they happen.
CLAIM_STAGES = {"scheduler: selected-node set": annotated("volume.kubernetes.io/selected-node"),
                "binder: handed to provisioner": annotated("volume.kubernetes.io/storage-provisioner"),
                "binder: claim names volume": lambda o: bool(o.get("spec", {}).get("volumeName"))}
VOLUME_STAGES = {"provisioner: volume created": lambda o: True,
                 "binder: volume Bound": lambda o: o.get("status", {}).get("phase") == "Bound"}
POD_STAGES = {"scheduler: pod bound to node": lambda o: bool(o.get("spec", {}).get("nodeName"))}


def claim_of_volume(obj: dict) -> str | None:
    ref = obj.get("spec", {}).get("claimRef") or {}
    return ref.get("name") if ref.get("namespace") == NAMESPACE else None


def is_ready(obj: dict) -> bool:
    status = obj.get("status", {})
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))


def measure_floor(parent: Path, count: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="floor-", dir=parent))
    times = []
    try:
        for i in range(count):
            path = work / f"pvc-{i:08d}-0000-0000-0000-000000000000_{NAMESPACE}_claim-{i:03d}"
            t0 = time.perf_counter()
            os.mkdir(path)
            os.chmod(path, 0o777)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"runs": count, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "max_ms": max(times)}


def stage_summary(names: list[str], sent: dict[str, float], watch: Watch) -> list[dict]:
    rows = []
    for stage, seen in watch.stage_times.items():
        times = [(seen[n] - sent[n]) * 1000 for n in names if n in seen]
        if times:
            rows.append({"stage": stage, "samples": len(times), "p50_ms": pct(times, 50), "p99_ms": pct(times, 99)})
    return rows


QUEUES = ("persistentvolume-binder", "volume-provisioner")


def queue_totals(creds: Creds) -> dict[str, dict[str, float]]:
    """Per controller: the sums and counts of `workqueue_queue_duration_seconds` (a key waiting for a worker)
    and `workqueue_work_duration_seconds` (a sync), from the server's /metrics."""
    c = Client(creds)
    try:
        status, body = c.call("GET", "/metrics")
    finally:
        c.close()
    out: dict[str, dict[str, float]] = {}
    if status != 200:
        return out
    for line in body.decode(errors="replace").splitlines():
        for metric in ("workqueue_queue_duration_seconds", "workqueue_work_duration_seconds"):
            for part in ("_sum", "_count"):
                prefix = metric + part + "{"
                if not line.startswith(prefix):
                    continue
                labels, _, number = line[len(prefix):].partition("} ")
                name = next((v.strip('"') for k, _, v in (kv.partition("=") for kv in labels.split(",")) if k == "name"), "")
                if name in QUEUES:
                    out.setdefault(name, {})[metric + part] = float(number)
    return out


def queue_summary(before: dict, after: dict) -> list[dict]:
    """Mean wait for a worker and mean sync time per controller over a round (deltas of the totals)."""
    rows = []
    for name in QUEUES:
        a, b = after.get(name, {}), before.get(name, {})
        def delta(key: str) -> float:
            return a.get(key, 0.0) - b.get(key, 0.0)
        waits, works = delta("workqueue_queue_duration_seconds_count"), delta("workqueue_work_duration_seconds_count")
        if works <= 0:
            continue
        rows.append({"controller": name, "syncs": int(works),
                     "mean_wait_ms": delta("workqueue_queue_duration_seconds_sum") / waits * 1000 if waits > 0 else 0.0,
                     "mean_sync_ms": delta("workqueue_work_duration_seconds_sum") / works * 1000})
    return rows


def run_round(creds: Creds, claims: Watch, pods: Watch, volumes: Watch, size: int, index: int, timeout: float) -> dict:
    names = [f"s{index}-{i:03d}" for i in range(size)]
    sent_claim: dict[str, float] = {}
    sent_pod: dict[str, float] = {}
    errors: list[str] = []
    threads = min(16, size)

    def work(chunk: list[str]) -> None:
        c = Client(creds)
        try:
            for name in chunk:
                sent_claim[name] = time.perf_counter()
                status, data = c.call("POST", f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims", claim_body(name))
                if status != 201:
                    errors.append(f"claim {name}: {status} {data[:200]!r}")
                    return
                sent_pod[name] = time.perf_counter()
                status, data = c.call("POST", f"/api/v1/namespaces/{NAMESPACE}/pods", pod_body(name, name))
                if status != 201:
                    errors.append(f"pod {name}: {status} {data[:200]!r}")
                    return
        finally:
            c.close()

    queues_before = queue_totals(creds)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, [names[i::threads] for i in range(threads)]))
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    claims.wait(names, "done", timeout, "claims Bound")
    pods.wait(names, "done", timeout, "pods Running and Ready")
    wall = time.perf_counter() - t0
    queues = queue_summary(queues_before, queue_totals(creds))
    bound_ms = [(claims.done[n] - sent_claim[n]) * 1000 for n in names]
    running_ms = [(pods.done[n] - sent_pod[n]) * 1000 for n in names]
    # Claim stages from the claim's create request, pod stages from the pod's.
    stages = (stage_summary(names, sent_claim, claims) + stage_summary(names, sent_claim, volumes)
              + stage_summary(names, sent_pod, pods))

    # Each claim's own steps in ms from the round's start, for --timeline.
    timeline = {n: {"claim sent": sent_claim[n], "pod sent": sent_pod[n], "claim Bound": claims.done[n],
                    "pod Running": pods.done[n],
                    **{s: t[n] for w in (claims, volumes, pods) for s, t in w.stage_times.items() if n in t}}
                for n in names}
    timeline = {"start (perf_counter s)": t0,
                "claims": {n: {k: round((v - t0) * 1000, 1) for k, v in sorted(steps.items(), key=lambda kv: kv[1])}
                           for n, steps in timeline.items()}}

    t1 = time.perf_counter()
    c = Client(creds)
    try:
        for name in names:
            c.call("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/{name}?gracePeriodSeconds=0")
            c.call("DELETE", f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/{name}")
    finally:
        c.close()
    pods.wait(names, "deleted", timeout, "pods deleted")
    claims.wait(names, "deleted", timeout, "claims deleted")
    for w in (claims, pods, volumes):
        for seen in w.stage_times.values():
            for n in names:
                seen.pop(n, None)
    return {"bound_ms": bound_ms, "running_ms": running_ms, "wall_s": wall, "delete_s": time.perf_counter() - t1,
            "stages": stages, "queues": queues, "timeline": timeline}


def wait_volumes_gone(creds: Creds, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    c = Client(creds)
    try:
        while time.perf_counter() < deadline:
            status, body = c.call("GET", "/api/v1/persistentvolumes")
            if status == 200 and not json.loads(body)["items"]:
                return
            time.sleep(0.2)
    finally:
        c.close()
    raise RuntimeError("provisioned volumes were not all deleted")


def render_markdown(rep: dict) -> str:
    m = rep["machine"]
    L = [f"# Storage benchmark — {rep['date']}", "",
         f"Binary `{rep['binary']}` ({rep['build']} build, commit {rep['commit']}), {m['cpus']} × {m['cpu']}, kernel "
         f"{m['kernel']}. `kyvern server --agent` (runc). Each round creates N claims of the default `local-path` class "
         f"(WaitForFirstConsumer) and a pod per claim, all at once (up to 16 client threads). Bound = claim create "
         f"request → watch event with phase Bound; Running = pod create request → watch event Running and Ready.", "",
         "| what | samples | p50 ms | p99 ms | max ms | round wall s |", "|---|---:|---:|---:|---:|---:|"]
    f = rep["floor"]
    L.append(f"| floor: `mkdir` of a claim directory | {f['runs']} | {fmt(f['p50_ms'])} | {fmt(f['p99_ms'])} | {fmt(f['max_ms'])} | |")
    for r in rep["rounds"]:
        L.append(f"| {r['claims']} claims: claim → Bound | {r['claims']} | {fmt(r['bound_p50_ms'])} | {fmt(r['bound_p99_ms'])} | "
                 f"{fmt(r['bound_max_ms'])} | {fmt(r['wall_s'])} |")
        L.append(f"| {r['claims']} claims: pod → Running | {r['claims']} | {fmt(r['running_p50_ms'])} | {fmt(r['running_p99_ms'])} | "
                 f"{fmt(r['running_max_ms'])} | |")
    last = rep["rounds"][-1] if rep["rounds"] else None
    if last and last.get("stages"):
        L += ["", f"Where the time goes at {last['claims']} claims (each step's first watch event; claim steps from the claim's "
                  f"create request, pod steps from the pod's):", "", "| step | samples | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
        for st in last["stages"]:
            L.append(f"| {st['stage']} | {st['samples']} | {fmt(st['p50_ms'])} | {fmt(st['p99_ms'])} |")
    if last and last.get("queues"):
        L += ["", f"Work queues at {last['claims']} claims (from the server's `workqueue_*_duration_seconds`, until every pod "
                  f"ran; a sync includes its API writes):", "",
              "| controller | syncs | mean wait for a worker ms | mean sync ms |", "|---|---:|---:|---:|"]
        for q in last["queues"]:
            L.append(f"| {q['controller']} | {q['syncs']} | {fmt(q['mean_wait_ms'])} | {fmt(q['mean_sync_ms'])} |")
    L += ["", "| target | measured | goal | |", "|---|---|---|---|"]
    for t in rep["targets"]:
        L.append(f"| {t['name']} | {fmt(t['measured'])} ms | {t['goal']} | {'met' if t['met'] else 'not met'} |")
    L.append("")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("KYVERN_BIN", str(ROOT / ".build" / "release" / "kyvern")))
    ap.add_argument("--rounds", default="100", help="claims per round, comma-separated (each 1..200)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds a round may take")
    ap.add_argument("--no-report", action="store_true", help="print only; write no files")
    ap.add_argument("--timeline", type=Path, help="write each claim's steps (ms from its round's start) to this JSON file")
    args = ap.parse_args()
    sizes = [int(s) for s in args.rounds.split(",") if s.strip()]
    if not sizes or any(not 1 <= s <= 200 for s in sizes):
        ap.error("--rounds take 1..200 claims each")
    ok, why = runc_available()
    if not ok:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    binary = Path(args.bin).resolve()
    if not binary.exists():
        print(f"kyvern binary not found: {binary} (swift build -c release --product kyvern, or pass --bin)", file=sys.stderr)
        return 2
    build = "release" if "/release/" in str(binary) else "debug" if "/debug/" in str(binary) else "unknown"
    rep: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"),
                 "binary": os.path.relpath(binary, ROOT) if binary.is_relative_to(ROOT) else binary.name,
                 "build": build, "commit": git_commit(),
                 "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release()},
                 "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "bin"}}
    node = NodeCluster(binary)
    watches: list[Watch] = []
    try:
        progress(f"== starting kyvern server with its node agent ({build} build)")
        node.start()
        cc = node.cluster.creds
        creds = Creds(node.proc.port, str(cc.ca_path), cc.token, str(cc.cert_path) if cc.cert_path else None,
                      str(cc.key_path) if cc.key_path else None)
        make_namespace(creds, NAMESPACE)
        storage = node.data / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        progress(f"== floor: mkdir of {max(sizes)} claim directories under {storage}")
        rep["floor"] = measure_floor(storage, max(sizes))
        c = Client(creds)
        rv = json.loads(c.call("GET", f"/api/v1/namespaces/{NAMESPACE}/pods?limit=1")[1])["metadata"]["resourceVersion"]
        c.close()
        claims = Watch(creds, "persistentvolumeclaims", rv, is_bound, CLAIM_STAGES)
        pods = Watch(creds, "pods", rv, is_ready, POD_STAGES)
        volumes = Watch(creds, "persistentvolumes", rv, lambda o: False, VOLUME_STAGES, key=claim_of_volume,
                        cluster_scoped=True)
        watches = [claims, pods, volumes]
        rep["rounds"] = []
        timelines: dict[str, dict] = {}
        for index, size in enumerate(sizes):
            progress(f"== {size} claims with a pod each, at once")
            r = run_round(creds, claims, pods, volumes, size, index, args.timeout)
            wait_volumes_gone(creds, args.timeout)
            summary = {"claims": size, "bound_p50_ms": pct(r["bound_ms"], 50), "bound_p99_ms": pct(r["bound_ms"], 99),
                       "bound_max_ms": max(r["bound_ms"]), "running_p50_ms": pct(r["running_ms"], 50),
                       "running_p99_ms": pct(r["running_ms"], 99), "running_max_ms": max(r["running_ms"]),
                       "wall_s": round(r["wall_s"], 3), "delete_s": round(r["delete_s"], 3), "stages": r["stages"],
                       "queues": r["queues"], "bound_ms": [round(x, 2) for x in r["bound_ms"]], "running_ms": [round(x, 2) for x in r["running_ms"]]}
            progress(f"  Bound p50 {summary['bound_p50_ms']:.0f} ms p99 {summary['bound_p99_ms']:.0f} ms; Running p50 "
                     f"{summary['running_p50_ms']:.0f} ms p99 {summary['running_p99_ms']:.0f} ms; all in {r['wall_s']:.1f} s")
            for st in r["stages"]:
                progress(f"    {st['stage']}: p50 {st['p50_ms']:.0f} ms p99 {st['p99_ms']:.0f} ms ({st['samples']})")
            for q in r["queues"]:
                progress(f"    queue {q['controller']}: {q['syncs']} syncs, mean wait {q['mean_wait_ms']:.1f} ms, "
                         f"mean sync {q['mean_sync_ms']:.1f} ms")
            rep["rounds"].append(summary)
            timelines[f"{size} claims"] = r["timeline"]
        last = rep["rounds"][-1]
        rep["targets"] = [{"name": f"{last['claims']} claims: claim → Bound p99", "measured": last["bound_p99_ms"],
                           "goal": f"< {TARGET_P99_MS:.0f} ms", "met": last["bound_p99_ms"] < TARGET_P99_MS},
                          {"name": f"{last['claims']} claims: pod → Running p99", "measured": last["running_p99_ms"],
                           "goal": f"< {TARGET_P99_MS:.0f} ms", "met": last["running_p99_ms"] < TARGET_P99_MS}]
    finally:
        for w in watches:
            w.close()
        progress("== cleaning up (pods, claims, volumes, containers, mounts, network namespaces, cgroups, bridge)")
        node.stop()
    print(render_markdown(rep))
    if args.timeline:
        args.timeline.write_text(json.dumps(timelines, indent=1) + "\n")
        progress(f"wrote each claim's steps to {args.timeline}")
    if not args.no_report:
        REPORTS.mkdir(parents=True, exist_ok=True)
        day = dt.date.today().isoformat()
        (REPORTS / f"storage-{day}.json").write_text(json.dumps(rep, indent=1) + "\n")
        (REPORTS / "storage-latest.md").write_text(render_markdown(rep))
        progress(f"wrote bench/reports/storage-{day}.json and bench/reports/storage-latest.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
