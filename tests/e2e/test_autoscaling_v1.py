"""autoscaling/v1 HorizontalPodAutoscalers: served beside autoscaling/v2 from one storage, converted as upstream
(one CPU target in v1's fields; everything else v1 cannot hold travels in annotations and comes back)."""

from __future__ import annotations

import json
import subprocess
import time

from kubernetes import client

METRICS = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"


def v1(ns, name=""):
    return f"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers" + (f"/{name}" if name else "")


def v2(ns, name=""):
    return f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers" + (f"/{name}" if name else "")


def v1_hpa(name, cpu=None, max_replicas=5):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1, "maxReplicas": max_replicas}
    if cpu is not None:
        spec["targetCPUUtilizationPercentage"] = cpu
    return {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name}, "spec": spec}


def v2_hpa(name):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 8,
                     "metrics": [
                         {"type": "Resource", "resource": {"name": "cpu",
                                                           "target": {"type": "Utilization", "averageUtilization": 60}}},
                         {"type": "Resource", "resource": {"name": "memory",
                                                           "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                     ],
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120,
                                                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}}}


def test_discovery_lists_v1_beside_the_preferred_v2(cluster):
    group = cluster.ok_json(cluster.get("/apis/autoscaling"), 200)
    assert [v["version"] for v in group["versions"]] == ["v2", "v1"]
    assert group["preferredVersion"]["version"] == "v2"
    resources = cluster.ok_json(cluster.get("/apis/autoscaling/v1"), 200)["resources"]
    names = {r["name"]: r for r in resources}
    assert set(names) == {"horizontalpodautoscalers", "horizontalpodautoscalers/status"}
    assert names["horizontalpodautoscalers"]["shortNames"] == ["hpa"]
    assert names["horizontalpodautoscalers"]["kind"] == "HorizontalPodAutoscaler"
    spec = cluster.ok_json(cluster.get("/openapi/v3/apis/autoscaling/v1"), 200)
    assert "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler" in spec["components"]["schemas"]


def test_a_v1_object_is_stored_once_and_read_through_both_versions(cluster, ns):
    created = cluster.ok_json(cluster.post(v1(ns), v1_hpa("cpu50", cpu=50)), 201)
    assert created["apiVersion"] == "autoscaling/v1"
    assert created["spec"]["targetCPUUtilizationPercentage"] == 50
    assert "annotations" not in created["metadata"] or not any(
        k.startswith("autoscaling.alpha") for k in created["metadata"]["annotations"])

    stored = cluster.ok_json(cluster.get(v2(ns, "cpu50")), 200)
    assert stored["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert stored["metadata"]["uid"] == created["metadata"]["uid"]

    # v1's implied target: no CPU target given means 80%.
    cluster.ok_json(cluster.post(v1(ns), v1_hpa("implied")), 201)
    implied = cluster.ok_json(cluster.get(v2(ns, "implied")), 200)
    assert implied["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    assert cluster.ok_json(cluster.get(v1(ns, "implied")), 200)["spec"]["targetCPUUtilizationPercentage"] == 80

    listed = cluster.ok_json(cluster.get(v1(ns)), 200)
    assert listed["apiVersion"] == "autoscaling/v1" and listed["kind"] == "HorizontalPodAutoscalerList"
    assert sorted(i["metadata"]["name"] for i in listed["items"]) == ["cpu50", "implied"]
    assert all(i["apiVersion"] == "autoscaling/v1" for i in listed["items"])

    # The official client's AutoscalingV1Api reads the same objects.
    api = client.AutoscalingV1Api(cluster.api_client)
    assert api.read_namespaced_horizontal_pod_autoscaler("cpu50", ns).spec.target_cpu_utilization_percentage == 50
    assert len(api.list_namespaced_horizontal_pod_autoscaler(ns).items) == 2


def test_v2_only_fields_survive_a_read_modify_write_through_v1(cluster, ns):
    cluster.ok_json(cluster.post(v2(ns), v2_hpa("mixed")), 201)
    old = cluster.ok_json(cluster.get(v1(ns, "mixed")), 200)
    assert old["spec"]["targetCPUUtilizationPercentage"] == 60
    annotations = old["metadata"]["annotations"]
    assert json.loads(annotations[METRICS]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]
    behavior = json.loads(annotations[BEHAVIOR])
    assert behavior["ScaleDown"]["StabilizationWindowSeconds"] == 120
    assert behavior["ScaleDown"]["Policies"] == [{"Type": "Pods", "Value": 1, "PeriodSeconds": 30}]

    # An old client changes maxReplicas through v1 and puts back what it read.
    old["spec"]["maxReplicas"] = 9
    put = cluster.ok_json(cluster.put(v1(ns, "mixed"), old), 200)
    assert put["spec"]["maxReplicas"] == 9 and put["apiVersion"] == "autoscaling/v1"
    stored = cluster.ok_json(cluster.get(v2(ns, "mixed")), 200)
    assert stored["spec"]["maxReplicas"] == 9
    names = sorted(m["resource"]["name"] for m in stored["spec"]["metrics"])
    assert names == ["cpu", "memory"]
    assert stored["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 120
    assert stored["spec"]["behavior"]["scaleDown"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 30}]
    # The round-trip annotations are never stored.
    assert not any(k.startswith("autoscaling.alpha") for k in stored["metadata"].get("annotations", {}))


def test_status_is_shown_in_v1s_fields_and_annotations(cluster, ns):
    cluster.ok_json(cluster.post(v2(ns), v2_hpa("measured")), 201)
    current = cluster.ok_json(cluster.get(v2(ns, "measured")), 200)
    current["status"] = {
        "currentReplicas": 3, "desiredReplicas": 4,
        "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 72, "averageValue": "144m"}}},
            {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "80Mi"}}},
        ],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "lastTransitionTime": "2026-11-28T00:00:00Z"}],
    }
    written = cluster.ok_json(cluster.put(v2(ns, "measured") + "/status", current), 200)
    # Another writer (the HPA controller) may update the status meanwhile: compare the v1 view with
    # the v2 object of the same resourceVersion.
    for _ in range(20):
        shown = cluster.ok_json(cluster.get(v1(ns, "measured") + "/status"), 200)
        stored = cluster.ok_json(cluster.get(v2(ns, "measured")), 200)
        if shown["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]:
            break
        time.sleep(0.2)
    assert shown["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    status = stored["status"]
    cpu = [m for m in status.get("currentMetrics", []) if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
    if cpu:
        assert shown["status"]["currentCPUUtilizationPercentage"] == cpu[-1]["resource"]["current"]["averageUtilization"]
    assert shown["status"]["currentReplicas"] == status.get("currentReplicas", 0)
    assert shown["status"]["desiredReplicas"] == status["desiredReplicas"]
    annotations = shown["metadata"].get("annotations", {})
    if status.get("conditions"):
        assert [c["type"] for c in json.loads(annotations[CONDITIONS])] == [c["type"] for c in status["conditions"]]
    if status.get("currentMetrics"):
        assert len(json.loads(annotations[CURRENT])) == len(status["currentMetrics"])
    if written["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]:
        assert shown["status"]["currentCPUUtilizationPercentage"] == 72
        assert json.loads(annotations[CURRENT])[1] == {"type": "Resource", "resource": {
            "name": "memory", "currentAverageValue": "80Mi"}}


def test_kubectl_reads_patches_applies_and_watches_through_v1(cluster, ns):
    manifest = json.dumps(v1_hpa("applied", cpu=40) | {"metadata": {"name": "applied", "namespace": ns}})
    cp = cluster.kubectl("apply", "--server-side", "-f", "-", input=manifest)
    assert "serverside-applied" in cp.stdout
    stored = cluster.ok_json(cluster.get(v2(ns, "applied")), 200)
    assert stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 40
    managers = {m["manager"]: m for m in stored["metadata"]["managedFields"]}
    assert managers["kubectl"]["operation"] == "Apply"

    # A second apply that changes the target updates the same object.
    manifest = json.dumps(v1_hpa("applied", cpu=45) | {"metadata": {"name": "applied", "namespace": ns}})
    cluster.kubectl("apply", "--server-side", "-f", "-", input=manifest)
    stored = cluster.ok_json(cluster.get(v2(ns, "applied")), 200)
    assert stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 45

    cluster.kubectl("patch", "horizontalpodautoscalers.v1.autoscaling", "applied", "-n", ns, "--type=merge",
                    "-p", '{"spec":{"targetCPUUtilizationPercentage":70}}')
    stored = cluster.ok_json(cluster.get(v2(ns, "applied")), 200)
    assert stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70

    out = cluster.kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "applied", "-n", ns, "-o", "json").stdout
    shown = json.loads(out)
    assert shown["apiVersion"] == "autoscaling/v1" and shown["spec"]["targetCPUUtilizationPercentage"] == 70
    table = cluster.kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "-n", ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert table[1].split()[:5] == ["applied", "Deployment/web", "cpu:", "<unknown>/70%", "1"]

    # A watch through v1 sends v1 objects.
    resp = cluster.get(v1(ns), params={"watch": "1", "fieldSelector": "metadata.name=applied"}, stream=True,
                       timeout=10)
    try:
        line = next(resp.iter_lines())
        event = json.loads(line)
        assert event["type"] == "ADDED"
        assert event["object"]["apiVersion"] == "autoscaling/v1"
        assert event["object"]["spec"]["targetCPUUtilizationPercentage"] == 70
    finally:
        resp.close()

    # kubectl get -w asks for Table rows: printed from the v1 objects.
    resp = cluster.get(v1(ns), params={"watch": "1", "fieldSelector": "metadata.name=applied"}, stream=True,
                       timeout=10, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    try:
        event = json.loads(next(resp.iter_lines()))
        assert event["object"]["kind"] == "Table"
        assert event["object"]["rows"][0]["cells"][:3] == ["applied", "Deployment/web", "cpu: <unknown>/70%"]
    finally:
        resp.close()

    cluster.kubectl("delete", "horizontalpodautoscalers.v1.autoscaling", "applied", "-n", ns)
    assert cluster.get(v2(ns, "applied")).status_code == 404


def test_bad_v1_input_is_refused_and_changes_nothing(cluster, ns):
    bad = v1_hpa("bad", cpu=50, max_replicas=0)
    resp = cluster.post(v1(ns), bad)
    assert resp.status_code == 422, resp.text
    status = resp.json()
    assert status["kind"] == "Status" and status["reason"] == "Invalid"
    assert any(c["field"] == "spec.maxReplicas" for c in status["details"]["causes"])
    assert cluster.get(v2(ns, "bad")).status_code == 404
    missing = cluster.get(v1(ns, "nope"))
    assert missing.status_code == 404
    assert missing.json()["details"] == {"name": "nope", "group": "autoscaling", "kind": "horizontalpodautoscalers"}
    unknown = cluster.post(v1(ns), v1_hpa("typo", cpu=50) | {"spec": {"maxReplicas": 3, "targetCPU": 5,
                                                                       "scaleTargetRef": {"kind": "Deployment",
                                                                                          "name": "web"}}},
                           params={"fieldValidation": "Strict"})
    assert unknown.status_code == 400, unknown.text
    assert "targetCPU" in unknown.json()["message"]
