#!/usr/bin/env python3
"""API server benchmark: start-up, idle memory, ConfigMap create/get/list/update throughput and latency
at 1, 8 and 64 concurrent clients, a paced 500 creates/s run, and watch delivery latency.

Starts its own `kyvern server` (release build by default) in a temporary data dir on 127.0.0.1 and
sends traffic only there. Every phase is bounded in time and in number of requests.

HTTP client: the standard library's http.client over ssl, HTTP/1.1 with keep-alive, one connection per
client; clients are threads spread over a few worker processes (so Python's GIL is not the bottleneck
at 64 clients). The client runs on the same 2 cores as the server, so absolute throughput is a lower
bound of what the server can do.

    python3 bench/api_bench.py                       # .build/release/kyvern, full run (~3 min)
    python3 bench/api_bench.py --bin .build/debug/kyvern --quick
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "bench" / "reports"

TARGETS = {
    "startup_ms": 300.0,
    "idle_rss_mb": 40.0,
    "paced_create_p99_ms": 5.0,
    "list_10k_p50_ms": 100.0,
}


# --------------------------------------------------------------------------------------------------
# server process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from etcd_cluster import EtcdCluster  # noqa: E402  (shared with the etcd e2e tests)


class Server:
    """One `kyvern server`; with `datastore="etcd"` it gets its own fresh single-member etcd, so a
    first start on etcd is as fresh as one on a new SQLite file."""

    def __init__(self, binary: Path, data_dir: Path, port: int | None = None, extra: tuple[str, ...] = (),
                 datastore: str = "sqlite"):
        self.binary, self.data_dir, self.port = binary, data_dir, port or free_port()
        self.etcd = EtcdCluster(1) if datastore == "etcd" else None
        self.extra = extra + (("--datastore-endpoint", self.etcd.endpoint) if self.etcd else ())
        self.proc: subprocess.Popen | None = None
        self.log = open(data_dir.parent / f"{data_dir.name}.log", "ab")

    def start(self, timeout: float = 30) -> float:
        """Launch and return seconds until /readyz answered 200."""
        argv = [str(self.binary), "server", "--data-dir", str(self.data_dir), "--bind-address", "127.0.0.1",
                "--https-listen-port", str(self.port), "--log-level", "warning",
                # no real node agent: benchmarks run on simulated nodes
                *([] if "--agent" in self.extra else ["--disable-agent"]),
                *[a for a in self.extra if a != "--agent"]]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log: {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                        s.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        head = s.recv(64)
                        if head.startswith(b"HTTP/1.1 200"):
                            return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.002)
        raise RuntimeError(f"server not ready within {timeout}s; log: {self.log.name}")

    def rss_mb(self) -> float:
        assert self.proc
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        return float("nan")

    def stop(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode if self.proc else None

    def close(self) -> None:
        """Stops the server and removes its etcd, if any."""
        self.stop()
        if self.etcd:
            self.etcd.stop()

    def credentials(self) -> "Creds":
        text = (self.data_dir / "kubeconfig.yaml").read_text()
        try:
            import yaml  # PyYAML (installed with the e2e requirements)

            cfg = yaml.safe_load(text)
            cluster, user = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
        except ImportError:  # a kubeconfig is simple enough to read without a YAML parser
            import re

            def field(name):
                m = re.search(rf"^\s*{re.escape(name)}:\s*\"?([^\s\"]+)\"?\s*$", text, re.M)
                return m.group(1) if m else None

            cluster = {"certificate-authority-data": field("certificate-authority-data")}
            user = {k: v for k in ("token", "client-certificate-data", "client-key-data") if (v := field(k))}
        ca = self.data_dir.parent / "bench-ca.crt"
        ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        cert = key = None
        if "client-certificate-data" in user:
            cert, key = self.data_dir.parent / "bench-client.crt", self.data_dir.parent / "bench-client.key"
            cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
            key.write_bytes(base64.b64decode(user["client-key-data"]))
        return Creds(self.port, str(ca), user.get("token"), str(cert) if cert else None, str(key) if key else None)


@dataclass(frozen=True)
class Creds:
    port: int
    ca: str
    token: str | None
    cert: str | None
    key: str | None

    def connect(self) -> http.client.HTTPSConnection:
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.set_alpn_protocols(["http/1.1"])
        if self.cert:
            ctx.load_cert_chain(self.cert, self.key)
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=60)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def headers(self, body: bool = False) -> dict:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if body:
            h["Content-Type"] = "application/json"
        return h


class Client:
    """One keep-alive connection; reconnects once on a dropped connection."""

    def __init__(self, creds: Creds):
        self.creds = creds
        self.conn = creds.connect()

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=self.creds.headers(body is not None))
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, ConnectionError, ssl.SSLError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self.creds.connect()
        raise AssertionError("unreachable")

    def close(self):
        self.conn.close()


def cm_body(name: str, value: str = "v" * 64) -> bytes:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                       "data": {"key": value}}).encode()


# --------------------------------------------------------------------------------------------------
# closed-loop phases: N clients, each sends its next request when the previous answered


@dataclass(frozen=True)
class Phase:
    op: str  # create | get | update | list
    clients: int
    seconds: float
    max_ops: int
    namespace: str
    names: tuple[str, ...] = ()  # objects that get/update work on
    tag: str = ""
    expect_items: int = 0


def _thread_loop(creds, ph: Phase, wid: int, t_end: float, quota: int, out: list, errs: list):
    # a list of servers' credentials: clients are spread over the servers, round robin
    c = Client(creds[wid % len(creds)] if isinstance(creds, list) else creds)
    rnd = random.Random(wid)
    base = f"/api/v1/namespaces/{ph.namespace}/configmaps"
    mine = ph.names[wid::ph.clients] or ph.names
    lat = []
    i = 0
    try:
        while i < quota and time.perf_counter() < t_end:
            if ph.op == "create":
                method, path, body, ok = "POST", base, cm_body(f"c{ph.tag}-{wid}-{i}"), 201
            elif ph.op == "get":
                method, path, body, ok = "GET", f"{base}/{rnd.choice(ph.names)}", None, 200
            elif ph.op == "update":
                name = mine[i % len(mine)]
                method, path, body, ok = "PUT", f"{base}/{name}", cm_body(name, f"u{wid}-{i}"), 200
            elif ph.op == "list":
                method, path, body, ok = "GET", base, None, 200
            else:
                raise ValueError(ph.op)
            t0 = time.perf_counter()
            status, data = c.call(method, path, body)
            lat.append(time.perf_counter() - t0)
            if status != ok:
                errs.append(f"{method} {path} -> {status} {data[:200]!r}")
                if len(errs) > 20:
                    break
            elif ph.op == "list" and ph.expect_items and i == 0:
                n = len(json.loads(data)["items"])
                if n != ph.expect_items:
                    errs.append(f"list returned {n} items, expected {ph.expect_items}")
            i += 1
    finally:
        c.close()
    out.extend(lat)


def _proc_main(creds, ph: Phase, wids: list[int], t_start: float, q):
    now = time.time()
    if t_start > now:
        time.sleep(t_start - now)
    t_end = time.perf_counter() + ph.seconds
    per_thread_quota = max(1, ph.max_ops // ph.clients)
    lat: list = []
    errs: list = []
    ths = [threading.Thread(target=_thread_loop, args=(creds, ph, w, t_end, per_thread_quota, lat, errs))
           for w in wids]
    t0 = time.perf_counter()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    q.put((lat, errs, time.perf_counter() - t0))


def run_phase(creds, ph: Phase, max_procs: int = 4, keep_samples: bool = False) -> dict:
    procs_n = min(ph.clients, max_procs)
    groups = [list(range(p, ph.clients, procs_n)) for p in range(procs_n)]
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    t_start = time.time() + 0.3  # all processes start together
    ps = [ctx.Process(target=_proc_main, args=(creds, ph, g, t_start, q)) for g in groups]
    for p in ps:
        p.start()
    results = [q.get(timeout=ph.seconds + 300) for _ in ps]
    for p in ps:
        p.join(timeout=30)
    lat = [x for r in results for x in r[0]]
    errs = [e for r in results for e in r[1]]
    wall = max(r[2] for r in results)
    summary = summarize(ph.op + (f" ({ph.tag})" if ph.tag and ph.op == "list" else ""), ph.clients, lat, wall, errs)
    if keep_samples:
        summary["samples"] = lat  # seconds, for callers that pool several phases
    return summary


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def summarize(op: str, clients: int, lat: list[float], wall: float, errs: list[str]) -> dict:
    return {
        "op": op, "clients": clients, "requests": len(lat), "seconds": round(wall, 3),
        "throughput_per_s": round(len(lat) / wall, 1) if wall > 0 else 0.0,
        "p50_ms": round(pct(lat, 50) * 1000, 3), "p99_ms": round(pct(lat, 99) * 1000, 3),
        "max_ms": round(max(lat) * 1000, 3) if lat else float("nan"),
        "errors": len(errs), "error_samples": errs[:3],
    }


# --------------------------------------------------------------------------------------------------
# open-loop paced creates


def paced_creates(creds: Creds, namespace: str, rate: float, seconds: float, senders: int = 16) -> dict:
    total = int(rate * seconds)
    interval = 1.0 / rate
    lock = threading.Lock()
    nxt = [0]
    service: list[float] = []  # send -> response
    response: list[float] = []  # scheduled -> response (includes any wait for a free sender)
    errs: list[str] = []
    t0 = time.perf_counter() + 0.2

    def sender(sid: int):
        c = Client(creds)
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= total:
                    return
                due = t0 + i * interval
                d = due - time.perf_counter()
                if d > 0:
                    time.sleep(d)
                ts = time.perf_counter()
                status, data = c.call("POST", f"/api/v1/namespaces/{namespace}/configmaps", cm_body(f"paced-{i}"))
                te = time.perf_counter()
                with lock:
                    service.append(te - ts)
                    response.append(te - due)
                    if status != 201:
                        errs.append(f"{status} {data[:200]!r}")
        finally:
            c.close()

    ths = [threading.Thread(target=sender, args=(s,)) for s in range(senders)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    wall = time.perf_counter() - t0
    out = summarize("create (paced)", senders, service, wall, errs)
    out.update({
        "target_rate_per_s": rate,
        "achieved_rate_per_s": round(len(service) / wall, 1),
        "p99_from_schedule_ms": round(pct(response, 99) * 1000, 3),
        "p50_from_schedule_ms": round(pct(response, 50) * 1000, 3),
    })
    return out


# --------------------------------------------------------------------------------------------------
# watch delivery latency


def watch_latency(creds: Creds, namespace: str, count: int) -> dict:
    conn = creds.connect()
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    c = Client(creds)
    status, data = c.call("GET", base)
    rv = json.loads(data)["metadata"]["resourceVersion"]
    conn.request("GET", f"{base}?watch=true&resourceVersion={rv}&timeoutSeconds=120", headers=creds.headers())
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"watch -> {resp.status} {resp.read()[:200]!r}")
    arrived: dict[str, float] = {}
    done = threading.Event()

    def reader():
        buf = b""
        while not done.is_set():
            try:
                chunk = resp.read1(65536)
            except Exception:
                return
            if not chunk:
                return
            now = time.perf_counter()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    ev = json.loads(line)
                    if ev.get("type") == "ADDED":
                        arrived.setdefault(ev["object"]["metadata"]["name"], now)
            if len(arrived) >= count:
                return

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    for i in range(count):
        name = f"w-{i}"
        sent[name] = time.perf_counter()
        status, _ = c.call("POST", base, cm_body(name))
        answered[name] = time.perf_counter()
        time.sleep(0.005)
    th.join(timeout=10)
    done.set()
    conn.close()
    c.close()
    from_resp = [arrived[n] - answered[n] for n in answered if n in arrived]
    from_send = [arrived[n] - sent[n] for n in sent if n in arrived]
    return {
        "events": len(from_resp), "expected": count,
        "after_response_p50_ms": round(pct(from_resp, 50) * 1000, 3),
        "after_response_p99_ms": round(pct(from_resp, 99) * 1000, 3),
        "after_request_p50_ms": round(pct(from_send, 50) * 1000, 3),
        "after_request_p99_ms": round(pct(from_send, 99) * 1000, 3),
        "note": "after_response < 0 means the event arrived before the create's response",
    }


# --------------------------------------------------------------------------------------------------


def make_namespace(creds: Creds, name: str):
    c = Client(creds)
    status, data = c.call("POST", "/api/v1/namespaces",
                          json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}).encode())
    if status not in (201, 409):
        c.close()
        raise RuntimeError(f"create namespace {name}: {status} {data[:200]!r}")
    # Pods need their ServiceAccount; benches that run without the controller manager (whose
    # serviceaccount controller makes `default`) make it here. 409: the controller was first.
    status, data = c.call("POST", f"/api/v1/namespaces/{name}/serviceaccounts",
                          json.dumps({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}).encode())
    c.close()
    if status not in (201, 409):
        raise RuntimeError(f"create serviceaccount {name}/default: {status} {data[:200]!r}")


def populate(creds: Creds, namespace: str, n: int, prefix: str = "obj") -> list[str]:
    names = [f"{prefix}-{i:05d}" for i in range(n)]
    chunks = [names[i::16] for i in range(16)]
    errs: list[str] = []

    def work(chunk):
        c = Client(creds)
        for name in chunk:
            status, data = c.call("POST", f"/api/v1/namespaces/{namespace}/configmaps", cm_body(name))
            if status not in (201, 409):
                errs.append(f"{status} {data[:200]!r}")
        c.close()

    ths = [threading.Thread(target=work, args=(ch,)) for ch in chunks]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    if errs:
        raise RuntimeError(f"populate {namespace}: {errs[:3]}")
    return names


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=5).stdout.strip() or "uncommitted"
    except Exception:
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(v) -> str:
    if isinstance(v, float):
        return "n/a" if v != v else (f"{v:.0f}" if abs(v) >= 100 else f"{v:.2f}")
    return str(v)


def render_markdown(rep: dict) -> str:
    L = []
    L.append(f"# API benchmark ({rep['datastore']} datastore) — {rep['date']}")
    L.append("")
    m = rep["machine"]
    L.append(f"Binary `{rep['binary']}` (commit {rep['commit']}), {m['cpus']} × {m['cpu']}, {m['mem_gb']} GiB. "
             f"Client: {rep['client']}")
    L.append("")
    L.append("| target | measured | goal | |")
    L.append("|---|---|---|---|")
    for t in rep["targets"]:
        L.append(f"| {t['name']} | {fmt(t['measured'])} {t['unit']} | < {fmt(t['goal'])} {t['unit']} | "
                 f"{'✅' if t['met'] else '❌'} |")
    L.append("")
    s = rep["startup"]
    L.append(f"Start-up to /readyz, median of {len(s['fresh_ms'])}: first start (new data dir, generates CA and "
             f"certificates) {fmt(s['fresh_median_ms'])} ms; restart on an existing data dir "
             f"{fmt(s['restart_median_ms'])} ms. Idle RSS after 10 s: {fmt(rep['idle_rss_mb'])} MB; "
             f"RSS after the load below: {fmt(rep.get('rss_after_load_mb', float('nan')))} MB.")
    L.append("")
    L.append("| operation | clients | requests | req/s | p50 ms | p99 ms | max ms | errors |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for o in rep["ops"]:
        L.append(f"| {o['op']} | {o['clients']} | {o['requests']} | {fmt(o['throughput_per_s'])} | {fmt(o['p50_ms'])} | "
                 f"{fmt(o['p99_ms'])} | {fmt(o['max_ms'])} | {o['errors']} |")
    p = rep["paced_create"]
    L.append("")
    L.append(f"Paced creates at {fmt(p['target_rate_per_s'])}/s for {fmt(p['seconds'])} s: achieved "
             f"{fmt(p['achieved_rate_per_s'])}/s, latency p50 {fmt(p['p50_ms'])} ms, p99 {fmt(p['p99_ms'])} ms, "
             f"max {fmt(p['max_ms'])} ms (p99 counted from the scheduled send time: "
             f"{fmt(p['p99_from_schedule_ms'])} ms), errors {p['errors']}.")
    w = rep["watch"]
    L.append("")
    L.append(f"Watch delivery ({w['events']}/{w['expected']} events): from the create's response to the event "
             f"p50 {fmt(w['after_response_p50_ms'])} ms, p99 {fmt(w['after_response_p99_ms'])} ms; from the create's "
             f"request p50 {fmt(w['after_request_p50_ms'])} ms, p99 {fmt(w['after_request_p99_ms'])} ms.")
    L.append("")
    return "\n".join(L)


def run_servers_comparison(binary: Path, work: Path, args) -> dict:
    """The same closed-loop load through SQLite (1 server), and on one 3-member etcd through 1 and
    through 3 servers (clients spread round robin over the servers)."""
    setups = []
    clients_list = (8, 64)
    for label, servers_n, on_etcd in (("SQLite, 1 server", 1, False), ("etcd (3 members), 1 server", 1, True),
                                      ("etcd (3 members), 3 servers", 3, True)):
        etcd = EtcdCluster(3) if on_etcd else None
        servers: list[Server] = []
        try:
            extra = ("--datastore-endpoint", etcd.endpoints, "--token", "bench") if etcd else ()
            for i in range(servers_n):
                s = Server(binary, work / f"ha-{len(setups)}-{i}", extra=extra)
                servers.append(s)
                s.start(timeout=60)
            creds = [s.credentials() for s in servers]
            for ns in ("bench-create", "bench-obj", "bench-list-1k"):
                make_namespace(creds[0], ns)
            objs = populate(creds[0], "bench-obj", 1000)
            populate(creds[0], "bench-list-1k", 1000)
            time.sleep(1.0)  # every server's watch cache has caught up
            ops = []
            print(f"-- {label}", flush=True)
            for clients in clients_list:
                for ph in (Phase("create", clients, args.seconds, args.max_ops, "bench-create", tag=f"{clients}"),
                           Phase("get", clients, args.seconds, args.max_ops, "bench-obj", tuple(objs)),
                           Phase("update", clients, args.seconds, args.max_ops, "bench-obj", tuple(objs)),
                           # 1,000 ConfigMaps and the namespace's kube-root-ca.crt
                           Phase("list", clients, args.seconds, max(clients, args.max_ops // 10), "bench-list-1k",
                                 tag="1k", expect_items=1001)):
                    r = run_phase(creds, ph)
                    ops.append(r)
                    print(f"{r['op']:<18} {r['clients']:>7} {r['requests']:>9} {fmt(r['throughput_per_s']):>9} "
                          f"{fmt(r['p50_ms']):>8} {fmt(r['p99_ms']):>8} {r['errors']:>6}", flush=True)
            setups.append({"setup": label, "servers": servers_n, "etcd_members": 3 if etcd else 0, "ops": ops})
        finally:
            for s in servers:
                s.close()
            if etcd:
                etcd.close()
    return {"clients": list(clients_list), "setups": setups}


def render_servers_markdown(rep: dict) -> str:
    L = [f"# API benchmark: SQLite, etcd through 1 server, etcd through 3 servers — {rep['date']}", ""]
    L.append(f"Binary `{rep['binary']}` (commit {rep['commit']}); {rep['machine']['cpus']} CPUs ({rep['machine']['cpu']}), "
             f"kernel {rep['machine']['kernel']}; servers, etcd members and clients all share this machine. "
             f"Each phase {rep['settings']['seconds']} s, at most {rep['settings']['max_ops']} requests"
             f"{' (--quick)' if rep['settings']['quick'] else ''}. Throughput in requests/s, latency p50 / p99 in ms.")
    L.append("")
    setups = rep["servers_comparison"]["setups"]
    L.append("| operation | clients | " + " | ".join(s["setup"] for s in setups) + " |")
    L.append("|---|---:|" + "---:|" * len(setups))
    for i, op in enumerate(setups[0]["ops"]):
        cells = []
        for s in setups:
            o = s["ops"][i]
            cells.append(f"{fmt(o['throughput_per_s'])} req/s, {fmt(o['p50_ms'])} / {fmt(o['p99_ms'])} ms"
                         + (f", {o['errors']} errors" if o["errors"] else ""))
        L.append(f"| {op['op']} | {op['clients']} | " + " | ".join(cells) + " |")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("KYVERN_BIN", str(ROOT / ".build" / "release" / "kyvern")))
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each closed-loop phase")
    ap.add_argument("--max-ops", type=int, default=20000, help="request cap of each closed-loop phase")
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--paced-rate", type=float, default=500.0)
    ap.add_argument("--paced-seconds", type=float, default=10.0)
    ap.add_argument("--watch-events", type=int, default=200)
    ap.add_argument("--big-list", type=int, default=10000)
    ap.add_argument("--quick", action="store_true", help="short phases for a smoke run (not for the README)")
    ap.add_argument("--no-report", action="store_true", help="print only; write no files")
    ap.add_argument("--datastore", choices=("sqlite", "etcd"), default="sqlite",
                    help="etcd: each server gets a fresh single-member etcd ($ETCD or /usr/bin/etcd) on 127.0.0.1")
    ap.add_argument("--servers", action="store_true",
                    help="only the same load through SQLite, and through 1 and 3 servers on one 3-member etcd")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.max_ops, args.starts, args.idle_seconds = 1.5, 3000, 3, 10.0
        args.paced_seconds, args.watch_events, args.big_list = 3.0, 50, 10000

    binary = Path(args.bin)
    if not binary.exists():
        print(f"kyvern binary not found: {binary} (swift build -c release, or pass --bin)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="kyvern-bench-"))
    servers: list[Server] = []
    rep: dict = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "binary": str(binary), "commit": git_commit(),
        "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(),
                    "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "kernel": platform.release()},
        "client": "Python http.client over ssl, HTTP/1.1 keep-alive, one connection per client thread, "
                  "threads spread over up to 4 processes; client and server share the machine",
        "settings": vars(args),
        "datastore": args.datastore,
    }
    if args.servers:
        try:
            rep["servers_comparison"] = run_servers_comparison(binary, work, args)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        md = render_servers_markdown(rep)
        print()
        print(md)
        if not args.no_report:
            REPORTS.mkdir(parents=True, exist_ok=True)
            day = dt.date.today().isoformat()
            (REPORTS / f"api-servers-{day}.json").write_text(json.dumps(rep, indent=2) + "\n")
            (REPORTS / "latest-servers.md").write_text(md + "\n")
            print(f"wrote {REPORTS / f'api-servers-{day}.json'} and {REPORTS / 'latest-servers.md'}")
        return 0
    try:
        # ---- start-up -----------------------------------------------------------------------
        fresh, restart = [], []
        for i in range(args.starts):
            s = Server(binary, work / f"start-{i}", datastore=args.datastore)
            servers.append(s)
            fresh.append(s.start() * 1000)
            s.stop()
            restart.append(s.start() * 1000)
            s.close()
        rep["startup"] = {"fresh_ms": [round(x, 1) for x in fresh], "restart_ms": [round(x, 1) for x in restart],
                          "fresh_median_ms": round(statistics.median(fresh), 1),
                          "restart_median_ms": round(statistics.median(restart), 1)}
        print(f"start-up to /readyz: first start median {rep['startup']['fresh_median_ms']} ms {rep['startup']['fresh_ms']}, "
              f"restart median {rep['startup']['restart_median_ms']} ms {rep['startup']['restart_ms']}", flush=True)

        # ---- the server under load ------------------------------------------------------------
        srv = Server(binary, work / "load", datastore=args.datastore)
        servers.append(srv)
        srv.start()
        time.sleep(args.idle_seconds)
        rep["idle_rss_mb"] = round(srv.rss_mb(), 1)
        print(f"idle RSS after {args.idle_seconds:.0f} s: {rep['idle_rss_mb']} MB", flush=True)
        creds = srv.credentials()
        for ns in ("bench-create", "bench-obj", "bench-list-1k", "bench-list-big", "bench-paced", "bench-watch"):
            make_namespace(creds, ns)
        t = time.perf_counter()
        objs = populate(creds, "bench-obj", 1000)
        populate(creds, "bench-list-1k", 1000)
        populate(creds, "bench-list-big", args.big_list)
        print(f"populated {2000 + args.big_list} ConfigMaps in {time.perf_counter() - t:.1f} s", flush=True)

        ops = []
        print(f"{'operation':<18} {'clients':>7} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for clients in (1, 8, 64):
            phases = [
                Phase("create", clients, args.seconds, args.max_ops, "bench-create", tag=f"{clients}"),
                Phase("get", clients, args.seconds, args.max_ops, "bench-obj", tuple(objs)),
                Phase("update", clients, args.seconds, args.max_ops, "bench-obj", tuple(objs)),
                Phase("list", clients, args.seconds, max(clients, args.max_ops // 10), "bench-list-1k", tag="1k",
                      expect_items=1000),
                Phase("list", clients, args.seconds, max(clients, args.max_ops // 50), "bench-list-big",
                      tag=f"{args.big_list // 1000}k", expect_items=args.big_list),
            ]
            for ph in phases:
                r = run_phase(creds, ph)
                ops.append(r)
                print(f"{r['op']:<18} {r['clients']:>7} {r['requests']:>9} {fmt(r['throughput_per_s']):>9} "
                      f"{fmt(r['p50_ms']):>8} {fmt(r['p99_ms']):>8} {r['errors']:>6}", flush=True)
                for e in r["error_samples"]:
                    print(f"    error: {e}")
        rep["ops"] = ops

        time.sleep(1.0)
        rep["paced_create"] = paced_creates(creds, "bench-paced", args.paced_rate, args.paced_seconds)
        p = rep["paced_create"]
        print(f"paced create {args.paced_rate:.0f}/s: achieved {p['achieved_rate_per_s']}/s, p50 {p['p50_ms']} ms, "
              f"p99 {p['p99_ms']} ms (from schedule {p['p99_from_schedule_ms']} ms), errors {p['errors']}", flush=True)
        rep["watch"] = watch_latency(creds, "bench-watch", args.watch_events)
        w = rep["watch"]
        print(f"watch delivery after response: p50 {w['after_response_p50_ms']} ms, p99 {w['after_response_p99_ms']} ms "
              f"({w['events']}/{w['expected']} events)", flush=True)
        rep["rss_after_load_mb"] = round(srv.rss_mb(), 1)

        big = next(o for o in ops if o["op"].startswith("list (") and o["op"] != "list (1k)" and o["clients"] == 1)
        startup = rep["startup"]["restart_median_ms"]
        rep["targets"] = [
            {"name": "start-up to /readyz (restart, median)", "measured": startup, "goal": TARGETS["startup_ms"],
             "unit": "ms", "met": startup < TARGETS["startup_ms"]},
            {"name": "start-up to /readyz (first start, median)", "measured": rep["startup"]["fresh_median_ms"],
             "goal": TARGETS["startup_ms"], "unit": "ms", "met": rep["startup"]["fresh_median_ms"] < TARGETS["startup_ms"]},
            {"name": "idle RSS after 10 s", "measured": rep["idle_rss_mb"], "goal": TARGETS["idle_rss_mb"], "unit": "MB",
             "met": rep["idle_rss_mb"] < TARGETS["idle_rss_mb"]},
            {"name": f"create p99 at {args.paced_rate:.0f}/s", "measured": p["p99_ms"], "goal": TARGETS["paced_create_p99_ms"],
             "unit": "ms", "met": p["p99_ms"] < TARGETS["paced_create_p99_ms"] and p["errors"] == 0
             and p["achieved_rate_per_s"] >= 0.95 * args.paced_rate},
            {"name": f"{args.big_list:,}-object list (1 client, p50)", "measured": big["p50_ms"],
             "goal": TARGETS["list_10k_p50_ms"], "unit": "ms", "met": big["p50_ms"] < TARGETS["list_10k_p50_ms"]},
        ]
    finally:
        for s in servers:
            s.close()
        shutil.rmtree(work, ignore_errors=True)

    md = render_markdown(rep)
    print()
    print(md)
    if not args.no_report:
        REPORTS.mkdir(parents=True, exist_ok=True)
        day = dt.date.today().isoformat()
        # SQLite keeps the original names; etcd runs sit beside them.
        tag = "" if args.datastore == "sqlite" else f"-{args.datastore}"
        (REPORTS / f"api{tag}-{day}.json").write_text(json.dumps(rep, indent=2) + "\n")
        (REPORTS / f"latest{tag}.md").write_text(md + "\n")
        print(f"wrote {REPORTS / f'api{tag}-{day}.json'} and {REPORTS / f'latest{tag}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
