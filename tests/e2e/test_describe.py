"""kubectl describe of pods, deployments, services, nodes and namespaces, with their events
(core/v1 ones written by the Python client, events.k8s.io/v1 ones over HTTP)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from kubernetes import client

from e2e_harness import wait_until

pytestmark = pytest.mark.kubectl


def _ago(seconds: int) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).replace(microsecond=0)


def _micro(seconds: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _core_event(api, ns, name, ref, *, reason, message, type_="Normal", count=1, first=60, last=60,
                component="kubelet", host=None):
    body = client.CoreV1Event(
        metadata=client.V1ObjectMeta(name=name, namespace=ns),
        involved_object=client.V1ObjectReference(kind=ref["kind"], namespace=ref.get("namespace"), name=ref["name"],
                                                 uid=ref["uid"], api_version=ref["apiVersion"]),
        reason=reason, message=message, type=type_, count=count,
        first_timestamp=_ago(first), last_timestamp=_ago(last),
        source=client.V1EventSource(component=component, host=host))
    return api.create_namespaced_event(ns, body)


def _v1_event(cluster, ns, name, ref, *, reason, note, type_="Normal", ago=30, controller="default-scheduler"):
    body = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
            "eventTime": _micro(ago), "reportingController": controller, "reportingInstance": f"{controller}-1",
            "action": "Acting", "reason": reason, "note": note, "type": type_,
            "regarding": {k: v for k, v in ref.items() if v is not None}}
    return cluster.ok_json(cluster.post(f"/apis/events.k8s.io/v1/namespaces/{ns}/events", body), 201)


def _events_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Events:"))
    section = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        section.append(line)
    return [" ".join(line.split()) for line in section]


def _fields(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def _ref(obj: dict) -> dict:
    return {"kind": obj["kind"], "namespace": obj["metadata"].get("namespace"), "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "apiVersion": obj["apiVersion"]}


def test_describe_pod_shows_events(cluster, ns):
    pod = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
        # A scheduler name nobody answers to: the built-in scheduler adds no events of its own.
        "spec": {"schedulerName": "e2e-unscheduled",
                 "containers": [{"name": "app", "image": "registry.example/app:1"}]}}), 201)
    api = client.CoreV1Api(cluster.api_client)
    _v1_event(cluster, ns, "web.1", _ref(pod), reason="Scheduled", note="Successfully assigned to node-1", ago=2700)
    _core_event(api, ns, "web.2", _ref(pod), reason="Pulled", message="Container image already present",
                first=1800, last=1800, host="node-1")
    _core_event(api, ns, "web.3", _ref(pod), reason="BackOff", message="Back-off restarting failed container",
                type_="Warning", count=4, first=2400, last=1200, host="node-1")
    _core_event(api, ns, "other.1", {**_ref(pod), "name": "other", "uid": "x"}, reason="Pulled", message="not mine")

    out = cluster.kubectl("describe", "pod", "web", "-n", ns).stdout
    # Priority and the service account come from upstream's admission defaults.
    assert _fields(out)[:6] == ["Name: web", f"Namespace: {ns}", "Priority: 0", "Service Account: default",
                                "Node: <none>", "Labels: app=web"]
    assert _events_section(out) == [
        "Events:",
        "Type Reason Age From Message",
        "---- ------ ---- ---- -------",
        "Normal Scheduled 45m default-scheduler Successfully assigned to node-1",
        "Normal Pulled 30m kubelet Container image already present",
        "Warning BackOff 20m (x4 over 40m) kubelet Back-off restarting failed container",
    ]


def test_describe_deployment_shows_events(cluster, ns):
    dep = cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "app", "image": "registry.example/api:1"}]}}}}), 201)
    # The deployment's current ReplicaSet: owned by it, with its template plus the pod-template-hash.
    template = {"metadata": {"labels": {"app": "api", "pod-template-hash": "abc"}},
                "spec": dep["spec"]["template"]["spec"]}
    cluster.ok_json(cluster.post(f"/apis/apps/v1/namespaces/{ns}/replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "api-abc", "labels": {"app": "api", "pod-template-hash": "abc"},
                     "annotations": {"deployment.kubernetes.io/revision": "1"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api",
                                          "uid": dep["metadata"]["uid"], "controller": True,
                                          "blockOwnerDeletion": True}]},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api", "pod-template-hash": "abc"}},
                 "template": template}}), 201)
    api = client.CoreV1Api(cluster.api_client)
    _core_event(api, ns, "api.1", _ref(dep), reason="ScalingReplicaSet", message="Scaled up replica set api-abc to 2",
                component="deployment-controller", first=720, last=720)
    out = cluster.kubectl("describe", "deployment", "api", "-n", ns).stdout
    assert "Replicas: 2 desired | 0 updated | 0 total | 0 available | 0 unavailable" in _fields(out)
    assert "OldReplicaSets: <none>" in _fields(out)
    assert "NewReplicaSet: api-abc (0/2 replicas created)" in _fields(out)
    assert _events_section(out) == [
        "Events:",
        "Type Reason Age From Message",
        "---- ------ ---- ---- -------",
        "Normal ScalingReplicaSet 12m deployment-controller Scaled up replica set api-abc to 2",
    ]


def test_describe_service_shows_events(cluster, ns):
    svc = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "front"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}), 201)
    _v1_event(cluster, ns, "front.1", _ref(svc), reason="EnsuringLoadBalancer", note="Ensuring load balancer",
              type_="Warning", ago=900, controller="service-controller")
    out = cluster.kubectl("describe", "service", "front", "-n", ns).stdout
    assert "Selector: app=web" in _fields(out)
    assert _events_section(out) == [
        "Events:",
        "Type Reason Age From Message",
        "---- ------ ---- ---- -------",
        "Warning EnsuringLoadBalancer 15m service-controller Ensuring load balancer",
    ]


def test_describe_node_shows_pods_and_events(cluster, ns, suffix):
    name = f"node-{suffix}"
    node = cluster.ok_json(cluster.post("/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                   "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}), 201)
    try:
        for pod_name, phase in (("running", "Running"), ("done", "Succeeded")):
            cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod_name},
                "spec": {"nodeName": name, "containers": [{"name": "c", "image": "registry.example/c:1",
                                                            "resources": {"requests": {"cpu": "500m"}}}]}}), 201)
            st = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/pods/{pod_name}"), 200)
            st["status"]["phase"] = phase
            cluster.ok_json(cluster.put(f"/api/v1/namespaces/{ns}/pods/{pod_name}/status", st), 200)
        cluster.ok_json(cluster.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                     "renewTime": _micro(0)}}), 201)
        api = client.CoreV1Api(cluster.api_client)
        ref = {"kind": "Node", "name": name, "uid": name, "apiVersion": "v1"}
        _core_event(api, "default", f"{name}.1", ref, reason="NodeReady",
                    message=f"Node {name} status is now: NodeReady", first=1500, last=1500, host=name)
        out = cluster.kubectl("describe", "node", name).stdout
        lines = _fields(out)
        assert lines[0] == f"Name: {name}"
        assert f"HolderIdentity: {name}" in lines
        pods = lines.index("Non-terminated Pods: (1 in total)")
        assert lines[pods + 1:pods + 4] == [
            "Namespace Name CPU Requests CPU Limits Memory Requests Memory Limits Age",
            "--------- ---- ------------ ---------- --------------- ------------- ---",
            f"{ns} running 500m (12%) 0 (0%) 0 (0%) 0 (0%) {lines[pods + 3].split()[-1]}",
        ]
        assert lines[pods + 4] == "Allocated resources:"
        assert _events_section(out) == [
            "Events:",
            "Type Reason Age From Message",
            "---- ------ ---- ---- -------",
            f"Normal NodeReady 25m kubelet Node {name} status is now: NodeReady",
        ]
    finally:
        cluster.delete(f"/api/v1/nodes/{name}")
        cluster.delete(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}")
        cluster.delete(f"/api/v1/namespaces/default/events/{name}.1")


def test_describe_namespace_shows_quota_limits_and_events(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
        "spec": {"hard": {"pods": "10"}}}), 201)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/limitranges", {
        "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}}), 201)
    nsobj = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}"), 200)
    # The quota controller fills in status.used, as upstream's does.
    wait_until("quota status", lambda: cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/resourcequotas/q"), 200)
               .get("status", {}).get("used") == {"pods": "0"}, timeout=15)
    api = client.CoreV1Api(cluster.api_client)
    # Events about a cluster-scoped object live in "default", as upstream's recorders write them
    # (and as upstream's validation demands of an event whose involvedObject has no namespace).
    _core_event(api, "default", f"{ns}.1", _ref(nsobj), reason="Checked", message="namespace checked",
                component="namespace-controller", first=1320, last=1320)
    out = cluster.kubectl("describe", "namespace", ns).stdout
    # kubectl's namespace describer prints quotas and limit ranges, and (unlike the others) no events.
    assert _fields(out) == [
        f"Name: {ns}", f"Labels: kubernetes.io/metadata.name={ns}", "Annotations: <none>", "Status: Active", "",
        "Resource Quotas", "Name: q", "Resource Used Hard", "-------- --- ---", "pods 0 10", "",
        "Resource Limits",
        "Type Resource Min Max Default Request Default Limit Max Limit/Request Ratio",
        "---- -------- --- --- --------------- ------------- -----------------------",
        "Container cpu - - 500m 500m -",  # defaultRequest defaulted from default, as upstream
    ]


def test_describe_without_events(cluster, ns):
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "quiet"}, "data": {"a": "b"}}), 201)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "quiet"},
        "spec": {"schedulerName": "e2e-unscheduled",
                 "containers": [{"name": "app", "image": "registry.example/app:1"}]}}), 201)
    out = cluster.kubectl("describe", "pod", "quiet", "-n", ns).stdout
    assert _fields(out)[-1] == "Events: <none>"
