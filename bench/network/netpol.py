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
The command removes its rules when done, also on failure.
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


def tool_version(argv):
    return subprocess.run(argv, capture_output=True, text=True).stdout.strip()


def measure(binary, mode, policies, pods, repeats):
    runs = []
    for _ in range(repeats):
        out = subprocess.run([binary, "netpol-bench", "--mode", mode, "--policies", str(policies), "--pods", str(pods)],
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    return {"median": {k: statistics.median(r[k] for r in runs) for k in KEYS}, "runs": runs}


LANGUAGE = {
    "nftables": {"text": "the nft text", "load": "load it (`nft -f`, one transaction)", "sets": "address sets",
                 "input": "`nft -f` input", "remove": "remove the table"},
    "iptables": {"text": "the iptables chains", "load": "load them (`iptables-restore --noflush`, one transaction)",
                 "sets": "chains", "input": "`iptables-restore` input", "remove": "remove the chains and hooks"},
}


def main():
    release = os.path.join(ROOT, ".build/release/kyvern")
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=release if os.path.exists(release) else os.path.join(ROOT, ".build/debug/kyvern"))
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="nftables,iptables")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root in a private network namespace (see the docstring)")
    modes = args.modes.split(",")
    results = {mode: measure(args.binary, mode, args.policies, args.pods, args.repeats) for mode in modes}
    versions = {"nftables": tool_version(["nft", "--version"]), "iptables": tool_version(["iptables", "-V"])}
    commit = os.environ.get("KYVERN_COMMIT") or subprocess.run(
        ["git", "-c", "safe.directory=*", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc)
    binary = os.path.relpath(args.binary, ROOT)
    report = {"date": now.isoformat(timespec="seconds"), "commit": commit, "binary": binary,
              "tools": {m: versions[m] for m in modes}, "cpus": os.cpu_count(), "load": os.getloadavg(),
              "modes": results}
    lines = [
        f"# NetworkPolicy sync benchmark — {now.strftime('%Y-%m-%dT%H:%M:%S')}",
        "",
        f"Binary `{binary}` (commit {commit}), {', '.join(versions[m] for m in modes)}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at the end; run in a private network namespace.",
        "",
    ]
    summary = ["| target | measured | goal | |", "|---|---|---|---|"]
    for mode in modes:
        median, first, words = results[mode]["median"], results[mode]["runs"][0], LANGUAGE[mode]
        lines += [
            f"## {mode}",
            "",
            f"{first['policies']:,} policies over {first['pods']:,} pods in {first['namespaces']} namespaces, every pod on "
            f"the node: {first['isolatedPods']:,} pods isolated, {first['rules']:,} rules, {first['sets']:,} {words['sets']}, "
            f"{first['textBytes'] / 1e6:.2f} MB of {words['input']}. Seconds, median of {args.repeats}:",
            "",
            "| step | seconds |",
            "|---|---:|",
            f"| compile the policies (selectors, peers, named ports) | {median['compileSeconds']:.3f} |",
            f"| write {words['text']} | {median['buildSeconds']:.3f} |",
            f"| {words['load']} | {median['coldLoadSeconds']:.3f} |",
            f"| **full sync** (the three above) | **{median['coldSyncSeconds']:.3f}** |",
            f"| full sync after one policy changed | {median['changedSyncSeconds']:.3f} |",
            f"| {words['remove']} | {median['removeSeconds']:.3f} |",
            "",
        ]
        worst = max(median["coldSyncSeconds"], median["changedSyncSeconds"])
        ok = "✅" if worst < 1 else "❌ not met"
        summary.append(f"| full policy sync ({mode}), {first['policies']:,} policies × {first['pods']:,} pods "
                       f"| {worst:.3f} s | < 1.00 s | {ok} |")
    lines += summary + [""]
    if "debug" in binary:
        lines += ["A debug build: compiling and writing the rules take several times less in a release build; the load "
                  "is the tool's and the kernel's, the same in both. The machine was shared (see the load average).", ""]
    text = "\n".join(lines)
    print(text)
    reports = os.path.join(ROOT, "bench", "reports")
    with open(os.path.join(reports, f"netpol-{now.date().isoformat()}.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(reports, "netpol-latest.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
