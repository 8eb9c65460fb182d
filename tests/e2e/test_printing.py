"""Server-side printing: what the real kubectl prints from Kyvern's Tables, column by column,
for the kinds users list most, with -o wide, --show-labels, -L, --sort-by, -A and -w."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from e2e_harness import LineReader
from e2e_kinds import CRUD_KINDS, manifest

pytestmark = pytest.mark.kubectl

AGE = re.compile(r"^\d+s$")  # an object created during the test


def ago(seconds: int) -> str:
    t = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(stdout: str) -> tuple[list[str], list[dict[str, str]]]:
    """kubectl's aligned table as (headers, rows): columns start where the header's names start
    (names are separated by at least two spaces; a name such as "NOMINATED NODE" has one)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]
    names = [header[s:e].strip() for s, e in zip(starts, starts[1:] + [None])]
    rows = []
    for line in lines[1:]:
        cells = [line[s:e].strip() if s < len(line) else "" for s, e in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(names, cells)))
    return names, rows


def get(cluster, *args) -> tuple[list[str], list[dict[str, str]]]:
    return parse(cluster.kubectl("get", *args).stdout)


def create(cluster, path, obj):
    return cluster.ok_json(cluster.post(path, obj), 201)


def put_status(cluster, path, obj, status):
    cur = cluster.ok_json(cluster.get(path), 200)
    cur["status"] = status
    return cluster.ok_json(cluster.put(path + "/status", cur), 200)


def _pod(ns, name, labels=None, containers=("app",), node=None):
    spec = {"containers": [{"name": c, "image": f"registry.example/{c}:1"} for c in containers]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}}, "spec": spec}


def _crashing_pod(cluster, ns, name="web-1", labels=None):
    """A running pod with two containers, the second restarting after failing 20 minutes ago."""
    path = f"/api/v1/namespaces/{ns}/pods/{name}"
    create(cluster, f"/api/v1/namespaces/{ns}/pods",
           _pod(ns, name, labels or {"app": "web"}, containers=("app", "sidecar"), node="node-a"))
    put_status(cluster, path, None, {
        "phase": "Running", "podIP": "10.42.0.5", "podIPs": [{"ip": "10.42.0.5"}],
        "conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}],
        "containerStatuses": [
            {"name": "app", "ready": True, "restartCount": 0, "image": "registry.example/app:1", "imageID": "",
             "state": {"running": {"startedAt": ago(3600)}}},
            {"name": "sidecar", "ready": False, "restartCount": 3, "image": "registry.example/sidecar:1",
             "imageID": "",
             "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
             "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ago(1300),
                                          "finishedAt": ago(1200)}}},
        ]})


def test_get_pods_default_and_wide(cluster, ns):
    _crashing_pod(cluster, ns)
    create(cluster, f"/api/v1/namespaces/{ns}/pods", _pod(ns, "web-2", {"app": "web"}))

    names, rows = get(cluster, "pods", "-n", ns)
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [{k: v for k, v in r.items() if k != "AGE"} for r in rows] == [
        {"NAME": "web-1", "READY": "1/2", "STATUS": "CrashLoopBackOff", "RESTARTS": "3 (20m ago)"},
        {"NAME": "web-2", "READY": "0/1", "STATUS": "Pending", "RESTARTS": "0"},
    ]
    assert all(AGE.match(r["AGE"]) for r in rows), rows

    names, rows = get(cluster, "pods", "-n", ns, "-o", "wide")
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert [(r["NAME"], r["IP"], r["NODE"], r["NOMINATED NODE"], r["READINESS GATES"]) for r in rows] == [
        ("web-1", "10.42.0.5", "node-a", "<none>", "<none>"),
        ("web-2", "<none>", "<none>", "<none>", "<none>"),
    ]

    names, rows = get(cluster, "pod", "web-1", "-n", ns)
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] and rows[0]["STATUS"] == "CrashLoopBackOff"


def test_get_pods_labels_sort_and_all_namespaces(cluster, ns):
    for name, labels in (("zeta", {"app": "db", "tier": "back"}), ("alpha", {"app": "web"}), ("mid", {})):
        create(cluster, f"/api/v1/namespaces/{ns}/pods", _pod(ns, name, labels))

    names, rows = get(cluster, "pods", "-n", ns, "--show-labels")
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert {r["NAME"]: r["LABELS"] for r in rows} == {"zeta": "app=db,tier=back", "alpha": "app=web", "mid": "<none>"}

    names, rows = get(cluster, "pods", "-n", ns, "-L", "app", "-L", "tier")
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "APP", "TIER"]
    assert {r["NAME"]: (r["APP"], r["TIER"]) for r in rows} == {"zeta": ("db", "back"), "alpha": ("web", ""),
                                                                "mid": ("", "")}

    names, rows = get(cluster, "pods", "-n", ns, "--sort-by=.metadata.name")
    assert [r["NAME"] for r in rows] == ["alpha", "mid", "zeta"]
    names, rows = get(cluster, "pods", "-n", ns, "--sort-by=.metadata.labels.app")
    assert [r["NAME"] for r in rows] == ["mid", "zeta", "alpha"]

    names, rows = get(cluster, "pods", "-A", "--sort-by=.metadata.name")
    assert names == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    mine = [(r["NAMESPACE"], r["NAME"]) for r in rows if r["NAMESPACE"] == ns]
    assert mine == [(ns, "alpha"), (ns, "mid"), (ns, "zeta")]

    # a label selector still prints through the table
    names, rows = get(cluster, "pods", "-n", ns, "-l", "app=web")
    assert [r["NAME"] for r in rows] == ["alpha"]


def test_get_pods_watch_prints_rows_as_they_change(cluster, ns):
    create(cluster, f"/api/v1/namespaces/{ns}/pods", _pod(ns, "w1", {"app": "w"}))
    p = cluster.kubectl_popen("get", "pods", "-n", ns, "-w")
    reader = LineReader(p.stdout)
    try:
        header = reader.wait_for(lambda l: l.startswith("NAME"), 15)
        assert header is not None and header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], reader.lines
        first = reader.wait_for(lambda l: l.split()[:1] == ["w1"], 15)
        assert first and first.split()[1:4] == ["0/1", "Pending", "0"], reader.lines
        put_status(cluster, f"/api/v1/namespaces/{ns}/pods/w1", None, {
            "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "image": "x", "imageID": "",
                                   "state": {"running": {"startedAt": ago(5)}}}]})
        changed = reader.wait_for(lambda l: l.split()[:3] == ["w1", "1/1", "Running"], 15)
        assert changed, reader.lines
        create(cluster, f"/api/v1/namespaces/{ns}/pods", _pod(ns, "w2"))
        added = reader.wait_for(lambda l: l.split()[:3] == ["w2", "0/1", "Pending"], 15)
        assert added, reader.lines
        # the header is printed once, not per event
        assert sum(1 for l in reader.lines if l.startswith("NAME")) == 1, reader.lines
    finally:
        p.terminate()
        try:
            p.wait(timeout=5)
        except Exception:
            p.kill()
            p.wait(timeout=5)


def test_get_deployments(cluster, ns):
    labels = {"app": "web"}
    create(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"},
                                                      {"name": "log", "image": "busybox:1.36"}]}}}})
    put_status(cluster, f"/apis/apps/v1/namespaces/{ns}/deployments/web", None,
               {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2})
    names, rows = get(cluster, "deployments", "-n", ns, "-o", "wide")
    assert names == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    r = rows[0]
    assert (r["NAME"], r["READY"], r["UP-TO-DATE"], r["AVAILABLE"], r["CONTAINERS"], r["IMAGES"], r["SELECTOR"]) == (
        "web", "2/3", "3", "2", "nginx,log", "nginx:1.25,busybox:1.36", "app=web")
    assert AGE.match(r["AGE"])


def test_get_services(cluster, ns):
    def svc(name, type_, ip, ports, **spec):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"type": type_, "clusterIP": ip, "clusterIPs": [ip], "selector": {"app": name},
                         "ports": ports, **spec}}
    base = f"/api/v1/namespaces/{ns}/services"
    create(cluster, base, svc("a-cluster", "ClusterIP", "10.43.187.10",
                              [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]))
    create(cluster, base, svc("b-nodeport", "NodePort", "10.43.187.11",
                              [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 31781},
                               {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53, "nodePort": 31753}]))
    create(cluster, base, svc("c-lb", "LoadBalancer", "10.43.187.12",
                              [{"port": 443, "protocol": "TCP", "targetPort": 443, "nodePort": 31743}]))
    names, rows = get(cluster, "services", "-n", ns, "-o", "wide")
    assert names == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    got = [(r["NAME"], r["TYPE"], r["CLUSTER-IP"], r["EXTERNAL-IP"], r["PORT(S)"], r["SELECTOR"]) for r in rows]
    assert got == [
        ("a-cluster", "ClusterIP", "10.43.187.10", "<none>", "80/TCP", "app=a-cluster"),
        ("b-nodeport", "NodePort", "10.43.187.11", "<none>", "80:31781/TCP,53:31753/UDP", "app=b-nodeport"),
        ("c-lb", "LoadBalancer", "10.43.187.12", "<pending>", "443:31743/TCP", "app=c-lb"),
    ]
    # a load balancer that got its address
    put_status(cluster, f"{base}/c-lb", None, {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}})
    names, rows = get(cluster, "service", "c-lb", "-n", ns)
    assert names == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert rows[0]["EXTERNAL-IP"] == "192.0.2.7"


def test_get_nodes(cluster, suffix):
    name = f"print-node-{suffix}"
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"node-role.kubernetes.io/control-plane": "",
                                                  "node-role.kubernetes.io/etcd": "true", "kubernetes.io/os": "linux"}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
                       "addresses": [{"type": "InternalIP", "address": "192.0.2.10"},
                                     {"type": "Hostname", "address": name}],
                       "nodeInfo": {"kubeletVersion": "v1.36.0", "osImage": "Debian GNU/Linux 13 (trixie)",
                                    "kernelVersion": "6.12.0", "containerRuntimeVersion": "kyvern://0.3.0",
                                    "machineID": "", "systemUUID": "", "bootID": "", "kubeProxyVersion": "",
                                    "operatingSystem": "linux", "architecture": "amd64"}}}
    create(cluster, "/api/v1/nodes", node)
    try:
        names, rows = get(cluster, "node", name, "-o", "wide")
        assert names == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
                         "KERNEL-VERSION", "CONTAINER-RUNTIME"]
        r = rows[0]
        assert (r["NAME"], r["STATUS"], r["ROLES"], r["VERSION"], r["INTERNAL-IP"], r["EXTERNAL-IP"], r["OS-IMAGE"],
                r["KERNEL-VERSION"], r["CONTAINER-RUNTIME"]) == (
            name, "NotReady,SchedulingDisabled", "control-plane,etcd", "v1.36.0", "192.0.2.10", "<none>",
            "Debian GNU/Linux 13 (trixie)", "6.12.0", "kyvern://0.3.0")
        assert AGE.match(r["AGE"])
    finally:
        cluster.delete(f"/api/v1/nodes/{name}")


def test_get_namespaces_configmaps_secrets(cluster, ns):
    names, rows = get(cluster, "namespace", ns)
    assert names == ["NAME", "STATUS", "AGE"] and (rows[0]["NAME"], rows[0]["STATUS"]) == (ns, "Active")

    create(cluster, f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
        "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}})
    names, rows = get(cluster, "configmaps", "cfg", "-n", ns)
    assert names == ["NAME", "DATA", "AGE"] and (rows[0]["NAME"], rows[0]["DATA"]) == ("cfg", "3")

    create(cluster, f"/api/v1/namespaces/{ns}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
        "data": {"tls.crt": "YQ==", "tls.key": "Yg=="}})
    names, rows = get(cluster, "secrets", "tls", "-n", ns)
    assert names == ["NAME", "TYPE", "DATA", "AGE"]
    assert (rows[0]["NAME"], rows[0]["TYPE"], rows[0]["DATA"]) == ("tls", "kubernetes.io/tls", "2")


def _job_template():
    return {"spec": {"restartPolicy": "Never", "containers": [{"name": "work", "image": "busybox:1.36"}]}}


def test_get_jobs_and_cronjobs(cluster, ns):
    create(cluster, f"/apis/batch/v1/namespaces/{ns}/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "done"},
        "spec": {"completions": 3, "parallelism": 1, "template": _job_template()}})
    job = cluster.ok_json(cluster.get(f"/apis/batch/v1/namespaces/{ns}/jobs/done"), 200)
    # upstream generates the selector (batch.kubernetes.io/controller-uid=..., job-name=...); print what is stored
    match = job["spec"].get("selector", {}).get("matchLabels", {})
    selector = ",".join(f"{k}={v}" for k, v in sorted(match.items())) or "<none>"
    put_status(cluster, f"/apis/batch/v1/namespaces/{ns}/jobs/done", None, {
        "startTime": ago(600), "completionTime": ago(465), "succeeded": 3,
        "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]})
    names, rows = get(cluster, "jobs", "-n", ns, "-o", "wide")
    assert names == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    r = rows[0]
    assert (r["NAME"], r["STATUS"], r["COMPLETIONS"], r["DURATION"], r["CONTAINERS"], r["IMAGES"], r["SELECTOR"]) == (
        "done", "Complete", "3/3", "2m15s", "work", "busybox:1.36", selector)

    create(cluster, f"/apis/batch/v1/namespaces/{ns}/cronjobs", {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "timeZone": "Etc/UTC", "suspend": True,
                 "jobTemplate": {"spec": {"template": _job_template()}}}})
    put_status(cluster, f"/apis/batch/v1/namespaces/{ns}/cronjobs/nightly", None, {"lastScheduleTime": ago(3 * 3600)})
    create(cluster, f"/apis/batch/v1/namespaces/{ns}/cronjobs", {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "often"},
        "spec": {"schedule": "*/5 * * * *", "suspend": False, "jobTemplate": {"spec": {"template": _job_template()}}}})
    names, rows = get(cluster, "cronjobs", "-n", ns)
    assert names == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]
    got = [(r["NAME"], r["SCHEDULE"], r["TIMEZONE"], r["SUSPEND"], r["ACTIVE"], r["LAST SCHEDULE"]) for r in rows]
    assert got == [("nightly", "0 3 * * *", "Etc/UTC", "True", "0", "3h"),
                   ("often", "*/5 * * * *", "<none>", "False", "0", "<none>")]


def test_get_events(cluster, ns):
    create(cluster, f"/api/v1/namespaces/{ns}/events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web-1.started"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": ns, "fieldPath": "spec.containers{app}"},
        "reason": "Started", "message": "Started container app", "type": "Normal", "count": 4,
        "source": {"component": "kubelet", "host": "node-a"},
        "firstTimestamp": ago(4 * 3600), "lastTimestamp": ago(1800)})
    names, rows = get(cluster, "events", "-n", ns)
    assert names == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows == [{"LAST SEEN": "30m", "TYPE": "Normal", "REASON": "Started", "OBJECT": "pod/web-1",
                     "MESSAGE": "Started container app"}]
    names, rows = get(cluster, "events", "-n", ns, "-o", "wide")
    assert names == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT",
                     "NAME"]
    r = rows[0]
    assert (r["SUBOBJECT"], r["SOURCE"], r["FIRST SEEN"], r["COUNT"], r["NAME"]) == (
        "spec.containers{app}", "kubelet, node-a", "4h", "4", "web-1.started")

    create(cluster, f"/api/v1/namespaces/{ns}/events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web-1.pulled"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": ns}, "reason": "Pulled",
        "message": "Container image already present", "type": "Normal", "count": 1,
        "source": {"component": "kubelet"}, "firstTimestamp": ago(3 * 3600), "lastTimestamp": ago(3 * 3600)})
    names, rows = get(cluster, "events", "-n", ns, "--sort-by=.lastTimestamp")
    assert [(r["LAST SEEN"], r["REASON"]) for r in rows] == [("3h", "Pulled"), ("30m", "Started")]
    names, rows = get(cluster, "events", "-A", "--field-selector", f"metadata.namespace={ns}")
    assert names == ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert sorted((r["NAMESPACE"], r["REASON"]) for r in rows) == [(ns, "Pulled"), (ns, "Started")]

    create(cluster, f"/apis/events.k8s.io/v1/namespaces/{ns}/events", {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "web-2.sched"},
        "eventTime": ago(600).replace("Z", ".000000Z"), "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-kyvern", "action": "Binding", "reason": "Scheduled",
        "regarding": {"kind": "Pod", "name": "web-2", "namespace": ns}, "note": "Successfully assigned", "type": "Normal"})
    names, rows = get(cluster, "events.events.k8s.io", "web-2.sched", "-n", ns, "-o", "wide")
    assert names == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT",
                     "NAME"]
    r = rows[0]
    assert (r["LAST SEEN"], r["TYPE"], r["REASON"], r["OBJECT"], r["SUBOBJECT"], r["SOURCE"], r["MESSAGE"],
            r["FIRST SEEN"], r["COUNT"], r["NAME"]) == (
        "10m", "Normal", "Scheduled", "pod/web-2", "", "default-scheduler, default-scheduler-kyvern",
        "Successfully assigned", "10m", "1", "web-2.sched")


def test_get_default_table_kinds(cluster, ns):
    """Kinds upstream prints with its default table (NAME, CREATED AT) print the creation time as is."""
    created = create(cluster, f"/api/v1/namespaces/{ns}/limitranges", {
        "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "limits"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}})
    names, rows = get(cluster, "limitranges", "-n", ns)
    assert names == ["NAME", "CREATED AT"]
    assert rows == [{"NAME": "limits", "CREATED AT": created["metadata"]["creationTimestamp"]}]


def test_table_include_object_and_watch_headers(cluster, ns):
    """The raw Table: rows carry PartialObjectMetadata by default, the object or nothing on request;
    a watch sends column definitions with its first event only."""
    create(cluster, f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "labels": {"x": "y"}}, "data": {"a": "b"}})
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    # Every namespace also holds kube-root-ca.crt (the root-ca-cert-publisher's); leave it out.
    own = {"fieldSelector": "metadata.name!=kube-root-ca.crt"}
    t = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps", headers=accept, params=own), 200)
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"
    assert [(c["name"], c["type"], c["format"], c["priority"]) for c in t["columnDefinitions"]] == [
        ("Name", "string", "name", 0), ("Data", "string", "", 0), ("Age", "string", "", 0)]
    row = t["rows"][0]
    assert row["cells"][:2] == ["one", 1] and AGE.match(row["cells"][2])
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert row["object"]["metadata"]["labels"] == {"x": "y"} and "data" not in row["object"]

    t = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps/one", headers=accept,
                                    params={"includeObject": "Object"}), 200)
    assert t["rows"][0]["object"]["data"] == {"a": "b"} and t["rows"][0]["object"]["kind"] == "ConfigMap"
    t = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/configmaps", headers=accept,
                                    params={"includeObject": "None", **own}), 200)
    assert t["rows"][0]["object"] is None
    r = cluster.get(f"/api/v1/namespaces/{ns}/configmaps", headers=accept, params={"includeObject": "Everything"})
    assert r.status_code == 400 and r.json()["message"] == 'unrecognized includeObject value: "Everything"', r.text

    create(cluster, f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}, "data": {}})
    r = cluster.session.get(cluster.base_url + f"/api/v1/namespaces/{ns}/configmaps",
                            params={"watch": "true", "timeoutSeconds": "1", **own}, headers=accept, stream=True, timeout=10)
    import json
    events = [json.loads(line) for line in r.iter_lines() if line]
    assert [e["type"] for e in events] == ["ADDED", "ADDED"]
    assert [e["object"]["kind"] for e in events] == ["Table", "Table"]
    assert len(events[0]["object"]["columnDefinitions"]) == 3 and events[1]["object"]["columnDefinitions"] is None
    assert [e["object"]["rows"][0]["cells"][:2] for e in events] == [["one", 1], ["two", 0]]


# `kubectl get <kind> -o wide` headers as an upstream 1.36 server prints them, for every served kind.
WIDE_HEADERS = {
    "configmaps": "NAME|DATA|AGE",
    "endpoints": "NAME|ENDPOINTS|AGE",
    "events": "LAST SEEN|TYPE|REASON|OBJECT|SUBOBJECT|SOURCE|MESSAGE|FIRST SEEN|COUNT|NAME",
    "limitranges": "NAME|CREATED AT",
    "namespaces": "NAME|STATUS|AGE",
    "nodes": "NAME|STATUS|ROLES|AGE|VERSION|INTERNAL-IP|EXTERNAL-IP|OS-IMAGE|KERNEL-VERSION|CONTAINER-RUNTIME",
    "persistentvolumeclaims": "NAME|STATUS|VOLUME|CAPACITY|ACCESS MODES|STORAGECLASS|VOLUMEATTRIBUTESCLASS|AGE|VOLUMEMODE",
    "persistentvolumes": "NAME|CAPACITY|ACCESS MODES|RECLAIM POLICY|STATUS|CLAIM|STORAGECLASS|VOLUMEATTRIBUTESCLASS|REASON|AGE|VOLUMEMODE",
    "pods": "NAME|READY|STATUS|RESTARTS|AGE|IP|NODE|NOMINATED NODE|READINESS GATES",
    "podtemplates": "NAME|CONTAINERS|IMAGES|POD LABELS",
    "replicationcontrollers": "NAME|DESIRED|CURRENT|READY|AGE|CONTAINERS|IMAGES|SELECTOR",
    "resourcequotas": "NAME|REQUEST|LIMIT|AGE",
    "secrets": "NAME|TYPE|DATA|AGE",
    "serviceaccounts": "NAME|SECRETS|AGE",
    "services": "NAME|TYPE|CLUSTER-IP|EXTERNAL-IP|PORT(S)|AGE|SELECTOR",
    "controllerrevisions.apps": "NAME|CONTROLLER|REVISION|AGE",
    "daemonsets.apps": "NAME|DESIRED|CURRENT|READY|UP-TO-DATE|AVAILABLE|NODE SELECTOR|AGE|CONTAINERS|IMAGES|SELECTOR",
    "deployments.apps": "NAME|READY|UP-TO-DATE|AVAILABLE|AGE|CONTAINERS|IMAGES|SELECTOR",
    "replicasets.apps": "NAME|DESIRED|CURRENT|READY|AGE|CONTAINERS|IMAGES|SELECTOR",
    "statefulsets.apps": "NAME|READY|AGE|CONTAINERS|IMAGES",
    "cronjobs.batch": "NAME|SCHEDULE|TIMEZONE|SUSPEND|ACTIVE|LAST SCHEDULE|AGE|CONTAINERS|IMAGES|SELECTOR",
    "jobs.batch": "NAME|STATUS|COMPLETIONS|DURATION|AGE|CONTAINERS|IMAGES|SELECTOR",
    "horizontalpodautoscalers.autoscaling": "NAME|REFERENCE|TARGETS|MINPODS|MAXPODS|REPLICAS|AGE",
    "leases.coordination.k8s.io": "NAME|HOLDER|AGE",
    "endpointslices.discovery.k8s.io": "NAME|ADDRESSTYPE|PORTS|ENDPOINTS|AGE",
    "events.events.k8s.io": "LAST SEEN|TYPE|REASON|OBJECT|SUBOBJECT|SOURCE|MESSAGE|FIRST SEEN|COUNT|NAME",
    "poddisruptionbudgets.policy": "NAME|MIN AVAILABLE|MAX UNAVAILABLE|ALLOWED DISRUPTIONS|AGE",
    "priorityclasses.scheduling.k8s.io": "NAME|VALUE|GLOBAL-DEFAULT|AGE|PREEMPTIONPOLICY",
    "csidrivers.storage.k8s.io": "NAME|ATTACHREQUIRED|PODINFOONMOUNT|STORAGECAPACITY|TOKENREQUESTS|REQUIRESREPUBLISH|MODES|AGE",
    "csinodes.storage.k8s.io": "NAME|DRIVERS|AGE",
    "csistoragecapacities.storage.k8s.io": "NAME|STORAGECLASSNAME|CAPACITY",
    "storageclasses.storage.k8s.io": "NAME|PROVISIONER|RECLAIMPOLICY|VOLUMEBINDINGMODE|ALLOWVOLUMEEXPANSION|AGE",
    "volumeattachments.storage.k8s.io": "NAME|ATTACHER|PV|NODE|ATTACHED|AGE",
    "volumeattributesclasses.storage.k8s.io": "NAME|DRIVERNAME|AGE",
    "runtimeclasses.node.k8s.io": "NAME|HANDLER|AGE",
    "ingressclasses.networking.k8s.io": "NAME|CONTROLLER|PARAMETERS|AGE",
    "ingresses.networking.k8s.io": "NAME|CLASS|HOSTS|ADDRESS|PORTS|AGE",
    "ipaddresses.networking.k8s.io": "NAME|PARENTREF",
    "networkpolicies.networking.k8s.io": "NAME|POD-SELECTOR|AGE",
    "servicecidrs.networking.k8s.io": "NAME|CIDRS|AGE",
}


@pytest.mark.parametrize("kind", CRUD_KINDS, ids=lambda k: k.key)
def test_every_kind_prints_upstream_columns(cluster, ns, suffix, kind):
    name = f"print-{suffix}"
    namespace = ns if kind.namespaced else None
    base = f"/api/{kind.group_version}" if not kind.group else f"/apis/{kind.group_version}"
    path = f"{base}/namespaces/{ns}/{kind.resource}" if kind.namespaced else f"{base}/{kind.resource}"
    created = create(cluster, path, manifest(kind, name, namespace))
    try:
        args = ["get", kind.key, name, "-o", "wide"] + (["-n", ns] if kind.namespaced else [])
        cp = cluster.kubectl(*args)
        assert cp.stderr == "", cp.stderr
        names, rows = parse(cp.stdout)
        assert "|".join(names) == WIDE_HEADERS[kind.key], cp.stdout
        assert len(rows) == 1 and name in rows[0].values(), cp.stdout
    finally:
        if not kind.namespaced:
            cluster.delete(f"{path}/{created['metadata']['name']}")
