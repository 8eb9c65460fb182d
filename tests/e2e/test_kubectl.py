"""kubectl get output formats, get -w, scale, label, apply."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml

from e2e_harness import JSONStreamReader, LineReader

pytestmark = pytest.mark.kubectl


def _cm(ns, name, data=None, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, **({"labels": labels} if labels else {})},
            "data": data or {"k": "v"}}


def _deploy(ns, name, replicas=1):
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}}}


def test_get_output_json_yaml_name(cluster, ns):
    for n in ("alpha", "beta"):
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, n, {"n": n})), 201)

    cp = cluster.kubectl("get", "configmap", "alpha", "-n", ns, "-o", "json")
    one = json.loads(cp.stdout)
    assert one["kind"] == "ConfigMap" and one["metadata"]["name"] == "alpha" and one["data"] == {"n": "alpha"}

    cp = cluster.kubectl("get", "configmap", "alpha", "-n", ns, "-o", "yaml")
    assert yaml.safe_load(cp.stdout) == one

    cp = cluster.kubectl("get", "configmaps", "-n", ns, "-o", "json")
    lst = json.loads(cp.stdout)
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1", lst.get("kind")
    mine = sorted(i["metadata"]["name"] for i in lst["items"] if i["metadata"]["name"] in ("alpha", "beta"))
    assert mine == ["alpha", "beta"]
    for i in lst["items"]:
        assert i["kind"] == "ConfigMap" and i["apiVersion"] == "v1"

    cp = cluster.kubectl("get", "configmaps", "-n", ns, "-o", "yaml")
    assert yaml.safe_load(cp.stdout)["items"] == lst["items"]

    cp = cluster.kubectl("get", "configmaps", "-n", ns, "-o", "name")
    names = cp.stdout.split()
    assert "configmap/alpha" in names and "configmap/beta" in names, cp.stdout

    cp = cluster.kubectl("get", "cm", "alpha", "-n", ns, "-o", "jsonpath={.data.n}")
    assert cp.stdout == "alpha"

    cp = cluster.kubectl("get", "configmap", "nope", "-n", ns, check=False)
    assert cp.returncode != 0
    assert 'Error from server (NotFound): configmaps "nope" not found' in cp.stderr, cp.stderr


def test_get_table_columns(cluster, ns):
    """Server-side Table printing: kubectl's default output has upstream's columns."""
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, "tbl", {"a": "1", "b": "2"})), 201)
    cp = cluster.kubectl("get", "configmaps", "tbl", "-n", ns)
    lines = cp.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"], cp.stdout
    assert lines[1].split()[:2] == ["tbl", "2"], cp.stdout
    cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", _deploy(ns, "web", 2)), 201)
    cp = cluster.kubectl("get", "deployments", "-n", ns)
    assert cp.stdout.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], cp.stdout
    assert cp.stdout.splitlines()[1].split()[:2] == ["web", "0/2"], cp.stdout
    cp = cluster.kubectl("get", "ns", "default")
    assert cp.stdout.splitlines()[0].split() == ["NAME", "STATUS", "AGE"], cp.stdout
    assert cp.stdout.splitlines()[1].split()[:2] == ["default", "Active"], cp.stdout


def test_get_watch_sees_changes_from_another_client(cluster, ns):
    """`kubectl get -w` in a subprocess prints the changes another client makes."""
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, "pre")), 201)
    p = cluster.kubectl_popen("get", "configmaps", "-n", ns, "-w", "--output-watch-events", "-o", "json")
    reader = JSONStreamReader(p.stdout)

    def saw(event, name, value=None):
        def pred(doc):
            obj = doc.get("object", {})
            return (doc.get("type") == event and obj.get("metadata", {}).get("name") == name
                    and (value is None or obj.get("data", {}).get("k") == value))
        return pred

    try:
        assert reader.wait_for(saw("ADDED", "pre"), 20), f"initial list not printed: {reader.raw[-2000:]}"
        # changes by another client (the Python side, over HTTP) after the watch was set up
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, "w1", {"k": "one"})), 201)
        assert reader.wait_for(saw("ADDED", "w1", "one"), 10), f"ADDED w1 not seen: {reader.raw[-2000:]}"
        cur = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps/w1"), 200)
        cur["data"]["k"] = "two"
        upd = cluster.ok_json(cluster.put(f"/api/v1/namespaces/{ns}/configmaps/w1", cur), 200)
        ev = reader.wait_for(saw("MODIFIED", "w1", "two"), 10)
        assert ev, f"MODIFIED w1 not seen: {reader.raw[-2000:]}"
        assert ev["object"]["metadata"]["resourceVersion"] == upd["metadata"]["resourceVersion"]
        r = cluster.delete(f"/api/v1/namespaces/{ns}/configmaps/w1")
        assert r.status_code == 200, r.text
        assert reader.wait_for(saw("DELETED", "w1"), 10), f"DELETED w1 not seen: {reader.raw[-2000:]}"
        # (kube-root-ca.crt, the controller manager's in every namespace, is listed too)
        seen = [(d["type"], d["object"]["metadata"]["name"]) for d in reader.docs
                if d["object"]["metadata"]["name"] != "kube-root-ca.crt"]
        assert seen == [("ADDED", "pre"), ("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")], seen
    finally:
        p.terminate()
        try:
            p.wait(timeout=5)
        except Exception:
            p.kill()
            p.wait(timeout=5)
    err = p.stderr.read() or ""
    assert "error" not in err.lower(), err


def test_get_watch_table_output(cluster, ns):
    """The human form: `kubectl get -w` with the default (Table) output prints a row per change."""
    p = cluster.kubectl_popen("get", "configmaps", "-n", ns, "-w", "--output-watch-events")
    reader = LineReader(p.stdout)
    try:
        time.sleep(1.0)  # let kubectl list (nothing) and start watching from the list's resourceVersion
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, "tw", {"a": "1"})), 201)
        line = reader.wait_for(lambda l: l.split()[:2] == ["ADDED", "tw"], 15)
        assert line, f"no ADDED row: {reader.lines}"
        assert line.split()[2] == "1", line  # DATA column
    finally:
        p.terminate()
        try:
            p.wait(timeout=5)
        except Exception:
            p.kill()
            p.wait(timeout=5)


def test_kubectl_scale_deployment(cluster, ns):
    cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", _deploy(ns, "web", 1)), 201)
    cp = cluster.kubectl("scale", "deployment/web", "--replicas=3", "-n", ns)
    assert cp.stdout.strip() == "deployment.apps/web scaled", cp.stdout
    d = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/web"), 200)
    assert d["spec"]["replicas"] == 3
    assert d["metadata"]["generation"] == 2, d["metadata"]
    sc = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale"), 200)
    assert sc["kind"] == "Scale" and sc["apiVersion"] == "autoscaling/v1", sc
    assert sc["spec"] == {"replicas": 3}, sc
    assert sc["status"]["selector"] == "app=web", sc
    assert sc["metadata"]["name"] == "web" and sc["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]
    # scale through PUT on /scale, with a stale resourceVersion -> 409, current -> 200
    stale = dict(sc, spec={"replicas": 5}, metadata=dict(sc["metadata"], resourceVersion="1"))
    r = cluster.put(f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale", stale)
    assert r.status_code == 409, r.text
    sc["spec"]["replicas"] = 5
    out = cluster.ok_json(cluster.put(f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale", sc), 200)
    assert out["spec"]["replicas"] == 5
    d = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/web"), 200)
    assert d["spec"]["replicas"] == 5 and d["metadata"]["generation"] == 3


@pytest.mark.parametrize("resource,kind", [("statefulsets", "StatefulSet"), ("replicasets", "ReplicaSet")])
def test_kubectl_scale_other_workloads(cluster, ns, resource, kind):
    obj = _deploy(ns, "w", 1)
    obj["kind"] = kind
    if kind == "StatefulSet":
        obj["spec"]["serviceName"] = "w"
    cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/{resource}", obj), 201)
    cp = cluster.kubectl("scale", f"{resource}/w", "--replicas=2", "-n", ns)
    assert "scaled" in cp.stdout
    got = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/{resource}/w"), 200)
    assert got["spec"]["replicas"] == 2


def test_kubectl_label_annotate_patch(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", _cm(ns, "lab")), 201)
    cp = cluster.kubectl("label", "configmap", "lab", "tier=web", "-n", ns)
    assert cp.stdout.strip() == "configmap/lab labeled", cp.stdout
    cp = cluster.kubectl("annotate", "configmap", "lab", "note=hello", "-n", ns)
    assert cp.stdout.strip() == "configmap/lab annotated", cp.stdout
    cp = cluster.kubectl("patch", "configmap", "lab", "-n", ns, "--type=merge", "-p", '{"data":{"extra":"x"}}')
    assert cp.stdout.strip() == "configmap/lab patched", cp.stdout
    cp = cluster.kubectl("patch", "configmap", "lab", "-n", ns, "--type=json",
                         "-p", '[{"op":"replace","path":"/data/k","value":"w"}]')
    got = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps/lab"), 200)
    assert got["metadata"]["labels"] == {"tier": "web"}
    assert got["metadata"]["annotations"] == {"note": "hello"}
    assert got["data"] == {"k": "w", "extra": "x"}


def test_kubectl_apply_create_then_update(cluster, ns):
    d = _deploy(ns, "applied", 1)
    cp = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(d))
    assert cp.stdout.strip() == "deployment.apps/applied created", cp.stdout
    d["spec"]["replicas"] = 2
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example/app:2"
    cp = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(d))
    assert cp.stdout.strip() == "deployment.apps/applied configured", cp.stdout
    cp = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(d))
    assert cp.stdout.strip() == "deployment.apps/applied unchanged", cp.stdout
    got = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/applied"), 200)
    assert got["spec"]["replicas"] == 2
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/app:2"
    assert got["metadata"]["generation"] == 2


def test_kubectl_create_in_missing_namespace(cluster, suffix):
    missing = f"e2e-missing-{suffix}"
    cp = cluster.kubectl("create", "-n", missing, "-f", "-", check=False, input=yaml.safe_dump(_cm(missing, "x")))
    assert cp.returncode != 0
    assert f'namespaces "{missing}" not found' in cp.stderr, cp.stderr


def test_kubectl_create_generators_send_protobuf(cluster, ns, suffix):
    """`kubectl create namespace|configmap|deployment|secret` build typed objects and POST them as
    application/vnd.kubernetes.protobuf; upstream accepts protobuf for every built-in kind."""
    cp = cluster.kubectl("create", "configmap", "gen-cm", "-n", ns, "--from-literal=a=b", check=False)
    assert cp.returncode == 0 and cp.stdout.strip() == "configmap/gen-cm created", cp.stdout + cp.stderr
    got = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps/gen-cm"), 200)
    assert got["data"] == {"a": "b"}
    cp = cluster.kubectl("create", "deployment", "gen-deploy", "-n", ns, "--image=registry.example/app:1",
                         "--replicas=2", check=False)
    assert cp.returncode == 0 and cp.stdout.strip() == "deployment.apps/gen-deploy created", cp.stdout + cp.stderr
    got = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/gen-deploy"), 200)
    assert got["spec"]["replicas"] == 2
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/app:1"
    cp = cluster.kubectl("create", "secret", "generic", "gen-secret", "-n", ns, "--from-literal=k=v", check=False)
    assert cp.returncode == 0 and cp.stdout.strip() == "secret/gen-secret created", cp.stdout + cp.stderr
    name = f"e2e-gen-ns-{suffix}"
    cp = cluster.kubectl("create", "namespace", name, check=False)
    try:
        assert cp.returncode == 0 and cp.stdout.strip() == f"namespace/{name} created", cp.stdout + cp.stderr
    finally:
        cluster.delete_namespace(name)
    # and a protobuf read: kubectl get with the protobuf Accept header preferred
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps/gen-cm",
                    headers={"Accept": "application/vnd.kubernetes.protobuf, application/json"})
    assert r.status_code == 200, r.text[:300]


def test_kubectl_delete_by_label_and_all(cluster, ns):
    for i in range(4):
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps",
                                     _cm(ns, f"d{i}", labels={"grp": "a" if i < 2 else "b"})), 201)
    cp = cluster.kubectl("delete", "configmaps", "-l", "grp=a", "-n", ns)
    assert sorted(re.findall(r'configmap "(d\d)" deleted', cp.stdout)) == ["d0", "d1"], cp.stdout
    cp = cluster.kubectl("get", "configmaps", "-n", ns, "-l", "grp", "-o", "name")
    assert sorted(cp.stdout.split()) == ["configmap/d2", "configmap/d3"]
