#!/usr/bin/env python3
"""NetworkPolicy sync benchmark (issue 15, item 5). Run as root inside its own network namespace:

    unshare -n sh -c 'ip link set lo up && .venv/bin/python bench/network/netpol.py'

`kyvern netpol-bench` builds a synthetic cluster of 5,000 pods in 50 namespaces, every pod on
the measured node (the worst case), and 1,000 policies (pod and namespace selectors, named
ports, port ranges, ipBlocks with exceptions, a quarter with egress rules); it times a full
sync as the node's policy controller does one: compile the policies, write the nft text, load
it with `nft -f` as one transaction; then the same after one policy changed. Target: the sync
under 1 s.

Prints a table and writes bench/reports/netpol-<date>.json and bench/reports/netpol-latest.md.
The command removes its table when done, also on failure.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = ["compileSeconds", "buildSeconds", "coldLoadSeconds", "coldSyncSeconds", "changedSyncSeconds", "removeSeconds"]


def main():
    release = os.path.join(ROOT, ".build/release/kyvern")
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=release if os.path.exists(release) else os.path.join(ROOT, ".build/debug/kyvern"))
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root in a private network namespace (see the docstring)")
    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([args.binary, "netpol-bench", "--policies", str(args.policies), "--pods", str(args.pods)],
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    median = {k: statistics.median(r[k] for r in runs) for k in KEYS}
    first = runs[0]
    nft = subprocess.run(["nft", "--version"], capture_output=True, text=True).stdout.strip()
    commit = os.environ.get("KYVERN_COMMIT") or subprocess.run(
        ["git", "-c", "safe.directory=*", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc)
    binary = os.path.relpath(args.binary, ROOT)
    report = {"date": now.isoformat(timespec="seconds"), "commit": commit, "binary": binary, "nft": nft,
              "cpus": os.cpu_count(), "load": os.getloadavg(), "median": median, "runs": runs}
    ok = "✅" if median["coldSyncSeconds"] < 1 and median["changedSyncSeconds"] < 1 else "❌ not met"
    lines = [
        f"# NetworkPolicy sync benchmark — {now.strftime('%Y-%m-%dT%H:%M:%S')}",
        "",
        f"Binary `{binary}` (commit {commit}), {nft}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
        "at the end; run in a private network namespace.",
        "",
        f"{first['policies']:,} policies over {first['pods']:,} pods in {first['namespaces']} namespaces, every pod on the "
        f"node: {first['isolatedPods']:,} pods isolated, {first['rules']:,} rules, {first['sets']:,} address sets, "
        f"{first['textBytes'] / 1e6:.2f} MB of `nft -f` input. Seconds, median of {args.repeats}:",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| compile the policies (selectors, peers, named ports) | {median['compileSeconds']:.3f} |",
        f"| write the nft text | {median['buildSeconds']:.3f} |",
        f"| load it (`nft -f`, one transaction) | {median['coldLoadSeconds']:.3f} |",
        f"| **full sync** (the three above) | **{median['coldSyncSeconds']:.3f}** |",
        f"| full sync after one policy changed | {median['changedSyncSeconds']:.3f} |",
        f"| remove the table | {median['removeSeconds']:.3f} |",
        "",
        "| target | measured | goal | |",
        "|---|---|---|---|",
        f"| full policy sync, 1,000 policies × 5,000 pods | {max(median['coldSyncSeconds'], median['changedSyncSeconds']):.3f} s "
        f"| < 1.00 s | {ok} |",
        "",
    ]
    if "debug" in binary:
        lines += ["A debug build: compiling and writing the text take several times less in a release build; the load "
                  "is nft's and the kernel's, the same in both. The machine was shared (see the load average).", ""]
    text = "\n".join(lines)
    print(text)
    reports = os.path.join(ROOT, "bench", "reports")
    with open(os.path.join(reports, f"netpol-{now.date().isoformat()}.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(reports, "netpol-latest.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
