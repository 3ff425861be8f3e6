"""Fixtures for the feed tests."""

from __future__ import annotations

import pytest

from core_server.model.clock import TestClock
from tests.unit.feeds.feed_fakes import START_NS, RecordingSink


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START_NS)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
