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


def make_tls_files(directory: Path) -> dict[str, Path]:
    """A CA, an etcd serving certificate for 127.0.0.1 and a client certificate, made with openssl."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (directory / "client.cnf").write_text("extendedKeyUsage=clientAuth\n")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=kyvern-e2e-etcd-ca")
    for name, subject, ext in (("server", "/CN=etcd", "san.cnf"), ("client", "/CN=kyvern", "client.cnf")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", ext)
    return {name: directory / name for name in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


class EtcdCluster:
    def __init__(self, size: int = 1, tls: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-etcd-"))
        self.members = [{"name": f"m{i}", "client": free_port(), "peer": free_port()} for i in range(size)]
        self.procs: dict[int, subprocess.Popen] = {}
        self.tls = make_tls_files(self.root) if tls else None
        self.scheme = "https" if tls else "http"
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
        return ",".join(f"{self.scheme}://127.0.0.1:{m['client']}" for m in self.members)

    def datastore_args(self) -> list[str]:
        """`kyvern server` flags that reach these members (client TLS included when it is on)."""
        args = ["--datastore-endpoint", self.endpoints]
        if self.tls:
            args += ["--datastore-cafile", str(self.tls["ca.crt"]), "--datastore-certfile", str(self.tls["client.crt"]),
                     "--datastore-keyfile", str(self.tls["client.key"])]
        return args

    def start(self, i: int) -> None:
        m = self.members[i]
        initial = ",".join(f"{x['name']}=http://127.0.0.1:{x['peer']}" for x in self.members)
        log = open(self.root / f"{m['name']}.log", "ab")
        tls = []
        if self.tls:
            tls = ["--cert-file", str(self.tls["server.crt"]), "--key-file", str(self.tls["server.key"]),
                   "--trusted-ca-file", str(self.tls["ca.crt"]), "--client-cert-auth"]
        self.procs[i] = subprocess.Popen(
            [ETCD, "--name", m["name"], "--data-dir", str(self.root / m["name"]), *tls,
             "--listen-client-urls", f"{self.scheme}://127.0.0.1:{m['client']}",
             "--advertise-client-urls", f"{self.scheme}://127.0.0.1:{m['client']}",
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
                    if self.tls:
                        r = requests.get(f"https://127.0.0.1:{m['client']}/health", timeout=1,
                                         verify=str(self.tls["ca.crt"]),
                                         cert=(str(self.tls["client.crt"]), str(self.tls["client.key"])))
                    else:
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
