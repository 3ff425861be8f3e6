"""What a periodic reconciliation reads of a broker's history: ProjectX's creation-time window and Tradovate's
orders named by the socket (core_server/brokers/history_window.py)."""

from __future__ import annotations

from core_server.brokers.history_window import CLOCK_MARGIN_NS, ChangedOrders, CreationWindow, created_ns
from core_server.model.clock import NS_PER_SECOND

T0 = 1_796_000_000 * NS_PER_SECOND
ACCOUNT = 465


def test_created_ns_reads_the_gateways_stamps_and_refuses_what_it_cannot_read() -> None:
    assert created_ns("2025-04-21T19:45:52.105808+00:00") == created_ns("2025-04-21T19:45:52.105808Z")
    seven = created_ns("2025-04-21T19:45:52.1058089+00:00")  # .NET's seven digits: cut, never rounded up
    six = created_ns("2025-04-21T19:45:52.105808+00:00")
    assert seven is not None and seven == six
    assert created_ns("2025-04-21T19:45:52") == created_ns("2025-04-21T19:45:52+00:00")  # no offset: UTC
    for unreadable in (None, "", "yesterday", 17):
        assert created_ns(unreadable) is None


def test_a_creation_window_starts_at_the_oldest_open_order_or_the_read_less_the_clock_margin() -> None:
    window = CreationWindow()
    assert window.start_ns(ACCOUNT) is None  # never read: a full read
    window.advance(ACCOUNT, T0, [])
    assert window.start_ns(ACCOUNT) == T0 - CLOCK_MARGIN_NS
    resting_since = T0 - 2 * 86_400 * NS_PER_SECOND
    window.advance(ACCOUNT, T0 + NS_PER_SECOND, [T0, resting_since])
    assert window.start_ns(ACCOUNT) == resting_since  # the order open at this read stays inside the next window
    window.advance(ACCOUNT, T0 + 2 * NS_PER_SECOND, [T0, None])
    assert window.start_ns(ACCOUNT) is None  # an open order of unknown age: the next read is full
    assert window.start_ns(ACCOUNT + 1) is None


def test_changed_orders_reads_the_open_and_the_named_while_one_socket_stays_open() -> None:
    changes = ChangedOrders()
    changes.socket_opened()
    socket, wanted = changes.begin(ACCOUNT, incremental=True)
    assert wanted is None  # no full read on this socket yet
    changes.finish(ACCOUNT, socket, [8001])
    changes.named(8005, [ACCOUNT])
    socket, wanted = changes.begin(ACCOUNT, incremental=True)
    assert wanted == {8001, 8005}
    changes.named(8009, [ACCOUNT])  # arrives during the read: kept for the next one
    changes.finish(ACCOUNT, socket, [])
    socket, wanted = changes.begin(ACCOUNT, incremental=True)
    assert wanted == {8009}
    changes.finish(ACCOUNT, socket, [])
    assert changes.begin(ACCOUNT, incremental=True)[1] == frozenset()  # nothing open, nothing named: read nothing


def test_changed_orders_needs_a_full_read_after_a_new_socket_or_an_unfinished_read() -> None:
    changes = ChangedOrders()
    changes.socket_opened()
    socket, _ = changes.begin(ACCOUNT, incremental=False)
    changes.finish(ACCOUNT, socket, [8001])
    changes.socket_opened()  # a reconnect: events may have been missed
    socket, wanted = changes.begin(ACCOUNT, incremental=True)
    assert wanted is None
    changes.finish(ACCOUNT, socket, [8001])
    changes.named(8002, [ACCOUNT])
    changes.begin(ACCOUNT, incremental=True)  # this read fails: 8002's event was taken by it
    assert changes.begin(ACCOUNT, incremental=True)[1] is None


def test_peeking_at_the_changed_orders_for_an_open_check_leaves_them_for_the_next_history_read() -> None:
    changed = ChangedOrders()
    changed.socket_opened()
    assert changed.peek(7) is None  # no history read on this socket yet: list every order
    socket, wanted = changed.begin(7, incremental=True)
    assert wanted is None
    changed.finish(7, socket, [1])
    changed.named(2, [7])
    assert changed.peek(7) == {1, 2}
    assert changed.peek(7) == {1, 2}  # peeking took nothing
    assert changed.begin(7, incremental=True)[1] == {1, 2}
    changed.finish(7, socket, [])
    changed.socket_opened()  # events of the gap may be missing
    assert changed.peek(7) is None
