"""Test images and a local registry, from Debian packages only (no network).

- `build_busybox_layout(dir)`: an OCI image layout holding Debian's busybox-static (`/bin/busybox`, a few
  applet symlinks, a gzipped layer, a config with Cmd ["sh"]).
- `write_docker_archive(layout, path)`: the same image as a `docker save` tar.
- `Registry`: Debian's docker-registry on a free 127.0.0.1 port (optionally with htpasswd Basic auth),
  filled with skopeo; stopped and its storage removed by `stop()`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from e2e_harness import stop_process

BUSYBOX = Path("/bin/busybox")
# tar (kubectl cp runs it in the container), tty/stty (exec -it), mkdir/head/date: symlinks, no size cost.
APPLETS = ("sh", "ls", "cat", "echo", "sleep", "true", "false", "ps", "env", "wget", "id", "tar", "mkdir",
           "tty", "stty", "head", "date", "httpd", "nslookup", "nc", "hostname", "seq", "grep", "sort", "uniq", "wc",
           "timeout")
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def have_tools(*names: str) -> bool:
    return all(shutil.which(n) or Path(n).exists() for n in names)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tar_bytes(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _dir(name: str) -> tarfile.TarInfo:
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.mtime = tarfile.DIRTYPE, 0o755, 0
    return i


def busybox_layer_tar(extra: list[tuple[tarfile.TarInfo, bytes | None]] = ()) -> bytes:
    """The uncompressed layer: /bin/busybox, applet symlinks, /tmp, /etc/passwd, plus `extra` entries."""
    data = BUSYBOX.read_bytes()
    entries: list[tuple[tarfile.TarInfo, bytes | None]] = [(_dir("bin"), None)]
    bb = tarfile.TarInfo("bin/busybox")
    bb.mode, bb.size, bb.mtime = 0o755, len(data), 0
    entries.append((bb, data))
    for applet in APPLETS:
        link = tarfile.TarInfo(f"bin/{applet}")
        link.type, link.linkname, link.mode, link.mtime = tarfile.SYMTYPE, "busybox", 0o777, 0
        entries.append((link, None))
    tmp = _dir("tmp")
    tmp.mode = 0o1777
    entries += [(_dir("etc"), None), (tmp, None)]
    passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
    p = tarfile.TarInfo("etc/passwd")
    p.mode, p.size, p.mtime = 0o644, len(passwd), 0
    entries.append((p, passwd))
    entries += list(extra)
    return _tar_bytes(entries)


def _write_blob(layout: Path, data: bytes) -> dict:
    digest = sha256(data)
    path = layout / "blobs" / "sha256" / digest.split(":", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def build_layout(layout: Path, layers: list[bytes], name: str | None = "docker.io/library/busybox:e2e",
                 cmd: tuple[str, ...] = ("sh",), claimed_diff_ids: list[str] | None = None) -> dict:
    """Writes an OCI image layout of `layers` (uncompressed tars, bottom first, gzipped here).
    `claimed_diff_ids` puts other diffIDs in the config than the layers have (a lying image).
    Returns {"manifest": digest, "config": digest, "layers": [compressed digests], "diff_ids": [...]}."""
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    descriptors, diff_ids = [], []
    for tar in layers:
        diff_ids.append(sha256(tar))
        gz = gzip.compress(tar, mtime=0)
        descriptors.append({"mediaType": LAYER_TYPE, **_write_blob(layout, gz)})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": list(cmd)},
        "rootfs": {"type": "layers", "diff_ids": claimed_diff_ids or diff_ids},
    }
    config_desc = {"mediaType": CONFIG_TYPE, **_write_blob(layout, json.dumps(config).encode())}
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": config_desc, "layers": descriptors}
    manifest_desc = {"mediaType": MANIFEST_TYPE, **_write_blob(layout, json.dumps(manifest).encode())}
    if name:
        manifest_desc["annotations"] = {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [manifest_desc]}
    (layout / "index.json").write_text(json.dumps(index))
    return {"manifest": manifest_desc["digest"], "config": config_desc["digest"],
            "layers": [d["digest"] for d in descriptors], "diff_ids": diff_ids, "layer_sizes": [d["size"] for d in descriptors],
            "size": config_desc["size"] + sum(d["size"] for d in descriptors)}


def build_busybox_layout(layout: Path, name: str | None = "docker.io/library/busybox:e2e") -> dict:
    return build_layout(layout, [busybox_layer_tar()], name=name)


def tar_directory(directory: Path, path: Path) -> Path:
    """A tar of an OCI layout directory (what `kyvern image import FILE` also accepts)."""
    with tarfile.open(path, "w") as tar:
        for child in sorted(directory.iterdir()):
            tar.add(child, arcname=child.name)
    return path


def write_docker_archive(layout: Path, path: Path, repo_tag: str = "busybox:e2e-docker") -> Path:
    """The image of a one-image OCI layout, as `docker save` writes it (uncompressed layers)."""
    index = json.loads((layout / "index.json").read_text())
    blob = lambda d: (layout / "blobs" / "sha256" / d.split(":", 1)[1]).read_bytes()  # noqa: E731
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    config = blob(manifest["config"]["digest"])
    members: list[tuple[str, bytes]] = [(manifest["config"]["digest"].split(":", 1)[1] + ".json", config)]
    layer_paths = []
    for layer in manifest["layers"]:
        tar = gzip.decompress(blob(layer["digest"]))
        folder = hashlib.sha256(tar).hexdigest()
        members.append((f"{folder}/layer.tar", tar))
        layer_paths.append(f"{folder}/layer.tar")
    members.append(("manifest.json", json.dumps([{"Config": members[0][0], "RepoTags": [repo_tag], "Layers": layer_paths}]).encode()))
    with tarfile.open(path, "w") as out:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            out.addfile(info, io.BytesIO(data))
    return path


def corrupt_blob(layout: Path, digest: str) -> None:
    """Flips one byte in the middle of a blob, keeping its name and size."""
    path = layout / "blobs" / "sha256" / digest.split(":", 1)[1]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@dataclass
class Registry:
    """Debian's docker-registry (distribution 2.8) on 127.0.0.1:<free port>; `htpasswd` = {user: password}
    turns on Basic auth. Use as a context manager or call stop()."""

    htpasswd: dict[str, str] = field(default_factory=dict)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kyvern-registry-")))
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def storage(self) -> Path:
        return self.root / "storage"

    def start(self) -> "Registry":
        auth = ""
        if self.htpasswd:
            import crypt  # bcrypt ($2b$) hashes through libxcrypt; distribution accepts only bcrypt

            lines = [f"{u}:{crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH))}" for u, p in self.htpasswd.items()]
            (self.root / "htpasswd").write_text("\n".join(lines) + "\n")
            auth = f"auth:\n  htpasswd:\n    realm: kyvern-e2e\n    path: {self.root / 'htpasswd'}\n"
        (self.root / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {self.storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n{auth}")
        self.log = open(self.root / "registry.log", "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(self.root / "config.yml")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"docker-registry did not listen on {self.host}: {self.log_tail()}")

    def push_layout(self, layout: Path, repo_tag: str, creds: tuple[str, str] | None = None) -> None:
        """skopeo copy of a one-image OCI layout to <registry>/<repo_tag>, keeping its manifest bytes."""
        argv = ["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false", "--preserve-digests",
                f"oci:{layout}", f"docker://{self.host}/{repo_tag}"]
        if creds:
            argv.insert(-2, f"--dest-creds={creds[0]}:{creds[1]}")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"skopeo copy failed ({r.returncode}): {r.stderr}")

    def blob_file(self, digest: str) -> Path:
        hexd = digest.split(":", 1)[1]
        return self.storage / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexd[:2] / hexd / "data"

    def log_tail(self) -> str:
        try:
            return (self.root / "registry.log").read_text()[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Registry":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":  # build a layout by hand: python tests/e2e/images.py DIR
    import sys

    print(json.dumps(build_busybox_layout(Path(sys.argv[1])), indent=2))
