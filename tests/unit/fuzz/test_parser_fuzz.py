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
