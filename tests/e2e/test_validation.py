"""Per-kind validation as upstream: 422 Invalid with the causes' fields, reasons and messages; kubectl's
printed errors; immutable fields on update; quantities parsed and stored canonically; unknown fields
under --validate=warn and --validate=strict."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from e2e_harness import status_of

C = {"name": "c", "image": "busybox"}


def pod(ns, name, spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def workload(kind, ns, name, spec):
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


def causes(r):
    st = status_of(r)
    return [(c["field"], c["reason"], c["message"]) for c in st["details"]["causes"]]


def invalid(cluster, path, body, method="POST"):
    r = cluster.request(method, path, json_body=body)
    assert r.status_code == 422, f"{r.status_code}: {r.text[:500]}"
    st = status_of(r)
    assert st["reason"] == "Invalid", st
    return st, causes(r)


# ---- pods ---------------------------------------------------------------------------------------

def test_kubectl_prints_the_cause_of_an_invalid_pod(cluster, ns):
    manifest = json.dumps(pod(ns, "noimage", {"containers": [{"name": "c"}]}))
    cp = cluster.kubectl("create", "-f", "-", input=manifest, check=False)
    assert cp.returncode == 1, cp
    assert cp.stderr.strip() == 'The Pod "noimage" is invalid: spec.containers[0].image: Required value', cp.stderr
    assert cluster.get(f"/api/v1/namespaces/{ns}/pods/noimage").status_code == 404


def test_python_client_sees_422_with_causes(cluster, ns):
    v1 = client.CoreV1Api(cluster.api_client)
    body = pod(ns, "nocontainers", {"containers": []})
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_pod(ns, body)
    assert e.value.status == 422
    st = json.loads(e.value.body)
    assert st["reason"] == "Invalid"
    assert st["message"] == 'Pod "nocontainers" is invalid: spec.containers: Required value'
    assert st["details"] == {"name": "nocontainers", "kind": "Pod",
                             "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}]}


def test_pod_container_rules(cluster, ns):
    spec = {"containers": [dict(C), {"name": "c", "image": "busybox"}, {"name": "Bad_Name", "image": "busybox"}],
            "initContainers": [{"name": "c", "image": "busybox"}]}
    st, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/pods", pod(ns, "dups", spec))
    assert cs == [
        ("spec.containers[1].name", "FieldValueDuplicate", 'Duplicate value: "c"'),
        ("spec.containers[2].name", "FieldValueInvalid",
         """Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"""),
        ("spec.initContainers[0].name", "FieldValueDuplicate", 'Duplicate value: "c"'),
    ]
    assert st["message"].startswith('Pod "dups" is invalid: [spec.containers[1].name: Duplicate value: "c", '), st["message"]


def test_pod_ports_protocols_and_resources(cluster, ns):
    spec = {"containers": [
        {"name": "a", "image": "busybox", "ports": [{"containerPort": 80}]},
        {"name": "b", "image": "busybox", "ports": [{"containerPort": 70000, "protocol": "HTTP"}],
         "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "500m"}}},
    ]}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/pods", pod(ns, "ports", spec))
    assert cs == [
        ("spec.containers[1].ports[0].containerPort", "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ("spec.containers[1].ports[0].protocol", "FieldValueNotSupported",
         'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
        ("spec.containers[1].resources.requests", "FieldValueInvalid",
         'Invalid value: "1": must be less than or equal to cpu limit of 500m'),
    ]


def test_pod_policies_and_volumes(cluster, ns):
    spec = {"containers": [{"name": "c", "image": "busybox", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}],
            "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}],
            "restartPolicy": "Sometimes", "dnsPolicy": "Google"}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/pods", pod(ns, "policies", spec))
    assert cs == [
        ("spec.volumes[1].name", "FieldValueDuplicate", 'Duplicate value: "v"'),
        ("spec.containers[0].volumeMounts[0].name", "FieldValueNotFound", 'Not found: "data"'),
        ("spec.restartPolicy", "FieldValueNotSupported",
         'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
        ("spec.dnsPolicy", "FieldValueNotSupported",
         'Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"'),
    ]


def test_valid_pod_with_and_without_defaults_is_created(cluster, ns):
    bare = pod(ns, "bare", {"containers": [dict(C)]})
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", bare), 201)
    full = pod(ns, "full", {"containers": [{"name": "c", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                                            "ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}],
                                            "resources": {"requests": {"cpu": "250m", "memory": "64Mi"},
                                                          "limits": {"cpu": "1", "memory": "128Mi"}}}],
                            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"})
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", full), 201)


# ---- quantities ---------------------------------------------------------------------------------

def test_quantities_are_stored_canonically(cluster, ns):
    spec = {"containers": [{"name": "c", "image": "busybox",
                            "resources": {"requests": {"cpu": "0.5", "memory": "1.5Gi"},
                                          "limits": {"cpu": 1, "memory": "2e9"}}}]}
    got = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod(ns, "qty", spec)), 201)
    res = got["spec"]["containers"][0]["resources"]
    assert res == {"requests": {"cpu": "500m", "memory": "1536Mi"}, "limits": {"cpu": "1", "memory": "2e9"}}, res
    assert got["status"]["qosClass"] == "Burstable"
    equal = {"containers": [{"name": "c", "image": "busybox",
                             "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1000m", "memory": "1024Mi"}}}]}
    got = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod(ns, "guaranteed", equal)), 201)
    assert got["status"]["qosClass"] == "Guaranteed"


def test_malformed_quantity_is_a_decode_error(cluster, ns):
    spec = {"containers": [{"name": "c", "image": "busybox", "resources": {"limits": {"memory": "12MB"}}}]}
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod(ns, "badqty", spec))
    assert r.status_code == 400, r.text
    st = status_of(r)
    assert st["reason"] == "BadRequest"
    assert st["message"] == ('Pod in version "v1" cannot be handled as a Pod: quantities must match the regular '
                             "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"), st["message"]


# ---- workloads ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,plural,what", [
    ("Deployment", "deployments", "deployment"), ("ReplicaSet", "replicasets", "deployment"),
    ("StatefulSet", "statefulsets", "statefulset"), ("DaemonSet", "daemonsets", "daemonset"),
])
def test_controller_selectors(cluster, ns, kind, plural, what):
    base = f"/apis/apps/v1/namespaces/{ns}/{plural}"
    template = {"metadata": {"labels": {"app": "other"}}, "spec": {"containers": [dict(C)]}}
    _, cs = invalid(cluster, base, workload(kind, ns, "mismatch", {"selector": {"matchLabels": {"app": "x"}}, "template": template}))
    assert cs == [("spec.template.metadata.labels", "FieldValueInvalid",
                   'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`')]
    _, cs = invalid(cluster, base, workload(kind, ns, "noselector", {"template": template}))
    if kind == "DaemonSet":  # upstream: a missing selector selects nothing, so the template cannot match
        assert cs == [("spec.template.metadata.labels", "FieldValueInvalid",
                       'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`')]
    else:
        assert cs == [("spec.selector", "FieldValueRequired", "Required value")]
    _, cs = invalid(cluster, base, workload(kind, ns, "empty", {"selector": {}, "template": template}))
    assert cs == [("spec.selector", "FieldValueInvalid",
                   "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                   f"MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: empty selector is invalid for {what}")]


def test_deployment_template_errors_name_their_path(cluster, ns):
    spec = {"replicas": -1, "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}},
                         "spec": {"restartPolicy": "Never",
                                  "containers": [dict(C), {"name": "d", "image": "busybox", "ports": [{"containerPort": 0, "name": "x"}]}]}}}
    manifest = json.dumps(workload("Deployment", ns, "tmpl", spec))
    cp = cluster.kubectl("create", "-f", "-", input=manifest, check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == (
        'The Deployment "tmpl" is invalid: \n'
        "* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
        "* spec.template.spec.containers[1].ports[0].containerPort: Required value\n"
        '* spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'), cp.stderr


def test_job_and_cronjob_restart_policy(cluster, ns):
    job_spec = {"template": {"spec": {"containers": [dict(C)]}}}
    _, cs = invalid(cluster, f"/apis/batch/v1/namespaces/{ns}/jobs", workload("Job", ns, "j", job_spec))
    assert cs == [("spec.template.spec.restartPolicy", "FieldValueNotSupported",
                   'Unsupported value: "Always": supported values: "OnFailure", "Never"')]
    cron = workload("CronJob", ns, "cj", {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job_spec}})
    _, cs = invalid(cluster, f"/apis/batch/v1/namespaces/{ns}/cronjobs", cron)
    assert cs == [("spec.jobTemplate.spec.template.spec.restartPolicy", "FieldValueNotSupported",
                   'Unsupported value: "Always": supported values: "OnFailure", "Never"')]


def test_statefulset_policies_and_claim_mounts(cluster, ns):
    base = f"/apis/apps/v1/namespaces/{ns}/statefulsets"
    labels = {"app": "db"}
    spec = {"selector": {"matchLabels": labels}, "serviceName": "db", "podManagementPolicy": "Random",
            "updateStrategy": {"type": "Sometimes"},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                                           "resources": {"requests": {"storage": "1Gi"}}}}],
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "c", "image": "busybox",
                                                  "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}}
    _, cs = invalid(cluster, base, workload("StatefulSet", ns, "db", spec))
    assert cs == [
        ("spec.podManagementPolicy", "FieldValueInvalid", """Invalid value: "Random": must be 'OrderedReady' or 'Parallel'"""),
        ("spec.updateStrategy", "FieldValueInvalid",
         """Invalid value: apps.StatefulSetUpdateStrategy{Type:"Sometimes", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'"""),
    ]
    del spec["podManagementPolicy"], spec["updateStrategy"]
    cluster.ok_json(cluster.post(base, workload("StatefulSet", ns, "db", spec)), 201)


def test_pod_template_is_validated(cluster, ns):
    body = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "pt", "namespace": ns},
            "template": {"spec": {"containers": [{"name": "c"}]}}}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/podtemplates", body)
    assert cs == [("template.spec.containers[0].image", "FieldValueRequired", "Required value")]


# ---- services -----------------------------------------------------------------------------------

def test_service_rules(cluster, ns):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": ns},
           "spec": {"type": "NodePort", "clusterIP": "10.0.0.300", "selector": {"app": "x"},
                    "ports": [{"name": "a", "port": 70000, "nodePort": 80}, {"name": "a", "port": 81}, {"port": 82}]}}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/services", svc)
    assert cs == [
        ("spec.ports[0].port", "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        # targetPort is defaulted from port before validation, as upstream does
        ("spec.ports[0].targetPort", "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ("spec.ports[0].nodePort", "FieldValueInvalid",
         "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"),
        ("spec.ports[1].name", "FieldValueDuplicate", 'Duplicate value: "a"'),
        ("spec.ports[2].name", "FieldValueRequired", "Required value"),
        ("spec.clusterIPs[0]", "FieldValueInvalid",
         'Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'),
    ]
    bad_type = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t", "namespace": ns},
                "spec": {"type": "Magic", "ports": [{"port": 80}]}}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/services", bad_type)
    assert cs == [("spec.type", "FieldValueNotSupported",
                   'Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"')]


# ---- config data --------------------------------------------------------------------------------

def test_config_keys_and_size(cluster, ns):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keys", "namespace": ns}, "data": {"bad key": "v"}}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/configmaps", body)
    assert cs == [("data[bad key]", "FieldValueInvalid",
                   """Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')""")]
    big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": ns},
           "data": {"a": "x" * (600 * 1024), "b": "x" * (600 * 1024)}}
    st, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/configmaps", big)
    assert cs == [("[]", "FieldValueTooLong", "Too long: must have at most 1048576 bytes")]
    assert st["message"] == 'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes'
    tls = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": ns},
           "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}}
    _, cs = invalid(cluster, f"/api/v1/namespaces/{ns}/secrets", tls)
    assert cs == [("data[tls.key]", "FieldValueRequired", "Required value")]


# ---- updates ------------------------------------------------------------------------------------

def test_pod_updates_only_allowed_fields(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/pods"
    # A scheduler name nobody answers to: no scheduler writes the pod between our reads and writes.
    p = cluster.ok_json(cluster.post(base, pod(ns, "upd", {"schedulerName": "e2e-unscheduled",
                                                           "containers": [dict(C)]})), 201)
    p["spec"]["containers"][0]["image"] = "busybox:2"
    p = cluster.ok_json(cluster.put(f"{base}/upd", p), 200)
    assert p["spec"]["containers"][0]["image"] == "busybox:2"
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    st, cs = invalid(cluster, f"{base}/upd", p, method="PUT")
    assert [c[:2] for c in cs] == [("spec", "FieldValueForbidden")]
    assert cs[0][2].startswith(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"), cs[0][2]


def test_controller_selector_and_statefulset_spec_are_immutable(cluster, ns):
    labels = {"app": "imm"}
    spec = {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": {"app": "imm", "x": "y"}},
                                                              "spec": {"containers": [dict(C)]}}}
    base = f"/apis/apps/v1/namespaces/{ns}/daemonsets"
    ds = cluster.ok_json(cluster.post(base, workload("DaemonSet", ns, "ds", spec)), 201)
    ds["spec"]["selector"]["matchLabels"] = {"app": "imm", "x": "y"}
    _, cs = invalid(cluster, f"{base}/ds", ds, method="PUT")
    assert cs == [("spec.selector", "FieldValueInvalid",
                   'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"imm", "x":"y"}, '
                   "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable")]
    base = f"/apis/apps/v1/namespaces/{ns}/statefulsets"
    ss = cluster.ok_json(cluster.post(base, workload("StatefulSet", ns, "ss", dict(spec, serviceName="a"))), 201)
    ss["spec"]["replicas"] = 3
    ss = cluster.ok_json(cluster.put(f"{base}/ss", ss), 200)
    ss["spec"]["serviceName"] = "b"
    _, cs = invalid(cluster, f"{base}/ss", ss, method="PUT")
    assert cs == [("spec", "FieldValueForbidden",
                   "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                   "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]


def test_frozen_config_and_secret_type(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/configmaps"
    c = cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f", "namespace": ns},
                                            "data": {"k": "v"}, "immutable": True}), 201)
    c["immutable"] = False
    c["data"]["k"] = "w"
    _, cs = invalid(cluster, f"{base}/f", c, method="PUT")
    assert cs == [("immutable", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set"),
                  ("data", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set")]
    base = f"/api/v1/namespaces/{ns}/secrets"
    s = cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": ns},
                                            "type": "Opaque", "data": {"k": "dg=="}}), 201)
    s["type"] = "example.com/other"
    _, cs = invalid(cluster, f"{base}/s", s, method="PUT")
    assert cs == [("type", "FieldValueInvalid", 'Invalid value: "example.com/other": field is immutable')]


def test_service_cluster_ip_and_job_template_are_immutable(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/services"
    svc = cluster.ok_json(cluster.post(base, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": ns},
                                              "spec": {"clusterIP": "10.43.200.50", "ports": [{"port": 80}]}}), 201)
    svc["spec"]["clusterIP"] = "10.43.200.51"
    svc["spec"].pop("clusterIPs", None)
    _, cs = invalid(cluster, f"{base}/s", svc, method="PUT")
    assert cs == [("spec.clusterIPs[0]", "FieldValueInvalid", 'Invalid value: []string{"10.43.200.51"}: may not change once set')]
    base = f"/apis/batch/v1/namespaces/{ns}/jobs"
    job = cluster.ok_json(cluster.post(base, workload("Job", ns, "j", {"completions": 2, "template": {
        "spec": {"restartPolicy": "Never", "containers": [dict(C)]}}})), 201)
    job["spec"]["completions"] = 3
    _, cs = invalid(cluster, f"{base}/j", job, method="PUT")
    assert cs == [("spec.completions", "FieldValueInvalid", "Invalid value: 3: field is immutable")]


# ---- unknown fields -----------------------------------------------------------------------------

def test_kubectl_validate_warn_and_strict(cluster, ns):
    d = workload("Deployment", ns, "unknown", {"foo": 1, "selector": {"matchLabels": {"app": "u"}},
                                               "template": {"metadata": {"labels": {"app": "u"}}, "spec": {"containers": [dict(C)]}}})
    manifest = json.dumps(d)
    cp = cluster.kubectl("apply", "--validate=strict", "-f", "-", input=manifest, check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == ('Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" '
                                 'cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"'), cp.stderr
    assert cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/unknown").status_code == 404
    cp = cluster.kubectl("apply", "--validate=warn", "-f", "-", input=manifest)
    assert cp.stderr.strip() == 'Warning: unknown field "spec.foo"', cp.stderr
    assert cp.stdout.strip() == "deployment.apps/unknown created"
    got = cluster.ok_json(cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/unknown"), 200)
    assert "foo" not in got["spec"]


def test_unbound_claim_spec_is_immutable(cluster, ns):
    base = f"/api/v1/namespaces/{ns}/persistentvolumeclaims"
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "claim", "namespace": ns},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    pvc = cluster.ok_json(cluster.post(base, pvc), 201)
    assert pvc["status"]["phase"] == "Pending"
    for change in ({"resources": {"requests": {"storage": "2Gi"}}}, {"accessModes": ["ReadWriteMany"]}):
        body = json.loads(json.dumps(pvc))
        body["spec"].update(change)
        _, cs = invalid(cluster, f"{base}/claim", body, method="PUT")
        assert [c[:2] for c in cs] == [("spec", "FieldValueForbidden")]
        assert cs[0][2].startswith("Forbidden: spec is immutable after creation except resources.requests and "
                                   "volumeAttributesClassName for bound claims\n"), cs[0][2]


def test_kubectl_apply_update_of_immutable_selector(cluster, ns):
    labels = {"app": "web"}
    d = workload("Deployment", ns, "web", {"selector": {"matchLabels": labels},
                                           "template": {"metadata": {"labels": {"app": "web", "tier": "f"}},
                                                        "spec": {"containers": [dict(C)]}}})
    cluster.kubectl("apply", "-f", "-", input=json.dumps(d))
    d["spec"]["selector"]["matchLabels"] = {"app": "web", "tier": "f"}
    cp = cluster.kubectl("apply", "-f", "-", input=json.dumps(d), check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == (
        'The Deployment "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string'
        '{"app":"web", "tier":"f"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'), cp.stderr


def test_kubectl_generators_make_valid_objects(cluster, ns):
    """What kubectl's create/run/expose commands send passes validation unchanged."""
    for args, printed in [
        (("run", "p1", "--image=busybox", "--restart=Never"), "pod/p1 created"),
        (("create", "deployment", "d1", "--image=busybox", "--replicas=2", "--port=8080"), "deployment.apps/d1 created"),
        (("create", "job", "j1", "--image=busybox"), "job.batch/j1 created"),
        (("create", "cronjob", "c1", "--image=busybox", "--schedule=*/5 * * * *"), "cronjob.batch/c1 created"),
        (("create", "service", "nodeport", "s1", "--tcp=80:8080"), "service/s1 created"),
        (("create", "service", "clusterip", "s2", "--clusterip=None"), "service/s2 created"),
        (("expose", "deployment", "d1", "--port=80", "--target-port=8080", "--name=s3"), "service/s3 exposed"),
        (("create", "configmap", "cm1", "--from-literal=a.b=1", "--from-literal=C_D=2"), "configmap/cm1 created"),
        (("create", "secret", "generic", "sec1", "--from-literal=key-1=v"), "secret/sec1 created"),
        (("create", "secret", "docker-registry", "reg1", "--docker-server=r.example", "--docker-username=u",
          "--docker-password=p"), "secret/reg1 created"),
    ]:
        cp = cluster.kubectl(*args, "-n", ns)
        assert cp.stdout.strip() == printed, (args, cp.stdout, cp.stderr)


def test_autoscaler_and_disruption_budget_bounds(cluster, ns):
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": ns},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 5, "maxReplicas": 2}}
    _, cs = invalid(cluster, f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers", hpa)
    assert cs == [("spec.maxReplicas", "FieldValueInvalid", "Invalid value: 2: must be greater than or equal to `minReplicas`")]
    cp = cluster.kubectl("create", "pdb", "b", "--selector=app=web", "--min-available=150%", "-n", ns, check=False)
    assert cp.returncode == 1
    assert cp.stderr.strip() == ('error: failed to create poddisruptionbudgets: PodDisruptionBudget.policy "b" is invalid: '
                                 'spec.minAvailable: Invalid value: '
                                 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'), cp.stderr
    cp = cluster.kubectl("create", "pdb", "b", "--selector=app=web", "--min-available=50%", "-n", ns)
    assert cp.stdout.strip() == "poddisruptionbudget.policy/b created"
