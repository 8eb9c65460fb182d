#!/usr/bin/env python3
"""Service proxy benchmark (issue 7, item 6). Run as root inside its own network namespace:

    unshare -n sh -c 'ip link set lo up && .venv/bin/python bench/network/run.py'

(a) rule sync: `kyvern proxy-bench rules --mode M` times rule generation and loading
    (iptables-restore, or nft -f) for 1,000 Services x 10 endpoints: a cold full sync, a full
    resync over existing rules, and a one-endpoint change (partial sync). Target: full resync
    under 1 s.
(b) data path: busybox httpd in a network namespace behind a bridge; the same bounded HTTP load
    (fresh connection per request, as a ClusterIP spreads new connections) straight to the pod
    IP (the floor) and through a ClusterIP with that pod as its one endpoint, alternating rounds.
    Target: requests/s and p99 within 10 % of the floor.

--mode iptables|nftables|both (default both: the two proxy modes side by side, one after the
other, each with its own floor rounds).

Prints a table and writes bench/reports/network-<date>.json and bench/reports/network-latest.md.
Removes its namespace, bridge and rules when done, also on failure.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BRIDGE, NS = "kybench0", "kybench-pod"
GATEWAY, POD_IP, CIDR = "10.249.1.1", "10.249.1.11", "10.249.1.0/24"
SERVICE_IP, SERVICE_PORT, POD_PORT = "10.43.249.10", 80, 8080


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout


def kyvern(binary, *args):
    return subprocess.run([binary, "proxy-bench", *args], check=True, capture_output=True, text=True).stdout


def rule_sync(binary, repeats, mode):
    runs = [json.loads(kyvern(binary, "rules", "--services", "1000", "--endpoints", "10", "--mode", mode).strip().splitlines()[-1])
            for _ in range(repeats)]
    keys = ["generateSeconds", "coldFullSyncSeconds", "fullResyncSeconds", "oneEndpointChangeSeconds", "removeSeconds"]
    median = {k: statistics.median(r[k] for r in runs) for k in keys}
    return {"runs": runs, "median": median, "rules": runs[0]["rules"], "chains": runs[0]["chains"],
            "backend": runs[0]["backend"], "oneEndpointChainsWritten": runs[0]["oneEndpointChainsWritten"]}


def set_up(directory):
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", GATEWAY + "/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    sh("ip", "route", "add", "10.43.249.0/24", "dev", BRIDGE)
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", "vkybench", "type", "veth", "peer", "name", "eth0", "netns", NS)
    sh("ip", "link", "set", "vkybench", "master", BRIDGE, "up")
    for args in (["addr", "add", POD_IP + "/24", "dev", "eth0"], ["link", "set", "eth0", "up"], ["link", "set", "lo", "up"],
                 ["route", "add", "default", "via", GATEWAY]):
        sh("ip", "-n", NS, *args)
    with open(os.path.join(directory, "index.html"), "w") as f:
        f.write("pod\n")
    subprocess.run(f"ip netns exec {NS} busybox httpd -p {POD_PORT} -h {directory} </dev/null >/dev/null 2>&1",
                   shell=True, check=True)


def tear_down(binary):
    for mode in ("iptables", "nftables"):
        subprocess.run([binary, "proxy-bench", "remove", "--mode", mode], capture_output=True)
    for pid in sh("ip", "netns", "pids", NS, check=False).split():
        try:
            os.kill(int(pid), 9)
        except OSError:
            pass
    sh("ip", "netns", "del", NS, check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


def one_request(host, port):
    start = time.perf_counter()
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    if b" 200 " not in data.split(b"\r\n", 1)[0]:
        raise RuntimeError("bad response")
    return time.perf_counter() - start


def load(host, port, requests, concurrency, limit_seconds):
    latencies, errors, lock = [], [0], threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + limit_seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            try:
                took = one_request(host, port)
                with lock:
                    latencies.append(took)
            except Exception:
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    return {"requests": len(latencies), "errors": errors[0], "seconds": wall, "rps": len(latencies) / wall,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"), "p99_ms": p99 * 1000}


def data_path(binary, requests, concurrency, rounds, mode):
    kyvern(binary, "apply", "--cluster-ip", SERVICE_IP, "--port", str(SERVICE_PORT),
           "--endpoint", f"{POD_IP}:{POD_PORT}", "--cluster-cidr", CIDR, "--mode", mode)
    load(POD_IP, POD_PORT, 200, concurrency, 20)  # warm-up
    load(SERVICE_IP, SERVICE_PORT, 200, concurrency, 20)
    floor, service = [], []
    for _ in range(rounds):
        floor.append(load(POD_IP, POD_PORT, requests, concurrency, 60))
        service.append(load(SERVICE_IP, SERVICE_PORT, requests, concurrency, 60))

    def summary(results):
        return {"rps": statistics.median(r["rps"] for r in results), "p50_ms": statistics.median(r["p50_ms"] for r in results),
                "p99_ms": statistics.median(r["p99_ms"] for r in results), "errors": sum(r["errors"] for r in results),
                "requests": sum(r["requests"] for r in results), "rounds": results}
    result = {"pod": summary(floor), "clusterIP": summary(service), "concurrency": concurrency, "requestsPerRound": requests}
    kyvern(binary, "remove", "--mode", mode)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/kyvern"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mode", choices=["iptables", "nftables", "both"], default="both",
                        help="which proxy mode(s) to measure; both runs them side by side")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root in a private network namespace (see the docstring)")
    with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
        f.write("1")
    modes = ["iptables", "nftables"] if args.mode == "both" else [args.mode]
    tear_down(args.binary)
    rules, paths = {}, {}
    with tempfile.TemporaryDirectory() as directory:
        try:
            for mode in modes:
                rules[mode] = rule_sync(args.binary, args.repeats, mode)
            set_up(directory)
            for mode in modes:
                paths[mode] = data_path(args.binary, args.requests, args.concurrency, args.rounds, mode)
        finally:
            tear_down(args.binary)
    commit = os.environ.get("KYVERN_COMMIT") or subprocess.run(["git", "-c", "safe.directory=*", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc)
    report = {"date": now.isoformat(timespec="seconds"), "commit": commit, "binary": os.path.relpath(args.binary, ROOT),
              "cpus": os.cpu_count(), "load": os.getloadavg(), "modes": modes, "ruleSync": rules, "dataPath": paths}
    ok = lambda good: "✅" if good else "❌ not met"
    header = "| | " + " | ".join(modes) + " |"
    rule_line = "|---|" + "---:|" * len(modes)
    row = lambda label, f: f"| {label} | " + " | ".join(f(m) for m in modes) + " |"
    lines = [
        f"# Network benchmark — {now.strftime('%Y-%m-%dT%H:%M:%S')}",
        "",
        f"Binary `{os.path.relpath(args.binary, ROOT)}` (commit {commit}), {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at the end; run in a private network namespace; proxy modes: "
        + ", ".join(f"{m} ({rules[m]['backend']})" for m in modes) + ".",
        "",
        f"Rule sync, 1,000 Services × 10 endpoints, seconds, median of {args.repeats} (each sync generates and loads):",
        "",
        header, rule_line,
        row("rules (nftables: rules + map elements)", lambda m: str(rules[m]["rules"])),
        row("chains", lambda m: str(rules[m]["chains"])),
        row("generate the rule set", lambda m: f"{rules[m]['median']['generateSeconds']:.3f}"),
        row("cold full sync", lambda m: f"{rules[m]['median']['coldFullSyncSeconds']:.3f}"),
        row("full resync over existing rules", lambda m: f"{rules[m]['median']['fullResyncSeconds']:.3f}"),
        row("one endpoint changed (partial sync)", lambda m: f"{rules[m]['median']['oneEndpointChangeSeconds']:.3f}"),
        row("chains written by that partial sync", lambda m: str(rules[m]["oneEndpointChainsWritten"])),
        row("remove everything", lambda m: f"{rules[m]['median']['removeSeconds']:.3f}"),
        "",
        f"Data path: busybox httpd in a namespace, {args.concurrency} client threads, a new connection per request, "
        f"{args.rounds} alternating rounds of {args.requests} requests per mode, medians:",
        "",
        "| mode | path | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for m in modes:
        pod, svc = paths[m]["pod"], paths[m]["clusterIP"]
        lines.append(f"| {m} | pod IP (floor) | {pod['rps']:.0f} | {pod['p50_ms']:.2f} | {pod['p99_ms']:.2f} | {pod['errors']} |")
        lines.append(f"| {m} | ClusterIP | {svc['rps']:.0f} | {svc['p50_ms']:.2f} | {svc['p99_ms']:.2f} | {svc['errors']} |")
    lines += ["", "| mode | target | measured | goal | |", "|---|---|---|---|---|"]
    for m in modes:
        med, pod, svc = rules[m]["median"], paths[m]["pod"], paths[m]["clusterIP"]
        rps_ratio, p99_ratio = svc["rps"] / pod["rps"], svc["p99_ms"] / pod["p99_ms"]
        lines += [
            f"| {m} | full resync, 1,000 × 10 | {med['fullResyncSeconds']:.2f} s | < 1.00 s | {ok(med['fullResyncSeconds'] < 1)} |",
            f"| {m} | one-endpoint change, 1,000 × 10 | {med['oneEndpointChangeSeconds'] * 1000:.0f} ms | < 1 s | {ok(med['oneEndpointChangeSeconds'] < 1)} |",
            f"| {m} | ClusterIP req/s vs floor | {rps_ratio * 100:.1f} % | ≥ 90 % | {ok(rps_ratio >= 0.9)} |",
            f"| {m} | ClusterIP p99 vs floor | {p99_ratio * 100:.1f} % | ≤ 110 % | {ok(p99_ratio <= 1.1)} |",
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    reports = os.path.join(ROOT, "bench", "reports")
    os.makedirs(reports, exist_ok=True)
    with open(os.path.join(reports, f"network-{now.date().isoformat()}.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(reports, "network-latest.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
