"""kubectl logs, exec and top against real containers: the API server proxies to the node agent's
HTTPS endpoint (WebSocket v5.channel.k8s.io for exec, streamed GET for logs, metrics.k8s.io from the
agent's stats)."""
from __future__ import annotations

import subprocess
import time

from test_agent_pods import get_pod, nns, pod, wait_until  # noqa: F401 (nns is a fixture)


def running(c, ns, name):
    return wait_until(f"{name} Running", lambda: get_pod(c, ns, name)["status"].get("phase") == "Running")


def test_logs_tail_follow_and_previous(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod(
        "talker", 'i=0; while [ $i -lt 1000 ]; do echo "line $i"; i=$((i+1)); sleep 0.2; done')), 201)
    running(c, nns, "talker")
    wait_until("a few lines", lambda: c.kubectl("logs", "talker", "-n", nns).stdout.count("\n") >= 3)
    lines = c.kubectl("logs", "talker", "-n", nns).stdout.splitlines()
    assert lines[:3] == ["line 0", "line 1", "line 2"], lines
    tail = c.kubectl("logs", "talker", "-n", nns, "--tail", "1").stdout.splitlines()
    assert len(tail) == 1 and tail[0].startswith("line "), tail
    stamped = c.kubectl("logs", "talker", "-n", nns, "--tail", "1", "--timestamps").stdout.split(" ", 1)
    assert stamped[0].endswith("Z") and "T" in stamped[0] and stamped[1].startswith("line "), stamped
    # -f keeps streaming lines written after it started
    follower = c.kubectl_popen("logs", "-f", "talker", "-n", nns, "--tail", "1")
    try:
        time.sleep(2.5)
    finally:
        follower.terminate()
        out, _ = follower.communicate(timeout=10)
    numbers = [int(line.split()[1]) for line in (out if isinstance(out, str) else out.decode()).splitlines() if line.startswith("line ")]
    assert len(numbers) >= 5 and numbers == sorted(numbers), numbers
    cp = c.kubectl("logs", "talker", "-n", nns, "--previous", check=False)
    assert cp.returncode != 0 and 'previous terminated container "main" in pod "talker" not found' in cp.stderr, cp.stderr


def test_exec_sees_only_the_pods_processes_and_passes_exit_codes_and_stdin(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("box", "sleep 3600")), 201)
    running(c, nns, "box")
    ps = c.kubectl("exec", "box", "-n", nns, "--", "ps").stdout.splitlines()
    commands = [line.split(None, 2)[2] for line in ps[1:]]
    assert ps[0].split() == ["PID", "USER", "COMMAND"] and sorted(commands) == ["ps", "sleep 3600"], ps
    assert ps[1].split()[0] == "1"
    cp = c.kubectl("exec", "box", "-n", nns, "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (cp.returncode, cp.stdout, "err" in cp.stderr) == (3, "out\n", True), cp
    assert "command terminated with exit code 3" in cp.stderr
    cp = c.kubectl("exec", "-i", "box", "-n", nns, "--", "cat", input="piped through\n")
    assert cp.stdout == "piped through\n"
    cp = c.kubectl("exec", "box", "-n", nns, "-c", "nope", "--", "true", check=False)
    assert cp.returncode != 0 and "container nope is not valid for pod box" in cp.stderr, cp.stderr


def test_top_shows_pod_and_node_usage(node_cluster, nns):
    c = node_cluster.cluster
    c.ok_json(c.post(f"/api/v1/namespaces/{nns}/pods", pod("busy", "while true; do :; done")), 201)
    running(c, nns, "busy")

    def top_pod():
        cp = c.kubectl("top", "pod", "busy", "-n", nns, check=False)
        return cp.stdout.splitlines() if cp.returncode == 0 else None

    lines = wait_until("kubectl top pod", top_pod, timeout=60, interval=1)
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"], lines
    name, cpu, memory = lines[1].split()
    assert name == "busy" and cpu.endswith("m") and int(cpu[:-1]) >= 100, lines  # a busy loop burns ≥ 0.1 core
    assert memory.endswith("Mi"), lines
    node = c.kubectl("top", "node").stdout.splitlines()
    assert node[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"], node
    assert node[1].split()[0] == "e2e-node", node
