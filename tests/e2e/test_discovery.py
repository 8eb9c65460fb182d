"""Discovery, OpenAPI, version and the kubectl commands built on them."""

from __future__ import annotations

import json
import re

import pytest

from e2e_kinds import EXPECTED_GROUP_VERSIONS, EXPECTED_KINDS

AGG_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.5"


def _resource_list(cluster, gv: str) -> dict:
    path = "/api/v1" if gv == "v1" else f"/apis/{gv}"
    body = cluster.ok_json(cluster.get(path), 200)
    assert body.get("kind") == "APIResourceList", body
    assert body.get("groupVersion") == gv, body
    return body


def test_core_and_group_lists(cluster):
    api = cluster.ok_json(cluster.get("/api"), 200)
    assert api["kind"] == "APIVersions"
    assert api["versions"] == ["v1"]
    assert api.get("serverAddressByClientCIDRs"), f"/api lacks serverAddressByClientCIDRs: {api}"

    apis = cluster.ok_json(cluster.get("/apis"), 200)
    assert apis["kind"] == "APIGroupList"
    groups = {g["name"]: g for g in apis["groups"]}
    for gv in EXPECTED_GROUP_VERSIONS:
        if gv == "v1":
            continue
        group, version = gv.split("/")
        assert group in groups, f"/apis lacks group {group}; has {sorted(groups)}"
        g = groups[group]
        assert {"groupVersion": gv, "version": version} in g["versions"], g
        assert g["preferredVersion"] == {"groupVersion": gv, "version": version}, g
        # /apis/<group> answers the single group
        one = cluster.ok_json(cluster.get(f"/apis/{group}"), 200)
        assert one["kind"] == "APIGroup" and one["name"] == group, one


def _served_table(cluster) -> dict[str, dict]:
    served: dict[str, dict] = {}
    for gv in EXPECTED_GROUP_VERSIONS:
        for r in _resource_list(cluster, gv)["resources"]:
            group = gv.split("/")[0] if "/" in gv else ""
            served[f"{r['name']}.{group}" if group else r["name"]] = r
    return served


def test_discovered_kinds_match_expected_table(cluster):
    """Every resource of the issue's group versions, with upstream scope, kind, verbs, short names, categories."""
    served = _served_table(cluster)
    top = {k for k in served if "/" not in k.split(".")[0]}
    expected = {k.key for k in EXPECTED_KINDS}
    assert sorted(expected - top) == [], "resources missing from discovery"
    assert sorted(top - expected) == [], "resources served that upstream 1.36 does not have in these group versions"
    problems = []
    for k in EXPECTED_KINDS:
        r = served[k.key]
        want = {
            "kind": k.kind, "namespaced": k.namespaced, "verbs": sorted(k.verbs),
            "shortNames": sorted(k.short_names), "categories": sorted(k.categories),
            "singularName": k.kind.lower(),
        }
        got = {
            "kind": r.get("kind"), "namespaced": r.get("namespaced"), "verbs": sorted(r.get("verbs") or []),
            "shortNames": sorted(r.get("shortNames") or []), "categories": sorted(r.get("categories") or []),
            "singularName": r.get("singularName"),
        }
        if want != got:
            problems.append(f"{k.key}: want {want}\n{' ' * len(k.key)}   got  {got}")
    assert not problems, "discovery differs from upstream:\n" + "\n".join(problems)


def test_discovered_subresources(cluster):
    served = _served_table(cluster)
    problems = []
    for k in EXPECTED_KINDS:
        for sub in k.subresources:
            key = f"{k.resource}/{sub}.{k.group}" if k.group else f"{k.resource}/{sub}"
            r = served.get(key)
            if r is None:
                problems.append(f"missing {key}")
                continue
            if sub == "status":
                want = (k.kind, {"get", "patch", "update"})
            elif sub == "scale":
                want = ("Scale", {"get", "patch", "update"})
                if (r.get("group"), r.get("version")) != ("autoscaling", "v1"):
                    problems.append(f"{key}: scale should name group autoscaling version v1, got {r}")
            elif sub == "binding":
                want = ("Binding", {"create"})
            elif sub == "eviction":
                want = ("Eviction", {"create"})
                if (r.get("group"), r.get("version")) != ("policy", "v1"):
                    problems.append(f"{key}: eviction should name group policy version v1, got {r}")
            else:  # pragma: no cover
                continue
            if (r.get("kind"), set(r.get("verbs") or [])) != want:
                problems.append(f"{key}: want kind/verbs {want}, got {r.get('kind')} {r.get('verbs')}")
            if r.get("namespaced") != k.namespaced:
                problems.append(f"{key}: namespaced {r.get('namespaced')} != {k.namespaced}")
    assert not problems, "\n".join(problems)


def test_aggregated_discovery_v2(cluster):
    by_gv: dict[str, dict[str, dict]] = {}
    for path in ("/api", "/apis"):
        r = cluster.get(path, headers={"Accept": AGG_ACCEPT})
        assert r.status_code == 200, r.text[:500]
        ctype = r.headers.get("Content-Type", "")
        assert "as=APIGroupDiscoveryList" in ctype and "v=v2" in ctype, f"{path} Content-Type {ctype!r}"
        body = r.json()
        assert body["kind"] == "APIGroupDiscoveryList" and body["apiVersion"] == "apidiscovery.k8s.io/v2", body
        for item in body["items"]:
            group = item.get("metadata", {}).get("name", "")
            for v in item["versions"]:
                gv = f"{group}/{v['version']}" if group else v["version"]
                by_gv[gv] = {res["resource"]: res for res in v.get("resources", [])}
    problems = []
    for k in EXPECTED_KINDS:
        res = by_gv.get(k.group_version, {}).get(k.resource)
        if res is None:
            problems.append(f"{k.group_version} {k.resource} missing from aggregated discovery")
            continue
        scope = "Namespaced" if k.namespaced else "Cluster"
        if res.get("scope") != scope:
            problems.append(f"{k.key}: scope {res.get('scope')} != {scope}")
        if (res.get("responseKind") or {}).get("kind") != k.kind:
            problems.append(f"{k.key}: responseKind {res.get('responseKind')}")
        if sorted(res.get("shortNames") or []) != sorted(k.short_names):
            problems.append(f"{k.key}: shortNames {res.get('shortNames')} != {list(k.short_names)}")
        if sorted(res.get("verbs") or []) != sorted(k.verbs):
            problems.append(f"{k.key}: verbs {res.get('verbs')} != {list(k.verbs)}")
        subs = {s["subresource"] for s in res.get("subresources") or []}
        missing = set(k.subresources) - subs
        if missing:
            problems.append(f"{k.key}: subresources missing {sorted(missing)} (has {sorted(subs)})")
    assert not problems, "\n".join(problems)


def _parse_columns(text: str) -> list[dict[str, str]]:
    """Parse kubectl's fixed-width table output by the header's column starts."""
    lines = [l for l in text.splitlines() if l.strip()]
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    names = header.split()
    rows = []
    for line in lines[1:]:
        row = {}
        for i, name in enumerate(names):
            end = starts[i + 1] if i + 1 < len(starts) else None
            row[name] = line[starts[i]:end].strip()
        rows.append(row)
    return rows


@pytest.mark.kubectl
def test_kubectl_api_resources(cluster):
    cp = cluster.kubectl("api-resources")
    rows = {(r["NAME"], r["APIVERSION"]): r for r in _parse_columns(cp.stdout)}
    want = [
        ("pods", "po", "v1", "true", "Pod"),
        ("deployments", "deploy", "apps/v1", "true", "Deployment"),
        ("services", "svc", "v1", "true", "Service"),
        ("configmaps", "cm", "v1", "true", "ConfigMap"),
        ("namespaces", "ns", "v1", "false", "Namespace"),
        ("persistentvolumeclaims", "pvc", "v1", "true", "PersistentVolumeClaim"),
        ("horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"),
        ("cronjobs", "cj", "batch/v1", "true", "CronJob"),
        ("nodes", "no", "v1", "false", "Node"),
        ("priorityclasses", "pc", "scheduling.k8s.io/v1", "false", "PriorityClass"),
        ("leases", "", "coordination.k8s.io/v1", "true", "Lease"),
        ("storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass"),
        ("runtimeclasses", "", "node.k8s.io/v1", "false", "RuntimeClass"),
        ("poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"),
        ("endpointslices", "", "discovery.k8s.io/v1", "true", "EndpointSlice"),
        ("events", "ev", "events.k8s.io/v1", "true", "Event"),
    ]
    problems = []
    for name, short, gv, namespaced, kind in want:
        row = rows.get((name, gv))
        if row is None:
            problems.append(f"no row {name} {gv}")
            continue
        got = (row["SHORTNAMES"], row["NAMESPACED"], row["KIND"])
        if got != (short, namespaced, kind):
            problems.append(f"{name} {gv}: got {got}, want {(short, namespaced, kind)}")
    assert not problems, "\n".join(problems) + "\n" + cp.stdout

    # every expected resource is listed, cluster-scoped ones with --namespaced=false
    cp = cluster.kubectl("api-resources", "--namespaced=false", "-o", "name")
    names = set(cp.stdout.split())
    for k in EXPECTED_KINDS:
        if not k.namespaced:
            assert k.key in names, f"{k.key} not in `kubectl api-resources --namespaced=false -o name`:\n{cp.stdout}"
    cp = cluster.kubectl("api-resources", "--namespaced=true", "-o", "name")
    names = set(cp.stdout.split())
    for k in EXPECTED_KINDS:
        if k.namespaced:
            assert k.key in names, f"{k.key} not in `kubectl api-resources --namespaced=true -o name`:\n{cp.stdout}"


@pytest.mark.kubectl
def test_kubectl_api_versions(cluster):
    cp = cluster.kubectl("api-versions")
    served = set(cp.stdout.split())
    assert set(EXPECTED_GROUP_VERSIONS) <= served, f"missing {set(EXPECTED_GROUP_VERSIONS) - served}:\n{cp.stdout}"


@pytest.mark.kubectl
def test_kubectl_version(cluster):
    v = cluster.ok_json(cluster.get("/version", authenticated=False), 200)
    assert v["major"] == "1" and v["minor"].startswith("36"), v
    assert v["gitVersion"].startswith("v1.36"), v
    for key in ("gitCommit", "buildDate", "goVersion", "compiler", "platform"):
        assert key in v, f"/version lacks {key}: {v}"
    cp = cluster.kubectl("version", "-o", "json")
    out = json.loads(cp.stdout)
    assert out["serverVersion"]["gitVersion"] == v["gitVersion"], out
    cp = cluster.kubectl("version")
    assert f"Server Version: {v['gitVersion']}" in cp.stdout, cp.stdout
    assert "Client Version: v1.37" in cp.stdout, cp.stdout


@pytest.mark.kubectl
def test_kubectl_cluster_info(cluster):
    cp = cluster.kubectl("cluster-info")
    assert f"Kubernetes control plane is running at {cluster.base_url}" in cp.stdout, cp.stdout + cp.stderr


@pytest.mark.kubectl
def test_kubectl_explain_pod_containers(cluster):
    cp = cluster.kubectl("explain", "pods.spec.containers")
    out = cp.stdout
    assert re.search(r"^KIND:\s+Pod$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M), out
    assert re.search(r"^FIELD:\s+containers\s+<\[\]Container>", out, re.M), out
    for field in ("image", "name", "command", "ports", "resources", "env"):
        assert re.search(rf"^\s+{field}\s+<", out, re.M), f"field {field} not listed:\n{out}"


@pytest.mark.kubectl
def test_kubectl_explain_deployment(cluster):
    cp = cluster.kubectl("explain", "deployment")
    out = cp.stdout
    assert re.search(r"^KIND:\s+Deployment$", out, re.M), out
    assert re.search(r"^(GROUP|VERSION):\s+apps", out, re.M), out
    for field in ("apiVersion", "kind", "metadata", "spec", "status"):
        assert re.search(rf"^\s+{field}\s+<", out, re.M), f"field {field} not listed:\n{out}"
    cp = cluster.kubectl("explain", "deployment.spec.replicas")
    assert re.search(r"^FIELD:\s+replicas\s+<integer>", cp.stdout, re.M), cp.stdout


def test_openapi_v2(cluster):
    r = cluster.get("/openapi/v2", headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 200, r.text[:300]
    doc = r.json()
    assert doc.get("swagger") == "2.0", list(doc)[:10]
    for p in ("/api/v1/namespaces/{namespace}/pods", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
              "/apis/storage.k8s.io/v1/storageclasses"):
        assert p in doc["paths"], f"{p} missing from /openapi/v2"
    defs = doc["definitions"]
    for d in ("io.k8s.api.core.v1.Pod", "io.k8s.api.apps.v1.Deployment", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"):
        assert d in defs, f"{d} missing from /openapi/v2 definitions"
    gvk = defs["io.k8s.api.apps.v1.Deployment"].get("x-kubernetes-group-version-kind")
    assert gvk == [{"group": "apps", "kind": "Deployment", "version": "v1"}], gvk


def test_openapi_v3(cluster):
    idx = cluster.ok_json(cluster.get("/openapi/v3"), 200)
    paths = idx.get("paths", {})
    for gv in ("api/v1", "apis/apps/v1", "apis/batch/v1", "apis/autoscaling/v2", "apis/storage.k8s.io/v1"):
        assert gv in paths, f"{gv} missing from /openapi/v3 index: {sorted(paths)}"
        assert paths[gv]["serverRelativeURL"].startswith(f"/openapi/v3/{gv}"), paths[gv]
    url = paths["api/v1"]["serverRelativeURL"]
    r = cluster.get(url, headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 200, r.text[:300]
    doc = r.json()
    assert doc.get("openapi", "").startswith("3."), list(doc)[:10]
    assert "/api/v1/namespaces/{namespace}/pods" in doc["paths"]
    assert "io.k8s.api.core.v1.Pod" in doc["components"]["schemas"]
    r = cluster.get("/openapi/v3/apis/apps/v1", headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 200 and "io.k8s.api.apps.v1.Deployment" in r.json()["components"]["schemas"]


@pytest.mark.kubectl
def test_initial_namespaces_exist(cluster):
    cp = cluster.kubectl("get", "namespaces", "-o", "json")
    items = {i["metadata"]["name"]: i for i in json.loads(cp.stdout)["items"]}
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert name in items, f"namespace {name} missing: {sorted(items)}"
        assert items[name]["status"]["phase"] == "Active", items[name]
        assert items[name]["metadata"].get("uid"), items[name]
        assert items[name]["metadata"]["labels"].get("kubernetes.io/metadata.name") == name, items[name]


def test_componentstatuses_list(cluster):
    body = cluster.ok_json(cluster.get("/api/v1/componentstatuses"), 200)
    assert body["kind"] == "ComponentStatusList" and body["apiVersion"] == "v1", body
