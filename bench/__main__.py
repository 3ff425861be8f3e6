"""`python -m bench [name ...]`: run benchmarks and print figures with the machine they ran on."""

from __future__ import annotations

import importlib
import sys

from bench.machine import describe

BENCHMARKS = (
    "pipeline",
    "persistence",
    "streaming",
    "memory",
    "frames",
    "webhook",
    "execution",
    "risk",
    "kernel",
    "tick_import",
    "analytics",
    "journal_screen",
    "access",
    "copying",
    "copy_brokers",
    "strategies",
    "backtest",
    "sweep",
    "soak",
    "live_soak",
    "fuzz",
    "broker_reconcile",
)


def main(argv: list[str]) -> None:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {unknown}; choose from {', '.join(BENCHMARKS)}")
    print(f"machine: {describe()}")
    for name in names:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
