"""The long parser fuzz: the targets of tests/unit/fuzz (tests/kit/fuzz.py) with many more examples each.

Every broker frame parser and the webhook body and alert parsers take random, extreme and malformed input; any
error other than the parser's documented one is printed with the input and counted. The figures are the examples
run per target, their rate, and the slowest single example (a parser that hangs shows here, or never returns).
VIGIL_FUZZ_EXAMPLES sets the examples per target (default 5,000).
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kit.fuzz import TARGETS, Target, check

EXAMPLES = int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "5000"))


def run(target: Target, examples: int) -> tuple[int, float, float, int]:
    """(examples run, seconds, slowest example in seconds, failures)."""
    stats = {"count": 0, "slowest": 0.0, "failures": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        value = data.draw(target.inputs)
        started = time.perf_counter()
        try:
            check(target, value)
        except Exception:
            stats["failures"] += 1
            if stats["failures"] <= 3:
                print(f"  {target.name}: {repr(value)[:300]}\n{traceback.format_exc(limit=4)}")
        finally:
            stats["count"] += 1
            stats["slowest"] = max(stats["slowest"], time.perf_counter() - started)

    started = time.perf_counter()
    fuzz()
    return stats["count"], time.perf_counter() - started, stats["slowest"], stats["failures"]


def main() -> None:
    print(f"parser fuzz: {EXAMPLES:,} examples per target")
    total_failures = 0
    for target in TARGETS:
        count, seconds, slowest, failures = run(target, EXAMPLES)
        total_failures += failures
        print(
            f"  {target.name:28} {count:>7,} examples  {count / seconds:>8,.0f}/s  "
            f"slowest {slowest * 1000:>7.1f} ms  failures {failures}"
        )
    print(f"  parser fuzz: {'OK' if total_failures == 0 else f'{total_failures} FAILURES'}")
