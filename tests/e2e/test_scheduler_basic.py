"""The built-in scheduler of `kyvern server`: binding to the node that fits, the Scheduled event,
and the upstream diagnosis for a pod that fits nowhere until a big enough node is added."""

from __future__ import annotations

import json
import re
import time

TOO_BIG_MESSAGE = ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
                   "2 Preemption is not helpful for scheduling..")


def _node(name: str, cpu: str, memory: str = "8Gi") -> dict:
    resources = {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "100Gi"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"capacity": resources, "allocatable": resources,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}]}}


def _pod(name: str, cpu: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                                     "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]}}


def _add_node(c, node: dict) -> None:
    created = c.ok_json(c.post("/api/v1/nodes", node), 201)
    # The status a kubelet reports; set through the status subresource as a kubelet does.
    created["status"] = node["status"]
    # Unconditional (no resourceVersion): the node IPAM controller may have set spec.podCIDR meanwhile.
    created["metadata"].pop("resourceVersion", None)
    c.ok_json(c.put(f"/api/v1/nodes/{node['metadata']['name']}/status", created), 200)


def _wait(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _pod_json(c, ns: str, name: str) -> dict:
    return c.ok_json(c.get(f"/api/v1/namespaces/{ns}/pods/{name}"), 200)


def _wide_row(c, ns: str, name: str) -> list[str]:
    out = c.kubectl("get", "pod", name, "-n", ns, "-o", "wide", "--no-headers").stdout
    return out.split()


def test_scheduler_binds_reports_and_diagnoses(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    _add_node(c, _node("small", "2"))
    _add_node(c, _node("large", "4"))
    ns = "sched"
    c.create_namespace(ns)

    # Only "large" has room for 3 cpus.
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", _pod("web", "3")), 201)
    _wait(lambda: _pod_json(c, ns, "web")["spec"].get("nodeName"), what="web to be bound")
    row = _wide_row(c, ns, "web")
    # NAME READY STATUS RESTARTS AGE IP NODE NOMINATED-NODE READINESS-GATES
    assert row[0] == "web" and row[2] == "Pending" and row[6] == "large", row
    assert _pod_json(c, ns, "web")["spec"]["nodeName"] == "large"

    def scheduled_event():
        items = c.ok_json(c.get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events"), 200)["items"]
        return [e for e in items if e["reason"] == "Scheduled" and e["regarding"]["name"] == "web"]
    event = _wait(scheduled_event, what="the Scheduled event")[0]
    assert event["type"] == "Normal"
    assert event["action"] == "Binding"
    assert event["reportingController"] == "default-scheduler"
    assert event["reportingInstance"].startswith("default-scheduler-")
    assert event["note"] == f"Successfully assigned {ns}/web to large"
    assert event["regarding"]["kind"] == "Pod" and event["regarding"]["namespace"] == ns
    assert event["regarding"]["uid"] == _pod_json(c, ns, "web")["metadata"]["uid"]
    events = c.kubectl("get", "events", "-n", ns, "--field-selector", "reason=Scheduled", "--no-headers").stdout
    assert events.split()[1:5] == ["Normal", "Scheduled", "pod/web", "Successfully"], events
    assert events.rstrip().endswith(f"Successfully assigned {ns}/web to large"), events

    # 16 cpus fit nowhere: Pending with upstream's diagnosis, as condition and as event.
    c.ok_json(c.post(f"/api/v1/namespaces/{ns}/pods", _pod("big", "16")), 201)

    def unschedulable_condition():
        conditions = _pod_json(c, ns, "big").get("status", {}).get("conditions", [])
        return [x for x in conditions if x["type"] == "PodScheduled"]
    condition = _wait(unschedulable_condition, what="PodScheduled=False")[0]
    assert condition["status"] == "False"
    assert condition["reason"] == "Unschedulable"
    assert condition["message"] == TOO_BIG_MESSAGE
    assert condition["lastTransitionTime"]
    big = _pod_json(c, ns, "big")
    assert big["status"]["phase"] == "Pending"
    assert "nodeName" not in big["spec"]
    row = _wide_row(c, ns, "big")
    assert row[2] == "Pending" and row[6] == "<none>", row

    def failed_event():
        items = c.ok_json(c.get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events"), 200)["items"]
        return [e for e in items if e["reason"] == "FailedScheduling" and e["regarding"]["name"] == "big"]
    failed = _wait(failed_event, what="the FailedScheduling event")[0]
    assert failed["type"] == "Warning"
    assert failed["action"] == "Scheduling"
    assert failed["note"] == TOO_BIG_MESSAGE
    described = c.kubectl("describe", "pod", "big", "-n", ns).stdout
    assert "FailedScheduling" in described and "default-scheduler" in described

    # A node big enough arrives: the parked pod is retried and lands there.
    _add_node(c, _node("huge", "32", "64Gi"))
    _wait(lambda: _pod_json(c, ns, "big")["spec"].get("nodeName"), timeout=30, what="big to be bound")
    assert _pod_json(c, ns, "big")["spec"]["nodeName"] == "huge"
    assert _wide_row(c, ns, "big")[6] == "huge"
    assert _pod_json(c, ns, "web")["spec"]["nodeName"] == "large"


def test_scheduler_can_be_disabled(server_factory):
    p = server_factory.new("--disable-scheduler")
    c = server_factory.client(p)
    _add_node(c, _node("only", "4"))
    c.create_namespace("idle")
    c.ok_json(c.post("/api/v1/namespaces/idle/pods", _pod("web", "1")), 201)
    time.sleep(3)
    pod = _pod_json(c, "idle", "web")
    assert "nodeName" not in pod["spec"]
    assert pod["status"].get("conditions") is None
    items = c.ok_json(c.get("/apis/events.k8s.io/v1/namespaces/idle/events"), 200)["items"]
    assert items == []


def test_scheduler_metrics_on_server_metrics(server_factory):
    p = server_factory.new()
    c = server_factory.client(p)
    _add_node(c, _node("n1", "4"))
    c.create_namespace("m")
    c.ok_json(c.post("/api/v1/namespaces/m/pods", _pod("web", "1")), 201)
    _wait(lambda: _pod_json(c, "m", "web")["spec"].get("nodeName"), what="web to be bound")

    # The binding is visible to a reader a moment before the scheduler records the pod's SLI
    # (recorded once the bind call has returned), so wait for both series. The scheduler may see
    # the node before its status (allocatable) lands and find the pod unschedulable once; the SLI's
    # `attempts` label then counts that attempt too, so it must equal all attempts made.
    def metrics_text():
        text = c.get("/metrics").text
        done = 'scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"} 1' in text \
            and re.search(r'^scheduler_pod_scheduling_sli_duration_seconds_count\{attempts="\d+"\} 1$', text, re.M)
        return text if done else None
    text = _wait(metrics_text, what="the attempts counter and the scheduling SLI")
    attempts = {m.group(1): int(float(m.group(2))) for m in re.finditer(
        r'^scheduler_schedule_attempts_total\{result="(\w+)",profile="default-scheduler"\} (\S+)$', text, re.M)}
    total = sum(attempts.values())
    assert attempts["scheduled"] == 1 and total <= 3, attempts
    assert 'scheduler_pending_pods{queue="active"}' in text
    assert 'scheduler_scheduling_attempt_duration_seconds_count{result="scheduled",profile="default-scheduler"} 1' in text
    assert f'scheduler_pod_scheduling_sli_duration_seconds_count{{attempts="{total}"}} 1' in text
    assert f'scheduler_pod_scheduling_sli_duration_seconds_bucket{{attempts="{total}",le="+Inf"}} 1' in text
