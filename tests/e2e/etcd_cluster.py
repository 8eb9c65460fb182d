"""Real etcd members (Debian's etcd-server, /usr/bin/etcd, or $ETCD) on free 127.0.0.1 ports, for
tests and benchmarks that run Kyvern on etcd. Every member is killed and its data removed on close, also when a test fails."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from e2e_harness import free_port

ETCD = os.environ.get("ETCD", "/usr/bin/etcd")


class EtcdCluster:
    def __init__(self, size: int = 1):
        self.root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-etcd-"))
        self.members = [{"name": f"m{i}", "client": free_port(), "peer": free_port()} for i in range(size)]
        self.procs: dict[int, subprocess.Popen] = {}
        try:
            for i in range(size):
                self.start(i)
            self.wait_ready()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "EtcdCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def endpoint(self) -> str:
        """The members as one `--datastore-endpoint` value."""
        return self.endpoints

    @property
    def endpoints(self) -> str:
        return ",".join(f"http://127.0.0.1:{m['client']}" for m in self.members)

    def start(self, i: int) -> None:
        m = self.members[i]
        initial = ",".join(f"{x['name']}=http://127.0.0.1:{x['peer']}" for x in self.members)
        log = open(self.root / f"{m['name']}.log", "ab")
        self.procs[i] = subprocess.Popen(
            [ETCD, "--name", m["name"], "--data-dir", str(self.root / m["name"]),
             "--listen-client-urls", f"http://127.0.0.1:{m['client']}",
             "--advertise-client-urls", f"http://127.0.0.1:{m['client']}",
             "--listen-peer-urls", f"http://127.0.0.1:{m['peer']}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{m['peer']}",
             "--initial-cluster", initial, "--initial-cluster-state", "new",
             "--initial-cluster-token", "kyvern-e2e", "--log-level", "warn"],
            stdout=log, stderr=log)

    def kill(self, i: int) -> None:
        p = self.procs.pop(i, None)
        if p and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            healthy = 0
            for i, m in enumerate(self.members):
                if i not in self.procs:
                    continue
                try:
                    r = requests.get(f"http://127.0.0.1:{m['client']}/health", timeout=1)
                    healthy += r.ok and r.json().get("health") == "true"
                except (requests.RequestException, ValueError):
                    pass
            if healthy == len(self.procs):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"etcd not healthy after {timeout}s: {healthy}/{len(self.procs)}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.close()

    def close(self) -> None:
        for i in list(self.procs):
            self.kill(i)
        shutil.rmtree(self.root, ignore_errors=True)
