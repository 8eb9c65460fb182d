#!/usr/bin/env python3
"""Dashboard benchmark: how fast the web dashboard draws a 1,000-pod cluster, and how soon a kubectl
change shows on the page, in a real browser (Debian's chromium, driven headless by Playwright).

It starts a throw-away `kyvern server --disable-agent` on 127.0.0.1, creates N simulated Nodes (plain
Node objects with capacity and a Ready condition, kept fresh with Lease renewals and status heartbeats,
so the node lifecycle controller leaves them and their pods alone) and M pods bound to them
(`spec.nodeName`), each set Running and Ready through the status subresource. Then:

- paint: time from navigation start to the `performance.mark` the page sets when a page's data is
  first drawn (`kyvern:overview-drawn`, `kyvern:list-drawn`), read with the Performance API, for the
  overview and for the Pods list (all namespaces, M rows), over fresh page loads;
- change -> page: a MutationObserver in the page timestamps the DOM write that shows a change made
  with kubectl (`kubectl label pod`: the row of that pod at the resourceVersion kubectl returned;
  `kubectl scale deployment`: the Deployment's Ready cell naming the new replica count). The
  browser's clock (`performance.timeOrigin + now()`) and this script's (`time.time()`) are the same
  machine's clock. Reported from kubectl's start (includes kubectl's own start-up) and from its exit
  (the API's answer).

    .venv/bin/python bench/dashboard/run.py                               # release build
    .venv/bin/python bench/dashboard/run.py --bin .build/debug/kyvern --samples 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from api_bench import Creds, Server, fmt, pct  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
CHROMIUM = "/usr/bin/chromium"
NAMESPACE = "bench-dash"
TOKEN_KEY = "kyvern.dashboard.token"
TARGET_PAINT_MS = 300.0
TARGET_CHANGE_MS = 1000.0


def progress(msg: str):
    print(msg, file=sys.stderr, flush=True)


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class API:
    """One keep-alive HTTPS connection with the admin's credentials and any content type."""

    def __init__(self, creds: Creds):
        self.creds = creds
        self.conn = creds.connect()

    def call(self, method: str, path: str, body: dict | None = None, content_type: str = "application/json"):
        data = json.dumps(body).encode() if body is not None else None
        headers = self.creds.headers(False)
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw else {})
            except (ConnectionError, OSError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self.creds.connect()
        raise AssertionError("unreachable")

    def must(self, method: str, path: str, body: dict | None = None, content_type: str = "application/json",
             ok=(200, 201)) -> dict:
        status, answer = self.call(method, path, body, content_type)
        if status not in ok:
            raise RuntimeError(f"{method} {path}: {status} {answer.get('message', answer)}")
        return answer

    def close(self):
        self.conn.close()


# --------------------------------------------------------------------------------------------------
# the simulated cluster


def node_name(i: int) -> str:
    return f"dash-node-{i:03d}"


def ready_condition() -> dict:
    t = now_rfc3339()
    return {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
            "lastHeartbeatTime": t, "lastTransitionTime": t}


def create_nodes(creds: Creds, count: int):
    def work(indices):
        api = API(creds)
        try:
            for i in indices:
                name = node_name(i)
                api.must("POST", "/api/v1/nodes", {
                    "apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                                          "topology.kubernetes.io/zone": f"zone-{i % 3}"}}}, ok=(201, 409))
                capacity = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
                api.must("PATCH", f"/api/v1/nodes/{name}/status", {"status": {
                    "capacity": capacity, "allocatable": capacity, "conditions": [ready_condition()],
                    "addresses": [{"type": "InternalIP", "address": f"10.99.{i // 250}.{i % 250 + 1}"},
                                  {"type": "Hostname", "address": name}],
                    "nodeInfo": {"kubeletVersion": "v1.36.0-sim", "kubeProxyVersion": "v1.36.0-sim",
                                 "operatingSystem": "linux", "architecture": "amd64", "containerRuntimeVersion": "sim://1",
                                 "osImage": "simulated", "kernelVersion": "0", "machineID": "", "systemUUID": "",
                                 "bootID": ""}}}, "application/merge-patch+json")
                renew_lease(api, name)
        finally:
            api.close()

    chunks = [range(k, count, 4) for k in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, chunks))


def renew_lease(api: API, name: str):
    path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"
    spec = {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": now_micro()}
    status, _ = api.call("PATCH", path, {"spec": spec}, "application/merge-patch+json")
    if status == 404:
        api.must("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"}, "spec": spec}, ok=(201, 409))


class NodeKeeper:
    """Renews every node's Lease and Ready heartbeat every `period` s, as kubelets do (as a side
    effect the overview sees a steady trickle of node watch events, like a real cluster's)."""

    def __init__(self, creds: Creds, count: int, period: float = 10.0):
        self.creds, self.count, self.period = creds, count, period
        self.stop_event = threading.Event()
        self.errors = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        api = API(self.creds)
        try:
            while not self.stop_event.wait(self.period):
                for i in range(self.count):
                    try:
                        renew_lease(api, node_name(i))
                        api.must("PATCH", f"/api/v1/nodes/{node_name(i)}/status",
                                 {"status": {"conditions": [ready_condition()]}}, "application/strategic-merge-patch+json")
                    except Exception:
                        self.errors += 1
        finally:
            api.close()

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=30)


def wait_for_service_account(api: API, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _ = api.call("GET", f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/default")
        if status == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("the namespace's default ServiceAccount did not appear")


def create_pods(creds: Creds, pods: int, nodes: int):
    def work(indices):
        api = API(creds)
        try:
            for i in indices:
                name = f"p-{i:04d}"
                node = node_name(i % nodes)
                api.must("POST", f"/api/v1/namespaces/{NAMESPACE}/pods", {
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "labels": {"app": f"app-{i % 20}", "bench": "dashboard"}},
                    "spec": {"nodeName": node, "automountServiceAccountToken": False,
                             "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"],
                                             "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}})
                t = now_rfc3339()
                api.must("PATCH", f"/api/v1/namespaces/{NAMESPACE}/pods/{name}/status", {"status": {
                    "phase": "Running", "hostIP": "10.99.0.1", "podIP": f"10.42.{i // 250}.{i % 250 + 2}",
                    "podIPs": [{"ip": f"10.42.{i // 250}.{i % 250 + 2}"}], "startTime": t,
                    "conditions": [{"type": c, "status": "True", "lastTransitionTime": t}
                                   for c in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
                    "containerStatuses": [{"name": "main", "image": "busybox:1.36", "imageID": "", "ready": True,
                                           "started": True, "restartCount": 0, "containerID": f"sim://{name}",
                                           "state": {"running": {"startedAt": t}}}]}},
                         "application/merge-patch+json")
        finally:
            api.close()

    workers = 6
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [range(k, pods, workers) for k in range(workers)]))


def create_deployment(api: API):
    """A Deployment to scale; its pods never find a node (nodeSelector matches none), so they stay
    Pending and the 1,000 Running pods stay the page's bulk."""
    api.must("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"nodeSelector": {"bench/none": "x"}, "automountServiceAccountToken": False,
                                       "containers": [{"name": "main", "image": "busybox:1.36"}]}}}})


# --------------------------------------------------------------------------------------------------
# the browser


def session_token(binary: Path, data_dir: Path, creds: Creds) -> str:
    """Logs in as `kyvern dashboard` does: a one-time code, exchanged for a session token."""
    r = subprocess.run([str(binary), "dashboard", "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=30)
    m = re.search(r"#login=([A-Za-z0-9_-]+)", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"kyvern dashboard failed: {r.stdout} {r.stderr}")
    conn = creds.connect()
    try:
        conn.request("POST", "/dashboard/session", body=json.dumps({"code": m.group(1)}),
                     headers={"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return answer["token"]


PAINT_JS = """name => {
  const mark = performance.getEntriesByName(name, "mark")[0];
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return { mark: mark.startTime, fcp: fcp ? fcp.startTime : null,
           domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
           rows: document.querySelectorAll("tbody tr").length,
           longTasks: (window.__long || []).filter(([t]) => t < mark.startTime),
           // Where the time went: each request's start and end (ms from navigation start).
           timeline: performance.getEntriesByType("resource").filter((e) => e.startTime < mark.startTime)
             .map((e) => [new URL(e.name).pathname.replace(/^\/apis?\//, "").slice(0, 60) + new URL(e.name).search.slice(0, 30),
                          Math.round(e.startTime), Math.round(e.responseEnd)]),
           nodes: document.querySelectorAll("#nodes .card").length,
           pods: (document.querySelector('#workloads [data-kind="pods"]') || {}).textContent || "" };
}"""


def wait_for_mark(page, mark: str):
    # A function, not an expression: the page's Content-Security-Policy forbids eval.
    page.wait_for_function("name => performance.getEntriesByName(name, 'mark').length > 0", arg=mark, timeout=60_000)


def measure_paint(context, url: str, mark: str, loads: int, check, complete: str | None = None) -> dict:
    """Fresh page loads; ms from navigation start to `mark`."""
    samples, fcps, completes, extra = [], [], [], {}
    for k in range(loads + 1):
        page = context.new_page()
        try:
            page.goto(url, wait_until="commit")
            wait_for_mark(page, mark)
            got = page.evaluate(PAINT_JS, mark)
            if complete:
                wait_for_mark(page, complete)
                got["complete"] = page.evaluate("n => performance.getEntriesByName(n, 'mark')[0].startTime", complete)
                got["rows"] = page.evaluate("() => document.querySelectorAll('tbody tr').length")
        finally:
            page.close()
        check(got)
        if k == 0:
            continue  # the first load warms the server's and the browser's caches; not counted
        samples.append(got["mark"])
        if "complete" in got:
            completes.append(got["complete"])
        if got["fcp"] is not None:
            fcps.append(got["fcp"])
        extra = got
    progress(f"  last load's main-thread tasks over 50 ms (start, ms): {extra.get('longTasks')}")
    progress("  last load's requests (path, start ms, end ms): " + "; ".join(f"{n} {a}-{b}" for n, a, b in extra.get("timeline", [])))
    return {"loads": loads, "timeline": extra.get("timeline"), "long_tasks": extra.get("longTasks"), "p50_ms": pct(samples, 50), "p99_ms": pct(samples, 99), "min_ms": min(samples),
            "max_ms": max(samples), "complete_p50_ms": pct(completes, 50) if completes else None,
            "complete_p99_ms": pct(completes, 99) if completes else None, "fcp_p50_ms": pct(fcps, 50) if fcps else None, "samples_ms": samples,
            "rows": extra.get("rows"), "nodes": extra.get("nodes")}


OBSERVE_JS = """() => {
  window.__seen = new Map();
  const stamp = () => performance.timeOrigin + performance.now();
  new MutationObserver((mutations) => {
    const t = stamp();
    for (const m of mutations) {
      for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue;
        const rows = n.matches("tr[data-name]") ? [n] : n.querySelectorAll("tr[data-name]");
        for (const r of rows) {
          const key = `${r.dataset.name}@${r.dataset.rv || ""}|${[...r.cells].map((c) => c.textContent).join("\\t")}`;
          if (!window.__seen.has(key)) window.__seen.set(key, t);
        }
      }
    }
  }).observe(document.querySelector("main"), { childList: true, subtree: true, characterData: true });
}"""

SEEN_JS = """([name, rv, text]) => {
  for (const [key, t] of window.__seen) {
    const [id, content] = [key.slice(0, key.indexOf("|")), key.slice(key.indexOf("|") + 1)];
    const [n, r] = [id.slice(0, id.lastIndexOf("@")), id.slice(id.lastIndexOf("@") + 1)];
    if (n !== name) continue;
    if (rv && r !== rv) continue;
    if (text && !new RegExp(text).test(content)) continue;
    return t;
  }
  return null;
}"""


def kubectl_binary() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    return os.environ.get("KUBECTL") or (str(beside) if beside.exists() else shutil.which("kubectl") or "kubectl")


def change_samples(page, api: API, kubeconfig: Path, kind: str, samples: int) -> dict:
    """Each sample: run kubectl, then wait for the page's DOM to show the change; ms from kubectl's
    start and from its exit to the MutationObserver's timestamp."""
    kubectl = kubectl_binary()
    page.evaluate(OBSERVE_JS)
    from_start, from_answer, kubectl_ms = [], [], []
    for k in range(samples):
        if kind == "label":
            name, argv = f"p-{(k * 37) % 1000:04d}", None
            argv = [kubectl, "--kubeconfig", str(kubeconfig), "label", "pod", name, "-n", NAMESPACE, f"bench-seq=s{k}",
                    "--overwrite"]
        else:
            name = "web"
            argv = [kubectl, "--kubeconfig", str(kubeconfig), "scale", "deployment", "web", "-n", NAMESPACE,
                    f"--replicas={2 + k % 2}"]
        t0 = time.time() * 1000
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        t1 = time.time() * 1000
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[3:])}: {r.stderr}")
        # The labelled pod's resourceVersion now (nobody else writes these pods; kubectl's -o output
        # is not the written object's).
        rv = api.must("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{name}")["metadata"]["resourceVersion"] \
            if kind == "label" else ""
        text = None if kind == "label" else rf"(^|\t)\d+/{2 + k % 2}(\t|$)"
        deadline = time.monotonic() + 15
        seen = None
        while time.monotonic() < deadline:
            seen = page.evaluate(SEEN_JS, [name, rv, text])
            if seen is not None:
                break
            time.sleep(0.02)
        if seen is None:
            shown = page.evaluate("n => { const r = document.querySelector(`tr[data-name='${n}']`); "
                                  "return r ? `${r.dataset.rv} ${r.textContent}` : 'no row'; }", name)
            raise RuntimeError(f"the page did not show {kind} sample {k} ({name} {rv or text}) within 15 s; "
                               f"it shows {shown}; seen {page.evaluate('() => [...window.__seen.keys()].slice(0, 5)')}")
        from_start.append(seen - t0)
        from_answer.append(seen - t1)
        kubectl_ms.append(t1 - t0)
        page.evaluate("() => window.__seen.clear()")
        time.sleep(0.25)  # changes spaced out, as someone at a terminal makes them
    return {"samples": samples, "p50_ms": pct(from_start, 50), "p99_ms": pct(from_start, 99),
            "after_answer_p50_ms": pct(from_answer, 50), "after_answer_p99_ms": pct(from_answer, 99),
            "kubectl_p50_ms": pct(kubectl_ms, 50), "samples_ms": [round(x, 1) for x in from_start]}


# --------------------------------------------------------------------------------------------------
# run and report


def run(args, binary: Path, work: Path) -> dict:
    from playwright.sync_api import sync_playwright

    server = Server(binary, work / "data")
    keeper = None
    browser = play = None
    try:
        server.start(timeout=120)
        creds = server.credentials()
        api = API(creds)
        progress(f"server up on :{server.port}; {args.nodes} nodes, {args.pods} pods")
        t0 = time.perf_counter()
        create_nodes(creds, args.nodes)
        keeper = NodeKeeper(creds, args.nodes)
        api.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        wait_for_service_account(api)
        create_pods(creds, args.pods, args.nodes)
        create_deployment(api)
        setup_s = time.perf_counter() - t0
        progress(f"cluster made in {setup_s:.1f} s")
        token = session_token(binary, server.data_dir, creds)

        play = sync_playwright().start()
        browser = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
        context.add_init_script(f"sessionStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(token)});"
                                # Main-thread tasks over 50 ms, for the breakdown of where a paint's time went.
                                "window.__long = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) "
                                "window.__long.push([Math.round(e.startTime), Math.round(e.duration)]); })"
                                ".observe({ type: 'longtask', buffered: true });")
        base = f"https://127.0.0.1:{server.port}/dashboard/"

        def overview_ok(got):
            if got["nodes"] != args.nodes:
                raise RuntimeError(f"overview drawn with {got['nodes']} nodes, not {args.nodes}")

        def list_ok(got):
            if got["rows"] < args.pods:  # every row, once the list says it is complete
                raise RuntimeError(f"Pods list drawn with {got['rows']} rows, fewer than {args.pods}")

        progress("overview paint...")
        overview = measure_paint(context, base + "#/overview", "kyvern:overview-drawn", args.loads, overview_ok)
        progress(f"  p50 {overview['p50_ms']:.0f} ms")
        progress("Pods list paint...")
        pods_list = measure_paint(context, base + "#/r/core/v1/pods", "kyvern:list-drawn", args.loads, list_ok,
                                  complete="kyvern:list-complete")
        progress(f"  p50 {pods_list['p50_ms']:.0f} ms")

        page = context.new_page()
        page.goto(base + "#/r/core/v1/pods")
        wait_for_mark(page, "kyvern:list-drawn")
        progress(f"kubectl label -> Pods list ({args.samples} samples)...")
        label = change_samples(page, api, server.data_dir / "kubeconfig.yaml", "label", args.samples)
        page.close()
        page = context.new_page()
        page.goto(base + "#/r/apps/v1/deployments")
        wait_for_mark(page, "kyvern:list-drawn")
        progress(f"kubectl scale -> Deployments list ({args.samples} samples)...")
        scale = change_samples(page, api, server.data_dir / "kubeconfig.yaml", "scale", args.samples)
        page.close()
        api.close()
        return {"nodes": args.nodes, "pods": args.pods, "setup_s": round(setup_s, 1), "overview_paint": overview,
                "pods_list_paint": pods_list, "label_to_page": label, "scale_to_page": scale,
                "server_rss_mb": round(server.rss_mb(), 1), "heartbeat_errors": keeper.errors}
    finally:
        if browser is not None:
            browser.close()
        if play is not None:
            play.stop()
        if keeper is not None:
            keeper.stop()
        server.close()


def targets(r: dict) -> list[dict]:
    return [
        {"name": "overview: navigation start to data drawn, p50", "measured": r["overview_paint"]["p50_ms"],
         "goal": TARGET_PAINT_MS},
        {"name": f"Pods list ({r['pods']:,} rows): navigation start to data drawn, p50", "measured": r["pods_list_paint"]["p50_ms"],
         "goal": TARGET_PAINT_MS},
        {"name": "kubectl label pod -> Pods list shows it, p99", "measured": r["label_to_page"]["p99_ms"],
         "goal": TARGET_CHANGE_MS},
        {"name": "kubectl scale deployment -> Deployments list shows it, p99", "measured": r["scale_to_page"]["p99_ms"],
         "goal": TARGET_CHANGE_MS},
    ]


def render(rep: dict) -> str:
    r = rep["result"]
    L = [f"# Dashboard benchmark — {rep['date']}", "",
         f"Binary `{rep['binary']}` (commit {rep['commit']}), {rep['machine']['cpus']} CPUs, load average "
         f"{rep['machine']['loadavg_start']} at the start and {rep['machine']['loadavg_end']} at the end (the machine is "
         f"shared: compare figures within one run). Server, chromium (headless) and this client share the machine; "
         f"{r['nodes']} simulated nodes, {r['pods']:,} Running pods (cluster made in {r['setup_s']} s; server RSS "
         f"{r['server_rss_mb']} MB at the end).", "",
         "| page | loads | p50 ms | p99 ms | min ms | first contentful paint p50 ms | every row drawn p50 / p99 ms |",
         "|---|---:|---:|---:|---:|---:|---:|"]
    for label, key in (("Overview (nodes, workload tallies, warnings)", "overview_paint"),
                       (f"Pods list, all namespaces ({r['pods_list_paint']['rows']} rows)", "pods_list_paint")):
        p = r[key]
        L.append(f"| {label} | {p['loads']} | {fmt(p['p50_ms'])} | {fmt(p['p99_ms'])} | {fmt(p['min_ms'])} "
                 f"| {fmt(p['fcp_p50_ms']) if p['fcp_p50_ms'] is not None else '—'} "
                 f"| {fmt(p['complete_p50_ms']) + ' / ' + fmt(p['complete_p99_ms']) if p.get('complete_p50_ms') else '—'} |")
    L += ["", "Paint: from navigation start to the page's `performance.mark` set when its data is drawn (for a list: "
          "its first 100 rows, a screenful; the rest follow in the next frame, 1,000 rows per frame, until `kyvern:list-complete`).", "",
          "| change | samples | from kubectl start p50 / p99 ms | from kubectl's answer p50 / p99 ms | kubectl itself p50 ms |",
          "|---|---:|---:|---:|---:|"]
    for label, key in (("`kubectl label pod` → Pods list row", "label_to_page"),
                       ("`kubectl scale deployment` → Deployments list Ready cell", "scale_to_page")):
        c = r[key]
        L.append(f"| {label} | {c['samples']} | {fmt(c['p50_ms'])} / {fmt(c['p99_ms'])} "
                 f"| {fmt(c['after_answer_p50_ms'])} / {fmt(c['after_answer_p99_ms'])} | {fmt(c['kubectl_p50_ms'])} |")
    L += ["", "| target | measured | goal | |", "|---|---|---|---|"]
    for t in rep["targets"]:
        L.append(f"| {t['name']} | {fmt(t['measured'])} ms | < {fmt(t['goal'])} ms | {'✅ met' if t['met'] else '❌ not met'} |")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "kyvern"))
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--loads", type=int, default=10, help="fresh page loads per page measured (after one warm-up)")
    ap.add_argument("--samples", type=int, default=30, help="kubectl changes per kind")
    ap.add_argument("--keep", action="store_true", help="keep the temporary dir with the server's log")
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args()

    binary = Path(args.bin).resolve()
    if not binary.exists():
        print(f"no binary at {binary}: swift build -c release --product kyvern (or --bin .build/debug/kyvern)", file=sys.stderr)
        return 2
    if shutil.which(CHROMIUM) is None:
        print(f"no browser at {CHROMIUM} (Debian's chromium)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="kyvern-dash-bench-"))
    commit = os.environ.get("KYVERN_COMMIT") or subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
    load = lambda: " ".join(f"{x:.1f}" for x in os.getloadavg())  # noqa: E731
    rep = {"date": dt.datetime.now().isoformat(timespec="seconds"), "binary": os.path.relpath(binary, ROOT),
           "commit": commit, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg_start": load()}}
    failed = False
    try:
        rep["result"] = run(args, binary, work)
    except Exception as e:
        failed = True
        print(f"failed: {e}", file=sys.stderr)
    finally:
        rep["machine"]["loadavg_end"] = load()
        if args.keep or failed:
            print(f"logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        return 1
    rep["targets"] = [dict(t, met=t["measured"] < t["goal"]) for t in targets(rep["result"])]
    md = render(rep)
    print()
    print(md)
    if not args.no_report:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"dashboard-{dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(rep, indent=2) + "\n")
        (REPORTS / "dashboard-latest.md").write_text(md + "\n")
        print(f"wrote {path} and {REPORTS / 'dashboard-latest.md'}")
    return 0 if all(t["met"] for t in rep["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
