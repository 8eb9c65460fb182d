"""Tests with their own throw-away server: restarts, signals, kill -9 durability, compaction."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import threading
import time

import pytest
import requests
import yaml

pytestmark = pytest.mark.lifecycle


def cm(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {"k": "v"}}


def list_all(c, path) -> dict[str, dict]:
    out, token = {}, None
    for _ in range(1000):
        params = {"limit": 500}
        if token:
            params["continue"] = token
        body = c.ok_json(c.get(path, params=params), 200)
        for i in body["items"]:
            out[i["metadata"]["name"]] = i
        token = body["metadata"].get("continue")
        if not token:
            return out
    raise AssertionError("list did not finish")


def test_first_start_writes_kubeconfig_and_logs_its_path(server_factory):
    p = server_factory.new()
    cfg = yaml.safe_load(p.kubeconfig_path.read_text())
    assert cfg["kind"] == "Config" and cfg["apiVersion"] == "v1"
    assert cfg["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{p.port}"
    assert cfg["clusters"][0]["cluster"].get("certificate-authority-data"), cfg["clusters"][0]
    assert str(p.kubeconfig_path) in p.log_text(), f"no log line names {p.kubeconfig_path}:\n{p.log_tail(20)}"
    # the kubeconfig holds a credential: it must not be world-readable
    assert p.kubeconfig_path.stat().st_mode & 0o077 == 0, oct(p.kubeconfig_path.stat().st_mode)
    c = server_factory.client(p)
    cp = c.kubectl("get", "ns", "-o", "name")
    assert set(cp.stdout.split()) >= {"namespace/default", "namespace/kube-system", "namespace/kube-public",
                                      "namespace/kube-node-lease"}


def test_tls_san_flag(server_factory):
    p = server_factory.new("--tls-san", "kyvern-e2e.test", "--tls-san", "127.0.0.2")
    c = server_factory.client(p)
    ctx = ssl.create_default_context(cafile=c.ca_path)
    with socket.create_connection(("127.0.0.1", p.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="kyvern-e2e.test") as s:
            sans = {v for _, v in s.getpeercert()["subjectAltName"]}
    assert {"kyvern-e2e.test", "127.0.0.2", "127.0.0.1", "localhost", socket.gethostname()} <= sans, sans


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_clean_shutdown_exits_0_and_keeps_data(server_factory, sig):
    p = server_factory.new()
    c = server_factory.client(p)
    before_cfg = yaml.safe_load(p.kubeconfig_path.read_text())
    c.create_namespace("keep")
    made = c.ok_json(c.post("/api/v1/namespaces/keep/configmaps", cm("kept", a="1")), 201)

    # an open watch must not hold the shutdown up
    watch_done = threading.Event()

    def watch():
        try:
            for _ in c.watch_lines("/api/v1/namespaces/keep/configmaps",
                                   {"resourceVersion": made["metadata"]["resourceVersion"], "timeoutSeconds": "60"},
                                   read_timeout=60):
                pass
        except Exception:
            pass
        watch_done.set()

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        rc = p.proc.wait(timeout=15)
    except Exception:
        pytest.fail(f"server did not exit within 15 s of {sig.name}\n{p.log_tail(30)}")
    took = time.monotonic() - t0
    assert rc == 0, f"exit code {rc} after {sig.name}\n{p.log_tail(30)}"
    assert watch_done.wait(5), "the watch stream was not closed by the shutdown"
    assert took < 10, f"shutdown took {took:.1f}s"

    # restart on the same data dir: same credentials, same data, same uid and resourceVersion
    p.stop()
    p.start()
    after_cfg = yaml.safe_load(p.kubeconfig_path.read_text())
    assert after_cfg["clusters"][0]["cluster"]["certificate-authority-data"] == \
        before_cfg["clusters"][0]["cluster"]["certificate-authority-data"], "CA changed across restart"
    assert after_cfg["users"] == before_cfg["users"], "admin credential changed across restart"
    c2 = server_factory.client(p)
    got = c2.ok_json(c2.get("/api/v1/namespaces/keep/configmaps/kept"), 200)
    assert got["metadata"]["uid"] == made["metadata"]["uid"]
    assert got["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]
    assert got["data"] == {"a": "1"}
    # revisions keep growing after the restart
    nxt = c2.ok_json(c2.post("/api/v1/namespaces/keep/configmaps", cm("next")), 201)
    assert int(nxt["metadata"]["resourceVersion"]) > int(made["metadata"]["resourceVersion"])
    # the four system namespaces are there once, not duplicated by the second start
    names = [i["metadata"]["name"] for i in c2.ok_json(c2.get("/api/v1/namespaces"), 200)["items"]]
    assert names.count("default") == 1 and names.count("kube-system") == 1, names


@pytest.mark.slow
def test_kill9_mid_burst_loses_no_acknowledged_create(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    c.create_namespace("durable")
    url = c.base_url + "/api/v1/namespaces/durable/configmaps"
    acked: dict[str, tuple[str, str]] = {}
    unexpected: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    threads_n = 8

    def worker(tid: int):
        s = c.new_session()
        s.headers["Content-Type"] = "application/json"
        for i in range(20000):
            if stop.is_set():
                break
            name = f"d-{tid}-{i}"
            try:
                r = s.post(url, data=json.dumps(cm(name, i=str(i))), timeout=10)
            except requests.RequestException:
                break  # the server died under us: this create is not acknowledged
            if r.status_code != 201:
                with lock:
                    unexpected.append(f"{name}: {r.status_code} {r.text[:200]}")
                break
            m = r.json()["metadata"]
            with lock:
                acked[name] = (m["uid"], m["resourceVersion"])
        s.close()

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads_n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 400:
                break
        time.sleep(0.01)
    p.kill9()  # mid-burst: every thread has a request in flight
    killed_with = len(acked)
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert not unexpected, unexpected[:5]
    assert killed_with >= 50, f"only {killed_with} creates were acknowledged in 20 s"

    p.start()
    c2 = server_factory.client(p)
    stored = list_all(c2, "/api/v1/namespaces/durable/configmaps")
    stored.pop("kube-root-ca.crt", None)  # the controller manager's, in every namespace
    missing = [n for n in acked if n not in stored]
    changed = [(n, acked[n], (stored[n]["metadata"]["uid"], stored[n]["metadata"]["resourceVersion"]))
               for n in acked if n in stored
               and (stored[n]["metadata"]["uid"], stored[n]["metadata"]["resourceVersion"]) != acked[n]]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged creates lost after kill -9, e.g. {missing[:10]}"
    assert not changed, f"uid/resourceVersion changed after restart, e.g. {changed[:5]}"
    # anything else that survived was a create in flight at the kill: at most one per thread
    extra = set(stored) - set(acked)
    assert len(extra) <= threads_n, f"{len(extra)} unacknowledged objects survived (more than in flight): {sorted(extra)[:10]}"
    # every stored object is whole
    for name, obj in stored.items():
        assert obj["data"] == {"i": name.rsplit("-", 1)[1]}, obj
    # resourceVersions are unique and the store goes on from the highest
    rvs = [int(o["metadata"]["resourceVersion"]) for o in stored.values()]
    assert len(rvs) == len(set(rvs)), "duplicate resourceVersions"
    nxt = c2.ok_json(c2.post("/api/v1/namespaces/durable/configmaps", cm("after-restart")), 201)
    assert int(nxt["metadata"]["resourceVersion"]) > max(rvs)


def _watch_expired(c, path, rv) -> tuple[bool, str]:
    """(True, detail) if a watch from rv is refused as expired: HTTP 410, or upstream's way, a 200 stream whose
    first event is an ERROR carrying a 410 Expired Status."""
    r = c.get(path, params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "2"}, stream=True,
              timeout=(5, 10))
    try:
        if r.status_code == 410:
            st = r.json()
            assert st["kind"] == "Status" and st["reason"] == "Expired" and st["code"] == 410, st
            assert "too old resource version" in st["message"], st
            return True, st["message"]
        assert r.status_code == 200, f"watch from compacted rv answered {r.status_code}: {r.text[:300]}"
        for line in r.iter_lines(chunk_size=1):
            if not line:
                continue
            ev = json.loads(line)
            if ev["type"] == "ERROR":
                st = ev["object"]
                assert st["code"] == 410 and st["reason"] == "Expired", st
                assert "too old resource version" in st["message"], st
                return True, st["message"]
            return False, f"got a {ev['type']} event"
        return False, "stream ended without events"
    finally:
        r.close()


@pytest.mark.slow
def test_compaction_makes_old_resource_versions_410(server_factory):
    p = server_factory.new("--compaction-interval", "1s")
    c = server_factory.client(p)
    c.create_namespace("compact")
    base = "/api/v1/namespaces/compact/configmaps"
    a = c.ok_json(c.post(base, cm("a", n="0")), 201)
    rv_a = a["metadata"]["resourceVersion"]
    for i in range(1, 6):
        a["data"]["n"] = str(i)
        a = c.ok_json(c.put(f"{base}/a", a), 200)

    deadline = time.monotonic() + 20
    detail = ""
    while time.monotonic() < deadline:
        expired, detail = _watch_expired(c, base, rv_a)
        if expired:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"a watch from resourceVersion {rv_a} was still served 20 s after writes with "
                    f"--compaction-interval 1s ({detail})")

    # a list at the compacted revision: 410 Expired
    r = c.get(base, params={"resourceVersion": rv_a, "resourceVersionMatch": "Exact"})
    assert r.status_code == 410, r.text
    st = r.json()
    assert st["reason"] == "Expired" and "too old" in st["message"].lower(), st

    # the Python client raises ApiException(410) for a watch from there
    from kubernetes import client, watch
    from kubernetes.client.exceptions import ApiException

    v1 = client.CoreV1Api(c.api_client)
    with pytest.raises(ApiException) as ei:
        for _ in watch.Watch().stream(v1.list_namespaced_config_map, "compact", resource_version=rv_a, timeout_seconds=2):
            pass
    assert ei.value.status == 410, ei.value

    # current data is intact and a watch from the current revision works
    cur = c.ok_json(c.get(f"{base}/a"), 200)
    assert cur["data"] == {"n": "5"} and cur["metadata"]["resourceVersion"] == a["metadata"]["resourceVersion"]
    lst = c.ok_json(c.get(base), 200)
    got = []

    def run():
        for ev in c.watch_lines(base, {"resourceVersion": lst["metadata"]["resourceVersion"], "timeoutSeconds": "5"}):
            got.append((ev["type"], ev["object"]["metadata"]["name"]))
            return

    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.3)
    c.ok_json(c.post(base, cm("b")), 201)
    th.join(10)
    assert got == [("ADDED", "b")], got
    # and the compaction survives a restart: still 410
    p.stop()
    p.start()
    c2 = server_factory.client(p)
    expired, detail = _watch_expired(c2, base, rv_a)
    assert expired, f"after restart a watch from compacted {rv_a} was served: {detail}"


def test_help_lists_server_subcommand(kyvern_bin):
    import subprocess

    cp = subprocess.run([str(kyvern_bin), "--help"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0 and "server" in cp.stdout, cp.stdout + cp.stderr
    cp = subprocess.run([str(kyvern_bin), "server", "--help"], capture_output=True, text=True, timeout=30)
    for flag in ("--data-dir", "--bind-address", "--https-listen-port", "--tls-san", "--compaction-interval",
                 "--service-cidr"):
        assert flag in cp.stdout, f"{flag} missing from `kyvern server --help`:\n{cp.stdout}"
