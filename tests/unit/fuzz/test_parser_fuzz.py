"""Every broker frame parser and the webhook body parser, fuzzed: random, extreme and malformed input only ever
raises the parser's documented error (which its caller counts and logs before going on), never anything else.

The targets live in tests/kit/fuzz.py; `python -m bench fuzz` runs the same targets for much longer.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kit.fuzz import TARGETS, Target, check

SHORT = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    database=None,
)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
@SHORT
@given(data=st.data())
def test_a_parser_raises_only_its_documented_error(target: Target, data: Any) -> None:
    check(target, data.draw(target.inputs, label=target.name))


def test_the_inputs_the_fuzz_found_are_each_the_parsers_own_error() -> None:
    """Regressions: a nesting bomb, a number Decimal cannot hold, a huge integral price count, a list as an id."""
    by_name = {t.name: t for t in TARGETS}
    cases = {
        "tradovate.frame": ["a" + "[" * 5000 + "]" * 5000, "a[1E+99999999999]", "c[1E+99999999999]"],
        "tradovate.md": ['{"quotes":[{"contractId":[],"entries":{}}]}'],
        "tradovate.chart": [
            '{"bp":1,"bt":1E+999999,"ts":0.25,"tks":[]}',
            '{"bp":1,"bt":1,"ts":0.25,"tks":[{"p":1,"t":1,"s":1E+999999}]}',
        ],
        "tradovate.chart_event": ['{"charts":[{"id":[]}]}'],
        "projectx.signalr": ["[" * 5000 + "]" * 5000 + "\x1e"],
        "brokers.tradovate_rest": ["true", '[{"accountId":1,"netPos":[1]}]'],
        "brokers.projectx_user_hub": ["[" * 5000 + "]" * 5000],
        "brokers.projectx_rest": ['{"orders":[{"size":[null]}]}', '{"positions":[{"size":"x"}]}'],
    }
    for name, inputs in cases.items():
        for value in inputs:
            check(by_name[name], value)
