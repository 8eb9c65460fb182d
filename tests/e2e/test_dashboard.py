"""The built-in web dashboard, tried in a real browser (Debian's chromium driven headless by
Playwright) against the shared runc `node_cluster`.

Logs in through `kyvern dashboard`'s one-time link, sees the node, watches a Deployment made with
kubectl appear and become ready without a reload, scales it from the page, reads a pod's logs,
runs `echo` in the exec terminal (WebSocket, token as a subprotocol), edits and saves the YAML by
server-side apply, and checks that a user bound only to `view` gets the API's 403 in the page.
Each test saves a screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from node_cluster import IMAGE

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")

playwright_sync = pytest.importorskip("playwright.sync_api")


def manifest(ns: str) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: {IMAGE}
        command: ["sh", "-c", "echo hello-from-the-dashboard-test; sleep 3600"]
"""


class Dash:
    """One namespace, one browser, one admin page logged in through the one-time link."""

    def __init__(self, node_cluster, kyvern_bin):
        self.nc = node_cluster
        self.c = node_cluster.cluster
        self.bin = kyvern_bin
        self.ns = "dash-" + uuid.uuid4().hex[:8]
        self.play = None
        self.browser = None
        self.page = None

    def start(self):
        self.c.create_namespace(self.ns)
        self.play = playwright_sync.sync_playwright().start()
        self.browser = self.play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        self.page = self.new_page()
        return self

    def new_page(self):
        context = self.browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(30_000)
        return context.new_page()

    def login_link(self) -> str:
        r = subprocess.run([str(self.bin), "dashboard", "--data-dir", str(self.nc.data)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        m = re.search(r"(https://\S+/dashboard/#login=[A-Za-z0-9_-]+)", r.stdout)
        assert m, r.stdout
        return m.group(1)

    def goto(self, fragment: str, page=None):
        (page or self.page).evaluate("f => { location.hash = f; }", fragment)

    def shot(self, name: str, page=None):
        ARTIFACTS.mkdir(exist_ok=True)
        (page or self.page).screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)

    def ensure_web(self):
        self.c.kubectl("apply", "-f", "-", input=manifest(self.ns))
        self.c.kubectl("rollout", "status", "deployment/web", "-n", self.ns, "--timeout=90s", timeout=100)

    def pod_name(self) -> str:
        """A ready pod of web that is not on its way out (a scale-down leaves one terminating)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pods = json.loads(self.c.kubectl("get", "pods", "-n", self.ns, "-l", "app=web", "-o", "json").stdout)["items"]
            for p in pods:
                ready = any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
                if ready and not p["metadata"].get("deletionTimestamp"):
                    return p["metadata"]["name"]
            time.sleep(0.3)
        raise AssertionError("no ready pod of web")

    def stop(self):
        try:
            if self.browser is not None:
                self.browser.close()
            if self.play is not None:
                self.play.stop()
        finally:
            for item in self.c.get(f"/api/v1/namespaces/{self.ns}/pods").json().get("items", []):
                self.c.delete(f"/api/v1/namespaces/{self.ns}/pods/{item['metadata']['name']}",
                              params={"gracePeriodSeconds": "0"})
            self.c.delete_namespace(self.ns)


@pytest.fixture(scope="module")
def dash(node_cluster, kyvern_bin):
    d = Dash(node_cluster, kyvern_bin)
    try:
        d.start()
        yield d
    finally:
        d.stop()


def test_the_one_time_link_logs_in_and_the_overview_shows_the_node(dash):
    link = dash.login_link()
    assert "token" not in link.lower()
    page = dash.page
    page.goto(link)
    expect = playwright_sync.expect
    expect(page.locator("#whoami")).to_have_text("Signed in as kyvern-admin")
    assert "#login=" not in page.url, "the code is dropped from the address bar"
    node = page.locator('[data-node="e2e-node"]')
    expect(node).to_contain_text("Ready")
    expect(node).to_contain_text("allocatable")
    # Every served kind is in the navigation, grouped.
    nav = page.locator("nav")
    for group in ["Workloads", "Services and networking", "Config and storage", "Cluster"]:
        expect(nav.get_by_role("heading", name=group)).to_be_visible()
    dash.shot("overview")
    # The link worked once: the same code is refused now.
    other = dash.new_page()
    other.goto(link)
    expect(other.locator("form.login")).to_contain_text("Login link refused")
    other.context.close()


def test_a_deployment_made_with_kubectl_appears_and_becomes_ready_without_a_reload(dash):
    page = dash.page
    expect = playwright_sync.expect
    page.select_option("#namespace", dash.ns)
    dash.goto("#/r/apps/v1/deployments")
    expect(page.locator("main h1")).to_contain_text("Deployments")
    page.evaluate("() => { window.__noReload = 'still here'; }")
    dash.c.kubectl("apply", "-f", "-", input=manifest(dash.ns))
    row = page.locator('tr[data-name="web"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("1/1", timeout=90_000)
    assert page.evaluate("() => window.__noReload") == "still here", "the page was reloaded"
    dash.shot("deployments")


def test_scaling_from_the_page_is_what_kubectl_reports(dash):
    dash.ensure_web()
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    page.get_by_role("button", name="Scale").click()
    page.fill("#replicas", "2")
    page.click("#dialog-ok")
    expect(page.locator("#alert-text")).to_contain_text("scaled to 2")
    deadline = time.monotonic() + 10
    replicas = ""
    while time.monotonic() < deadline:
        replicas = dash.c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.spec.replicas}").stdout
        if replicas == "2":
            break
        time.sleep(0.2)
    assert replicas == "2"
    expect(page.locator('dd[data-field="Replicas"]')).to_contain_text("of 2 desired")
    dash.shot("detail")


def test_a_pods_logs_show_a_line_it_printed(dash):
    dash.ensure_web()
    pod = dash.pod_name()
    page = dash.page
    dash.goto(f"#/logs/{dash.ns}/{pod}")
    playwright_sync.expect(page.locator("#log")).to_contain_text("hello-from-the-dashboard-test", timeout=20_000)
    dash.shot("logs")


def test_the_exec_terminal_runs_echo(dash):
    dash.ensure_web()
    pod = dash.pod_name()
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/exec/{dash.ns}/{pod}")
    expect(page.locator("#exec-status")).to_contain_text("Connected", timeout=20_000)
    page.fill("#stdin", "echo exec-says-$((6*7))")
    page.press("#stdin", "Enter")
    expect(page.locator("#terminal")).to_contain_text("exec-says-42", timeout=20_000)
    dash.shot("exec")


def test_the_yaml_is_edited_and_saved_by_server_side_apply(dash):
    dash.ensure_web()
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    expect(page.locator("#yaml")).to_have_value(re.compile(r"kind: Deployment"))
    page.eval_on_selector("#yaml", """el => {
        el.value = el.value.replace('  labels:\\n    app: web\\n', '  labels:\\n    app: web\\n    edited: by-the-dashboard\\n');
        el.dispatchEvent(new Event('input'));
    }""")
    assert "edited: by-the-dashboard" in page.input_value("#yaml")
    page.click("#save")
    expect(page.locator("#save-result")).to_contain_text("Saved")
    labels = dash.c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.metadata.labels.edited}").stdout
    assert labels == "by-the-dashboard"
    managers = dash.c.kubectl("get", "deployment", "web", "-n", dash.ns, "--show-managed-fields",
                              "-o", "jsonpath={.metadata.managedFields[*].manager}").stdout
    assert "kyvern-dashboard" in managers.split()
    dash.shot("yaml")


def test_a_yaml_conflict_is_shown_with_the_apis_message_and_force_takes_the_field(dash):
    dash.ensure_web()
    page = dash.page
    expect = playwright_sync.expect
    now = int(dash.c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.spec.replicas}").stdout)
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    expect(page.locator("#yaml")).to_have_value(re.compile(rf"\n  replicas: {now}\n"))
    page.eval_on_selector("#yaml", f"""el => {{
        el.value = el.value.replace('\\n  replicas: {now}\\n', '\\n  replicas: {now + 1}\\n');
        el.dispatchEvent(new Event('input'));
    }}""")
    page.click("#save")
    # spec.replicas belongs to another manager (kubectl's apply, the page's scale): apply refuses to take it silently.
    expect(page.locator("#save-result")).to_contain_text("Conflict")
    expect(page.locator("#alert-text")).to_contain_text("409")
    expect(page.locator("#alert-text")).to_contain_text(".spec.replicas")
    expect(page.locator("#force-label")).to_be_visible()
    dash.shot("conflict")
    page.check("#force")
    page.click("#save")
    expect(page.locator("#save-result")).to_contain_text("Saved")
    replicas = dash.c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.spec.replicas}").stdout
    assert replicas == str(now + 1)


def test_a_user_bound_only_to_view_sees_the_apis_403_when_scaling(dash):
    dash.ensure_web()
    c = dash.c
    c.kubectl("create", "serviceaccount", "viewer", "-n", dash.ns)
    c.kubectl("create", "rolebinding", "viewer-view", "-n", dash.ns, "--clusterrole=view",
              f"--serviceaccount={dash.ns}:viewer")
    token = c.kubectl("create", "token", "viewer", "-n", dash.ns).stdout.strip()
    base = dash.login_link().split("#")[0]
    page = dash.new_page()
    expect = playwright_sync.expect
    try:
        page.goto(base)
        page.fill("#token", token)
        page.click("#login")
        expect(page.locator("#whoami")).to_have_text(f"Signed in as system:serviceaccount:{dash.ns}:viewer")
        # view in one namespace cannot list namespaces: the picker becomes a box to type one in.
        page.fill("#namespace-typed", dash.ns)
        page.press("#namespace-typed", "Enter")
        dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web", page)
        expect(page.locator("#title-name")).to_have_text("web")
        page.get_by_role("button", name="Scale").click()
        page.fill("#replicas", "5")
        page.click("#dialog-ok")
        alert = page.locator("#alert-text")
        expect(alert).to_contain_text("403 Forbidden")
        expect(alert).to_contain_text(
            f'User "system:serviceaccount:{dash.ns}:viewer" cannot patch resource "deployments/scale" in API group "apps"')
        dash.shot("forbidden", page)
        replicas = c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o", "jsonpath={.spec.replicas}").stdout
        assert replicas != "5"
    finally:
        page.context.close()


def test_on_a_phone_in_dark_mode_the_navigation_folds_above_the_page(dash):
    context = dash.browser.new_context(ignore_https_errors=True, viewport={"width": 390, "height": 844},
                                       color_scheme="dark", is_mobile=True)
    page = context.new_page()
    expect = playwright_sync.expect
    try:
        page.goto(dash.login_link())
        expect(page.locator('[data-node="e2e-node"]')).to_contain_text("Ready")
        nav = page.locator("nav").bounding_box()
        main = page.locator("main").bounding_box()
        assert nav["y"] + nav["height"] <= main["y"] + 1, (nav, main)
        assert main["width"] <= 390, main
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
        # Keyboard: a page shown puts the focus on its content, so Tab reaches the first link in it.
        assert page.evaluate("() => document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "e2e-node"
        page.keyboard.press("Enter")
        expect(page.locator("main h1")).to_contain_text("Node e2e-node")
        dash.shot("phone-dark", page)
    finally:
        context.close()


def test_restart_cordon_uncordon_and_delete_with_orphan_from_the_page(dash):
    dash.ensure_web()
    c = dash.c
    page = dash.page
    expect = playwright_sync.expect
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    expect(page.locator("#title-name")).to_have_text("web")
    page.get_by_role("button", name="Restart").click()
    page.click("#dialog-ok")
    expect(page.locator("#alert-text")).to_contain_text("restarted")
    restarted = c.kubectl("get", "deployment", "web", "-n", dash.ns, "-o",
                          "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}").stdout
    assert restarted, "no restartedAt annotation on the pod template"
    # Cordon and uncordon the shared node (uncordoned again whatever happens).
    try:
        dash.goto("#/o/core/v1/nodes/_/e2e-node")
        expect(page.locator("#title-name")).to_have_text("e2e-node")
        page.get_by_role("button", name="Cordon", exact=True).click()
        page.click("#dialog-ok")
        expect(page.locator('dd[data-field="Schedulable"]')).to_have_text("no (cordoned)")
        assert c.kubectl("get", "node", "e2e-node", "-o", "jsonpath={.spec.unschedulable}").stdout == "true"
        page.get_by_role("button", name="Uncordon").click()
        page.click("#dialog-ok")
        expect(page.locator('dd[data-field="Schedulable"]')).to_have_text("yes")
        assert c.kubectl("get", "node", "e2e-node", "-o", "jsonpath={.spec.unschedulable}").stdout == ""
    finally:
        c.kubectl("uncordon", "e2e-node", check=False)
    # Delete with the Orphan cascade: the Deployment goes, its ReplicaSet stays.
    dash.goto(f"#/o/apps/v1/deployments/{dash.ns}/web")
    expect(page.locator("#title-name")).to_have_text("web")
    page.get_by_role("button", name="Delete").click()
    page.select_option("#cascade", "Orphan")
    page.click("#dialog-ok")
    expect(page.locator("#alert-text")).to_contain_text("deleted")
    expect(page.locator("#summary")).to_contain_text("does not exist", timeout=15_000)
    assert c.kubectl("get", "deployment", "web", "-n", dash.ns, check=False).returncode != 0
    replicasets = c.kubectl("get", "replicasets", "-n", dash.ns, "-l", "app=web", "-o", "name").stdout.split()
    assert replicasets, "the ReplicaSets were not orphaned"
    dash.shot("deleted")
    c.kubectl("delete", "replicasets", "-n", dash.ns, "-l", "app=web", "--wait=false")
