"""`kyvern status` (minikube's shape and exit codes), `kyvern kubeconfig` and `kyvern check` against real servers."""

from __future__ import annotations

import subprocess


def run(binary, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)


def fields(text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def test_status_of_a_server_without_an_agent_then_stopped(server_factory, tmp_path):
    server = server_factory.new()
    r = run(server.binary, "status", "--data-dir", str(server.data_dir))
    assert r.stdout.splitlines()[0] == "kyvern"
    assert fields(r.stdout) == {"type": "Control Plane", "server": "Running", "agent": "Stopped",
                                "apiserver": "Running", "kubeconfig": "Configured"}
    assert r.returncode == 2, r  # minikube's bit for the node agent (kubelet)

    # kyvern kubeconfig prints the admin kubeconfig; kubectl works with it.
    r = run(server.binary, "kubeconfig", "--data-dir", str(server.data_dir))
    assert r.returncode == 0 and "current-context" in r.stdout, r
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(r.stdout)
    c = server_factory.client(server)
    out = subprocess.run([c.kubectl_bin, "--kubeconfig", str(kubeconfig),
                          "get", "ns", "default", "-o", "name"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "namespace/default", out

    server.stop()
    r = run(server.binary, "status", "--data-dir", str(server.data_dir))
    assert fields(r.stdout) == {"type": "Control Plane", "server": "Stopped", "agent": "Stopped",
                                     "apiserver": "Stopped", "kubeconfig": "Configured"}
    assert r.returncode == 7, r

    r = run(server.binary, "status", "--data-dir", str(tmp_path / "none"))
    assert fields(r.stdout)["kubeconfig"] == "Missing" and r.returncode == 7, r
    r = run(server.binary, "kubeconfig", "--data-dir", str(tmp_path / "none"))
    assert r.returncode == 1 and "no kubeconfig at" in r.stderr, r


def test_status_of_a_node_cluster_is_all_running(node_cluster):
    r = run(node_cluster.binary, "status", "--data-dir", str(node_cluster.data), "--node-name", "e2e-node")
    assert fields(r.stdout) == {"type": "Control Plane", "server": "Running", "agent": "Running",
                                "apiserver": "Running", "kubeconfig": "Configured"}, r
    assert r.returncode == 0


def test_check_reports_this_machine(kyvern_bin):
    r = run(kyvern_bin, "check")
    names = [line.split(":")[0].removeprefix("- ") for line in r.stdout.splitlines() if line.startswith("- ")]
    assert names == ["root", "runc", "cgroups", "overlayfs", "CNI plugins", "iptables/nftables", "ip_forward",
                     "br_netfilter"], r.stdout
    states = {line.split(":")[0].removeprefix("- "): line.split(": ", 1)[1].split(" ")[0]
              for line in r.stdout.splitlines() if line.startswith("- ")}
    # What .ci/run installs and the suite runs as is there.
    for name in ("root", "runc", "CNI plugins", "iptables/nftables", "overlayfs"):
        assert states[name] == "ok", r.stdout
    missing = [name for name, state in states.items() if state == "missing"]
    assert r.returncode == (1 if missing else 0), r
    assert r.stdout.rstrip().endswith("This machine can run real containers." if not missing else
                                      "without them kyvern runs pods as plain processes."), r.stdout
