#!/usr/bin/env python3
"""Generates the Swift protobuf messages and gRPC clients of the Kubernetes CRI v1 API for KyvernRuntimeCRI.

The input is `pkg/apis/runtime/v1/api.proto` of k8s.io/cri-api (https://github.com/kubernetes/cri-api),
one file holding both services (runtime.v1.RuntimeService and runtime.v1.ImageService). Before generating,
the script removes the comments, the Go package option and the `debug_redact` field options (printing hints only,
unknown to older protoc), so the committed code holds only wire
definitions; the commit of cri-api used is recorded in Generated/CRI_API_COMMIT.

Needs `protoc` (Debian: protobuf-compiler) and the two plugins, built from the Swift packages this
repository already depends on (from the repository root):
    swift build --product protoc-gen-swift && swift build --product protoc-gen-grpc-swift-2

Usage:
    scripts/generate-cri-grpc.py --proto ../cri-api/pkg/apis/runtime/v1/api.proto --commit <sha> \\
        --plugins .build/debug
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources" / "KyvernRuntimeCRI" / "Generated"


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*$", "", line) for line in text.splitlines())


def clean(text: str) -> str:
    text = strip_comments(text)
    text = re.sub(r"option\s+go_package\s*=\s*[^;]*;", "", text)
    # debug_redact (on registry credentials) only affects Go's printing, and Debian's protoc predates it.
    text = re.sub(r"\s*\[\s*debug_redact\s*=\s*true\s*\]", "", text)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"\n\s*\n+", "\n", text)
    return text.strip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proto", required=True, help="cri-api's pkg/apis/runtime/v1/api.proto")
    ap.add_argument("--commit", default="", help="the cri-api commit the proto comes from, recorded beside the code")
    ap.add_argument("--plugins", required=True, help="directory holding protoc-gen-swift and protoc-gen-grpc-swift-2")
    args = ap.parse_args()
    plugins = pathlib.Path(args.plugins).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        include = pathlib.Path(tmp)
        dest = include / "runtime" / "v1" / "api.proto"
        dest.parent.mkdir(parents=True)
        dest.write_text(clean(pathlib.Path(args.proto).read_text()))
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.swift"):
            old.unlink()
        common = [f"-I{include}", f"--plugin=protoc-gen-swift={plugins / 'protoc-gen-swift'}",
                  f"--plugin=protoc-gen-grpc-swift={plugins / 'protoc-gen-grpc-swift-2'}"]
        subprocess.run(["protoc", *common, f"--swift_out={OUT}",
                        "--swift_opt=Visibility=Package,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true",
                        "runtime/v1/api.proto"], check=True)
        subprocess.run(["protoc", *common, f"--grpc-swift_out={OUT}",
                        "--grpc-swift_opt=Visibility=Package,Server=false,Client=true,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true",
                        "runtime/v1/api.proto"], check=True)
    if args.commit:
        (OUT / "CRI_API_COMMIT").write_text(args.commit.strip() + "\n")
    for f in sorted(OUT.glob("*.swift")):
        print(f"{f.relative_to(ROOT)}: {sum(1 for _ in f.open())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
