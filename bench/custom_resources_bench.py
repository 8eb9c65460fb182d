#!/usr/bin/env python3
"""Custom resources beside ConfigMaps: create and list throughput and latency for a custom resource
with a 30-field schema and three CEL rules, for the same resource without its rules, and for
ConfigMaps carrying the same 30 values, in one run against one server (issue: within 25%). The
difference between the create latencies with and without rules estimates the CEL evaluation time per
object. A fourth resource, written and read at v1 but stored at v2, shows what converting to and
from the storage version costs.

Starts its own `kyvern server` (release build by default) in a temporary directory on 127.0.0.1,
reusing bench/api_bench.py's server, client and statistics. Phases are bounded in time and requests,
and split into short interleaved rounds (rotating order, samples pooled) so that load from elsewhere
on the machine falls on every resource alike.

    python3 bench/custom_resources_bench.py                      # .build/release/kyvern (~1 min)
    python3 bench/custom_resources_bench.py --bin .build/debug/kyvern --seconds 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_bench import REPORTS, ROOT, Client, Creds, Server, cpu_model, git_commit, make_namespace, summarize  # noqa: E402

GROUP = "bench.kyvern.io"
FIELDS = 30
TARGET_RATIO = 1.25


def schema(with_rules: bool) -> dict:
    props = {f"field{i:02d}": ({"type": "integer", "minimum": 0, "maximum": 1_000_000} if i % 3 == 0 else
                               {"type": "string", "maxLength": 64} if i % 3 == 1 else
                               {"type": "boolean"}) for i in range(FIELDS)}
    spec = {"type": "object", "properties": props, "required": ["field00", "field01"]}
    if with_rules:
        spec["x-kubernetes-validations"] = [
            {"rule": "self.field00 <= self.field03 + 1000000", "message": "field00 too large"},
            {"rule": "self.field01.startsWith('v')", "message": "field01 must start with v"},
            {"rule": "!self.field02 || self.field06 >= 0", "message": "field06 must not be negative"},
        ]
    return {"type": "object", "properties": {"spec": spec}}


def crd(plural: str, kind: str, with_rules: bool, storage: str = "v1") -> dict:
    """Served at v1; with `storage="v2"` also at v2, which stores every v1 write (None conversion)."""
    versions = [{"name": v, "served": True, "storage": v == storage, "schema": {"openAPIV3Schema": schema(with_rules)}}
                for v in sorted({"v1", storage})]
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{GROUP}"},
            "spec": {"group": GROUP, "scope": "Namespaced",
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                     "versions": versions}}


def values(seed: int) -> dict:
    return {f"field{i:02d}": (seed + i if i % 3 == 0 else f"v{seed}-{i}" if i % 3 == 1 else (seed + i) % 2 == 0)
            for i in range(FIELDS)}


def body(kind: str | None, name: str, seed: int) -> bytes:
    if kind is None:
        data = {k: str(v) for k, v in values(seed).items()}
        return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}).encode()
    return json.dumps({"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": {"name": name},
                       "spec": values(seed)}).encode()


def base(resource: str, namespace: str) -> str:
    if resource == "configmaps":
        return f"/api/v1/namespaces/{namespace}/configmaps"
    return f"/apis/{GROUP}/v1/namespaces/{namespace}/{resource}"


KINDS = {"configmaps": None, "ruleds": "Ruled", "plains": "Plain", "storeds": "Stored"}


def _worker(creds: Creds, resource: str, op: str, namespace: str, wid: int, t_end: float, quota: int, out, errs,
            tag: str = ""):
    c = Client(creds)
    path = base(resource, namespace)
    lat = []
    i = 0
    try:
        while i < quota and time.perf_counter() < t_end:
            if op == "create":
                method, data, ok = "POST", body(KINDS[resource], f"o{tag}-{wid}-{i}", i), 201
            else:
                method, data, ok = "GET", None, 200
            t0 = time.perf_counter()
            status, answer = c.call(method, path, data)
            lat.append(time.perf_counter() - t0)
            if status != ok:
                errs.append(f"{method} {path} -> {status} {answer[:200]!r}")
                if len(errs) > 20:
                    break
            i += 1
    finally:
        c.close()
    out.extend(lat)


def _proc(creds, resource, op, namespace, wids, clients, seconds, max_ops, t_start, q, tag=""):
    time.sleep(max(0.0, t_start - time.time()))
    t_end = time.perf_counter() + seconds
    lat: list = []
    errs: list = []
    ths = [threading.Thread(target=_worker, args=(creds, resource, op, namespace, w, t_end,
                                                  max(1, max_ops // clients), lat, errs, tag)) for w in wids]
    t0 = time.perf_counter()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    q.put((lat, errs, time.perf_counter() - t0))


def phase_samples(creds: Creds, resource: str, op: str, namespace: str, clients: int, seconds: float, max_ops: int,
                  tag: str = "") -> tuple[list, float, list]:
    """One timed phase: its latencies, its elapsed time and its errors."""
    procs = min(clients, 4)
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    t_start = time.time() + 0.3
    ps = [ctx.Process(target=_proc, args=(creds, resource, op, namespace, list(range(p, clients, procs)), clients,
                                          seconds, max_ops, t_start, q, tag)) for p in range(procs)]
    for p in ps:
        p.start()
    results = [q.get(timeout=seconds + 300) for _ in ps]
    for p in ps:
        p.join(timeout=30)
    return [x for r in results for x in r[0]], max(r[2] for r in results), [e for r in results for e in r[1]]


def phase(creds: Creds, resource: str, op: str, namespace: str, clients: int, seconds: float, max_ops: int) -> dict:
    lat, elapsed, errs = phase_samples(creds, resource, op, namespace, clients, seconds, max_ops)
    r = summarize(f"{op} {resource}", clients, lat, elapsed, errs)
    r["resource"], r["verb"] = resource, op
    return r


def interleaved(creds: Creds, resources: tuple, clients: int, seconds: float, max_ops: int, rounds: int) -> list[dict]:
    """Every resource's create and list, in `rounds` short rounds whose order rotates, samples pooled:
    a burst of load from elsewhere on the machine then falls on every resource alike, not on one."""
    pooled = {(r, op): ([], 0.0, []) for r in resources for op in ("create", "list")}
    for index in range(rounds):
        order = resources[index % len(resources):] + resources[:index % len(resources)]
        for r in order:
            for op, ns in (("create", f"create-{r}-{clients}"), ("list", f"list-{r}")):
                quota = (max_ops if op == "create" else max_ops // 10) // rounds
                lat, elapsed, errs = phase_samples(creds, r, op, ns, clients, seconds / rounds, max(quota, 1),
                                                   tag=f"-r{index}")
                samples, total, errors = pooled[(r, op)]
                pooled[(r, op)] = (samples + lat, total + elapsed, errors + errs)
    out = []
    for r in resources:
        for op in ("create", "list"):
            lat, elapsed, errs = pooled[(r, op)]
            res = summarize(f"{op} {r}", clients, lat, elapsed, errs)
            res["resource"], res["verb"] = r, op
            out.append(res)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("KYVERN_BIN", str(ROOT / ".build" / "release" / "kyvern")))
    ap.add_argument("--seconds", type=float, default=6.0, help="seconds per resource, operation and client count")
    ap.add_argument("--rounds", type=int, default=6, help="interleaved rounds the seconds are split into")
    ap.add_argument("--max-ops", type=int, default=10000)
    ap.add_argument("--list-size", type=int, default=500)
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args()
    binary = Path(args.bin)
    if not binary.exists():
        print(f"kyvern binary not found: {binary} (swift build -c release, or pass --bin)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="kyvern-crbench-"))
    srv = Server(binary, work / "server")
    rep: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "binary": os.path.relpath(binary, ROOT),
                 "commit": git_commit(), "machine": {"cpus": os.cpu_count(), "cpu": cpu_model()},
                 "settings": vars(args), "schema_fields": FIELDS, "cel_rules": 3}
    try:
        srv.start()
        creds = srv.credentials()
        c = Client(creds)
        # `storeds` is `ruleds` written and read at v1 but stored at v2: the cost of the storage version.
        for plural, kind, rules, storage in (("ruleds", "Ruled", True, "v1"), ("plains", "Plain", False, "v1"),
                                             ("storeds", "Stored", True, "v2")):
            status, data = c.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                  json.dumps(crd(plural, kind, rules, storage)).encode())
            assert status == 201, data[:3000]
        resources = ("configmaps", "ruleds", "plains", "storeds")
        deadline = time.time() + 10
        while time.time() < deadline:
            if all(c.call("GET", f"/apis/{GROUP}/v1/{p}")[0] == 200 for p in resources[1:]):
                break
            time.sleep(0.05)
        c.close()
        for r in resources:
            make_namespace(creds, f"list-{r}")
            for clients in (1, 8):
                make_namespace(creds, f"create-{r}-{clients}")
        # Lists of the same size per resource.
        for r in resources:
            phase(creds, r, "create", f"list-{r}", 8, 60, args.list_size)
        ops = []
        print(f"{'operation':<20} {'clients':>7} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for clients in (1, 8):
            print(f"... {clients} client(s): {args.rounds} interleaved rounds", flush=True)
            for res in interleaved(creds, resources, clients, args.seconds, args.max_ops, args.rounds):
                ops.append(res)
                print(f"{res['op']:<20} {clients:>7} {res['requests']:>9} {res['throughput_per_s']:>9} "
                      f"{res['p50_ms']:>8} {res['p99_ms']:>8} {res['errors']:>6}", flush=True)
        rep["ops"] = ops

        def find(resource, verb, clients):
            return next(o for o in ops if o["resource"] == resource and o["verb"] == verb and o["clients"] == clients)

        targets = []
        for clients in (1, 8):
            for verb in ("create", "list"):
                cm, cr = find("configmaps", verb, clients), find("ruleds", verb, clients)
                ratio = cm["throughput_per_s"] / cr["throughput_per_s"] if cr["throughput_per_s"] else float("inf")
                targets.append({"name": f"{verb} throughput, ConfigMap / custom resource with rules, {clients} client(s)",
                                "measured": round(ratio, 3), "goal": TARGET_RATIO, "met": ratio <= TARGET_RATIO})
        rep["targets"] = targets
        cel = find("ruleds", "create", 1)["p50_ms"] - find("plains", "create", 1)["p50_ms"]
        rep["cel_per_object_ms_estimate"] = round(cel, 3)
        print()
        for t in targets:
            print(f"{t['name']}: {t['measured']}x (goal <= {t['goal']}x) {'met' if t['met'] else 'NOT met'}")
        print(f"CEL evaluation per object (create p50 with rules - without, 1 client): {cel:.3f} ms")
        for verb in ("create", "list"):
            plain, stored = find("ruleds", verb, 8), find("storeds", verb, 8)
            ratio = plain["throughput_per_s"] / stored["throughput_per_s"] if stored["throughput_per_s"] else float("inf")
            rep[f"storage_version_{verb}_ratio"] = round(ratio, 3)
            print(f"{verb} throughput, stored at the requested version / converted to another (8 clients): {ratio:.3f}x")
    finally:
        srv.close()
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_report:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"custom-resources-{dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(rep, indent=2) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
