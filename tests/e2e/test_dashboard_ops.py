"""The dashboard's charts and operations, in a real browser against the shared runc `node_cluster`:
CPU/memory charts of a pod and a node drawn from the server's samples of the metrics API (and a
user without metrics access shown the API's 403), the overview's live node use, draining a node
through the Eviction API (an unmanaged pod refused without the override, a PodDisruptionBudget's
429 shown for the pod, then a successful retry), rolling a Deployment back to an earlier revision,
the interleaved logs of a Deployment's pods, owned objects of any kind, and the TTY terminal (line
editing, resize, a shareable link). Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from node_cluster import IMAGE
from test_dashboard import ARTIFACTS, Dash, playwright_sync

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# A pod whose CPU use varies, so its chart has a shape.
BUSY = """
apiVersion: v1
kind: Pod
metadata: {{name: busy, namespace: {ns}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: {image}
    command: ["sh", "-c", "while true; do n=$((RANDOM % 4000)); i=0; while [ $i -lt $n ]; do i=$((i+1)); done; sleep 1; done"]
"""

PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web, namespace: {ns}}}
spec:
  minAvailable: 1
  selector:
    matchLabels: {{app: web}}
"""


def goto(page, url: str):
    """Opens `url`, again if Chromium dropped it as ERR_NETWORK_CHANGED (it does when pods' host
    interfaces come and go)."""
    for attempt in range(3):
        try:
            return page.goto(url)
        except playwright_sync.Error as e:
            if "ERR_NETWORK_CHANGED" not in str(e) or attempt == 2:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def dash(node_cluster, kyvern_bin):
    d = Dash(node_cluster, kyvern_bin)
    try:
        d.start()
        goto(d.page, d.login_link())
        playwright_sync.expect(d.page.locator("#whoami")).to_have_text("Signed in as kyvern-admin")
        yield d
    finally:
        d.stop()


def test_a_pods_and_its_nodes_charts_show_the_samples_of_the_last_hour(dash):
    c = dash.c
    c.kubectl("apply", "-f", "-", input=BUSY.format(ns=dash.ns, image=IMAGE))
    c.kubectl("wait", "--for=condition=Ready", "pod/busy", "-n", dash.ns, "--timeout=60s", timeout=70)
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/o/core/v1/pods/{dash.ns}/busy")
    # The server samples every 15 s and the agent's CPU is a rate between two readings: three points within ~75 s.
    cpu = page.locator("#cpu-chart svg.chart")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if cpu.count() and int(cpu.get_attribute("data-points") or 0) >= 3:
            break
        time.sleep(1)
    assert int(cpu.get_attribute("data-points")) >= 3, page.locator("#metrics").inner_text()
    expect(page.locator("#cpu-chart figcaption")).to_contain_text(re.compile(r"CPU: now [0-9.]+(m| cores), peak"))
    expect(page.locator("#memory-chart figcaption")).to_contain_text(re.compile(r"Memory: now [0-9.]+ (KiB|MiB|GiB)"))
    points = page.locator("#memory-chart polyline").get_attribute("points").split()
    assert len(points) >= 3 and all(re.fullmatch(r"[0-9.]+,[0-9.]+", p) for p in points), points
    # What is drawn is what the metrics API says: the pod is known to it, and its samples are the server's.
    top = json.loads(c.get(f"/apis/metrics.k8s.io/v1beta1/namespaces/{dash.ns}/pods/busy").text)
    assert top["containers"], top
    history = page.evaluate(f"() => api('/dashboard/metrics/namespaces/{dash.ns}/pods/busy')")
    assert len(history["samples"]) >= 3 and all(s["memory"] > 0 for s in history["samples"]), history
    dash.shot("pod-charts")
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#metrics").screenshot(path=str(DOCS_SCREENSHOTS / "dashboard-charts.png"))
    c.kubectl("delete", "pod", "busy", "-n", dash.ns, timeout=60)

    dash.goto("#/o/core/v1/nodes/_/e2e-node")
    expect(page.locator("#title-name")).to_have_text("e2e-node")
    expect(page.locator("#cpu-chart svg.chart")).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=20_000)
    dash.shot("node-charts")


def test_the_overview_shows_each_nodes_live_use(dash):
    page = dash.page
    dash.goto("#/overview")
    expect = playwright_sync.expect
    expect(page.locator('[data-usage-node="e2e-node"][data-usage="cpu"]')).to_have_text(re.compile(r"^[0-9.]+(m| cores)$"), timeout=40_000)
    expect(page.locator('[data-usage-node="e2e-node"][data-usage="memory"]')).to_have_text(re.compile(r"^[0-9.]+ (B|KiB|MiB|GiB)$"))
    dash.shot("overview-usage")


def test_a_user_who_may_not_read_metrics_gets_the_apis_403_in_the_chart(dash):
    dash.ensure_web()
    pod = dash.pod_name()
    c = dash.c
    c.kubectl("create", "serviceaccount", "chart-viewer", "-n", dash.ns)
    c.kubectl("create", "rolebinding", "chart-viewer-view", "-n", dash.ns, "--clusterrole=view",
              f"--serviceaccount={dash.ns}:chart-viewer")
    token = c.kubectl("create", "token", "chart-viewer", "-n", dash.ns).stdout.strip()
    page = dash.new_page()
    try:
        goto(page, dash.login_link().split("#")[0])
        page.fill("#token", token)
        page.click("#login")
        playwright_sync.expect(page.locator("#whoami")).to_contain_text("chart-viewer")
        dash.goto(f"#/o/core/v1/pods/{dash.ns}/{pod}", page)
        error = page.locator("#metrics-error")
        playwright_sync.expect(error).to_contain_text("403 Forbidden")
        playwright_sync.expect(error).to_contain_text(
            f'User "system:serviceaccount:{dash.ns}:chart-viewer" cannot get resource "pods" in API group "metrics.k8s.io"')
        assert page.locator("#cpu-chart").count() == 0
    finally:
        page.context.close()


LONER = """
apiVersion: v1
kind: Pod
metadata: {{name: loner, namespace: {ns}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: {image}
    command: ["sleep", "3600"]
"""


def test_drain_refuses_unmanaged_pods_reports_the_budgets_429_then_evicts_on_retry(dash):
    dash.ensure_web()
    c = dash.c
    page = dash.page
    expect = playwright_sync.expect
    pod = dash.pod_name()
    c.kubectl("apply", "-f", "-", input=PDB.format(ns=dash.ns))
    c.kubectl("apply", "-f", "-", input=LONER.format(ns=dash.ns, image=IMAGE))
    c.kubectl("wait", "--for=condition=Ready", "pod/loner", "-n", dash.ns, "--timeout=60s", timeout=70)
    # The budget's status must be computed before evictions are decided against it.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if c.kubectl("get", "pdb", "web", "-n", dash.ns, "-o", "jsonpath={.status.observedGeneration}").stdout:
            break
        time.sleep(0.3)
    try:
        dash.goto("#/o/core/v1/nodes/_/e2e-node")
        expect(page.locator("#title-name")).to_have_text("e2e-node")
        # A pod no controller manages stops the drain, as kubectl's does without --force.
        page.get_by_role("button", name="Drain").click()
        expect(page.locator("#dialog-body")).to_contain_text(f"{dash.ns}/{pod}")
        page.click("#dialog-ok")
        expect(page.locator("#drain-results")).to_contain_text("node/e2e-node cordoned")
        expect(page.locator("#drain-blocked")).to_contain_text(
            'error: unable to drain node "e2e-node" due to error: cannot delete Pods that declare no controller '
            f"(use --force to override): ")
        expect(page.locator("#drain-blocked")).to_contain_text(f"{dash.ns}/loner")
        assert c.kubectl("get", "node", "e2e-node", "-o", "jsonpath={.spec.unschedulable}").stdout == "true"
        assert c.get(f"/api/v1/namespaces/{dash.ns}/pods/loner").status_code == 200
        # With the override the lone pod goes; the budget refuses web's with the API's 429.
        page.click("#drain-retry")
        page.check("#drain-force")
        page.click("#dialog-ok")
        expect(page.locator(f'#drain-results li[data-pod="{dash.ns}/loner"]')).to_have_text("pod/loner evicted")
        line = page.locator(f'#drain-results li[data-pod="{dash.ns}/{pod}"]')
        expect(line).to_contain_text(f'error when evicting pods/"{pod}" -n "{dash.ns}"')
        expect(line).to_contain_text("429 TooManyRequests: Cannot evict pod as it would violate the pod's disruption budget.")
        expect(page.locator("#alert-text")).to_contain_text("refused")
        dash.shot("drain-refused")
        c.kubectl("delete", "pdb", "web", "-n", dash.ns)
        page.click("#drain-retry")
        page.check("#drain-force")
        page.click("#dialog-ok")
        expect(page.locator(f'#drain-results li[data-pod="{dash.ns}/{pod}"]')).to_have_text(f"pod/{pod} evicted")
        expect(page.locator("#drain-results")).to_contain_text("node/e2e-node drained")
        dash.shot("drain-done")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if c.get(f"/api/v1/namespaces/{dash.ns}/pods/{pod}").status_code == 404:
                break
            time.sleep(0.3)
        assert c.get(f"/api/v1/namespaces/{dash.ns}/pods/{pod}").status_code == 404, "the evicted pod is still there"
    finally:
        c.kubectl("uncordon", "e2e-node", check=False)
        c.kubectl("delete", "pdb", "web", "-n", dash.ns, "--ignore-not-found", check=False)
        c.kubectl("delete", "pod", "loner", "-n", dash.ns, "--ignore-not-found", "--wait=false", check=False)


def test_a_deployment_is_rolled_back_to_a_chosen_revision(dash):
    dash.ensure_web()
    c = dash.c
    page = dash.page
    expect = playwright_sync.expect
    c.kubectl("set", "env", "deployment/web", "-n", dash.ns, "ROLLOUT=second")
    c.kubectl("rollout", "status", "deployment/web", "-n", dash.ns, "--timeout=90s", timeout=100)
    history = c.kubectl("get", "replicasets", "-n", dash.ns, "-l", "app=web", "-o",
                        "jsonpath={.items[*].metadata.annotations.deployment\\.kubernetes\\.io/revision}").stdout.split()
    first = min(int(r) for r in history)
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    expect(page.locator("#title-name")).to_have_text("web")
    page.get_by_role("button", name="Roll back").click()
    expect(page.locator("#revision")).to_be_visible()
    page.select_option("#revision", str(first))
    page.click("#dialog-ok")
    expect(page.locator("#alert-text")).to_contain_text(f"deployment.apps/web rolled back to revision {first}")
    env = c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.spec.template.spec.containers[0].env}").stdout
    assert "second" not in env, env
    labels = c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.spec.template.metadata.labels}").stdout
    assert "pod-template-hash" not in labels, labels
    c.kubectl("rollout", "status", "deployment/web", "-n", dash.ns, "--timeout=90s", timeout=100)
    dash.shot("rollback")


def ready_pods(dash, count: int, timeout: float = 90) -> list[str]:
    deadline = time.monotonic() + timeout
    names: list[str] = []
    while time.monotonic() < deadline:
        pods = json.loads(dash.c.kubectl("get", "pods", "-n", dash.ns, "-l", "app=web", "-o", "json").stdout)["items"]
        names = [p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")
                 and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
        if len(names) >= count:
            return names
        time.sleep(0.3)
    raise AssertionError(f"only {names} ready")


def test_the_logs_of_all_pods_of_a_deployment_are_interleaved_with_prefixes_and_followed(dash):
    dash.ensure_web()
    c = dash.c
    page = dash.page
    expect = playwright_sync.expect
    c.kubectl("scale", "deployment/web", "-n", dash.ns, "--replicas=2")
    before = ready_pods(dash, 2)
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    page.click("#all-pods-logs")
    log = page.locator("#workload-log")
    for pod in before:
        expect(log).to_contain_text(f"[pod/{pod}/main] hello-from-the-dashboard-test", timeout=20_000)
    # Following: a pod that appears later is followed too.
    c.kubectl("scale", "deployment/web", "-n", dash.ns, "--replicas=3")
    added = [p for p in ready_pods(dash, 3) if p not in before]
    assert added
    expect(log).to_contain_text(f"[pod/{added[0]}/main] hello-from-the-dashboard-test", timeout=20_000)
    dash.shot("workload-logs")
    c.kubectl("scale", "deployment/web", "-n", dash.ns, "--replicas=1")


def test_owned_objects_of_any_kind_are_found_and_linked(dash):
    dash.ensure_web()
    c = dash.c
    page = dash.page
    expect = playwright_sync.expect
    uid = c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.metadata.uid}").stdout
    owned = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "web-settings", "namespace": dash.ns,
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": uid}]},
             "data": {"mode": "owned"}}
    c.kubectl("apply", "-f", "-", input=json.dumps(owned))
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    item = page.locator('#owned-all li[data-owned="ConfigMap/web-settings"]')
    expect(item).to_be_visible(timeout=20_000)
    # The ReplicaSets stay in their own live list, not twice.
    assert page.locator('#owned-all li[data-owned^="ReplicaSet/"]').count() == 0
    expect(page.locator("#owned")).to_contain_text("web-")
    dash.shot("owned")
    item.get_by_role("link").click()
    expect(page.locator("#title-name")).to_have_text("web-settings")
    expect(page.locator("#owners")).to_contain_text("Deployment/web")
    c.kubectl("delete", "configmap", "web-settings", "-n", dash.ns, "--wait=false")


def tty_text(page) -> str:
    return page.locator("#tty").get_attribute("data-text") or ""


def wait_tty(page, pattern: str, timeout: float = 20) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, tty_text(page))
        if m:
            return m
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} not on the terminal:\n{tty_text(page)}")


def test_the_tty_terminal_edits_lines_and_follows_the_window_size(dash):
    dash.ensure_web()
    pod = dash.pod_name()
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/exec/{dash.ns}/{pod}?tty=1")
    expect(page.locator("#exec-status")).to_contain_text("Connected", timeout=20_000)
    expect(page.locator("#exec-status")).to_contain_text("TTY")
    page.locator("#tty").focus()
    # Line editing in the shell: a backspace and cursor moves reach it as a terminal's keys.
    page.keyboard.type("echo wrld-tt")
    page.keyboard.press("Backspace")
    page.keyboard.type("ty")
    for _ in range(7):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("o")
    page.keyboard.press("Enter")
    wait_tty(page, r"(?m)^world-tty$")
    # The size the page fits is what the container's terminal has, and follows a resize.
    rows, cols = page.locator("#tty").get_attribute("data-size").split("x")
    page.keyboard.type("stty size")
    page.keyboard.press("Enter")
    wait_tty(page, rf"(?m)^{rows} {cols}$")
    dash.shot("tty")
    page.set_viewport_size({"width": 900, "height": 700})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and page.locator("#tty").get_attribute("data-size") == f"{rows}x{cols}":
        time.sleep(0.2)
    rows2, cols2 = page.locator("#tty").get_attribute("data-size").split("x")
    assert (rows2, cols2) != (rows, cols)
    page.keyboard.type("clear; stty size")
    page.keyboard.press("Enter")
    wait_tty(page, rf"(?m)^{rows2} {cols2}$")
    page.set_viewport_size({"width": 1280, "height": 860})


def test_a_terminals_shareable_link_opens_it_for_another_user_after_login(dash):
    dash.ensure_web()
    pod = dash.pod_name()
    c = dash.c
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/exec/{dash.ns}/{pod}?tty=1")
    expect(page.locator("#exec-status")).to_contain_text("Connected", timeout=20_000)
    link = page.locator("#share-link").input_value()
    assert f"#/exec/{dash.ns}/{pod}?" in link and "tty=1" in link and "token" not in link.lower(), link
    c.kubectl("create", "serviceaccount", "operator", "-n", dash.ns)
    c.kubectl("create", "rolebinding", "operator-edit", "-n", dash.ns, "--clusterrole=edit",
              f"--serviceaccount={dash.ns}:operator")
    token = c.kubectl("create", "token", "operator", "-n", dash.ns).stdout.strip()
    other = dash.new_page()
    try:
        goto(other, link)
        other.fill("#token", token)
        other.click("#login")
        expect(other.locator("#exec-status")).to_contain_text("Connected", timeout=20_000)
        other.locator("#tty").focus()
        other.keyboard.type("echo shared-$((20+22))")
        other.keyboard.press("Enter")
        wait_tty(other, r"(?m)^shared-42$")
        dash.shot("tty-shared", other)
    finally:
        other.context.close()
