"""The HorizontalPodAutoscaler flags of `kyvern server` and `kyvern controller-manager`, under upstream's
names: listed in --help, and a bad value refused before anything starts, naming the flag."""
from __future__ import annotations

import subprocess

import pytest

FLAGS = ("--horizontal-pod-autoscaler-sync-period", "--horizontal-pod-autoscaler-tolerance",
         "--horizontal-pod-autoscaler-downscale-stabilization")


@pytest.mark.parametrize("command", ["server", "controller-manager"])
def test_the_autoscaler_flags_are_listed(kyvern_bin, command):
    out = subprocess.run([str(kyvern_bin), command, "--help"], capture_output=True, text=True, timeout=30).stdout
    for flag in FLAGS:
        assert flag in out, (flag, out)


@pytest.mark.parametrize("flag,value,says", [
    ("--horizontal-pod-autoscaler-tolerance", "-0.5", "--horizontal-pod-autoscaler-tolerance must not be negative"),
    ("--horizontal-pod-autoscaler-sync-period", "soon", "--horizontal-pod-autoscaler-sync-period: not a positive duration: soon"),
    ("--horizontal-pod-autoscaler-downscale-stabilization", "later",
     "--horizontal-pod-autoscaler-downscale-stabilization: not a duration: later"),
])
def test_a_bad_autoscaler_flag_is_refused_by_name(kyvern_bin, tmp_path, flag, value, says):
    r = subprocess.run([str(kyvern_bin), "controller-manager", "--kubeconfig", str(tmp_path / "none.yaml"),
                        f"{flag}={value}"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert says in r.stderr, r.stderr
