"""Debian's containerd started by a test on private directories, for the node agent's end-to-end tests
with `--runtime containerd` (test_containerd.py, and node_cluster.py when KYVERN_E2E_RUNTIME=containerd).

Its CRI plugin uses runc and the CNI plugins in /usr/lib/cni and pulls from plain-HTTP registries on
127.0.0.1; `stop()` also kills the shims it started (found by its own socket path)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from e2e_harness import stop_process


def containerd_available() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "containerd needs root"
    for tool in ("containerd", "containerd-shim-runc-v2", "runc", "docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            return False, f"{tool} is not installed"
    if not Path("/usr/lib/cni/bridge").exists():
        return False, "CNI plugins are not installed (/usr/lib/cni)"
    return True, ""


class Containerd:
    """Debian's containerd on private directories below `root`, its CRI plugin's CNI configuration
    directory being the Kyvern node's `<data>/cni/net.d`, its registry hosts a plain-HTTP 127.0.0.1
    registry, its sandbox image one from that registry."""

    def __init__(self, root: Path, cni_conf_dir: Path, registry_host: str, sandbox_image: str,
                 mirrored: tuple[str, ...] = ()):
        self.root = root
        self.socket = root / "containerd.sock"
        self.certs = root / "certs.d"
        # The local registry under its own name, and standing in for each of `mirrored` (e.g. docker.io).
        for name in (registry_host, *mirrored):
            host_dir = self.certs / name
            host_dir.mkdir(parents=True)
            (host_dir / "hosts.toml").write_text(
                f'server = "http://{registry_host}"\n\n[host."http://{registry_host}"]\n'
                '  capabilities = ["pull", "resolve"]\n  skip_verify = true\n')
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        self.config = root / "config.toml"
        self.config.write_text(f"""version = 2
root = "{root / 'root'}"
state = "{root / 'state'}"
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{self.socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{root / 'opt'}"
[{cri}]
  sandbox_image = "{sandbox_image}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_cdi = false
  # Never below containerd's own score: a sandbox's -998 fails where the test runs without
  # CAP_SYS_RESOURCE over the machine (a user namespace), and then runc cannot start it.
  restrict_oom_score_adj = true
[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[{cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{cni_conf_dir}"
[{cri}.registry]
  config_path = "{self.certs}"
""")
        self.log = None
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Containerd":
        self.log = open(self.root / "containerd.log", "wb")
        self.proc = subprocess.Popen(["containerd", "--config", str(self.config), "--log-level",
                                      os.environ.get("KYVERN_CONTAINERD_LOG_LEVEL", "info")], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"containerd exited: {self.log_tail()}")
            if self.socket.exists():
                try:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.connect(str(self.socket))
                    return self
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"containerd did not listen on {self.socket}: {self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        try:
            return (self.root / "containerd.log").read_text()[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.proc)
        # Its shims outlive it: only those started for this socket (their -address argument).
        r = subprocess.run(["pgrep", "-f", f"containerd-shim-runc-v2.*-address {self.socket}"],
                           capture_output=True, text=True)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.log:
            self.log.close()
        if os.environ.get("KYVERN_KEEP_CONTAINERD_LOG"):
            shutil.copy(self.root / "containerd.log", os.environ["KYVERN_KEEP_CONTAINERD_LOG"])
