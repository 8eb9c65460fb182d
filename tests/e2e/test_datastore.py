"""`kyvern datastore export` / `import`: a cluster's state moves SQLite → etcd (and back) with every
value byte for byte (so uids are kept); resourceVersions are renewed by the target store, in the
same order as before."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from e2e_harness import Cluster, KyvernProcess, kyvern_binary
from etcd_cluster import EtcdCluster


def datastore(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(kyvern_binary()), "datastore", *args], input=input, capture_output=True, timeout=120)


def read_dump(data: bytes) -> tuple[dict, dict[str, bytes], list[str]]:
    lines = [json.loads(line) for line in data.decode().splitlines()]
    header, entries = lines[0], lines[1:]
    return header, {e["key"]: base64.b64decode(e["value"]) for e in entries}, [e["key"] for e in entries]


@pytest.fixture
def etcd():
    with EtcdCluster(1) as e:
        yield e


def objects_of(c: Cluster, ns: str) -> dict[str, dict]:
    """kind/name -> (uid, resourceVersion, data) of what the test created."""
    found = {}
    for kind, path in (("configmap", f"/api/v1/namespaces/{ns}/configmaps"),
                       ("secret", f"/api/v1/namespaces/{ns}/secrets"),
                       ("service", f"/api/v1/namespaces/{ns}/services")):
        for item in c.ok_json(c.get(path), 200)["items"]:
            m = item["metadata"]
            found[f"{kind}/{m['name']}"] = {"uid": m["uid"], "rv": int(m["resourceVersion"]),
                                            "data": item.get("data"), "clusterIP": item.get("spec", {}).get("clusterIP")}
    ns_obj = c.ok_json(c.get(f"/api/v1/namespaces/{ns}"), 200)
    found["namespace"] = {"uid": ns_obj["metadata"]["uid"], "rv": int(ns_obj["metadata"]["resourceVersion"]),
                          "data": None, "clusterIP": None}
    return found


def test_sqlite_to_etcd_keeps_uids_and_renews_resource_versions(tmp_path: Path, etcd: EtcdCluster):
    data = tmp_path / "data"
    ns = "migrate-demo"
    server = KyvernProcess(data)
    server.start()
    try:
        c = Cluster(server, tmp_path / "client")
        c.create_namespace(ns)
        for name in ("cm-a", "cm-b"):
            c.ok_json(c.post(f"/api/v1/namespaces/{ns}/configmaps",
                             {"metadata": {"name": name}, "data": {"k": name}}), 201)
        # cm-a is written last: its resourceVersion is the newest before and after the move.
        cm_a = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/configmaps/cm-a"), 200)
        cm_a["data"] = {"k": "updated"}
        c.ok_json(c.put(f"/api/v1/namespaces/{ns}/configmaps/cm-a", cm_a), 200)
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/secrets",
                         {"metadata": {"name": "s1"}, "stringData": {"password": "hunter2"}}), 201)
        c.ok_json(c.post(f"/api/v1/namespaces/{ns}/services",
                         {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}), 201)
        before = objects_of(c, ns)
        c.close()
    finally:
        assert server.stop() == 0

    # Export from the stopped server's SQLite file.
    dump = tmp_path / "dump.jsonl"
    r = datastore("export", "--data-dir", str(data), "--output", str(dump))
    assert r.returncode == 0, r.stderr.decode()
    header, values, order = read_dump(dump.read_bytes())
    assert header["format"] == "kyvern-datastore" and header["version"] == 1
    assert header["keys"] == len(values) > 0
    assert f"/registry/core/configmaps/{ns}/cm-a" in values
    assert f"exported {header['keys']} keys at revision {header['revision']}" in r.stderr.decode()
    # Oldest write first: cm-b (created, never updated) precedes cm-a (updated after it).
    assert order.index(f"/registry/core/configmaps/{ns}/cm-b") < order.index(f"/registry/core/configmaps/{ns}/cm-a")
    # stdout carries the same dump when no --output is given.
    assert datastore("export", "--data-dir", str(data)).stdout == dump.read_bytes()

    # Import into the empty etcd, from stdin.
    r = datastore("import", "--datastore-endpoint", etcd.endpoint, input=dump.read_bytes())
    assert r.returncode == 0, r.stderr.decode()
    assert f"imported {header['keys']} keys" in r.stderr.decode()

    # A second import is refused: the store is no longer empty.
    r = datastore("import", "--datastore-endpoint", etcd.endpoint, str(dump))
    assert r.returncode == 1
    assert "error: the target datastore is not empty" in r.stderr.decode()
    assert "use --force" in r.stderr.decode()
    r = datastore("import", "--datastore-endpoint", etcd.endpoint, "--force", str(dump))
    assert r.returncode == 0, r.stderr.decode()

    # etcd now holds exactly the exported keys and values; and back into a fresh SQLite file.
    r = datastore("export", "--datastore-endpoint", etcd.endpoint)
    assert r.returncode == 0, r.stderr.decode()
    _, from_etcd, etcd_order = read_dump(r.stdout)
    assert from_etcd == values
    back = tmp_path / "back.db"
    r = datastore("import", "--datastore-endpoint", f"sqlite://{back}", input=r.stdout)
    assert r.returncode == 0, r.stderr.decode()
    r = datastore("export", "--datastore-endpoint", f"sqlite://{back}")
    assert r.returncode == 0, r.stderr.decode()
    assert read_dump(r.stdout)[1] == values

    # A server on etcd (same data dir: same certificates) serves the same objects.
    server = KyvernProcess(data, port=server.port, extra_args=("--datastore-endpoint", etcd.endpoint))
    server.start()
    try:
        c = Cluster(server, tmp_path / "client2")
        after = objects_of(c, ns)
        assert sorted(after) == sorted(before)
        for name, obj in before.items():
            assert after[name]["uid"] == obj["uid"], name
            assert after[name]["data"] == obj["data"], name
            assert after[name]["clusterIP"] == obj["clusterIP"], name
        # resourceVersions are etcd's revisions now, in the same order as before.
        by_rv_before = sorted(before, key=lambda n: before[n]["rv"])
        by_rv_after = sorted(after, key=lambda n: after[n]["rv"])
        assert by_rv_after == by_rv_before
        assert c.kubectl("get", "configmap", "cm-a", "-n", ns, "-o", "jsonpath={.data.k}").stdout.strip() == "updated"
        # Writes go on from there.
        cm_b = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/configmaps/cm-b"), 200)
        cm_b["data"] = {"k": "after-move"}
        updated = c.ok_json(c.put(f"/api/v1/namespaces/{ns}/configmaps/cm-b", cm_b), 200)
        assert int(updated["metadata"]["resourceVersion"]) > max(o["rv"] for o in after.values())
        assert updated["metadata"]["uid"] == before["configmap/cm-b"]["uid"]
        c.close()
    finally:
        assert server.stop() == 0


def test_import_rejects_truncated_dump(tmp_path: Path, etcd: EtcdCluster):
    dump = b'{"format":"kyvern-datastore","version":1,"revision":7,"keys":2}\n' \
           b'{"key":"/registry/x","value":"eA==","createRevision":1,"modRevision":1}\n'
    r = datastore("import", "--datastore-endpoint", etcd.endpoint, input=dump)
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "error: the export announces 2 keys but holds 1: truncated or edited"
    r = datastore("import", "--datastore-endpoint", etcd.endpoint, input=b"hello\n")
    assert r.returncode == 1
    assert "not a kyvern datastore export" in r.stderr.decode()
    # Nothing was written.
    r = datastore("export", "--datastore-endpoint", etcd.endpoint)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().splitlines()[0].endswith('"keys":0}')
