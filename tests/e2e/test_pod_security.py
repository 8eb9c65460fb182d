"""PodSecurity admission as upstream, through the real kubectl: namespace labels choose the Pod
Security Standards level; enforce refuses pods with upstream's message, warn prints upstream's
warning, workloads are only warned about, tightening a namespace's enforce level warns about the
pods already there, and invalid label values are refused. Pods need not run: creation is checked."""

from __future__ import annotations

import json

import pytest

from conftest import rand_suffix

RESTRICTED_SECURITY = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                       "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def pod(name: str, spec_extra: dict | None = None, security: dict | None = None) -> str:
    container = {"name": "c", "image": "nginx"}
    if security is not None:
        container["securityContext"] = security
    spec = {"containers": [container], **(spec_extra or {})}
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


@pytest.fixture
def labelled(cluster):
    """Makes namespaces with the given labels; deletes them afterwards."""
    made = []

    def make(**labels: str) -> str:
        name = f"psa-{rand_suffix()}"
        cluster.create_namespace(name)
        made.append(name)
        if labels:
            cluster.kubectl("label", "ns", name, *[f"pod-security.kubernetes.io/{k}={v}" for k, v in labels.items()])
        return name

    yield make
    for name in made:
        cluster.delete_namespace(name)


def test_enforce_restricted_refuses_a_privileged_pod_and_admits_a_compliant_one(cluster, labelled):
    ns = labelled(enforce="restricted")
    cp = cluster.kubectl("create", "-n", ns, "-f", "-", input=pod("priv", security={"privileged": True}), check=False)
    assert cp.returncode != 0
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: '
            'violates PodSecurity "restricted:latest": '
            'privileged (container "c" must not set securityContext.privileged=true), '
            'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
            'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
            'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
            'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
            ) in cp.stderr, cp.stderr
    assert cluster.kubectl("get", "pod", "priv", "-n", ns, check=False).returncode != 0

    ok = cluster.kubectl("create", "-n", ns, "-f", "-", input=pod("fine", security=RESTRICTED_SECURITY))
    assert "pod/fine created" in ok.stdout
    assert "Warning" not in ok.stderr, ok.stderr


def test_warn_baseline_admits_a_host_network_pod_with_a_warning(cluster, labelled):
    ns = labelled(warn="baseline")
    cp = cluster.kubectl("create", "-n", ns, "-f", "-", input=pod("hostnet", {"hostNetwork": True}))
    assert "pod/hostnet created" in cp.stdout
    assert 'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)' in cp.stderr, cp.stderr
    # a pod that meets baseline gets no warning
    quiet = cluster.kubectl("create", "-n", ns, "-f", "-", input=pod("plain"))
    assert "Warning" not in quiet.stderr, quiet.stderr


def test_enforce_baseline_refuses_host_namespaces_but_unlabelled_namespaces_admit_them(cluster, labelled):
    ns = labelled(enforce="baseline")
    cp = cluster.kubectl("create", "-n", ns, "-f", "-", input=pod("hostpid", {"hostPID": True}), check=False)
    assert cp.returncode != 0
    assert 'pods "hostpid" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)' in cp.stderr
    open_ns = labelled()
    cluster.kubectl("create", "-n", open_ns, "-f", "-", input=pod("hostpid", {"hostPID": True}))


def test_a_deployment_in_an_enforcing_namespace_is_created_with_a_warning(cluster, labelled):
    ns = labelled(enforce="restricted")
    cp = cluster.kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    assert "deployment.apps/web created" in cp.stdout
    assert ('Warning: would violate PodSecurity "restricted:latest": '
            'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), '
            'unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), '
            'runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), '
            'seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
            ) in cp.stderr, cp.stderr
    assert cluster.kubectl("get", "deployment", "web", "-n", ns).returncode == 0


def test_tightening_enforce_warns_about_existing_pods(cluster, labelled):
    ns = labelled()
    for name, extra in (("web-a", None), ("web-b", None), ("hostnet", {"hostNetwork": True}),
                        ("hardened", None)):
        security = RESTRICTED_SECURITY if name == "hardened" else None
        cluster.kubectl("create", "-n", ns, "-f", "-", input=pod(name, extra, security))
    cp = cluster.kubectl("label", "ns", ns, "pod-security.kubernetes.io/enforce=restricted")
    assert f"namespace/{ns} labeled" in cp.stdout
    warnings = [line for line in cp.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        f'Warning: existing pods in namespace "{ns}" violate the new PodSecurity enforce level "restricted:latest"',
        "Warning: hostnet: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, "
        "runAsNonRoot != true, seccompProfile",
        "Warning: web-a (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, "
        "runAsNonRoot != true, seccompProfile",
    ], cp.stderr
    # relaxing the level checks nothing
    relaxed = cluster.kubectl("label", "ns", ns, "--overwrite", "pod-security.kubernetes.io/enforce=baseline")
    assert "Warning" not in relaxed.stderr, relaxed.stderr


def test_invalid_label_values_are_refused(cluster, labelled):
    ns = labelled()
    cp = cluster.kubectl("label", "ns", ns, "pod-security.kubernetes.io/enforce=strict", check=False)
    assert cp.returncode != 0
    assert (f'The Namespace "{ns}" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
            'Invalid value: "strict": must be one of privileged, baseline, restricted') in cp.stderr, cp.stderr
    bad_version = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": f"psa-bad-{rand_suffix()}", "labels": {"pod-security.kubernetes.io/warn-version": "1.30"}}})
    cp = cluster.kubectl("create", "-f", "-", input=bad_version, check=False)
    assert cp.returncode != 0
    assert ('metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": '
            'must be "latest" or "v1.x"') in cp.stderr, cp.stderr
