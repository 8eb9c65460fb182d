"""Fixtures: one shared `kyvern server` for the session, throw-away servers on demand, a namespace per test."""

from __future__ import annotations

import random
import re
import shutil
import string
import tempfile
from pathlib import Path

import pytest

from e2e_harness import Cluster, KyvernProcess, ServerStartError, kubectl_binary, kyvern_binary

_SHARED: dict[str, object] = {}


def pytest_report_header(config):
    lines = [f"kyvern binary: {kyvern_binary()}"]
    try:
        lines.append(f"kubectl: {kubectl_binary()}")
    except RuntimeError as e:
        lines.append(str(e))
    return lines


def rand_suffix(n: int = 5) -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


@pytest.fixture(scope="session")
def kyvern_bin() -> Path:
    b = kyvern_binary()
    if not b.exists():
        pytest.exit(f"kyvern binary not found at {b}: build it (swift build) or set KYVERN_BIN", returncode=2)
    return b


@pytest.fixture(scope="session")
def cluster(kyvern_bin, tmp_path_factory) -> Cluster:
    """THE shared server: one process for the whole session, in a temporary data dir on a free port."""
    root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-shared-"))
    # The API-behaviour tests on this server hand-make workloads (Deployments, ReplicaSets, DaemonSets,
    # Jobs, budgets, ...) and compare them byte for byte, so the controllers that would write their
    # status stay off here (as in an API-server-only test bed); the controller tests run them on
    # servers of their own.
    proc = KyvernProcess(root / "data", binary=kyvern_bin, extra_args=("--controllers", ",".join([
        "*", "-deployment", "-replicaset", "-daemonset-controller", "-job-controller", "-cronjob-controller",
        "-ttl-after-finished-controller", "-disruption-controller", "-statefulset-controller", "-horizontalpodautoscaling"])))
    _SHARED["process"] = proc
    c = None
    try:
        try:
            proc.start()
        except ServerStartError as e:
            pytest.fail(str(e), pytrace=False)
        c = Cluster(proc, root / "client")
        yield c
    finally:
        if c is not None:
            c.close()
        rc = proc.stop()
        _SHARED.pop("process", None)
        if rc not in (0, None):
            print(f"\nshared kyvern server exited with {rc} on SIGTERM\n{proc.log_tail(30)}")
        shutil.rmtree(root, ignore_errors=True)


class ServerFactory:
    """Throw-away servers for tests that need their own (compaction, kill -9, signals).
    Every process is stopped and every temp dir removed at teardown, also when the test fails."""

    def __init__(self, binary: Path):
        self.binary = binary
        self.procs: list[KyvernProcess] = []
        self.clusters: list[Cluster] = []
        self.roots: list[Path] = []

    def new(self, *extra_args: str, start: bool = True) -> KyvernProcess:
        root = Path(tempfile.mkdtemp(prefix="kyvern-e2e-own-"))
        self.roots.append(root)
        p = KyvernProcess(root / "data", extra_args=extra_args, binary=self.binary)
        self.procs.append(p)
        if start:
            try:
                p.start()
            except ServerStartError as e:
                pytest.fail(str(e), pytrace=False)
        return p

    def client(self, p: KyvernProcess) -> Cluster:
        c = Cluster(p, p.data_dir.parent / f"client-{len(self.clusters)}")
        self.clusters.append(c)
        return c

    def logs(self) -> str:
        return "\n".join(p.log_tail(40) for p in self.procs)

    def cleanup(self) -> None:
        for c in self.clusters:
            c.close()
        for p in self.procs:
            try:
                p.stop(timeout=10)
            except Exception:
                p.kill9()
        for r in self.roots:
            shutil.rmtree(r, ignore_errors=True)


@pytest.fixture
def server_factory(kyvern_bin, request):
    f = ServerFactory(kyvern_bin)
    request.node._kyvern_factory = f
    try:
        yield f
    finally:
        f.cleanup()


def _ns_name(nodeid: str) -> str:
    base = nodeid.split("::")[-1].lower()
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-")
    return f"e2e-{base[:40].strip('-')}-{rand_suffix()}"


@pytest.fixture
def ns(cluster, request) -> str:
    """A fresh namespace for this test, deleted afterwards."""
    name = _ns_name(request.node.nodeid)
    cluster.create_namespace(name)
    try:
        yield name
    finally:
        cluster.delete_namespace(name)


@pytest.fixture
def suffix() -> str:
    return rand_suffix()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        shared = _SHARED.get("process")
        if shared is not None and "cluster" in getattr(item, "fixturenames", ()):
            rep.sections.append(("kyvern shared server log", shared.log_tail(40)))
        f = getattr(item, "_kyvern_factory", None)
        if f is not None and f.procs:
            rep.sections.append(("kyvern own server logs", f.logs()))


@pytest.fixture(scope="session")
def node_cluster(kyvern_bin):
    """A server with its real node agent (runc, CNI) and the busybox test image, shared by the node
    agent's tests; skipped where runc cannot run. Stopped and cleaned (containers, mounts, network
    namespaces, cgroups, bridge) at the end of the session, also after failures."""
    from node_cluster import NodeCluster, started_with_runc

    yield from started_with_runc(lambda: NodeCluster(kyvern_bin))
