"""`kyvern image import|ls|rm|pull` end to end: a busybox image built from Debian's busybox-static,
imported as an OCI layout (directory and tar) and as a `docker save` archive, and pulled from Debian's
docker-registry on 127.0.0.1 (plain and with Basic auth)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from e2e_harness import kyvern_binary
from images import (Registry, build_busybox_layout, build_layout, busybox_layer_tar, corrupt_blob, have_tools,
                    tar_directory, write_docker_archive)

pytestmark = pytest.mark.skipif(not have_tools("/bin/busybox", "docker-registry", "skopeo", "tar", "gzip"),
                                reason="needs busybox-static, docker-registry, skopeo (apt)")


def kyvern_image(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(kyvern_binary()), "image", *args, "--data-dir", str(data)],
                       capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"kyvern image {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def human_size(n: int) -> str:
    value, unit = float(n), 0
    units = ["B", "kB", "MB", "GB"]
    while value >= 1000 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    return f"{value:.3g}{units[unit]}"


def ls_rows(data: Path) -> list[list[str]]:
    lines = kyvern_image(data, "ls").stdout.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    return [line.split() for line in lines[1:]]


def store_listing(data: Path) -> tuple[list[str], list[str]]:
    root = data / "images"
    return sorted(os.listdir(root / "blobs" / "sha256")), sorted(os.listdir(root / "layers"))


@pytest.fixture
def work(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def layout(work) -> tuple[Path, dict]:
    path = work / "layout"
    return path, build_busybox_layout(path)


@pytest.fixture
def registry():
    r = Registry().start()
    try:
        yield r
    finally:
        r.stop()


def test_import_oci_layout_directory_lists_it(work, layout):
    path, info = layout
    data = work / "data"
    r = kyvern_image(data, "import", str(path))
    assert r.stdout == f"imported docker.io/library/busybox:e2e ({info['config']})\n"
    short = info["config"].split(":")[1][:12]
    assert ls_rows(data) == [["docker.io/library/busybox", "e2e", short, human_size(info["size"])]]
    assert kyvern_image(data, "ls", "-q").stdout == info["config"] + "\n"
    blobs, layers = store_listing(data)
    assert blobs == sorted(d.split(":")[1] for d in [info["manifest"], info["config"], *info["layers"]])
    assert layers == [info["diff_ids"][0].split(":")[1]]
    rootfs = data / "images" / "layers" / layers[0]
    assert (rootfs / "bin" / "busybox").read_bytes() == Path("/bin/busybox").read_bytes()
    assert os.readlink(rootfs / "bin" / "sh") == "busybox"
    # Imported twice: same image, nothing new.
    kyvern_image(data, "import", str(path))
    assert store_listing(data) == (blobs, layers)


def test_import_layout_tar_and_docker_save_archive(work, layout):
    path, info = layout
    data = work / "data"
    kyvern_image(data, "import", str(tar_directory(path, work / "layout.tar")), "--name", "127.0.0.1:5000/tools/busybox:1.36")
    r = kyvern_image(data, "import", str(write_docker_archive(path, work / "docker.tar", "busybox:saved")))
    assert r.stdout == f"imported docker.io/library/busybox:saved ({info['config']})\n"
    short = info["config"].split(":")[1][:12]
    rows = ls_rows(data)
    assert [row[:3] for row in rows] == [["127.0.0.1:5000/tools/busybox", "1.36", short],
                                         ["docker.io/library/busybox", "saved", short]]
    # Same config, same layer: one unpacked layer for both names.
    assert store_listing(data)[1] == [info["diff_ids"][0].split(":")[1]]
    # Removing one name keeps the image; removing the last removes its content.
    assert kyvern_image(data, "rm", "busybox:saved").stdout == "deleted busybox:saved\n"
    assert [row[:2] for row in ls_rows(data)] == [["127.0.0.1:5000/tools/busybox", "1.36"]]
    assert store_listing(data)[1] != []
    kyvern_image(data, "rm", "127.0.0.1:5000/tools/busybox:1.36")
    assert ls_rows(data) == []
    assert store_listing(data) == ([], [])


def test_import_layout_named_only_by_tag_needs_a_name(work):
    path = work / "layout"
    build_busybox_layout(path, name=None)
    index = json.loads((path / "index.json").read_text())
    index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "1.36"}
    (path / "index.json").write_text(json.dumps(index))
    r = kyvern_image(work / "data", "import", str(path), check=False)
    assert r.returncode == 1
    assert r.stderr == (f"error: {path}: image {index['manifests'][0]['digest']} has no name "
                        f"(only the tag \"1.36\"): give it one with --name\n")
    kyvern_image(work / "data", "import", str(path), "--name", "busybox:1.36")
    assert [row[:2] for row in ls_rows(work / "data")] == [["docker.io/library/busybox", "1.36"]]


def test_corrupt_layer_is_rejected_on_import(work, layout):
    path, info = layout
    corrupt_blob(path, info["layers"][0])
    data = work / "data"
    r = kyvern_image(data, "import", str(path), check=False)
    assert r.returncode == 1
    layer = info["layers"][0]
    assert r.stderr.startswith(f"error: {path}: blob {layer}: unexpected commit digest sha256:")
    assert r.stderr.endswith(f", expected {layer}: failed precondition\n")
    assert ls_rows(data) == []
    assert store_listing(data)[1] == []
    assert os.listdir(data / "images" / "tmp") == []


def test_layer_whose_content_does_not_match_its_diff_id_is_rejected(work):
    path = work / "layout"
    wrong = "sha256:" + "0" * 64
    info = build_layout(path, [busybox_layer_tar()], claimed_diff_ids=[wrong])
    r = kyvern_image(work / "data", "import", str(path), check=False)
    assert r.returncode == 1
    assert r.stderr == (f"error: {path}: layer {wrong} does not match its content: uncompressed digest is "
                        f"{info['diff_ids'][0]}\n")
    assert ls_rows(work / "data") == []
    assert store_listing(work / "data")[1] == []


def test_not_an_image_archive(work):
    bogus = work / "bogus.tar"
    with tarfile.open(bogus, "w") as t:
        t.add(__file__, arcname="README")
    r = kyvern_image(work / "data", "import", str(bogus), check=False)
    assert r.returncode == 1
    assert r.stderr == (f"error: {bogus} is neither an OCI image layout (oci-layout, index.json) "
                        "nor a docker save archive (manifest.json)\n")
    r = kyvern_image(work / "data", "import", str(work / "missing"), check=False)
    assert (r.returncode, r.stderr) == (1, f"error: {work / 'missing'}: no such file or directory\n")


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteout devices and overlay mounts need root")
def test_whiteouts_hide_lower_files_in_an_overlay_mount(work):
    upper = [(tarfile.TarInfo("etc/.wh.passwd"), b"")]
    upper[0][0].size = 0
    path = work / "layout"
    info = build_layout(path, [busybox_layer_tar(), _tar_of(upper)], name="docker.io/library/whiteout:1")
    data = work / "data"
    kyvern_image(data, "import", str(path))
    top = data / "images" / "layers" / info["diff_ids"][1].split(":")[1]
    st = os.lstat(top / "etc" / "passwd")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    bottom = data / "images" / "layers" / info["diff_ids"][0].split(":")[1]
    mnt = work / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={top}:{bottom}", str(mnt)], check=True)
    try:
        assert (mnt / "bin" / "busybox").exists()
        assert not (mnt / "etc" / "passwd").exists()
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def _tar_of(entries) -> bytes:
    import io

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for info, content in entries:
            t.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def test_pull_from_local_registry_then_rm(work, layout, registry):
    path, info = layout
    registry.push_layout(path, "e2e/busybox:1.36")
    data = work / "data"
    ref = f"{registry.host}/e2e/busybox:1.36"
    r = kyvern_image(data, "pull", ref)
    assert r.stdout == f"Image is up to date for {info['config']}\n"
    short = info["config"].split(":")[1][:12]
    assert ls_rows(data) == [[f"{registry.host}/e2e/busybox", "1.36", short, human_size(info["size"])]]
    assert store_listing(data)[1] == [info["diff_ids"][0].split(":")[1]]
    # Pulling again fetches no blob: they are all present.
    kyvern_image(data, "pull", ref)
    # By digest too: the manifest skopeo pushed is the layout's, byte for byte.
    kyvern_image(data, "pull", f"{registry.host}/e2e/busybox@{info['manifest']}")
    assert ls_rows(data) == [[f"{registry.host}/e2e/busybox", "1.36", short, human_size(info["size"])]]
    assert kyvern_image(data, "rm", ref).stdout == f"deleted {ref}\n"
    # The digest reference still names it, until removed by id.
    assert [row[:2] for row in ls_rows(data)] == [[f"{registry.host}/e2e/busybox", "<none>"]]
    kyvern_image(data, "rm", short)
    assert ls_rows(data) == []
    assert store_listing(data) == ([], [])
    r = kyvern_image(data, "rm", ref, check=False)
    assert (r.returncode, r.stderr) == (1, f"error: image \"{ref}\" not found\n")


def test_pull_unknown_image_says_not_found(work, registry):
    data = work / "data"
    r = kyvern_image(data, "pull", f"{registry.host}/nosuch:1.0", check=False)
    ref = f"{registry.host}/nosuch:1.0"
    assert r.returncode == 1
    assert r.stderr == (f"error: failed to pull and unpack image \"{ref}\": failed to resolve reference \"{ref}\": "
                        f"{ref}: not found\n")
    r = kyvern_image(data, "pull", "Not/Valid", check=False)
    assert (r.returncode, r.stderr) == (1, "error: couldn't parse image name \"Not/Valid\": repository name must be lowercase\n")


def test_pull_from_unreachable_registry(work):
    from e2e_harness import free_port

    port = free_port()
    ref = f"127.0.0.1:{port}/busybox:latest"
    r = kyvern_image(work / "data", "pull", f"127.0.0.1:{port}/busybox", check=False)
    assert r.returncode == 1
    assert r.stderr == (f"error: failed to pull and unpack image \"{ref}\": failed to resolve reference \"{ref}\": "
                        f"failed to do request: Get \"http://127.0.0.1:{port}/v2/busybox/manifests/latest\": "
                        "connect: connection refused\n")


def test_corrupt_layer_in_registry_is_rejected(work, layout, registry):
    path, info = layout
    registry.push_layout(path, "e2e/busybox:bad")
    layer = info["layers"][0]
    blob = registry.blob_file(layer)
    raw = bytearray(blob.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    blob.write_bytes(bytes(raw))
    data = work / "data"
    ref = f"{registry.host}/e2e/busybox:bad"
    r = kyvern_image(data, "pull", ref, check=False)
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: failed to pull and unpack image \"{ref}\": failed commit on ref "
                               f"\"layer-{layer}\": unexpected commit digest sha256:")
    assert r.stderr.endswith(f", expected {layer}: failed precondition\n")
    assert ls_rows(data) == []
    assert layer.split(":")[1] not in store_listing(data)[0]


def test_pull_with_basic_auth_credentials(work, layout):
    pytest.importorskip("crypt")
    path, info = layout
    with Registry(htpasswd={"alice": "s3cret"}) as registry:
        registry.push_layout(path, "private/busybox:1", creds=("alice", "s3cret"))
        data = work / "data"
        ref = f"{registry.host}/private/busybox:1"
        denied = (f"error: failed to pull and unpack image \"{ref}\": failed to resolve reference \"{ref}\": "
                  "pull access denied, repository does not exist or may require authorization: "
                  "unauthorized: authentication required\n")
        r = kyvern_image(data, "pull", ref, check=False)
        assert (r.returncode, r.stderr) == (1, denied)
        r = kyvern_image(data, "pull", ref, "--creds", "alice:wrong", check=False)
        assert (r.returncode, r.stderr) == (1, denied)
        r = kyvern_image(data, "pull", ref, "--creds", "alice:s3cret")
        assert r.stdout == f"Image is up to date for {info['config']}\n"
        assert [row[:2] for row in ls_rows(data)] == [[f"{registry.host}/private/busybox", "1"]]
