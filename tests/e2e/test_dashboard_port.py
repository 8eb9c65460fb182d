"""The dashboard on its own port (`kyvern server --dashboard-port N`) and logging in with a kubeconfig,
in a real browser (Debian's chromium, headless, driven by Playwright), on a throw-away server
without a node agent (no containers needed).

- `/` on the dashboard port leads to the page; `kyvern dashboard` links there; the page's API calls
  go to that same origin and are authenticated and authorized as on the API port;
- a kubeconfig pasted or uploaded on the login page logs in as its user when that user has a
  token; one whose user has a client certificate is refused with the way that works instead
  (`kyvern dashboard --kubeconfig FILE`).
Screenshots go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import base64
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")

playwright_sync = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubeconfig_text(server: str, user: dict) -> str:
    lines = ["apiVersion: v1", "kind: Config", "clusters:", "- cluster:", f"    server: {server}",
             "    insecure-skip-tls-verify: true", "  name: c", "contexts:", "- context:", "    cluster: c",
             "    namespace: default", "    user: other", "  name: first", "- context:", "    cluster: c",
             "    user: me", "  name: second", "current-context: second", "preferences: {}", "users:",
             "- name: other", "  user:", "    token: not-this-one", "- name: me", "  user:"]
    lines += [f"    {k}: {v}  # the current user's" for k, v in user.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def served(server_factory, kyvern_bin):
    """A server with --dashboard-port, its client, and a browser; all closed afterwards."""
    port = free_port()
    proc = server_factory.new("--dashboard-port", str(port))
    c = server_factory.client(proc)
    play = playwright_sync.sync_playwright().start()
    browser = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    try:
        yield proc, c, port, browser
    finally:
        browser.close()
        play.stop()


def new_page(browser):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(30_000)
    return context.new_page()


def shot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def test_the_dashboard_port_links_serves_the_page_and_the_api_as_the_same_user(served, kyvern_bin):
    proc, c, port, browser = served
    origin = f"https://127.0.0.1:{port}"
    root = requests.get(origin + "/", verify=c.ca_path, allow_redirects=False, timeout=10)
    assert root.status_code == 302 and root.headers["Location"] == "/dashboard/"
    # The API there is the API: the same authentication and authorization.
    assert requests.get(origin + "/api/v1/namespaces", verify=c.ca_path, timeout=10).status_code in (401, 403)
    listed = requests.get(origin + "/api/v1/namespaces", verify=c.ca_path, timeout=10, headers=c.auth_headers())
    assert listed.status_code == 200 and listed.json()["kind"] == "NamespaceList"

    r = subprocess.run([str(kyvern_bin), "dashboard", "--data-dir", str(proc.data_dir)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert f"Dashboard: {origin}/dashboard/" in r.stdout
    link = re.search(r"(https://\S+/dashboard/#login=[A-Za-z0-9_-]+)", r.stdout).group(1)
    assert link.startswith(origin + "/dashboard/#login=")

    page = new_page(browser)
    page.goto(link)
    expect = playwright_sync.expect
    expect(page.locator("#whoami")).to_have_text("Signed in as kyvern-admin")
    expect(page.locator('#workloads [data-kind="pods"]')).to_be_visible()
    assert page.evaluate("() => performance.getEntriesByName('kyvern:overview-drawn', 'mark').length") == 1
    # Every API call the page made went to its own origin, the dashboard port.
    api_calls = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"
                              ".filter(n => n.includes('/api'))")
    assert api_calls and all(u.startswith(origin + "/api") for u in api_calls), api_calls
    shot(page, "port-overview")
    page.context.close()


def test_a_kubeconfig_with_a_token_logs_in_as_its_user_pasted_or_uploaded(served, tmp_path):
    proc, c, port, browser = served
    ns = "dash-kubeconfig"
    c.create_namespace(ns)
    try:
        c.kubectl("create", "serviceaccount", "viewer", "-n", ns)
        c.kubectl("create", "rolebinding", "viewer", "--clusterrole", "view", f"--serviceaccount={ns}:viewer", "-n", ns)
        token = c.kubectl("create", "token", "viewer", "-n", ns).stdout.strip()
        text = kubeconfig_text(f"https://127.0.0.1:{proc.port}", {"token": token})
        expect = playwright_sync.expect
        origin = f"https://127.0.0.1:{port}/dashboard/"

        page = new_page(browser)
        page.goto(origin)
        page.fill("#token", text)
        page.click("#login")
        expect(page.locator("#whoami")).to_have_text(f"Signed in as system:serviceaccount:{ns}:viewer")
        shot(page, "kubeconfig-login")
        page.context.close()

        path = tmp_path / "viewer.kubeconfig"
        path.write_text(text)
        page = new_page(browser)
        page.goto(origin)
        page.set_input_files("#kubeconfig-file", str(path))
        expect(page.locator("#whoami")).to_have_text(f"Signed in as system:serviceaccount:{ns}:viewer")
        page.context.close()
    finally:
        c.delete_namespace(ns)


def test_a_kubeconfig_with_a_client_certificate_is_refused_with_the_way_that_works(served):
    proc, c, port, browser = served
    pem = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()
    text = kubeconfig_text(f"https://127.0.0.1:{proc.port}", {"client-certificate-data": pem, "client-key-data": pem})
    page = new_page(browser)
    page.goto(f"https://127.0.0.1:{port}/dashboard/")
    page.fill("#token", text)
    page.click("#login")
    expect = playwright_sync.expect
    expect(page.locator("#alert-text")).to_contain_text("client certificate")
    expect(page.locator("#alert-text")).to_contain_text("kyvern dashboard --kubeconfig")
    expect(page.locator("form.login")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('kyvern.dashboard.token')") is None
    shot(page, "kubeconfig-certificate")
    page.context.close()


def test_the_dashboard_port_must_differ_from_the_api_port(kyvern_bin, tmp_path):
    r = subprocess.run([str(kyvern_bin), "server", "--data-dir", str(tmp_path / "d"), "--https-listen-port", "7443",
                        "--dashboard-port", "7443", "--disable-agent"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "--dashboard-port must differ from --https-listen-port" in r.stderr
