"""`kyvern agent --server URL --token-file F` joins a machine to a server with the join token the
server writes to DATA/node-token (k3s's shape: K10<CA hash>::node:<secret>); a token whose CA hash
does not match the server's CA is refused before anything is sent."""
from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import requests

from e2e_harness import free_port


def test_an_agent_joins_with_the_node_token_and_a_forged_ca_hash_is_refused(server_factory):
    server = server_factory.new()
    api = server_factory.client(server)
    token_file = server.data_dir / "node-token"
    token = token_file.read_text().strip()
    assert token.startswith("K10") and "::node:" in token and len(token.split("::")[0]) == 3 + 64
    # /cacerts is public and is the CA the kubeconfig trusts
    ca = requests.get(f"{server.base_url}/cacerts", verify=False, timeout=10)
    assert ca.status_code == 200 and ca.text.startswith("-----BEGIN CERTIFICATE-----")
    assert requests.get(f"{server.base_url}/api/v1/nodes", verify=False, timeout=10).status_code == 403  # anonymous

    work = Path(tempfile.mkdtemp(prefix="kyvern-e2e-join-"))
    forged = work / "forged-token"
    forged.write_text("K10" + "0" * 64 + "::node:" + token.split("::node:")[1] + "\n")
    r = subprocess.run([str(server.binary), "agent", "--server", server.base_url, "--token-file", str(forged),
                        "--runtime", "process", "--node-name", "forged", "--data-dir", str(work / "forged")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "does not match the join token's hash" in r.stderr + r.stdout, r.stderr
    assert api.get("/api/v1/nodes/forged").status_code == 404

    log = open(work / "agent.log", "wb")
    agent = subprocess.Popen([str(server.binary), "agent", "--server", server.base_url, "--token-file", str(token_file),
                              "--runtime", "process", "--node-name", "joined", "--data-dir", str(work / "agent"),
                              "--kubelet-port", str(free_port())], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        node = None
        while time.monotonic() < deadline:
            r = api.get("/api/v1/nodes/joined")
            if r.status_code == 200 and any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in r.json()["status"].get("conditions", [])):
                node = r.json()
                break
            assert agent.poll() is None, (work / "agent.log").read_text()[-3000:]
            time.sleep(0.3)
        assert node is not None, (work / "agent.log").read_text()[-3000:]
        assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("process://")
        text = (work / "agent.log").read_text()
        assert "does NOT isolate containers" in text, text[-2000:]
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=15)
        except subprocess.TimeoutExpired:
            agent.kill()
        log.close()
        subprocess.run(["rm", "-rf", str(work)])
