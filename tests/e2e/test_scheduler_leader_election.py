"""Two standalone `kyvern scheduler --leader-elect` processes against one server: one holds the
kube-system/kube-scheduler Lease and schedules; killed with SIGKILL, the other takes over once the
Lease runs out and schedules new pods."""
from __future__ import annotations

import os
import signal
import time

import requests

from test_scheduler import Component, free_port, pod, sim, wait_until  # noqa: F401 (sim is a fixture)

LEASE_DURATION = 15  # upstream's default leaseDuration, which the scheduler uses without --config


def test_one_leader_schedules_and_a_standby_takes_over_after_sigkill(server_factory):
    server = server_factory.new("--disable-scheduler")
    api = server_factory.client(server)
    root = server.data_dir.parent
    binary, kubeconfig = str(server.binary), str(server.kubeconfig_path)
    components: list[Component] = []
    try:
        components.append(Component([binary, "agent", "--simulate", "2", "--kubeconfig", kubeconfig],
                                    root / "agent.log"))
        addresses = [f"127.0.0.1:{free_port()}" for _ in range(2)]
        schedulers = [Component([binary, "scheduler", "--kubeconfig", kubeconfig, "--leader-elect",
                                 "--metrics-bind-address", addresses[i]], root / f"scheduler-{i}.log")
                      for i in range(2)]
        components += schedulers

        def leader() -> int | None:
            for s in schedulers:
                assert s.alive(), s.tail()
            holders = [i for i, s in enumerate(schedulers) if "acquired the lease" in s.log_path.read_text(errors="replace")]
            assert len(holders) <= 1, [s.tail() for s in schedulers]
            return holders[0] if holders else None

        first = wait_until("a leader", lambda: leader() is not None and leader() + 1, timeout=60) - 1
        standby = 1 - first
        lease = api.ok_json(api.get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler"))
        holder = lease["spec"]["holderIdentity"]
        assert holder and lease["spec"]["leaseDurationSeconds"] == LEASE_DURATION
        # Both serve /healthz; only the leader schedules. The standby may still be binding its
        # listener when the leader has already acquired the Lease, so each is given time to answer.
        def healthy(address: str):
            try:
                r = requests.get(f"http://{address}/healthz", timeout=5)
            except requests.ConnectionError:
                return None
            return (r.status_code, r.text)

        for address in addresses:
            assert wait_until(f"{address}/healthz answering", lambda: healthy(address), timeout=30) == (200, "ok")

        api.create_namespace("le")
        api.ok_json(api.post("/api/v1/namespaces/le/pods", pod("before")), 201)
        wait_until("pod bound by the leader", lambda: api.ok_json(api.get("/api/v1/namespaces/le/pods/before"))
                   ["spec"].get("nodeName"), timeout=60)
        assert "acquired the lease" not in schedulers[standby].log_path.read_text(errors="replace")

        os.killpg(schedulers[first].proc.pid, signal.SIGKILL)
        schedulers[first].proc.wait()
        killed_at = time.monotonic()
        api.ok_json(api.post("/api/v1/namespaces/le/pods", pod("after")), 201)

        def taken_over():
            assert schedulers[standby].alive(), schedulers[standby].tail()
            current = api.ok_json(api.get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler"))
            return current if current["spec"]["holderIdentity"] not in ("", holder) else None

        current = wait_until("the standby holding the lease", taken_over, timeout=LEASE_DURATION + 15, interval=0.5)
        took = time.monotonic() - killed_at
        # Not before the lease runs out: the last renewal was at most one retry period (2 s) before the
        # kill, and the standby times the lease from when it saw that renewal (up to 2 s later still).
        assert took >= LEASE_DURATION - 4, took
        # Nor long after: expiry, the standby's observation lag and its next retry (2 s each), plus slack
        # for a loaded CI machine, where both processes' timers run late.
        assert took <= LEASE_DURATION + 12, took
        assert current["spec"]["leaseTransitions"] == lease["spec"].get("leaseTransitions", 0) + 1
        node = wait_until("pod bound by the new leader", lambda: api.ok_json(
            api.get("/api/v1/namespaces/le/pods/after"))["spec"].get("nodeName"), timeout=30)
        assert node.startswith("sim-")
        assert "acquired the lease" in schedulers[standby].log_path.read_text(errors="replace")
    finally:
        for comp in reversed(components):
            comp.stop()
