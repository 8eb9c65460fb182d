"""RBAC as upstream, through the real kubectl: the bootstrap policy, `auth can-i` for view, edit
and admin bound in one namespace and checked in another, upstream's denial message, escalation
refused, impersonation gated, access reviews, and reconciliation of the defaults at start."""

from __future__ import annotations

import json

import pytest

from conftest import rand_suffix
from e2e_harness import status_of, wait_until


def can_i(cluster, *args: str) -> str:
    cp = cluster.kubectl("auth", "can-i", *args, check=False)
    answer = cp.stdout.strip().splitlines()[-1] if cp.stdout.strip() else ""
    # kubectl exits 0 for yes and 1 for no
    assert (answer == "yes") == (cp.returncode == 0), (args, cp.returncode, cp.stdout, cp.stderr)
    return answer


@pytest.fixture(scope="module")
def team(cluster):
    """Namespaces rbac-a-* (with viewer, editor and admin accounts bound there) and rbac-b-* (nothing bound)."""
    s = rand_suffix()
    a, b = f"rbac-a-{s}", f"rbac-b-{s}"
    for name in (a, b):
        cluster.create_namespace(name)
    for account, role in (("viewer", "view"), ("editor", "edit"), ("boss", "admin")):
        cluster.kubectl("create", "serviceaccount", account, "-n", a)
        cluster.kubectl("create", "rolebinding", f"{account}-{role}", "--clusterrole", role,
                        "--serviceaccount", f"{a}:{account}", "-n", a)
    try:
        yield a, b
    finally:
        for name in (a, b):
            cluster.delete_namespace(name)


def sa(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


def test_bootstrap_policy_is_upstreams(cluster):
    roles = {r["metadata"]["name"]: r for r in cluster.ok_json(
        cluster.get("/apis/rbac.authorization.k8s.io/v1/clusterroles"), 200)["items"]}
    for name in ("cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
                 "system:public-info-viewer", "system:kube-scheduler", "system:kube-controller-manager",
                 "system:node", "system:node-proxier", "system:auth-delegator"):
        assert name in roles, name
        assert roles[name]["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
        assert roles[name]["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] == "true"
    assert roles["cluster-admin"]["rules"] == [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                                               {"nonResourceURLs": ["*"], "verbs": ["*"]}]
    # view, edit and admin are aggregated, each including the one below it
    assert roles["view"]["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]
    assert roles["view"]["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    view_rules = roles["view"]["rules"]
    assert {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]} in view_rules
    assert all(rule in roles["edit"]["rules"] for rule in view_rules)
    assert all(rule in roles["admin"]["rules"] for rule in roles["edit"]["rules"])

    bindings = {b["metadata"]["name"]: b for b in cluster.ok_json(
        cluster.get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"), 200)["items"]}
    assert bindings["cluster-admin"]["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    assert {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"} in \
        bindings["system:public-info-viewer"]["subjects"]
    out = cluster.kubectl("get", "clusterrolebinding", "system:discovery").stdout
    assert "ClusterRole/system:discovery" in out, out


def test_can_i_matrix_for_view_edit_and_admin(cluster, team):
    a, b = team
    expected = {
        # (verb, resource): (viewer, editor, boss)
        ("get", "pods"): ("yes", "yes", "yes"),
        ("list", "pods"): ("yes", "yes", "yes"),
        ("create", "pods"): ("no", "yes", "yes"),
        ("get", "pods/log"): ("yes", "yes", "yes"),
        ("create", "pods/exec"): ("no", "yes", "yes"),
        ("get", "secrets"): ("no", "yes", "yes"),
        ("create", "deployments.apps"): ("no", "yes", "yes"),
        ("patch", "deployments.apps/scale"): ("no", "yes", "yes"),
        ("create", "roles.rbac.authorization.k8s.io"): ("no", "no", "yes"),
        ("create", "rolebindings.rbac.authorization.k8s.io"): ("no", "no", "yes"),
        ("delete", "namespaces"): ("no", "no", "no"),
        ("create", "resourcequotas"): ("no", "no", "no"),
    }
    for (verb, resource), answers in expected.items():
        for account, answer in zip(("viewer", "editor", "boss"), answers):
            got = can_i(cluster, verb, resource, "-n", a, "--as", sa(a, account))
            assert got == answer, f"{account} {verb} {resource} in {a}: {got}, expected {answer}"
            # Bound in a only: nothing in b, nothing cluster-wide.
            assert can_i(cluster, verb, resource, "-n", b, "--as", sa(a, account)) == "no", (account, verb, resource)
    assert can_i(cluster, "list", "nodes", "--as", sa(a, "boss")) == "no"
    # Reading its own namespace object is granted by a Role there (the namespace is its own scope).
    assert can_i(cluster, "get", f"namespace/{a}", "-n", a, "--as", sa(a, "viewer")) == "yes"
    assert can_i(cluster, "get", f"namespace/{b}", "-n", b, "--as", sa(a, "viewer")) == "no"
    assert cluster.kubectl("get", "namespace", a, "--as", sa(a, "viewer")).returncode == 0
    assert cluster.kubectl("get", "namespace", b, "--as", sa(a, "viewer"), check=False).returncode != 0
    # The admin kubeconfig is system:masters: everything.
    assert can_i(cluster, "*", "*", "--all-namespaces") == "yes"


def test_a_denial_is_upstreams_403(cluster, team):
    a, b = team
    cp = cluster.kubectl("get", "pods", "-n", b, "--as", sa(a, "viewer"), check=False)
    assert cp.returncode != 0
    assert (f'Error from server (Forbidden): pods is forbidden: User "{sa(a, "viewer")}" cannot list resource "pods" '
            f'in API group "" in the namespace "{b}"') in cp.stderr, cp.stderr
    r = cluster.get(f"/api/v1/namespaces/{a}/secrets/nope", headers={"Impersonate-User": sa(a, "viewer")})
    st = status_of(r)
    assert r.status_code == 403 and st["reason"] == "Forbidden", r.text
    assert st["message"] == (f'secrets "nope" is forbidden: User "{sa(a, "viewer")}" cannot get resource "secrets" '
                             f'in API group "" in the namespace "{a}"'), st
    assert st["details"] == {"name": "nope", "kind": "secrets"}, st
    # The viewer may read pods where it is bound.
    assert cluster.kubectl("get", "pods", "-n", a, "--as", sa(a, "viewer")).returncode == 0


def test_escalation_is_refused_unless_held(cluster, team):
    a, _ = team
    boss = sa(a, "boss")
    # A Role granting what the admin holds in its namespace: allowed.
    cluster.kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", a, "--as", boss)
    # A Role granting what it does not hold (nodes are not the namespace admin's): refused, nothing created.
    cp = cluster.kubectl("create", "role", "node-reader", "--verb=get", "--resource=nodes", "-n", a, "--as", boss,
                         check=False)
    assert cp.returncode != 0
    assert 'roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "' + boss + '"' in cp.stderr, cp.stderr
    assert "is attempting to grant RBAC permissions not currently held:" in cp.stderr, cp.stderr
    assert '{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}' in cp.stderr, cp.stderr
    assert cluster.get(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{a}/roles/node-reader").status_code == 404
    # Binding a role it holds entirely (view): allowed; binding cluster-admin: refused.
    cluster.kubectl("create", "rolebinding", "extra-view", "--clusterrole", "view", "--user", "carol", "-n", a,
                    "--as", boss)
    cp = cluster.kubectl("create", "rolebinding", "grab-all", "--clusterrole", "cluster-admin", "--user", "carol",
                         "-n", a, "--as", boss, check=False)
    assert cp.returncode != 0 and "is attempting to grant RBAC permissions not currently held" in cp.stderr, cp.stderr
    # With the bind verb on cluster-admin, the same binding is allowed (upstream's bind escape).
    cluster.kubectl("create", "clusterrole", f"bind-admin-{a}", "--verb=bind", "--resource=clusterroles",
                    "--resource-name=cluster-admin")
    cluster.kubectl("create", "rolebinding", "boss-may-bind", "--clusterrole", f"bind-admin-{a}",
                    "--serviceaccount", f"{a}:boss", "-n", a)
    wait_until("bind grant visible", lambda: can_i(cluster, "bind", "clusterroles/cluster-admin", "-n", a,
                                                    "--as", boss) == "yes", timeout=10)
    cluster.kubectl("create", "rolebinding", "grab-all", "--clusterrole", "cluster-admin", "--user", "carol",
                    "-n", a, "--as", boss)
    # A binding's roleRef cannot change.
    binding = cluster.ok_json(cluster.get(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{a}/rolebindings/extra-view"), 200)
    binding["roleRef"]["name"] = "edit"
    r = cluster.request("PUT", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{a}/rolebindings/extra-view",
                        json_body=binding)
    assert r.status_code == 422 and "cannot change roleRef" in status_of(r)["message"], r.text
    cluster.kubectl("delete", "clusterrole", f"bind-admin-{a}")


def test_impersonation_needs_the_impersonate_verb(cluster, team):
    a, _ = team
    # The editor may impersonate service accounts of its namespace (edit grants it) but not users.
    editor = {"Impersonate-User": sa(a, "editor")}
    r = cluster.get(f"/api/v1/namespaces/{a}/pods", headers={**editor})
    assert r.status_code == 200, r.text
    # Impersonating as the editor, then asking to act as someone else needs credentials of the
    # editor itself; the admin's impersonation of a group without a user is refused outright.
    r = cluster.get("/api/v1/namespaces", headers={"Impersonate-Group": "system:masters"})
    assert r.status_code == 400, r.text
    assert "without impersonating a user" in status_of(r)["message"]
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": sa(a, "editor"), "groups": ["system:serviceaccounts", f"system:serviceaccounts:{a}"],
                       "resourceAttributes": {"verb": "impersonate", "resource": "users", "name": "bob"}}}
    r = cluster.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
    assert r.status_code == 201 and r.json()["status"]["allowed"] is False, r.text
    review["spec"]["resourceAttributes"] = {"verb": "impersonate", "resource": "serviceaccounts", "namespace": a,
                                            "name": "viewer"}
    r = cluster.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
    assert r.status_code == 201 and r.json()["status"]["allowed"] is True, r.text
    assert r.json()["status"]["reason"] == f'RBAC: allowed by RoleBinding "editor-edit/{a}" of ClusterRole "edit" ' \
                                           f'to ServiceAccount "editor/{a}"', r.json()


def test_rules_review_and_whoami(cluster, team):
    a, _ = team
    out = cluster.kubectl("auth", "can-i", "--list", "-n", a, "--as", sa(a, "viewer")).stdout
    lines = {line.split()[0]: line for line in out.splitlines()[1:] if line and not line.startswith(" ")}
    assert "pods" in lines and "[get list watch]" in lines["pods"], out
    assert "secrets" not in lines, out
    assert "selfsubjectaccessreviews.authorization.k8s.io" in lines, out
    assert "[/api/*]" in out, out
    out = cluster.kubectl("auth", "whoami", "--as", sa(a, "viewer"), "-o", "json").stdout
    info = json.loads(out)["status"]["userInfo"]
    assert info["username"] == sa(a, "viewer")
    assert info["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{a}", "system:authenticated"], info
    # A LocalSubjectAccessReview must name its own namespace.
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
              "metadata": {"namespace": a},
              "spec": {"user": "nobody", "resourceAttributes": {"namespace": "elsewhere", "verb": "get", "resource": "pods"}}}
    r = cluster.post(f"/apis/authorization.k8s.io/v1/namespaces/{a}/localsubjectaccessreviews", review)
    assert r.status_code == 422, r.text


def test_anonymous_sees_only_public_info(cluster):
    for path in ("/version", "/healthz", "/livez", "/readyz"):
        r = cluster.request("GET", path, authenticated=False)
        assert r.status_code == 200, (path, r.status_code, r.text)
    r = cluster.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", authenticated=False,
                        json_body={"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                                   "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}})
    assert r.status_code == 403, r.text
