#!/usr/bin/env python3
"""Ingress proxy benchmark (issue 15, item 5). Run as root inside its own network namespace:

    unshare -n sh -c 'ip link set lo up && .venv/bin/python bench/network/ingress.py'

Two busybox httpd "pods" in network namespaces behind a bridge serve a small page. The same wrk
load (keep-alive client connections, `--latency` for p99) goes, in alternating rounds,
(1) straight to one pod (the floor; busybox closes each connection, so wrk reconnects),
(2) through `kyvern ingress-bench` (the Ingress proxy with one route to both pods) and
(3) through Debian's nginx (`apt-get install -y nginx-light wrk`) configured as a reverse proxy to
the same two pods (its defaults: a new upstream connection per request, as Kyvern's proxy makes
against busybox). Target: the Ingress at least nginx's requests/s. Each round also charges the proxy's
own processes' CPU time to its requests (CPU µs per request), the figure requests/s follow on a
saturated machine.

Prints a table and writes bench/reports/ingress-<date>.json and bench/reports/ingress-latest.md.
Removes its namespaces, bridge and processes when done, also on failure.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from proc_cpu import cpu_times  # noqa: E402
BRIDGE, GATEWAY = "kyingb0", "10.249.2.1"
PODS = [("kyingb-pod1", "10.249.2.11", "vkying1"), ("kyingb-pod2", "10.249.2.12", "vkying2")]
POD_PORT, INGRESS_PORT, NGINX_PORT = 8080, 18080, 18081

NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream pods {{ {servers} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://pods;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True).stdout


def set_up(directory):
    # The bench's own namespace: the widest range of client ports for the new connections, and few
    # TIME_WAIT sockets here too (a proxy that closes an endpoint connection first keeps one; with
    # tens of thousands, each connect() spends most of its time searching for a free port).
    sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535")
    sh("sysctl", "-qw", "net.ipv4.tcp_max_tw_buckets=256")
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", GATEWAY + "/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    with open(os.path.join(directory, "index.html"), "w") as f:
        f.write("pod\n")
    for ns, ip, veth in PODS:
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "link", "set", veth, "master", BRIDGE, "up")
        for args in (["addr", "add", ip + "/24", "dev", "eth0"], ["link", "set", "eth0", "up"], ["link", "set", "lo", "up"],
                     ["route", "add", "default", "via", GATEWAY]):
            sh("ip", "-n", ns, *args)
        # Every request is a new connection that the pod closes, from the same source address: its
        # TIME_WAIT sockets would collide with reused client ports and stall connects by a second
        # (rounds then measured that, not the proxies). Keep few; the pods are throwaway namespaces.
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_max_tw_buckets=256")
        subprocess.run(f"ip netns exec {ns} busybox httpd -p {POD_PORT} -h {directory} </dev/null >/dev/null 2>&1",
                       shell=True, check=True)


def tear_down():
    for ns, _, _ in PODS:
        for pid in sh("ip", "netns", "pids", ns, check=False).split():
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass
        sh("ip", "netns", "del", ns, check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/"]).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {port}")


def cpu_of(pids):
    """(user, system) seconds of these processes (a process that ended counts nothing)."""
    times = [cpu_times(pid) or (0.0, 0.0) for pid in pids]
    return sum(t[0] for t in times), sum(t[1] for t in times)


def children(pid):
    return [int(x) for x in sh("pgrep", "-P", str(pid), check=False).split()]


def wrk(url, seconds, connections, threads):
    out = sh("wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", url)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"), "non2xx": int(bad.group(1)) if bad else 0,
            "socketErrors": sum(int(x) for x in errors.groups()) if errors else 0}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/kyvern"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root in a private network namespace (see the docstring)")
    for tool in ("wrk", "nginx", "busybox", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y wrk nginx-light busybox curl")
    tear_down()
    procs = []
    results = {"pod": [], "ingress": [], "nginx": []}
    with tempfile.TemporaryDirectory() as directory:
        try:
            set_up(directory)
            endpoints = [f"{ip}:{POD_PORT}" for _, ip, _ in PODS]
            procs.append(subprocess.Popen([args.binary, "ingress-bench", "--port", str(INGRESS_PORT),
                                           *sum((["--endpoint", e] for e in endpoints), [])],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            conf = os.path.join(directory, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(dir=directory, port=NGINX_PORT,
                                          servers=" ".join(f"server {e};" for e in endpoints)))
            procs.append(subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            targets = {"pod": f"http://{PODS[0][1]}:{POD_PORT}/", "ingress": f"http://127.0.0.1:{INGRESS_PORT}/",
                       "nginx": f"http://127.0.0.1:{NGINX_PORT}/"}
            wait_port(INGRESS_PORT)
            wait_port(NGINX_PORT)
            # whose CPU each round charges: the proxy's own processes (nginx: its master and workers)
            charged = {"pod": [], "ingress": [procs[0].pid], "nginx": [procs[1].pid] + children(procs[1].pid)}
            for url in targets.values():  # warm-up
                wrk(url, 2, args.connections, args.threads)
            for _ in range(args.rounds):
                for name, url in targets.items():
                    before = cpu_of(charged[name])
                    result = wrk(url, args.seconds, args.connections, args.threads)
                    requests = result["rps"] * args.seconds
                    if charged[name] and requests > 0:
                        user, system = (after - start for after, start in zip(cpu_of(charged[name]), before))
                        result["user_us_per_request"] = user / requests * 1e6
                        result["system_us_per_request"] = system / requests * 1e6
                        result["cpu_us_per_request"] = (user + system) / requests * 1e6
                    results[name].append(result)
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
            tear_down()
    def median_of(runs, key):
        return statistics.median(r[key] for r in runs) if runs and all(key in r for r in runs) else None

    summary = {name: {"rps": median_of(runs, "rps"), "p50_ms": median_of(runs, "p50_ms"), "p99_ms": median_of(runs, "p99_ms"),
                      "errors": sum(r["non2xx"] + r["socketErrors"] for r in runs),
                      "cpu_us_per_request": median_of(runs, "cpu_us_per_request"),
                      "user_us_per_request": median_of(runs, "user_us_per_request"),
                      "system_us_per_request": median_of(runs, "system_us_per_request"),
                      "rounds": runs}
               for name, runs in results.items()}
    commit = os.environ.get("KYVERN_COMMIT") or subprocess.run(
        ["git", "-c", "safe.directory=*", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    now = datetime.datetime.now(datetime.timezone.utc)
    inside = os.path.abspath(args.binary).startswith(ROOT + os.sep)
    binary = os.path.relpath(args.binary, ROOT) if inside else os.path.basename(args.binary)   # no machine paths
    report = {"date": now.isoformat(timespec="seconds"), "commit": commit, "binary": binary,
              "cpus": os.cpu_count(), "load": os.getloadavg(), "nginx": nginx_version, "connections": args.connections,
              "threads": args.threads, "seconds": args.seconds, "results": summary}
    ratio = summary["ingress"]["rps"] / summary["nginx"]["rps"]
    lines = [
        f"# Ingress benchmark — {now.strftime('%Y-%m-%dT%H:%M:%S')}",
        "",
        f"Binary `{binary}` (commit {commit}), {os.cpu_count()} CPUs shared with the load "
        f"generator and the pods, load average {os.getloadavg()[0]:.2f} at the end; {nginx_version}; run in a private "
        "network namespace.",
        "",
        f"wrk, {args.threads} threads, {args.connections} keep-alive connections, {args.seconds} s per round, "
        f"{args.rounds} alternating rounds, medians; two busybox httpd pods serving a 4-byte page:",
        "",
        "| path | req/s | p50 ms | p99 ms | errors | proxy CPU µs/request | of it user / system |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("pod", "one pod directly (floor)"), ("ingress", "Kyvern Ingress → 2 pods"), ("nginx", "nginx → 2 pods")):
        s = summary[name]
        cpu = f"{s['cpu_us_per_request']:.0f}" if s["cpu_us_per_request"] is not None else "–"
        split = (f"{s['user_us_per_request']:.0f} / {s['system_us_per_request']:.0f}"
                 if s["user_us_per_request"] is not None else "–")
        lines.append(f"| {label} | {s['rps']:.0f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['errors']} | {cpu} | {split} |")
    lines += ["", f"Ingress vs nginx: {ratio * 100:.0f} % of nginx's requests/s (target ≥ 100 %: "
              + ("met" if ratio >= 1 else "not met") + ").",
              "", "Proxy CPU: user + system time of the proxy's processes during each round, divided by the round's "
              "requests (the machine is saturated in every round, so requests/s follow it). System time includes "
              "the kernel's TCP work for the endpoint connections, which runs in the connecting process."]
    text = "\n".join(lines) + "\n"
    print(text)
    reports = os.path.join(ROOT, "bench", "reports")
    os.makedirs(reports, exist_ok=True)
    with open(os.path.join(reports, f"ingress-{now.date().isoformat()}.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(reports, "ingress-latest.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
