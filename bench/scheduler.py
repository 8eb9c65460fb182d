#!/usr/bin/env python3
"""Scheduler benchmark: pods bound per second and p99 scheduling latency on simulated nodes.

For each workload it starts a throw-away `kyvern server --disable-scheduler` on 127.0.0.1 in a temporary
data dir, `kyvern agent --simulate N` for the nodes, labels the nodes (3 zones, two groups), creates M pods
while no scheduler runs, then starts `kyvern scheduler --kubeconfig` and watches the pods get bound.

- throughput: bound pods / time from the first binding to the last (sustained), and over the whole run
  from the scheduler's start (includes its start-up and first list);
- p99 latency per pod: from the scheduler's `/metrics` histogram
  `scheduler_scheduling_attempt_duration_seconds` (one scheduling attempt, filter to bind);
- each placement is checked against the workload's constraint (affinity group, one pod per node,
  zone skew) so a fast but wrong scheduler does not pass.

    python3 bench/scheduler.py                                  # release build, all workloads, 10,000 pods
    python3 bench/scheduler.py --bin .build/debug/kyvern --nodes 200 --pods 1000 --workloads plain-500
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_bench import Client, Creds, Server, fmt, free_port, make_namespace, pct  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "bench" / "reports"
NAMESPACE = "bench"
ZONES = ("zone-a", "zone-b", "zone-c")

TARGET_PLAIN_5000 = 1000.0  # pods/s, plain pods on 5,000 nodes with 10,000 pods (issue 4)
TARGET_FLOOR = 200.0  # pods/s, every workload


@dataclass(frozen=True)
class Workload:
    name: str
    nodes: int
    description: str

    def pod_count(self, pods: int) -> int:
        # One pod per node at most: the extra ones could never be placed.
        return min(pods, self.nodes) if self.name == "anti-affinity" else pods


WORKLOADS = {
    "plain-500": Workload("plain-500", 500, "plain pods, 500 nodes"),
    "plain-5000": Workload("plain-5000", 5000, "plain pods, 5,000 nodes"),
    "node-affinity": Workload("node-affinity", 5000, "required node affinity (half the nodes match)"),
    "anti-affinity": Workload("anti-affinity", 5000, "required pod anti-affinity by hostname"),
    "spread": Workload("spread", 5000, "topology spread over 3 zones (maxSkew 1, DoNotSchedule)"),
}


# --------------------------------------------------------------------------------------------------
# objects


def pod_body(workload: str, i: int) -> dict:
    spec: dict = {
        "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
        "terminationGracePeriodSeconds": 0,
    }
    labels = {"app": workload}
    if workload == "node-affinity":
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "bench.kyvern.io/group", "operator": "In",
                                                         "values": ["a"]}]}]}}}
    elif workload == "anti-affinity":
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": workload}}, "topologyKey": "kubernetes.io/hostname"}]}}
    elif workload == "spread":
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                              "whenUnsatisfiable": "DoNotSchedule",
                                              "labelSelector": {"matchLabels": {"app": workload}}}]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"p-{i:05d}", "namespace": NAMESPACE, "labels": labels}, "spec": spec}


def node_labels(i: int) -> dict:
    return {"topology.kubernetes.io/zone": ZONES[i % 3], "bench.kyvern.io/group": "a" if i % 2 == 0 else "b"}


# --------------------------------------------------------------------------------------------------
# processes


class Component:
    """A `kyvern agent` or `kyvern scheduler` process with its log next to the data dir."""

    def __init__(self, argv: list[str], log: Path):
        self.argv, self.log_path = argv, log
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.started = time.perf_counter()

    def check(self, what: str):
        if self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{what} exited with {self.proc.returncode}; log {self.log_path}:\n{tail}")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_for_nodes(creds: Creds, count: int, agent: Component, timeout: float) -> float:
    """Seconds until `count` nodes are registered and Ready."""
    c = Client(creds)
    t0 = time.perf_counter()
    last = -1
    try:
        while time.perf_counter() - t0 < timeout:
            agent.check("kyvern agent")
            status, data = c.call("GET", "/api/v1/nodes")
            if status == 200:
                items = json.loads(data)["items"]
                ready = sum(1 for n in items if any(cd.get("type") == "Ready" and cd.get("status") == "True"
                                                    for cd in n.get("status", {}).get("conditions", [])))
                if ready != last:
                    progress(f"  nodes ready: {ready}/{count}")
                    last = ready
                if ready >= count:
                    return time.perf_counter() - t0
            time.sleep(1.0)
    finally:
        c.close()
    raise RuntimeError(f"only {last}/{count} nodes Ready after {timeout:.0f}s")


def label_nodes(creds: Creds) -> dict[str, dict]:
    """Gives every node a zone and a group (by its position in name order); returns labels by node.

    The same patch lifts the `node.kubernetes.io/not-ready:NoSchedule` taint every Node is born with
    (TaintNodesByCondition): the nodes are Ready, and the node lifecycle controller, which would lift it,
    is not run so that it does not compete for the CPU being measured."""
    c = Client(creds)
    status, data = c.call("GET", "/api/v1/nodes")
    c.close()
    names = sorted(n["metadata"]["name"] for n in json.loads(data)["items"])
    labels = {name: node_labels(i) for i, name in enumerate(names)}
    errors: list[str] = []

    def work(chunk: list[str]):
        cl = Client(creds)
        for name in chunk:
            body = json.dumps({"metadata": {"labels": labels[name]}, "spec": {"taints": None}}).encode()
            cl.conn.request("PATCH", f"/api/v1/nodes/{name}", body=body,
                            headers={**creds.headers(), "Content-Type": "application/strategic-merge-patch+json"})
            r = cl.conn.getresponse()
            payload = r.read()
            if r.status != 200:
                errors.append(f"PATCH node {name}: {r.status} {payload[:200]!r}")
        cl.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, [names[i::8] for i in range(8)]))
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    return labels


def create_pods(creds: Creds, workload: str, count: int) -> float:
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()

    def work(indices: range):
        c = Client(creds)
        for i in indices:
            status, data = c.call("POST", f"/api/v1/namespaces/{NAMESPACE}/pods",
                                  json.dumps(pod_body(workload, i)).encode())
            if status != 201:
                errors.append(f"create pod {i}: {status} {data[:200]!r}")
                if len(errors) > 10:
                    break
            with lock:
                done[0] += 1
        c.close()

    t0 = time.perf_counter()
    stop = threading.Event()

    def report():
        while not stop.wait(2.0):
            progress(f"  pods created: {done[0]}/{count}")

    th = threading.Thread(target=report, daemon=True)
    th.start()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(work, [range(k, count, 16) for k in range(16)]))
    stop.set()
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    return time.perf_counter() - t0


class BindingWatch:
    """Watches the namespace's pods and records when each first has a node."""

    def __init__(self, creds: Creds):
        c = Client(creds)
        status, data = c.call("GET", f"/api/v1/namespaces/{NAMESPACE}/pods?limit=1")
        c.close()
        rv = json.loads(data)["metadata"]["resourceVersion"]
        self.conn = creds.connect()
        self.conn.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods?watch=true&resourceVersion={rv}"
                                 f"&timeoutSeconds=3600", headers=creds.headers())
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"watch -> {self.resp.status} {self.resp.read()[:200]!r}")
        self.bound: dict[str, tuple[float, str]] = {}
        self.unschedulable: set[str] = set()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        while not self.closed.is_set():
            try:
                chunk = self.resp.read1(1 << 16)
            except Exception:
                return
            if not chunk:
                return
            now = time.perf_counter()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                obj = json.loads(line).get("object", {})
                name = obj.get("metadata", {}).get("name")
                node = obj.get("spec", {}).get("nodeName")
                if name and node and name not in self.bound:
                    self.bound[name] = (now, node)
                    self.unschedulable.discard(name)
                elif name and not node:
                    for cd in obj.get("status", {}).get("conditions", []):
                        if cd.get("type") == "PodScheduled" and cd.get("reason") == "Unschedulable":
                            self.unschedulable.add(name)

    def close(self):
        self.closed.set()
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def histogram_quantile(text: str, metric: str, q: float) -> tuple[float, int]:
    """Upper-bound-interpolated quantile (as PromQL's histogram_quantile) over every series of
    `metric` whose result label, if any, is "scheduled"; returns (seconds, observations)."""
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if not line.startswith(metric + "_bucket"):
            continue
        labels, _, value = line.rpartition(" ")
        if 'result="' in labels and 'result="scheduled"' not in labels:
            continue
        m = re.search(r'[{,]le="([^"]+)"', labels)
        if not m:
            continue
        le = m.group(1)
        bound = float("inf") if le == "+Inf" else float(le)
        buckets[bound] = buckets.get(bound, 0.0) + float(value)
    if not buckets:
        return float("nan"), 0
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total == 0:
        return float("nan"), 0
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for b in bounds:
        if buckets[b] >= rank:
            if b == float("inf"):
                return prev_bound, int(total)
            return prev_bound + (b - prev_bound) * (rank - prev_count) / max(buckets[b] - prev_count, 1e-9), int(total)
        prev_bound, prev_count = b, buckets[b]
    return bounds[-1], int(total)


# --------------------------------------------------------------------------------------------------
# checks


def check_placement(workload: str, bound: dict[str, tuple[float, str]], labels: dict[str, dict]) -> list[str]:
    problems: list[str] = []
    nodes = [node for _, node in bound.values()]
    if workload == "node-affinity":
        wrong = [n for n in nodes if labels.get(n, {}).get("bench.kyvern.io/group") != "a"]
        if wrong:
            problems.append(f"{len(wrong)} pods on nodes outside group a (e.g. {wrong[0]})")
    elif workload == "anti-affinity":
        if len(set(nodes)) != len(nodes):
            problems.append(f"{len(nodes) - len(set(nodes))} pods share a node")
    elif workload == "spread":
        counts = {z: 0 for z in ZONES}
        for n in nodes:
            zone = labels.get(n, {}).get("topology.kubernetes.io/zone", "?")
            counts[zone] = counts.get(zone, 0) + 1
        if max(counts.values()) - min(counts.values()) > 1:
            problems.append(f"zone skew above 1: {counts}")
    return problems


# --------------------------------------------------------------------------------------------------
# one workload


def progress(msg: str):
    print(msg, flush=True)


def run_workload(args, binary: Path, wl: Workload, work: Path) -> dict:
    pods = wl.pod_count(args.pods)
    progress(f"== {wl.name}: {wl.description}; {wl.nodes} nodes, {pods} pods")
    data = work / wl.name
    # The bench's pods have no owners: the controller manager would only add watches and work.
    server = Server(binary, data, extra=("--disable-scheduler", "--disable-controller-manager", *args.server_arg))
    agent = scheduler = watch = None
    try:
        server.start(timeout=60)
        creds = server.credentials()
        kubeconfig = data / "kubeconfig.yaml"
        agent = Component([str(binary), "agent", "--simulate", str(wl.nodes), "--kubeconfig", str(kubeconfig),
                           *args.agent_arg], work / f"{wl.name}-agent.log")
        nodes_s = wait_for_nodes(creds, wl.nodes, agent, args.node_timeout)
        labels = label_nodes(creds)
        progress(f"  {wl.nodes} nodes Ready in {nodes_s:.1f} s and labelled")
        make_namespace(creds, NAMESPACE)
        create_s = create_pods(creds, wl.name, pods)
        progress(f"  {pods} pods created in {create_s:.1f} s ({pods / create_s:.0f}/s)")

        watch = BindingWatch(creds)
        metrics_port = free_port()
        scheduler = Component([str(binary), "scheduler", "--kubeconfig", str(kubeconfig),
                               "--metrics-bind-address", f"127.0.0.1:{metrics_port}", *args.scheduler_arg],
                              work / f"{wl.name}-scheduler.log")
        t_start = scheduler.started
        # CPU the server and the agent spend while the pods get bound (watch fan-out, bindings,
        # the agent's status writes, lease renewals): with the scheduler's, the cost per pod.
        server_cpu0, agent_cpu0 = cpu_seconds(server.proc.pid), agent.cpu_seconds()
        last_count, last_change = 0, time.perf_counter()
        while True:
            time.sleep(1.0)
            scheduler.check("kyvern scheduler")
            n = len(watch.bound)
            now = time.perf_counter()
            progress(f"  bound {n}/{pods} (+{n - last_count}), unschedulable {len(watch.unschedulable)}")
            if n != last_count:
                last_count, last_change = n, now
            if n >= pods:
                break
            if now - last_change > args.stall_seconds:
                progress(f"  no binding for {args.stall_seconds:.0f} s: stopping with {n}/{pods} bound")
                break
        metrics = scrape(metrics_port)
        p99, observed = histogram_quantile(metrics, "scheduler_scheduling_attempt_duration_seconds", 0.99)
        p50, _ = histogram_quantile(metrics, "scheduler_scheduling_attempt_duration_seconds", 0.50)
        cpu = scheduler.cpu_seconds()
        server_cpu = cpu_seconds(server.proc.pid) - server_cpu0
        agent_cpu = agent.cpu_seconds() - agent_cpu0
        times = sorted(t for t, _ in watch.bound.values())
        bound = len(times)
        sustained = (bound - 1) / (times[-1] - times[0]) if bound > 1 and times[-1] > times[0] else float("nan")
        overall = bound / (times[-1] - t_start) if bound else 0.0
        # Time from the scheduler's start to each binding: queueing included, the worst case a user sees.
        e2e = [t - t_start for t in times]
        problems = check_placement(wl.name, watch.bound, labels)
        if bound < pods:
            problems.append(f"only {bound}/{pods} pods bound")
        result = {
            "workload": wl.name, "description": wl.description, "nodes": wl.nodes, "pods": pods, "bound": bound,
            "sustained_pods_per_s": round(sustained, 1), "overall_pods_per_s": round(overall, 1),
            "first_binding_after_start_s": round(times[0] - t_start, 3) if times else None,
            "last_binding_after_start_s": round(times[-1] - t_start, 3) if times else None,
            "attempt_p50_ms": round(p50 * 1000, 3), "attempt_p99_ms": round(p99 * 1000, 3),
            "attempts_observed": observed,
            "bound_after_start_p99_s": round(pct(e2e, 99), 3) if e2e else None,
            "scheduler_cpu_s": round(cpu, 2), "server_cpu_s": round(server_cpu, 2), "agent_cpu_s": round(agent_cpu, 2),
            "cpu_ms_per_pod": round((cpu + server_cpu + agent_cpu) * 1000 / bound, 2) if bound else None,
            "nodes_ready_s": round(nodes_s, 1), "pod_create_s": round(create_s, 1),
            "problems": problems,
        }
        progress(f"  {wl.name}: {fmt(sustained)} pods/s sustained, attempt p99 {fmt(p99 * 1000)} ms, CPU per pod "
                 f"{fmt(result['cpu_ms_per_pod'] or float('nan'))} ms (server {fmt(server_cpu)} s, agent {fmt(agent_cpu)} s, "
                 f"scheduler {fmt(cpu)} s)"
                 + (f"; PROBLEMS: {problems}" if problems else ""))
        return result
    finally:
        if watch:
            watch.close()
        for comp in (scheduler, agent):
            if comp:
                comp.stop()
        server.stop()


# --------------------------------------------------------------------------------------------------
# report


def targets(results: list[dict], pods: int) -> list[dict]:
    out = []
    plain = next((r for r in results if r["workload"] == "plain-5000"), None)
    if plain:
        full = plain["nodes"] >= 5000 and plain["pods"] >= 10000
        out.append({"name": "plain pods, 5,000 nodes, 10,000 pods" + ("" if full else
                                                                     f" (run: {plain['nodes']} nodes, {plain['pods']} pods)"),
                    "measured": plain["sustained_pods_per_s"], "goal": TARGET_PLAIN_5000,
                    "met": plain["sustained_pods_per_s"] >= TARGET_PLAIN_5000 and not plain["problems"]})
    for r in results:
        out.append({"name": f"{r['workload']} at least {TARGET_FLOOR:.0f} pods/s", "measured": r["sustained_pods_per_s"],
                    "goal": TARGET_FLOOR, "met": r["sustained_pods_per_s"] >= TARGET_FLOOR and not r["problems"]})
    return out


def render(rep: dict) -> str:
    L = [f"# Scheduler benchmark — {rep['date']}", "",
         f"Binary `{rep['binary']}` (commit {rep['commit']}), {rep['machine']['cpus']} CPUs, load average "
         f"{rep['machine'].get('loadavg', '?')} at the start. Server, simulated nodes, scheduler and this client share "
         f"the machine; CPU is what server, agent and scheduler used while the pods were bound.", "",
         "| workload | nodes | pods | bound | pods/s sustained | pods/s from start | attempt p50 ms | attempt p99 ms "
         "| CPU s server / agent / scheduler | CPU ms per pod | placement |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rep["results"]:
        L.append(f"| `{r['workload']}`: {r['description']} | {r['nodes']} | {r['pods']} | {r['bound']} | {fmt(r['sustained_pods_per_s'])} "
                 f"| {fmt(r['overall_pods_per_s'])} | {fmt(r['attempt_p50_ms'])} | {fmt(r['attempt_p99_ms'])} "
                 f"| {fmt(r['server_cpu_s'])} / {fmt(r['agent_cpu_s'])} / {fmt(r['scheduler_cpu_s'])} "
                 f"| {fmt(r['cpu_ms_per_pod'] or float('nan'))} | {'; '.join(r['problems']) or 'ok'} |")
    for r in rep.get("failed", []):
        L.append(f"| {r['workload']} | | | | | | | | | | failed: {r['error'][:120]} |")
    L += ["", "| target | measured | goal | |", "|---|---|---|---|"]
    for t in rep["targets"]:
        L.append(f"| {t['name']} | {fmt(t['measured'])} pods/s | ≥ {fmt(t['goal'])} pods/s | "
                 f"{'✅ met' if t['met'] else '❌ not met'} |")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "kyvern"))
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: " + ", ".join(WORKLOADS))
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=0, help="override every workload's node count")
    ap.add_argument("--stall-seconds", type=float, default=30.0, help="give up after this long without a binding")
    ap.add_argument("--node-timeout", type=float, default=300.0)
    ap.add_argument("--server-arg", action="append", default=[], help="extra argument for kyvern server")
    ap.add_argument("--agent-arg", action="append", default=[], help="extra argument for kyvern agent")
    ap.add_argument("--scheduler-arg", action="append", default=[], help="extra argument for kyvern scheduler")
    ap.add_argument("--keep", action="store_true", help="keep the temporary dir with the logs")
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args()

    binary = Path(args.bin).resolve()
    if not binary.exists():
        print(f"no binary at {binary}: swift build -c release (or --bin .build/debug/kyvern)", file=sys.stderr)
        return 2
    chosen = []
    for name in filter(None, args.workloads.split(",")):
        if name not in WORKLOADS:
            print(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}", file=sys.stderr)
            return 2
        wl = WORKLOADS[name]
        chosen.append(Workload(wl.name, args.nodes or wl.nodes, wl.description.replace(
            f"{wl.nodes:,} nodes", f"{args.nodes or wl.nodes:,} nodes")))

    work = Path(tempfile.mkdtemp(prefix="kyvern-sched-bench-"))
    commit = os.environ.get("KYVERN_COMMIT") or subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
    rep = {"date": dt.datetime.now().isoformat(timespec="seconds"), "binary": os.path.relpath(binary, ROOT),
           "commit": commit, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                       "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg())},
           "pods": args.pods, "results": [], "failed": []}
    try:
        for wl in chosen:
            try:
                rep["results"].append(run_workload(args, binary, wl, work))
            except Exception as e:  # one broken workload must not hide the others' figures
                progress(f"  {wl.name} failed: {e}")
                rep["failed"].append({"workload": wl.name, "error": str(e)})
    finally:
        if args.keep or rep["failed"]:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    rep["targets"] = targets(rep["results"], args.pods)
    md = render(rep)
    print()
    print(md)
    if not args.no_report:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"scheduler-{dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(rep, indent=2) + "\n")
        (REPORTS / "scheduler-latest.md").write_text(md + "\n")
        print(f"wrote {path} and {REPORTS / 'scheduler-latest.md'}")
    return 0 if not rep["failed"] and all(t["met"] for t in rep["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
