"""Secrets encrypted at rest (`--encryption-provider-config`, `kyvern secrets-encrypt`): the raw bytes of
the datastore (SQLite file and its WAL, or etcd's data directory) never hold a Secret's value, while
kubectl reads it back, across a key rotation and a restart."""
from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

from e2e_harness import Cluster, KyvernProcess, ServerStartError, kyvern_binary
from etcd_cluster import EtcdCluster

CANARY = "kyvern-canary-plaintext-7f3a9c"
CONTROL = "kyvern-control-configmap-value-41d2"  # not encrypted: shows the grep sees stored values
KEY1 = base64.b64encode(bytes(range(32))).decode()


def write_config(path: Path) -> None:
    path.write_text(f"""apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: {KEY1}
      - identity: {{}}
""")


def raw_bytes(*roots: Path) -> bytes:
    """Every byte of every file under the given files/directories (the SQLite file, its -wal and -shm)."""
    out = bytearray()
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in paths:
            out += p.read_bytes()
    return bytes(out)


def sqlite_files(data: Path) -> list[Path]:
    return [p for p in (data / "state.db", data / "state.db-wal", data / "state.db-shm") if p.exists()]


def assert_no_plaintext(blob: bytes, where: str) -> None:
    for needle in (CANARY.encode(), base64.b64encode(CANARY.encode())):
        assert needle not in blob, f"{needle!r} found in {where}"


def secrets_encrypt(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(kyvern_binary()), "secrets-encrypt", *args, "--data-dir", str(data)],
                          capture_output=True, text=True, timeout=120)


def create_secrets(c: Cluster, ns: str, count: int) -> None:
    c.create_namespace(ns)
    for i in range(count):
        c.kubectl("create", "secret", "generic", f"s{i}", "-n", ns, f"--from-literal=password={CANARY}-{i}")


def read_passwords(c: Cluster, ns: str, count: int) -> list[str]:
    out = []
    for i in range(count):
        encoded = c.kubectl("get", "secret", f"s{i}", "-n", ns, "-o", "jsonpath={.data.password}").stdout.strip()
        out.append(base64.b64decode(encoded).decode())
    return out


def test_sqlite_secrets_encrypted_rotated_and_restarted(tmp_path: Path):
    data = tmp_path / "data"
    config = tmp_path / "encryption.yaml"
    write_config(config)
    ns, count = "enc-demo", 5
    expected = [f"{CANARY}-{i}" for i in range(count)]

    server = KyvernProcess(data, extra_args=("--encryption-provider-config", str(config)))
    server.start()
    try:
        c = Cluster(server, tmp_path / "client")
        # A ConfigMap is not configured: stored as written (the control for the grep).
        c.create_namespace("plain-demo")
        c.kubectl("create", "configmap", "cm", "-n", "plain-demo", f"--from-literal=v={CONTROL}")
        create_secrets(c, ns, count)
        assert read_passwords(c, ns, count) == expected
        yaml_out = c.kubectl("get", "secret", "s0", "-n", ns, "-o", "yaml").stdout
        assert base64.b64encode(f"{CANARY}-0".encode()).decode() in yaml_out

        blob = raw_bytes(*sqlite_files(data))
        assert_no_plaintext(blob, "state.db / -wal")
        assert b"k8s:enc:aescbc:v1:key1:" in blob
        assert CONTROL.encode() in blob  # the grep does see what is not encrypted

        st = secrets_encrypt(data, "status")
        assert st.returncode == 0, st.stderr
        assert "Encryption Status: Enabled" in st.stdout
        assert "Active Key: key1" in st.stdout
        assert f"aescbc:key1: {count}" in st.stdout

        r = secrets_encrypt(data, "rotate", "--batch-size", "2")
        assert r.returncode == 0, r.stderr
        assert f"done: {count} secrets rewritten under the new key" in r.stdout, r.stdout
        assert r.stdout.count("re-encrypted") == 3  # batches of 2, 2, 1: progress after each
        text = config.read_text()
        new_key = text.split("- name: ")[1].split("\n")[0].strip().strip('"')
        assert new_key.startswith("aescbckey-") and "key1" in text  # new first, old kept
        assert text.index(new_key) < text.index("key1")

        st = secrets_encrypt(data, "status")
        assert f"Active Key: {new_key}" in st.stdout
        assert f"aescbc:{new_key}: {count}" in st.stdout
        assert "aescbc:key1:" not in st.stdout

        blob = raw_bytes(*sqlite_files(data))
        assert_no_plaintext(blob, "state.db / -wal after rotation")
        assert f"k8s:enc:aescbc:v1:{new_key}:".encode() in blob
        assert read_passwords(c, ns, count) == expected
        c.close()
    finally:
        assert server.stop() == 0

    # Restarted on the rotated file: every value still reads, and new writes use the new key.
    server = KyvernProcess(data, port=server.port, extra_args=("--encryption-provider-config", str(config)))
    server.start()
    try:
        c = Cluster(server, tmp_path / "client2")
        assert read_passwords(c, ns, count) == expected
        c.kubectl("create", "secret", "generic", "after", "-n", ns, f"--from-literal=password={CANARY}-after")
        assert "Active Key: aescbckey-" in secrets_encrypt(data, "status").stdout
        blob = raw_bytes(*sqlite_files(data))
        assert_no_plaintext(blob, "state.db / -wal after restart")
        assert f"{CANARY}-after".encode() not in blob
        c.close()
    finally:
        assert server.stop() == 0


def test_plaintext_written_before_encryption_still_reads(tmp_path: Path):
    data = tmp_path / "data"
    config = tmp_path / "encryption.yaml"
    write_config(config)
    server = KyvernProcess(data)
    server.start()
    try:
        c = Cluster(server, tmp_path / "client")
        create_secrets(c, "before", 1)
        assert "Encryption Status: Disabled" in secrets_encrypt(data, "status").stdout
        r = secrets_encrypt(data, "rotate")
        assert r.returncode == 1 and "--encryption-provider-config" in r.stderr
        c.close()
    finally:
        assert server.stop() == 0
    assert CANARY.encode() in raw_bytes(*sqlite_files(data)) or \
        base64.b64encode(f"{CANARY}-0".encode()) in raw_bytes(*sqlite_files(data))

    server = KyvernProcess(data, port=server.port, extra_args=("--encryption-provider-config", str(config)))
    server.start()
    try:
        c = Cluster(server, tmp_path / "client2")
        assert read_passwords(c, "before", 1) == [f"{CANARY}-0"]
        st = secrets_encrypt(data, "status").stdout
        assert "identity: 1" in st
        # Rotation rewrites the plaintext Secret under the new key.
        r = secrets_encrypt(data, "rotate")
        assert r.returncode == 0, r.stderr
        st = secrets_encrypt(data, "status").stdout
        assert "identity:" not in st and ": 1" in st
        assert read_passwords(c, "before", 1) == [f"{CANARY}-0"]
        c.close()
    finally:
        assert server.stop() == 0


@pytest.mark.skipif(not os.path.exists(os.environ.get("ETCD", "/usr/bin/etcd")), reason="etcd not installed")
def test_etcd_data_directory_holds_no_plaintext(tmp_path: Path):
    config = tmp_path / "encryption.yaml"
    write_config(config)
    with EtcdCluster(1) as etcd:
        data = tmp_path / "data"
        server = KyvernProcess(data, extra_args=("--encryption-provider-config", str(config),
                                                 "--datastore-endpoint", etcd.endpoint))
        server.start()
        try:
            c = Cluster(server, tmp_path / "client")
            create_secrets(c, "etcd-enc", 3)
            assert read_passwords(c, "etcd-enc", 3) == [f"{CANARY}-{i}" for i in range(3)]
            r = secrets_encrypt(data, "rotate")
            assert r.returncode == 0, r.stderr
            assert read_passwords(c, "etcd-enc", 3) == [f"{CANARY}-{i}" for i in range(3)]
            c.close()
        finally:
            assert server.stop() == 0
        blob = raw_bytes(etcd.root)
        assert_no_plaintext(blob, "etcd's data directory")
        assert b"k8s:enc:aescbc:v1:key1:" in blob
        assert b"k8s:enc:aescbc:v1:aescbckey-" in blob


def test_invalid_configuration_stops_the_server_naming_the_field(tmp_path: Path):
    config = tmp_path / "encryption.yaml"
    config.write_text(f"""apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - identity: {{}}
      - secretbox:
          keys: [{{name: short, secret: {base64.b64encode(bytes(16)).decode()}}}]
""")
    server = KyvernProcess(tmp_path / "data", extra_args=("--encryption-provider-config", str(config)))
    with pytest.raises(ServerStartError) as failure:
        server.start(timeout=30)
    assert ("resources[0].providers[1].secretbox.keys[0].secret: Invalid value: \"REDACTED\": "
            "secret is not of the expected length, got 16, expected one of [32]") in str(failure.value)


def test_plaintext_without_identity_is_refused(tmp_path: Path):
    data = tmp_path / "data"
    server = KyvernProcess(data)
    server.start()
    try:
        c = Cluster(server, tmp_path / "client")
        create_secrets(c, "plain", 1)
        c.close()
    finally:
        assert server.stop() == 0
    config = tmp_path / "encryption.yaml"
    write_config(config)
    config.write_text(config.read_text().replace("      - identity: {}\n", ""))
    server = KyvernProcess(data, port=server.port, extra_args=("--encryption-provider-config", str(config)))
    with pytest.raises(ServerStartError) as failure:
        server.start(timeout=30)
    assert 'unable to transform key "/registry/core/secrets/plain/s0": no matching prefix found' in str(failure.value)
