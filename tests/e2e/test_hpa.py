"""HorizontalPodAutoscaler on a real node, as a new user tries it with kubectl: a Deployment whose
container burns CPU (request and limit 100m) under `kubectl autoscale --cpu=50%` scales up to its
maximum, shows `cpu: N%/50%` in `kubectl get hpa`, and scales back to one replica once the load
stops (with a short scale-down stabilization window patched into the autoscaler).

Runs on the shared `node_cluster` (runc): usage comes from the node agent through metrics.k8s.io."""
from __future__ import annotations

import json
import re

from e2e_harness import wait_until
from node_cluster import IMAGE
from test_agent_pods import nns  # noqa: F401 (fixture)

# Burns a core until /tmp/stop exists, then idles.
BURN = "while [ ! -f /tmp/stop ]; do :; done; exec sleep 3600"


def deployment(name: str) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {
            "replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                    "name": "burn", "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", BURN],
                    "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "100m"}},
                }]},
            },
        },
    }


def get_hpa(c, ns, name) -> dict:
    return c.ok_json(c.get(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}"))


def conditions(hpa) -> dict[str, dict]:
    return {x["type"]: x for x in hpa.get("status", {}).get("conditions", [])}


def running_pods(c, ns, app) -> list[str]:
    items = c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": f"app={app}"}))["items"]
    return sorted(p["metadata"]["name"] for p in items
                  if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def test_cpu_burning_deployment_scales_up_and_back_down(node_cluster, nns):
    c = node_cluster.cluster
    c.kubectl("apply", "-n", nns, "-f", "-", input=json.dumps(deployment("burn")))
    r = c.kubectl("autoscale", "-n", nns, "deployment", "burn", "--cpu=50%", "--min=1", "--max=2")
    assert r.stdout.strip() == "horizontalpodautoscaler.autoscaling/burn autoscaled"
    c.kubectl("patch", "-n", nns, "hpa", "burn", "--type=merge", "-p",
              json.dumps({"spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 5}}}}))
    hpa = get_hpa(c, nns, "burn")
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "burn"}

    # One pod at its 100m limit is 100% of its request, twice the target: the HPA asks for 2.
    hpa = wait_until("the HPA to scale the deployment to 2", lambda: (
        h := get_hpa(c, nns, "burn"), h if h.get("status", {}).get("desiredReplicas") == 2 else None)[1], timeout=75, interval=1)
    able = conditions(hpa)["AbleToScale"]
    assert able["status"] == "True" and able["reason"] in ("SucceededRescale", "ReadyForNewScale", "SucceededGetScale"), able
    active = conditions(hpa)["ScalingActive"]
    assert (active["status"], active["reason"], active["message"]) == (
        "True", "ValidMetricFound",
        "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)")
    assert hpa["status"]["lastScaleTime"]
    current = hpa["status"]["currentMetrics"][0]["resource"]
    assert current["name"] == "cpu" and current["current"]["averageUtilization"] >= 60, current
    deploy = c.ok_json(c.get(f"/apis/apps/v1/namespaces/{nns}/deployments/burn"))
    assert deploy["spec"]["replicas"] == 2

    events = c.ok_json(c.get(f"/api/v1/namespaces/{nns}/events",
                             params={"fieldSelector": "involvedObject.kind=HorizontalPodAutoscaler"}))["items"]
    assert [(e["reason"], e["message"], e["source"]["component"]) for e in events if e["reason"] == "SuccessfulRescale"] == [
        ("SuccessfulRescale", "New size: 2; reason: cpu resource utilization (percentage of request) above target",
         "horizontal-pod-autoscaler")]

    table = c.kubectl("get", "hpa", "-n", nns).stdout.splitlines()
    assert table[0].split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert re.fullmatch(r"burn\s+Deployment/burn\s+cpu: \d+%/50%\s+1\s+2\s+[12]\s+\d+s", table[1]), table[1]

    # Stop the load in every pod: usage falls to nothing and the HPA returns to its minimum.
    pods = wait_until("2 running pods", lambda: (p if len(p := running_pods(c, nns, "burn")) == 2 else None),
                      timeout=30, interval=0.5)
    for pod in pods:
        c.kubectl("exec", "-n", nns, pod, "--", "sh", "-c", ": > /tmp/stop")
    hpa = wait_until("the HPA to scale back to 1", lambda: (
        h := get_hpa(c, nns, "burn"), h if h.get("status", {}).get("desiredReplicas") == 1 else None)[1], timeout=60, interval=1)
    deploy = c.ok_json(c.get(f"/apis/apps/v1/namespaces/{nns}/deployments/burn"))
    assert deploy["spec"]["replicas"] == 1
    limited = conditions(hpa)["ScalingLimited"]
    assert (limited["status"], limited["reason"], limited["message"]) == (
        "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")
    events = c.ok_json(c.get(f"/api/v1/namespaces/{nns}/events",
                             params={"fieldSelector": "involvedObject.kind=HorizontalPodAutoscaler"}))["items"]
    assert ("SuccessfulRescale", "New size: 1; reason: All metrics below target") in [(e["reason"], e["message"]) for e in events]
    table = c.kubectl("get", "hpa", "-n", nns).stdout.splitlines()
    assert re.fullmatch(r"burn\s+Deployment/burn\s+cpu: \d%/50%\s+1\s+2\s+[12]\s+\d+s", table[1]), table[1]
