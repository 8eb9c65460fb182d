#!/usr/bin/env python3
"""Generates the Swift protobuf messages and gRPC client of etcd's v3 API for KyvernStoreEtcd.

The input is a checkout of etcd (https://github.com/etcd-io/etcd) — its `api/etcdserverpb/rpc.proto`,
`api/mvccpb/kv.proto` and `api/authpb/auth.proto`. Before generating, the script removes what only
etcd's Go build and HTTP gateway use (gogoproto, google.api.http, openapiv2 and etcd version options and
their imports), the comments, and the services Kyvern does not call (Cluster, Auth), so the committed
code holds only wire definitions.

Needs `protoc` (Debian: protobuf-compiler) and the two plugins, built from the Swift packages this
repository depends on:
    git clone https://github.com/grpc/grpc-swift-protobuf -b 2.4.1 && cd grpc-swift-protobuf
    swift build --product protoc-gen-grpc-swift-2 && swift build --product protoc-gen-swift

Usage:
    scripts/generate-etcd-grpc.py --etcd-src ../etcd --plugins ../grpc-swift-protobuf/.build/debug
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources" / "KyvernStoreEtcd" / "Generated"
FILES = ["api/etcdserverpb/rpc.proto", "api/mvccpb/kv.proto", "api/authpb/auth.proto"]
DROPPED_SERVICES = {"Cluster", "Auth"}
DROPPED_IMPORTS = ("gogoproto/", "google/api/", "etcd/api/versionpb/", "protoc-gen-openapiv2/")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*$", "", line) for line in text.splitlines())


def remove_block_options(text: str) -> str:
    """Removes `option (custom) = { ... };`, braces balanced."""
    out, i = [], 0
    pattern = re.compile(r"option\s*\([^)]*\)\s*=\s*\{")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if text[j:j + 1] == ";":
            j += 1
        i = j


def remove_services(text: str, names: set[str]) -> str:
    for name in names:
        m = re.search(r"service\s+" + name + r"\s*\{", text)
        if not m:
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        text = text[:m.start()] + text[j:]
    return text


def clean(text: str) -> str:
    text = strip_comments(text)
    text = "\n".join(
        line for line in text.splitlines()
        if not (line.strip().startswith("import") and any(d in line for d in DROPPED_IMPORTS)))
    text = remove_block_options(text)
    text = re.sub(r"option\s*\([^)]*\)\s*=\s*[^;{]*;", "", text)
    text = re.sub(r"option\s+go_package\s*=\s*[^;]*;", "", text)
    text = re.sub(r"\s*\[\s*\([^\]]*\]", "", text)  # field options of custom extensions
    text = remove_services(text, DROPPED_SERVICES)
    text = re.sub(r"\n\s*\n+", "\n", text)
    return text.strip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--etcd-src", required=True, help="a checkout of etcd")
    ap.add_argument("--plugins", required=True, help="directory holding protoc-gen-swift and protoc-gen-grpc-swift-2")
    args = ap.parse_args()
    src = pathlib.Path(args.etcd_src)
    plugins = pathlib.Path(args.plugins)
    with tempfile.TemporaryDirectory() as tmp:
        include = pathlib.Path(tmp)
        for f in FILES:
            # etcd's files import each other as etcd/api/<pkg>/<file>
            dest = include / "etcd" / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(clean((src / f).read_text()))
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.swift"):
            old.unlink()
        protos = [f"etcd/{f}" for f in FILES]
        common = [f"-I{include}", f"--plugin=protoc-gen-swift={plugins / 'protoc-gen-swift'}",
                  f"--plugin=protoc-gen-grpc-swift={plugins / 'protoc-gen-grpc-swift-2'}"]
        subprocess.run(["protoc", *common, f"--swift_out={OUT}",
                        "--swift_opt=Visibility=Internal,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true",
                        *protos], check=True)
        subprocess.run(["protoc", *common, f"--grpc-swift_out={OUT}",
                        "--grpc-swift_opt=Visibility=Internal,Server=false,Client=true,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true",
                        "etcd/api/etcdserverpb/rpc.proto"], check=True)
    for f in sorted(OUT.glob("*.swift")):
        print(f"{f.relative_to(ROOT)}: {sum(1 for _ in f.open())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
