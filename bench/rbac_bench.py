#!/usr/bin/env python3
"""RBAC case of the API benchmark (issue 12): ConfigMap create latency for the admin
(system:masters, decided without RBAC) beside a ServiceAccount bound by a RoleBinding, with 10,000
RoleBindings present, and the RBAC decision time itself, read from the server's
`apiserver_authorization_duration_seconds` histogram.

Starts its own `kyvern server` (release build by default) on 127.0.0.1, like bench/api_bench.py,
whose client and phase code it reuses. Every phase is bounded in time and requests.

    python3 bench/rbac_bench.py                                  # release build, full run
    python3 bench/rbac_bench.py --bin .build/debug/kyvern --quick --no-report
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_bench import (REPORTS, ROOT, Client, Phase, Server, cpu_model, git_commit, make_namespace,  # noqa: E402
                       pct, run_phase)

TARGETS = {"user_vs_admin_create_p99_ratio": 1.10, "decision_p99_us": 50.0}


def bindings(creds, namespace: str, n: int) -> None:
    """`n` RoleBindings in `namespace`, each naming a user of its own, made by 16 senders."""
    errs: list[str] = []

    def work(chunk):
        c = Client(creds)
        for i in chunk:
            body = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": f"rb-{i:05d}"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": f"user-{i}"}]}
            status, data = c.call("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
                                  json.dumps(body).encode())
            if status not in (201, 409):
                errs.append(f"{status} {data[:200]!r}")
        c.close()

    threads = [threading.Thread(target=work, args=(range(k, n, 16),)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errs:
        raise RuntimeError(f"rolebindings: {errs[:3]}")


def service_account_token(creds, namespace: str, name: str) -> str:
    c = Client(creds)
    for method, path, body in [
        ("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts",
         {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}),
        ("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
         {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": f"{name}-edit"},
          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
          "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]}),
    ]:
        status, data = c.call(method, path, json.dumps(body).encode())
        if status not in (201, 409):
            raise RuntimeError(f"{path}: {status} {data[:200]!r}")
    status, data = c.call("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
                          json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                      "spec": {"expirationSeconds": 3600}}).encode())
    c.close()
    if status != 201:
        raise RuntimeError(f"token: {status} {data[:200]!r}")
    return json.loads(data)["status"]["token"]


def decision_histogram(creds) -> dict[float, float]:
    """Cumulative bucket counts (upper bound in seconds -> count) of allowed RBAC decisions."""
    c = Client(creds)
    status, data = c.call("GET", "/metrics")
    c.close()
    buckets: dict[float, float] = {}
    for m in re.finditer(r'^apiserver_authorization_duration_seconds_bucket\{decision="allowed",le="([^"]+)"\} (\S+)$',
                         data.decode(), re.M):
        buckets[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = float(m.group(2))
    return buckets


def histogram_percentile(before: dict, after: dict, p: float) -> tuple[float, int]:
    """The p-th percentile (seconds) of the decisions between two scrapes, by linear
    interpolation inside the bucket that holds it; and how many decisions there were."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0
    if total <= 0:
        return float("nan"), 0
    rank = p / 100.0 * total
    lower, below = 0.0, 0.0
    for bound, cumulative in zip(bounds, counts):
        if cumulative >= rank:
            if bound == float("inf"):
                return lower, int(total)
            share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
            return lower + (bound - lower) * share, int(total)
        lower, below = bound, cumulative
    return lower, int(total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "kyvern"))
    ap.add_argument("--bindings", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=6,
                    help="interleaved admin/user rounds; each figure pools every round's samples")
    ap.add_argument("--max-ops", type=int, default=5000)
    ap.add_argument("--quick", action="store_true", help="1,000 bindings and short phases (not for the README)")
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.bindings, args.seconds, args.max_ops, args.rounds = 1000, 2.0, 1000, 2

    work = Path(tempfile.mkdtemp(prefix="kyvern-rbac-bench-"))
    server = Server(Path(args.bin), work / "data")
    rows = []
    try:
        server.start()
        admin = server.credentials()
        namespace = "bench-rbac"
        make_namespace(admin, namespace)
        print(f"creating {args.bindings} RoleBindings in {namespace} ...", flush=True)
        bindings(admin, namespace, args.bindings)
        user = replace(admin, token=service_account_token(admin, namespace, "writer"), cert=None, key=None)

        results = {}
        before = decision_histogram(admin)
        # Interleaved rounds (the order of admin and user alternating too), so drift in the machine's
        # load over the run hits both alike; each figure is then taken over the pooled samples of all
        # rounds, not from one short phase whose p99 a single scheduling hiccup decides.
        for round_ in range(1, args.rounds + 1):
            order = (("admin", admin), ("user", user)) if round_ % 2 else (("user", user), ("admin", admin))
            for who, creds in order:
                for clients in (1, 8):
                    phase = Phase("create", clients, args.seconds, args.max_ops, namespace, tag=f"{who}{round_}-{clients}")
                    r = run_phase(creds, phase, keep_samples=True)
                    if r["errors"]:
                        raise RuntimeError(f"{who}: {r['error_samples']}")
                    results.setdefault((who, clients), []).append(r)
                    print(f"  round {round_} {who:5s} {clients:2d} clients: p50 {r['p50_ms']:.2f} ms  "
                          f"p99 {r['p99_ms']:.2f} ms  {r['throughput_per_s']:.0f}/s", flush=True)
        after = decision_histogram(admin)
        p50, n = histogram_percentile(before, after, 50)
        p99, _ = histogram_percentile(before, after, 99)
        for (who, clients), rs in sorted(results.items()):
            pooled = [x for r in rs for x in r["samples"]]
            rows.append({"who": who, "clients": clients, "requests": len(pooled), "rounds": len(rs),
                         "p50_ms": round(pct(pooled, 50) * 1000, 3),
                         "p99_ms": round(pct(pooled, 99) * 1000, 3),
                         "round_p99_ms": [r["p99_ms"] for r in rs],
                         "throughput_per_s": round(sum(r["throughput_per_s"] for r in rs) / len(rs), 1)})
        by = {(r["who"], r["clients"]): r for r in rows}
        report = {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": git_commit(),
            "binary": os.path.relpath(args.bin, ROOT) if os.path.isabs(args.bin) else args.bin, "cpu": cpu_model(), "rolebindings": args.bindings, "create": rows,
            "decision": {"count": n, "p50_us": round(p50 * 1e6, 2), "p99_us": round(p99 * 1e6, 2)},
            "ratio_p99": {c: round(by[("user", c)]["p99_ms"] / by[("admin", c)]["p99_ms"], 3) for c in (1, 8)},
            "targets": TARGETS,
        }
        print()
        print(f"| clients | admin create p99 | user create p99 | user/admin |")
        print(f"|---|---|---|---|")
        for c in (1, 8):
            print(f"| {c} | {by[('admin', c)]['p99_ms']:.2f} ms | {by[('user', c)]['p99_ms']:.2f} ms | "
                  f"{report['ratio_p99'][c]:.2f} (target <= {TARGETS['user_vs_admin_create_p99_ratio']}) |")
        print(f"\nRBAC decisions with {args.bindings} RoleBindings: {n} measured, p50 {p50 * 1e6:.1f} µs, "
              f"p99 {p99 * 1e6:.1f} µs (target < {TARGETS['decision_p99_us']:.0f} µs)")
        if not args.no_report:
            REPORTS.mkdir(parents=True, exist_ok=True)
            path = REPORTS / f"rbac-{dt.date.today().isoformat()}.json"
            path.write_text(json.dumps(report, indent=2) + "\n")
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
