"""Upstream's admission chain through kubectl: ResourceQuota (the fourth pod over a quota of
three is refused, status.used kept by the quota controller), LimitRanger (defaults and maxima)
and Priority (class resolution, the two system classes)."""

from __future__ import annotations

import pytest

from conftest import rand_suffix
from e2e_harness import status_of, wait_until


def pod(name: str, resources: dict | None = None, **spec) -> dict:
    container = {"name": "app", "image": "registry.k8s.io/pause:3.10"}
    if resources is not None:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container], **spec}}


def quota_used(cluster, ns: str, name: str) -> dict:
    return cluster.ok_json(cluster.get(f"/api/v1/namespaces/{ns}/resourcequotas/{name}"), 200).get("status", {}).get("used", {})


def test_a_quota_of_three_pods_refuses_the_fourth(cluster, ns):
    cluster.kubectl("create", "quota", "three-pods", "--hard=pods=3,configmaps=20", "-n", ns)
    wait_until("quota status", lambda: quota_used(cluster, ns, "three-pods").get("pods") == "0", timeout=20)
    for i in range(3):
        cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod(f"p{i}")), 201)
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("p3"))
    assert r.status_code == 403, r.text
    st = status_of(r)
    assert st["reason"] == "Forbidden"
    assert st["message"] == ('pods "p3" is forbidden: exceeded quota: three-pods, requested: pods=1, used: pods=3, '
                             'limited: pods=3'), st
    # kubectl shows the same refusal, and nothing was created.
    manifest = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p3"},"spec":{"containers":[{"name":"app","image":"x"}]}}'
    cp = cluster.kubectl("create", "-n", ns, "-f", "-", input=manifest, check=False)
    assert cp.returncode != 0 and "exceeded quota: three-pods" in cp.stderr, cp.stderr
    assert cluster.get(f"/api/v1/namespaces/{ns}/pods/p3").status_code == 404
    # The controller keeps status.used; kubectl describe shows it.
    wait_until("used counts three pods", lambda: quota_used(cluster, ns, "three-pods").get("pods") == "3", timeout=20)
    out = cluster.kubectl("describe", "quota", "three-pods", "-n", ns).stdout
    assert "pods" in out and "3" in out, out
    # Freeing one makes room again.
    cluster.kubectl("delete", "pod", "p0", "-n", ns, "--grace-period=0", "--force", check=False)
    wait_until("p0 gone", lambda: cluster.get(f"/api/v1/namespaces/{ns}/pods/p0").status_code == 404, timeout=30)
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("p3")), 201)
    wait_until("used back at three", lambda: quota_used(cluster, ns, "three-pods").get("pods") == "3", timeout=20)


def test_a_compute_quota_needs_requests_and_counts_them(cluster, ns):
    cluster.kubectl("create", "quota", "cpu", "--hard=requests.cpu=1,limits.memory=1Gi", "-n", ns)
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("bare"))
    assert r.status_code == 403, r.text
    assert status_of(r)["message"] == ('pods "bare" is forbidden: failed quota: cpu: must specify limits.memory for: app; '
                                       'requests.cpu for: app'), r.text
    sized = {"requests": {"cpu": "600m"}, "limits": {"memory": "512Mi"}}
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("first", sized)), 201)
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("second", sized))
    assert r.status_code == 403, r.text
    assert status_of(r)["message"] == ('pods "second" is forbidden: exceeded quota: cpu, requested: requests.cpu=600m, '
                                       'used: requests.cpu=600m, limited: requests.cpu=1'), r.text
    wait_until("used", lambda: quota_used(cluster, ns, "cpu") == {"requests.cpu": "600m", "limits.memory": "512Mi"},
               timeout=20)


def test_limit_ranges_default_and_bound_containers(cluster, ns):
    limit_range = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "bounds"},
                   "spec": {"limits": [{"type": "Container", "default": {"cpu": "200m", "memory": "128Mi"},
                                        "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
                                        "max": {"cpu": "1"}}]}}
    cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/limitranges", limit_range), 201)
    created = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("defaulted")), 201)
    resources = created["spec"]["containers"][0]["resources"]
    assert resources == {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}, resources
    assert created["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == \
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("greedy", {"limits": {"cpu": "2"}}))
    assert r.status_code == 403, r.text
    assert status_of(r)["message"] == 'pods "greedy" is forbidden: maximum cpu usage per Container is 1, but limit is 2', r.text


def test_priority_classes_resolve(cluster, ns):
    names = {pc["metadata"]["name"]: pc for pc in
             cluster.ok_json(cluster.get("/apis/scheduling.k8s.io/v1/priorityclasses"), 200)["items"]}
    assert names["system-node-critical"]["value"] == 2000001000
    assert names["system-cluster-critical"]["value"] == 2000000000
    high = f"high-{rand_suffix()}"
    cluster.kubectl("create", "priorityclass", high, "--value=1000", "--preemption-policy=Never")
    try:
        created = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("important", priorityClassName=high)), 201)
        assert created["spec"]["priority"] == 1000 and created["spec"]["preemptionPolicy"] == "Never", created["spec"]
        r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("lost", priorityClassName="nope"))
        assert r.status_code == 403, r.text
        assert status_of(r)["message"] == 'pods "lost" is forbidden: no PriorityClass with name nope was found', r.text
        r = cluster.post(f"/api/v1/namespaces/{ns}/pods", pod("liar", priorityClassName=high, priority=5))
        assert r.status_code == 403 and "must not be provided in pod spec" in status_of(r)["message"], r.text
        critical = cluster.ok_json(cluster.post(f"/api/v1/namespaces/{ns}/pods",
                                                pod("critical", priorityClassName="system-cluster-critical")), 201)
        assert critical["spec"]["priority"] == 2000000000
    finally:
        cluster.kubectl("delete", "priorityclass", high)
