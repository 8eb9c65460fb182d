"""CPU time of processes, read from /proc: benchmarks charge a component's CPU to the work it did."""
from __future__ import annotations

import math
import os
from pathlib import Path


def cpu_times(pid: int) -> tuple[float, float] | None:
    """(user, system) seconds of a process and its threads so far; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system seconds of a process so far; NaN when it is gone (a difference with it is NaN too)."""
    times = cpu_times(pid)
    return math.fsum(times) if times else float("nan")
