"""Upstream's defaults: what the server stores for an ordinary manifest, created with kubectl and with
the official Python client, is what an upstream 1.36 API server stores (issue 3, point 4)."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

# Fields a Service gets from allocation, not defaulting: not asserted here.
ALLOCATED_SERVICE_FIELDS = ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "healthCheckNodePort")

CONTAINER = {"name": "app", "image": "nginx:1.27"}
DEFAULTED_CONTAINER = {
    "name": "app", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent", "resources": {},
    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
}
TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [CONTAINER]}}
DEFAULTED_TEMPLATE_SPEC = {
    "containers": [DEFAULTED_CONTAINER], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
    "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler", "securityContext": {},
}
DEFAULTED_TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": DEFAULTED_TEMPLATE_SPEC}
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def kubectl_create(cluster, manifest: dict, ns: str | None = None) -> dict:
    args = ["create", "-f", "-", "-o", "json"] + (["-n", ns] if ns else [])
    return json.loads(cluster.kubectl(*args, input=yaml.safe_dump(manifest)).stdout)


def kubectl_get(cluster, resource: str, name: str, ns: str | None = None) -> dict:
    args = ["get", resource, name, "-o", "json"] + (["-n", ns] if ns else [])
    return json.loads(cluster.kubectl(*args).stdout)


def without_token_volume(spec: dict) -> dict:
    """The ServiceAccount plugin's projected token volume, checked in test_serviceaccount_admission.py."""
    spec = json.loads(json.dumps(spec))
    spec["volumes"] = [v for v in spec.get("volumes", []) if not v["name"].startswith("kube-api-access-")]
    if not spec["volumes"]:
        del spec["volumes"]
    for c in spec.get("containers", []):
        mounts = [m for m in c.get("volumeMounts", []) if not m["name"].startswith("kube-api-access-")]
        if mounts:
            c["volumeMounts"] = mounts
        else:
            c.pop("volumeMounts", None)
    return spec


def without_allocation(spec: dict) -> dict:
    spec = {k: v for k, v in spec.items() if k not in ALLOCATED_SERVICE_FIELDS}
    spec["ports"] = [{k: v for k, v in p.items() if k != "nodePort"} for p in spec.get("ports", [])]
    return spec


# ---- pods ------------------------------------------------------------------------------------------

@pytest.mark.kubectl
def test_pod_defaults_with_kubectl(cluster, ns):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {
        "containers": [{
            "name": "app", "image": "registry.local:5000/team/app",
            "ports": [{"containerPort": 8080}],
            "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "readinessProbe": {"httpGet": {"port": 8080}},
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "scratch", "mountPath": "/tmp"}],
        }],
        "volumes": [{"name": "config", "configMap": {"name": "app"}}, {"name": "scratch"}],
    }}
    created = kubectl_create(cluster, pod, ns)
    stored = kubectl_get(cluster, "pod", "web", ns)
    assert created["spec"] == stored["spec"]
    assert without_token_volume(stored["spec"]) == {
        "containers": [{
            "name": "app", "image": "registry.local:5000/team/app", "imagePullPolicy": "Always",
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}],
            "readinessProbe": {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                               "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "500m", "memory": "128Mi"}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "scratch", "mountPath": "/tmp"}],
        }],
        "volumes": [{"name": "config", "configMap": {"name": "app", "defaultMode": 420}},
                    {"name": "scratch", "emptyDir": {}}],
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler", "securityContext": {}, "enableServiceLinks": True,
        "serviceAccountName": "default", "serviceAccount": "default",
        "priority": 0, "preemptionPolicy": "PreemptLowerPriority", "tolerations": DEFAULT_TOLERATIONS,
    }


def test_pod_defaults_with_python_client(cluster, ns):
    from kubernetes import client

    api = client.CoreV1Api(cluster.api_client)
    api.create_namespaced_service_account(ns, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="builder")))
    body = client.V1Pod(metadata=client.V1ObjectMeta(name="py"), spec=client.V1PodSpec(
        service_account="builder",
        containers=[client.V1Container(name="app", image="busybox:1.36", image_pull_policy="Never")],
        tolerations=[client.V1Toleration(operator="Exists")]))
    created = api.create_namespaced_pod(ns, body)
    assert created.spec.service_account_name == "builder" and created.spec.dns_policy == "ClusterFirst"
    stored = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/pods/py"), 200)
    assert without_token_volume(stored["spec"]) == {
        "containers": [{"name": "app", "image": "busybox:1.36", "imagePullPolicy": "Never", "resources": {},
                        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler", "securityContext": {}, "enableServiceLinks": True,
        "serviceAccountName": "builder", "serviceAccount": "builder",
        "priority": 0, "preemptionPolicy": "PreemptLowerPriority",
        # a toleration of every taint already covers both default ones
        "tolerations": [{"operator": "Exists"}],
    }


# ---- workloads -------------------------------------------------------------------------------------

SELECTOR = {"matchLabels": {"app": "web"}}
WORKLOADS = [
    ("deployments", "apps/v1", "Deployment", {"selector": SELECTOR, "template": TEMPLATE}, {
        "selector": SELECTOR, "template": DEFAULTED_TEMPLATE, "replicas": 1,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}),
    ("replicasets", "apps/v1", "ReplicaSet", {"selector": SELECTOR, "template": TEMPLATE}, {
        "selector": SELECTOR, "template": DEFAULTED_TEMPLATE, "replicas": 1}),
    ("statefulsets", "apps/v1", "StatefulSet", {
        "selector": SELECTOR, "serviceName": "web", "template": TEMPLATE,
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}, {
        "selector": SELECTOR, "serviceName": "web", "template": DEFAULTED_TEMPLATE, "replicas": 1,
        "podManagementPolicy": "OrderedReady", "revisionHistoryLimit": 10,
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "volumeClaimTemplates": [{
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "volumeMode": "Filesystem"},
            "status": {"phase": "Pending"}}]}),
    ("daemonsets", "apps/v1", "DaemonSet", {"selector": SELECTOR, "template": TEMPLATE}, {
        "selector": SELECTOR, "template": DEFAULTED_TEMPLATE, "revisionHistoryLimit": 10,
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}}),
    ("replicationcontrollers", "v1", "ReplicationController", {"template": TEMPLATE}, {
        "selector": {"app": "web"}, "template": DEFAULTED_TEMPLATE, "replicas": 1}),
]


@pytest.mark.kubectl
@pytest.mark.parametrize("resource,api_version,kind,spec,expected", WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_workload_defaults(cluster, ns, resource, api_version, kind, spec, expected):
    created = kubectl_create(cluster, {"apiVersion": api_version, "kind": kind, "metadata": {"name": "web"},
                                       "spec": spec}, ns)
    stored = kubectl_get(cluster, resource, "web", ns)
    assert created["spec"] == stored["spec"] == expected
    if resource == "replicationcontrollers":
        assert stored["metadata"]["labels"] == {"app": "web"}


@pytest.mark.kubectl
def test_pod_template_defaults(cluster, ns):
    kubectl_create(cluster, {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": TEMPLATE}, ns)
    assert kubectl_get(cluster, "podtemplate", "t", ns)["template"] == DEFAULTED_TEMPLATE


# ---- batch -----------------------------------------------------------------------------------------

@pytest.mark.kubectl
def test_job_gets_generated_selector_and_defaults(cluster, ns):
    template = {"spec": {"containers": [CONTAINER], "restartPolicy": "Never"}}
    kubectl_create(cluster, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
                             "spec": {"template": template}}, ns)
    job = kubectl_get(cluster, "job", "pi", ns)
    uid = job["metadata"]["uid"]
    labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
              "controller-uid": uid, "job-name": "pi"}
    assert job["metadata"]["labels"] == labels
    assert job["spec"] == {
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
        "template": {"metadata": {"labels": labels},
                     "spec": {**DEFAULTED_TEMPLATE_SPEC, "restartPolicy": "Never"}},
        "completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
        "suspend": False, "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False,
    }


def test_cronjob_defaults_with_python_client(cluster, ns):
    from kubernetes import client

    api = client.BatchV1Api(cluster.api_client)
    pod_spec = client.V1PodSpec(restart_policy="OnFailure", containers=[client.V1Container(name="app", image="nginx:1.27")])
    api.create_namespaced_cron_job(ns, client.V1CronJob(
        metadata=client.V1ObjectMeta(name="tick"),
        spec=client.V1CronJobSpec(schedule="*/5 * * * *", job_template=client.V1JobTemplateSpec(
            spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=pod_spec))))))
    stored = cluster.ok_json(cluster.get(f"/apis/batch/v1/namespaces/{ns}/cronjobs/tick"), 200)
    assert stored["spec"] == {
        "schedule": "*/5 * * * *", "concurrencyPolicy": "Allow", "suspend": False,
        "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
        "jobTemplate": {"metadata": {}, "spec": {"template": {
            "metadata": {}, "spec": {**DEFAULTED_TEMPLATE_SPEC, "restartPolicy": "OnFailure"}}}},
    }


# ---- services --------------------------------------------------------------------------------------

SERVICES = [
    ({"selector": {"app": "web"}, "ports": [{"port": 80}]}, {
        "selector": {"app": "web"}, "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]}),
    ({"type": "NodePort", "ports": [{"port": 53, "protocol": "UDP", "targetPort": "dns"}]}, {
        "type": "NodePort", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
        "externalTrafficPolicy": "Cluster", "ports": [{"port": 53, "protocol": "UDP", "targetPort": "dns"}]}),
    ({"type": "LoadBalancer", "sessionAffinity": "ClientIP", "ports": [{"port": 443}]}, {
        "type": "LoadBalancer", "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}, "internalTrafficPolicy": "Cluster",
        "externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True,
        "ports": [{"port": 443, "protocol": "TCP", "targetPort": 443}]}),
    ({"type": "ExternalName", "externalName": "example.com"}, {
        "type": "ExternalName", "externalName": "example.com", "sessionAffinity": "None"}),
]


@pytest.mark.kubectl
@pytest.mark.parametrize("spec,expected", SERVICES, ids=["clusterip", "nodeport", "loadbalancer", "externalname"])
def test_service_defaults(cluster, ns, spec, expected):
    kubectl_create(cluster, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}, "spec": spec}, ns)
    assert without_allocation(kubectl_get(cluster, "service", "svc", ns)["spec"]) == without_allocation(expected)


def test_endpoints_and_slices_with_python_client(cluster, ns):
    from kubernetes import client

    client.CoreV1Api(cluster.api_client).create_namespaced_endpoints(ns, client.V1Endpoints(
        metadata=client.V1ObjectMeta(name="ep"),
        subsets=[client.V1EndpointSubset(addresses=[client.V1EndpointAddress(ip="10.1.2.3")],
                                         ports=[client.CoreV1EndpointPort(port=80)])]))
    client.DiscoveryV1Api(cluster.api_client).create_namespaced_endpoint_slice(ns, client.V1EndpointSlice(
        metadata=client.V1ObjectMeta(name="ep-1"), address_type="IPv4",
        endpoints=[client.V1Endpoint(addresses=["10.1.2.3"])], ports=[client.DiscoveryV1EndpointPort(port=80)]))
    ep = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/endpoints/ep"), 200)
    assert ep["subsets"] == [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 80, "protocol": "TCP"}]}]
    slice_ = cluster.ok_json(cluster.get(f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/ep-1"), 200)
    assert slice_["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    assert slice_["endpoints"] == [{"addresses": ["10.1.2.3"], "conditions": {}}]


# ---- secrets ---------------------------------------------------------------------------------------

@pytest.mark.kubectl
def test_secret_string_data_is_stored_as_data(cluster, ns):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
              "data": {"user": base64.b64encode(b"old").decode(), "keep": base64.b64encode(b"x").decode()},
              "stringData": {"user": "admin", "password": "s3cr\u00e9t"}}
    created = kubectl_create(cluster, secret, ns)
    stored = kubectl_get(cluster, "secret", "creds", ns)
    for obj in (created, stored):
        assert "stringData" not in obj
        assert obj["type"] == "Opaque"
        assert obj["data"] == {"user": base64.b64encode(b"admin").decode(), "keep": base64.b64encode(b"x").decode(),
                               "password": base64.b64encode("s3cr\u00e9t".encode()).decode()}


def test_secret_string_data_with_python_client(cluster, ns):
    from kubernetes import client

    api = client.CoreV1Api(cluster.api_client)
    created = api.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name="tls"), type="kubernetes.io/basic-auth", string_data={"username": "u"}))
    assert created.string_data is None and created.data == {"username": base64.b64encode(b"u").decode()}
    assert created.type == "kubernetes.io/basic-auth"


# ---- storage and cluster-scoped kinds -------------------------------------------------------------

@pytest.mark.kubectl
def test_storage_defaults(cluster, ns, suffix):
    kubectl_create(cluster, {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "claim"},
                             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, ns)
    pvc = kubectl_get(cluster, "pvc", "claim", ns)
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                           "volumeMode": "Filesystem"}
    assert pvc["status"] == {"phase": "Pending"}

    names = {k: f"{k}-{suffix}" for k in ("pv", "sc", "csi")}
    try:
        kubectl_create(cluster, {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": names["pv"]},
                                 "spec": {"capacity": {"storage": "512Mi"}, "accessModes": ["ReadWriteOnce"],
                                          "hostPath": {"path": "/data"}}})
        # (Smaller than the claim above, so the volume binder leaves the pair apart.)
        assert kubectl_get(cluster, "pv", names["pv"])["spec"] == {
            "capacity": {"storage": "512Mi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data", "type": ""},
            "persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"}

        sc = kubectl_create(cluster, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                                      "metadata": {"name": names["sc"]}, "provisioner": "example.com/fast"})
        assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")

        kubectl_create(cluster, {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
                                 "metadata": {"name": names["csi"]}, "spec": {}})
        assert kubectl_get(cluster, "csidriver", names["csi"])["spec"] == {
            "attachRequired": True, "podInfoOnMount": False, "storageCapacity": False,
            "fsGroupPolicy": "ReadWriteOnceWithFSType", "volumeLifecycleModes": ["Persistent"],
            "requiresRepublish": False, "seLinuxMount": False}
    finally:
        for kind, name in (("pv", names["pv"]), ("storageclass", names["sc"]), ("csidriver", names["csi"])):
            cluster.kubectl("delete", kind, name, "--ignore-not-found", "--wait=false", check=False)


def test_cluster_kind_defaults_with_python_client(cluster, ns, suffix):
    from kubernetes import client

    name = f"pc-{suffix}"
    client.SchedulingV1Api(cluster.api_client).create_priority_class(
        client.V1PriorityClass(metadata=client.V1ObjectMeta(name=name), value=1000))
    try:
        pc = cluster.ok_json(cluster.get(f"/apis/scheduling.k8s.io/v1/priorityclasses/{name}"), 200)
        assert pc["preemptionPolicy"] == "PreemptLowerPriority" and pc["value"] == 1000
    finally:
        cluster.delete(f"/apis/scheduling.k8s.io/v1/priorityclasses/{name}")

    client.AutoscalingV2Api(cluster.api_client).create_namespaced_horizontal_pod_autoscaler(ns, client.V2HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="hpa"), spec=client.V2HorizontalPodAutoscalerSpec(
            max_replicas=5, scale_target_ref=client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web"),
            behavior=client.V2HorizontalPodAutoscalerBehavior(scale_down=client.V2HPAScalingRules(stabilization_window_seconds=60)))))
    hpa = cluster.ok_json(cluster.get(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/hpa"), 200)
    assert hpa["spec"] == {
        "maxReplicas": 5, "minReplicas": 1,
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
        "behavior": {
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
            "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15}]},
        },
    }

    client.CoreV1Api(cluster.api_client).create_namespaced_limit_range(ns, client.V1LimitRange(
        metadata=client.V1ObjectMeta(name="limits"), spec=client.V1LimitRangeSpec(limits=[
            client.V1LimitRangeItem(type="Container", max={"cpu": "2"}, min={"memory": "64Mi"})])))
    lr = cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/limitranges/limits"), 200)
    assert lr["spec"]["limits"] == [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"},
                                     "default": {"cpu": "2"}, "defaultRequest": {"cpu": "2", "memory": "64Mi"}}]


# ---- idempotence -----------------------------------------------------------------------------------

@pytest.mark.kubectl
def test_reapplying_the_same_manifests_changes_nothing(cluster, ns):
    manifests = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"selector": SELECTOR, "template": TEMPLATE}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
         "spec": {"template": {"spec": {"containers": [CONTAINER], "restartPolicy": "Never"}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"}, "spec": {"containers": [CONTAINER]}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"token": "abc"}},
    ]
    text = yaml.safe_dump_all(manifests)
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=text)

    def versions() -> dict:
        items = json.loads(cluster.kubectl("get", "-n", ns, "deployment,job,service,pod,secret", "-o", "json").stdout)["items"]
        return {(i["kind"], i["metadata"]["name"]): i["metadata"]["resourceVersion"] for i in items}

    before = versions()
    out = cluster.kubectl("apply", "-n", ns, "-f", "-", input=text).stdout
    # kubectl sends the Secret's stringData again (the live object never has it), so it says
    # "configured", as against upstream; the server folds it into the same data and writes nothing.
    assert out.splitlines() == ["deployment.apps/web unchanged", "job.batch/once unchanged", "service/web unchanged",
                                "pod/solo unchanged", "secret/creds configured"], out
    assert versions() == before


@pytest.mark.kubectl
def test_quantities_are_stored_in_canonical_form(cluster, ns):
    manifest = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: sized}
spec:
  selector: {matchLabels: {app: sized}}
  template:
    metadata: {labels: {app: sized}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources:
          requests: {cpu: 0.5, memory: 1024Mi, ephemeral-storage: 2000000}
          limits: {cpu: 1, memory: 1.5Gi}
"""
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=manifest)
    stored = kubectl_get(cluster, "deployment", "sized", ns)
    assert stored["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "2M"},
        "limits": {"cpu": "1", "memory": "1536Mi"},
    }
    rv = stored["metadata"]["resourceVersion"]
    # kubectl sees 0.5 against the live 500m and sends the patch ("configured", as upstream); the
    # server canonicalizes it to what it stores and writes nothing.
    out = cluster.kubectl("apply", "-n", ns, "-f", "-", input=manifest).stdout
    assert out.strip() == "deployment.apps/sized configured"
    assert kubectl_get(cluster, "deployment", "sized", ns)["metadata"]["resourceVersion"] == rv


def test_status_writes_are_defaulted_too(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/services"
    svc = cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
                                              "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}), 201)
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}, {"hostname": "lb.example.com"}]}}
    out = cluster.ok_json(cluster.put(f"{base}/lb/status", svc), 200)
    assert out["status"] == {"loadBalancer": {"ingress": [{"ip": "192.0.2.10", "ipMode": "VIP"},
                                                          {"hostname": "lb.example.com"}]}}


@pytest.mark.kubectl
def test_new_objects_show_upstreams_empty_status(cluster, ns):
    kubectl_create(cluster, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                             "spec": {"selector": SELECTOR, "template": TEMPLATE}}, ns)
    kubectl_create(cluster, {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                             "spec": {"selector": SELECTOR, "template": TEMPLATE}}, ns)
    kubectl_create(cluster, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pdb"},
                             "spec": {"selector": SELECTOR, "minAvailable": 1}}, ns)
    assert kubectl_get(cluster, "deployment", "web", ns)["status"] == {}
    assert kubectl_get(cluster, "daemonset", "agent", ns)["status"] == {
        "currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}
    assert kubectl_get(cluster, "pdb", "pdb", ns)["status"] == {
        "disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}
