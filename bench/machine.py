"""What machine a figure was measured on: cores, CPU model, Python, date."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime


def describe() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    python = f"Python {sys.version.split()[0]} ({platform.python_implementation()})"
    system = f"{platform.system()} {platform.release()}"
    return f"{datetime.now(UTC):%Y-%m-%d} | {os.cpu_count()} cores, {model} | {python} | {system}"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def pin_to_core(core: int) -> None:
    """Run this process on one core, so 'per core' figures mean what they say."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})
