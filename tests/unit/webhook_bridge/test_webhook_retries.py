"""RetryWindow: an untimed body keeps its first arrival time within the window, and only within it."""

from __future__ import annotations

from clients.webhook_bridge.retries import RetryWindow

S = 1_000_000_000


def test_a_retry_within_the_window_gets_the_first_arrival_back() -> None:
    window = RetryWindow(window_ns=300 * S)
    assert window.first_seen(b'{"action":"buy"}', 1000 * S) == 1000 * S
    assert window.first_seen(b'{"action":"buy"}', 1200 * S) == 1000 * S  # TradingView re-sent the same bytes
    assert window.first_seen(b'{"action":"sell"}', 1200 * S) == 1200 * S  # other bytes: another alert


def test_after_the_window_the_same_body_is_a_new_alert() -> None:
    window = RetryWindow(window_ns=300 * S)
    window.first_seen(b"same", 1000 * S)
    assert window.first_seen(b"same", 1301 * S) == 1301 * S


def test_the_memory_is_bounded_oldest_first() -> None:
    window = RetryWindow(window_ns=300 * S, max_entries=2)
    window.first_seen(b"a", 1 * S)
    window.first_seen(b"b", 2 * S)
    window.first_seen(b"c", 3 * S)  # forgets "a"
    assert window.first_seen(b"b", 4 * S) == 2 * S
    assert window.first_seen(b"a", 5 * S) == 5 * S
