"""A bounded schemathesis run against the served `/openapi/v3` documents: generated requests for
ConfigMaps, Secrets and RoleBindings (valid and invalid bodies, parameters) never get a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

TARGETS = [
    ("/openapi/v3/api/v1", r"^/api/v1/namespaces/\{namespace\}/(configmaps|secrets)(/\{name\})?$"),
    ("/openapi/v3/apis/rbac.authorization.k8s.io/v1",
     r"^/apis/rbac\.authorization\.k8s\.io/v1/namespaces/\{namespace\}/rolebindings(/\{name\})?$"),
]
EXAMPLES = 25


def operations(cluster):
    for document, paths in TARGETS:
        spec = cluster.ok_json(cluster.get(document), 200)
        schema = schemathesis.openapi.from_dict(spec).include(path_regex=paths)
        for result in schema.get_all_operations():
            yield result.ok()


def test_generated_requests_never_get_a_server_error(cluster, ns):
    failures: list[str] = []
    checked = 0
    for operation in list(operations(cluster)):
        strategy = operation.as_strategy()

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            nonlocal checked
            if case.path_parameters and "namespace" in case.path_parameters:
                case.path_parameters["namespace"] = ns
            response = case.call(base_url=cluster.base_url, headers=cluster.auth_headers(),
                                 verify=cluster.ca_path, timeout=30)
            checked += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code} {response.text[:300]}")

        run()
    print(f"{checked} generated requests")
    assert checked >= EXAMPLES, checked
    assert not failures, "\n".join(failures[:10])
