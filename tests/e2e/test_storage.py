"""Storage orchestration end to end with real runc containers, driven by the real kubectl: claims of the
default `local-path` class bind when their pod is scheduled and keep their data across pods; deleting a
claim in use waits for the pod; reclaim Delete removes the directory, Retain keeps it (volume Released);
static volumes pre-bound to claims; expansion; clones; a claim that cannot be satisfied keeps its pod
Pending with upstream's message; StatefulSet claim templates; `kubectl get pv,pvc,sc` columns and events."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from e2e_harness import wait_until
from node_cluster import IMAGE, pod_namespace_fixture

sns = pod_namespace_fixture("sns", "node_cluster", "storage-")
NODE = "e2e-node"


def apply(c, ns, *docs):
    c.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump_all(docs))


def claim(name, size="64Mi", storage_class=None, **spec):
    body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}, **spec}}
    if storage_class is not None:
        body["spec"]["storageClassName"] = storage_class
    return body


def pod(name, claim_name, command, read_only=False, mount_read_only=False, security=None, sub_path=None):
    mount = {"name": "data", "mountPath": "/data"}
    if mount_read_only:
        mount["readOnly"] = True
    if sub_path:
        mount["subPath"] = sub_path
    source = {"claimName": claim_name}
    if read_only:
        source["readOnly"] = True
    spec = {"terminationGracePeriodSeconds": 1, "restartPolicy": "Never",
            "containers": [{"name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                            "command": ["sh", "-c", command], "volumeMounts": [mount]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": source}]}
    if security:
        spec["securityContext"] = security
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def get(c, ns, kind, name):
    r = c.kubectl("get", kind, name, "-n", ns, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def phase(c, ns, kind, name):
    obj = get(c, ns, kind, name)
    return (obj or {}).get("status", {}).get("phase")


def wait_pod_done(c, ns, name, timeout=60):
    return wait_until(f"pod {name} Succeeded", lambda: phase(c, ns, "pod", name) == "Succeeded" or
                      (_fail(c, ns, name) if phase(c, ns, "pod", name) == "Failed" else False), timeout=timeout)


def _fail(c, ns, name):
    logs = c.kubectl("logs", name, "-n", ns, check=False).stdout
    raise AssertionError(f"pod {name} failed: {logs}\n{get(c, ns, 'pod', name)}")


def logs(c, ns, name):
    return c.kubectl("logs", name, "-n", ns).stdout


def bound_volume(c, ns, name, timeout=30):
    wait_until(f"claim {name} Bound", lambda: phase(c, ns, "pvc", name) == "Bound", timeout=timeout)
    return get(c, ns, "pvc", name)["spec"]["volumeName"]


def events_of(c, ns, kind, name):
    r = c.kubectl("get", "events", "-n", ns, "--field-selector", f"involvedObject.kind={kind},involvedObject.name={name}",
                  "-o", "json")
    return [(e["reason"], e["message"]) for e in json.loads(r.stdout)["items"]]


@pytest.fixture
def host_dir():
    d = Path(tempfile.mkdtemp(prefix="kyvern-e2e-static-"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def storage_root(node_cluster) -> Path:
    return node_cluster.data / "storage"


def test_the_default_class_is_local_path(node_cluster):
    c = node_cluster.cluster
    out = c.kubectl("get", "sc").stdout.splitlines()
    assert out[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"], out
    row = next(line.split() for line in out[1:] if line.startswith("local-path"))
    assert row[:6] == ["local-path", "(default)", "kyvern.io/local-path", "Delete", "WaitForFirstConsumer", "true"], out


def test_a_claim_binds_when_its_pod_is_scheduled_and_its_data_outlives_the_pod(node_cluster, sns):
    c = node_cluster.cluster
    apply(c, sns, claim("data"))
    created = get(c, sns, "pvc", "data")
    assert created["spec"]["storageClassName"] == "local-path"
    assert "kubernetes.io/pvc-protection" in created["metadata"]["finalizers"]
    wait_until("WaitForFirstConsumer event", lambda: ("WaitForFirstConsumer", "waiting for first consumer to be created before binding")
               in events_of(c, sns, "PersistentVolumeClaim", "data"))
    assert phase(c, sns, "pvc", "data") == "Pending"

    apply(c, sns, pod("writer", "data", "echo hello-from-writer > /data/file && id -u"))
    volume = bound_volume(c, sns, "data")
    wait_pod_done(c, sns, "writer")
    pvc = get(c, sns, "pvc", "data")
    assert pvc["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == NODE
    assert pvc["status"]["capacity"] == {"storage": "64Mi"} and pvc["status"]["accessModes"] == ["ReadWriteOnce"]
    pv = get(c, sns, "pv", volume)
    assert pv["spec"]["claimRef"]["name"] == "data" and pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"] == [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": [NODE]}]
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "kyvern.io/local-path"
    directory = Path(pv["spec"]["hostPath"]["path"])
    assert directory.parent == storage_root(node_cluster) and directory.name == f"{volume}_{sns}_data"
    assert (directory / "file").read_text() == "hello-from-writer\n"
    reasons = [r for r, _ in events_of(c, sns, "PersistentVolumeClaim", "data")]
    assert "ProvisioningSucceeded" in reasons and "ExternalProvisioning" in reasons, reasons

    c.kubectl("delete", "pod", "writer", "-n", sns, "--wait=true", "--timeout=60s")
    apply(c, sns, pod("reader", "data", "cat /data/file"))
    wait_pod_done(c, sns, "reader")
    assert logs(c, sns, "reader") == "hello-from-writer\n"

    # Deleting the claim while a pod uses it waits for the pod.
    apply(c, sns, pod("holder", "data", "sleep 3600"))
    wait_until("holder running", lambda: phase(c, sns, "pod", "holder") == "Running", timeout=60)
    c.kubectl("delete", "pvc", "data", "-n", sns, "--wait=false")
    pending = get(c, sns, "pvc", "data")
    assert pending is not None and pending["metadata"].get("deletionTimestamp"), pending
    table = c.kubectl("get", "pvc", "data", "-n", sns).stdout
    assert "Terminating" in table, table
    time.sleep(2)
    assert get(c, sns, "pvc", "data") is not None, "the claim went while its pod still ran"
    c.kubectl("delete", "pod", "holder", "-n", sns, "--wait=true", "--timeout=60s")
    wait_until("claim gone once its pod is gone", lambda: get(c, sns, "pvc", "data") is None, timeout=30)
    # Reclaim Delete: the volume and its directory go.
    wait_until("volume deleted", lambda: get(c, sns, "pv", volume) is None, timeout=30)
    assert not directory.exists()


def test_retain_keeps_the_directory_and_releases_the_volume(node_cluster, sns):
    c = node_cluster.cluster
    cls = f"keep-{sns}"
    c.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": cls},
        "provisioner": "kyvern.io/local-path", "reclaimPolicy": "Retain", "volumeBindingMode": "Immediate"}))
    try:
        apply(c, sns, claim("kept", storage_class=cls))
        # Immediate: provisioned and bound without a pod.
        volume = bound_volume(c, sns, "kept")
        directory = Path(get(c, sns, "pv", volume)["spec"]["hostPath"]["path"])
        assert directory.is_dir()
        c.kubectl("delete", "pvc", "kept", "-n", sns, "--wait=true", "--timeout=30s")
        wait_until("volume Released", lambda: phase(c, sns, "pv", volume) == "Released", timeout=30)
        row = c.kubectl("get", "pv", volume).stdout.splitlines()[1].split()
        assert row[4] == "Released" and row[5] == f"{sns}/kept" and row[3] == "Retain", row
        assert directory.is_dir()
    finally:
        for item in json.loads(c.kubectl("get", "pv", "-o", "json").stdout)["items"]:
            if item["spec"].get("storageClassName") == cls:
                c.kubectl("delete", "pv", item["metadata"]["name"], "--wait=false", check=False)
                shutil.rmtree(item["spec"]["hostPath"]["path"], ignore_errors=True)
        c.kubectl("delete", "sc", cls, check=False)


def test_a_static_volume_pre_bound_to_a_claim(node_cluster, sns, host_dir):
    c = node_cluster.cluster
    (host_dir / "greeting").write_text("from-the-admin\n")
    pv_name = f"static-{sns}"
    c.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv_name},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                 "persistentVolumeReclaimPolicy": "Retain", "hostPath": {"path": str(host_dir)},
                 "claimRef": {"namespace": sns, "name": "mine"}}}))
    try:
        wait_until("static volume Available", lambda: phase(c, sns, "pv", pv_name) == "Available", timeout=20)
        apply(c, sns, claim("mine", storage_class="", size="100Mi"))
        assert bound_volume(c, sns, "mine") == pv_name
        pvc = get(c, sns, "pvc", "mine")
        assert pvc["status"]["capacity"] == {"storage": "1Gi"}
        apply(c, sns, pod("reader", "mine", "cat /data/greeting; echo more > /data/written"))
        wait_pod_done(c, sns, "reader")
        assert logs(c, sns, "reader") == "from-the-admin\n"
        assert (host_dir / "written").read_text() == "more\n"
    finally:
        c.kubectl("delete", "pod", "--all", "-n", sns, "--wait=true", "--timeout=60s", check=False)
        c.kubectl("delete", "pvc", "mine", "-n", sns, "--wait=true", "--timeout=30s", check=False)
        c.kubectl("delete", "pv", pv_name, "--wait=true", "--timeout=30s", check=False)


def test_expansion_is_recorded_on_volume_and_claim(node_cluster, sns):
    c = node_cluster.cluster
    apply(c, sns, claim("grow", size="64Mi"))
    apply(c, sns, pod("user", "grow", "true"))
    volume = bound_volume(c, sns, "grow")
    c.kubectl("patch", "pvc", "grow", "-n", sns, "-p", json.dumps({"spec": {"resources": {"requests": {"storage": "256Mi"}}}}))
    wait_until("claim capacity 256Mi", lambda: get(c, sns, "pvc", "grow")["status"].get("capacity") == {"storage": "256Mi"},
               timeout=30)
    assert get(c, sns, "pv", volume)["spec"]["capacity"] == {"storage": "256Mi"}
    assert get(c, sns, "pvc", "grow")["status"]["allocatedResources"] == {"storage": "256Mi"}
    assert "VolumeResizeSuccessful" in [r for r, _ in events_of(c, sns, "PersistentVolumeClaim", "grow")]
    # Shrinking is refused by validation.
    r = c.kubectl("patch", "pvc", "grow", "-n", sns, "-p", json.dumps({"spec": {"resources": {"requests": {"storage": "64Mi"}}}}),
                  check=False)
    assert r.returncode != 0 and "field can not be less than status.capacity" in r.stderr, r.stderr


def test_a_class_without_expansion_refuses_growth(node_cluster, sns, host_dir):
    c = node_cluster.cluster
    pv_name = f"fixed-{sns}"
    c.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv_name},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                 "hostPath": {"path": str(host_dir)}, "claimRef": {"namespace": sns, "name": "fixed"}}}))
    try:
        apply(c, sns, claim("fixed", storage_class="", size="1Gi"))
        bound_volume(c, sns, "fixed")
        r = c.kubectl("patch", "pvc", "fixed", "-n", sns, "-p",
                      json.dumps({"spec": {"resources": {"requests": {"storage": "2Gi"}}}}), check=False)
        assert r.returncode != 0
        assert ('persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the '
                'storageclass that provisions the pvc must support resize') in r.stderr, r.stderr
        assert get(c, sns, "pvc", "fixed")["spec"]["resources"]["requests"]["storage"] == "1Gi"
    finally:
        c.kubectl("delete", "pvc", "fixed", "-n", sns, "--wait=true", "--timeout=30s", check=False)
        c.kubectl("delete", "pv", pv_name, "--wait=true", "--timeout=30s", check=False)


def test_a_clone_carries_the_sources_files(node_cluster, sns):
    c = node_cluster.cluster
    apply(c, sns, claim("source"))
    apply(c, sns, pod("seed", "source", "mkdir -p /data/dir && echo cloned-content > /data/dir/file"))
    bound_volume(c, sns, "source")
    wait_pod_done(c, sns, "seed")
    apply(c, sns, claim("copy", dataSource={"kind": "PersistentVolumeClaim", "name": "source"}))
    apply(c, sns, pod("check", "copy", "cat /data/dir/file"))
    copy_volume = bound_volume(c, sns, "copy")
    wait_pod_done(c, sns, "check")
    assert logs(c, sns, "check") == "cloned-content\n"
    assert copy_volume != get(c, sns, "pvc", "source")["spec"]["volumeName"]


def test_a_claim_that_cannot_be_satisfied_keeps_its_pod_pending(node_cluster, sns):
    c = node_cluster.cluster
    cls = f"none-{sns}"
    c.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": cls},
        "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"}))
    try:
        apply(c, sns, claim("nowhere", storage_class=cls))
        apply(c, sns, pod("waiting", "nowhere", "true"))

        def unschedulable():
            p = get(c, sns, "pod", "waiting")
            conds = {x["type"]: x for x in p.get("status", {}).get("conditions", [])}
            cond = conds.get("PodScheduled")
            return cond if cond and cond.get("reason") == "Unschedulable" else None
        cond = wait_until("pod unschedulable", unschedulable, timeout=30)
        assert "node(s) didn't find available persistent volumes to bind" in cond["message"], cond
        assert cond["message"].startswith("0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind."), cond
        assert phase(c, sns, "pod", "waiting") == "Pending"
        assert phase(c, sns, "pvc", "nowhere") == "Pending"
        described = c.kubectl("describe", "pod", "waiting", "-n", sns).stdout
        assert "didn't find available persistent volumes to bind" in described, described
    finally:
        c.kubectl("delete", "pod", "waiting", "-n", sns, "--wait=true", "--timeout=30s", check=False)
        c.kubectl("delete", "sc", cls, check=False)


def test_fsgroup_read_only_and_sub_path(node_cluster, sns):
    c = node_cluster.cluster
    apply(c, sns, claim("shared"))
    apply(c, sns, pod("owner", "shared", "mkdir -p /data/sub && echo x > /data/sub/f && stat -c %g /data/sub/f && sleep 3600",
                      security={"runAsUser": 1000, "fsGroup": 2000}))
    volume = bound_volume(c, sns, "shared")
    wait_until("owner running", lambda: phase(c, sns, "pod", "owner") == "Running", timeout=60)
    wait_until("owner wrote", lambda: logs(c, sns, "owner").strip() == "2000", timeout=30)
    node = wait_until("volume in use on the node", lambda: (lambda n: n if f"kubernetes.io/host-path/{volume}" in (
        n["status"].get("volumesInUse") or []) else None)(c.ok_json(c.get(f"/api/v1/nodes/{NODE}"))), timeout=30)
    assert node["status"]["volumesInUse"] == sorted(node["status"]["volumesInUse"])
    c.kubectl("delete", "pod", "owner", "-n", sns, "--wait=true", "--timeout=60s")
    apply(c, sns, pod("ro", "shared", "cat /data/f; if touch /data/new 2>/dev/null; then echo writable; else echo read-only; fi",
                      read_only=True, sub_path="sub"))
    wait_pod_done(c, sns, "ro")
    assert logs(c, sns, "ro") == "x\nread-only\n"


def test_statefulset_claim_templates_keep_each_ordinals_data(node_cluster, sns):
    c = node_cluster.cluster
    apply(c, sns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
          {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
           "spec": {"serviceName": "web", "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                                     "name": "main", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sh", "-c", "[ -f /data/who ] || hostname > /data/who; sleep 3600"],
                                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
                    "volumeClaimTemplates": [claim("data")]}})
    for ordinal in (0, 1):
        bound_volume(c, sns, f"data-web-{ordinal}", timeout=90)
    wait_until("both replicas ready", lambda: (get(c, sns, "statefulset", "web") or {}).get("status", {}).get("readyReplicas") == 2,
               timeout=90)
    first_uid = get(c, sns, "pod", "web-1")["metadata"]["uid"]
    assert c.kubectl("exec", "web-1", "-n", sns, "--", "cat", "/data/who").stdout.strip() == "web-1"
    c.kubectl("exec", "web-1", "-n", sns, "--", "sh", "-c", "echo kept > /data/marker")
    c.kubectl("delete", "pod", "web-1", "-n", sns, "--wait=true", "--timeout=60s")
    wait_until("web-1 recreated and running", lambda: (lambda p: p and p["metadata"]["uid"] != first_uid and
                                                       p["status"].get("phase") == "Running")(get(c, sns, "pod", "web-1")),
               timeout=90)
    assert c.kubectl("exec", "web-1", "-n", sns, "--", "cat", "/data/marker").stdout.strip() == "kept"
    claims = sorted(i["metadata"]["name"] for i in json.loads(c.kubectl("get", "pvc", "-n", sns, "-o", "json").stdout)["items"])
    assert claims == ["data-web-0", "data-web-1"]
    c.kubectl("delete", "statefulset", "web", "-n", sns, "--wait=true", "--timeout=60s", check=False)


def test_printing_pv_pvc_and_describe(node_cluster, sns):
    c = node_cluster.cluster
    apply(c, sns, claim("shown"))
    apply(c, sns, pod("user", "shown", "true"))
    volume = bound_volume(c, sns, "shown")
    out = c.kubectl("get", "pvc", "shown", "-n", sns).stdout.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS",
                              "VOLUMEATTRIBUTESCLASS", "AGE"], out
    assert out[1].split()[:6] == ["shown", "Bound", volume, "64Mi", "RWO", "local-path"], out
    out = c.kubectl("get", "pv", volume).stdout.splitlines()
    assert out[0].split() == ["NAME", "CAPACITY", "ACCESS", "MODES", "RECLAIM", "POLICY", "STATUS", "CLAIM",
                              "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"], out
    assert out[1].split()[:7] == [volume, "64Mi", "RWO", "Delete", "Bound", f"{sns}/shown", "local-path"], out
    described = c.kubectl("describe", "pvc", "shown", "-n", sns).stdout
    assert "ProvisioningSucceeded" in described and f"Successfully provisioned volume {volume}" in described, described
    assert "StorageClass:  local-path" in described, described
