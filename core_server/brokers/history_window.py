"""What an incremental (periodic) reconciliation must read of a broker's order history, per broker account.

Reconciliation's catch-up needs, of the broker's history, every order that was open at the previous read or
appeared or changed since, with all of its fills; finished orders older than that cannot have changed. A full read
(at start, on every reconnect, on demand) is always correct; these marks let the periodic one read less.

`CreationWindow` (ProjectX): `Order/search` and `Trade/search` select by creation time (`startTimestamp`), so
the next read starts at the earliest creation time among the orders still open at this read, or at this read's
own start less a clock margin, whichever is earlier. By induction every order open at a read, or created after
it, falls inside the next window, and so do all of its fills (a fill is created after its order). An open order
whose creation time cannot be read leaves no mark (the next read is full); a read that did not finish leaves
the earlier mark, which is still early enough.

`ChangedOrders` (Tradovate, whose lists take no time filter): the trading socket's `user/syncrequest` events
name every order that was created or changed (order, orderVersion, command, executionReport and fill entities
carry its id). While one socket stays open after a full read, the orders to read are those open at the last read
plus those the events named since; a new socket (a reconnect, when events may have been missed), or a read that
did not finish (its events were taken), needs a full read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core_server.model.clock import NS_PER_SECOND, ns_from_datetime

CLOCK_MARGIN_NS = 300 * NS_PER_SECOND  # Vigil's clock may differ from the gateway's by this much


def created_ns(text: object) -> int | None:
    """A gateway creation timestamp (ISO 8601, offset or Z, any fraction) in UTC ns; None when unreadable.
    Digits past the microsecond are dropped, which only moves the time earlier (the window stays wide enough)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ns_from_datetime(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


class CreationWindow:
    """Per broker account: the creation time from which an incremental read sees every order that matters."""

    def __init__(self) -> None:
        self._start: dict[int, int] = {}

    def start_ns(self, account: int) -> int | None:
        """Where the next incremental read starts, or None when it must be a full read."""
        return self._start.get(account)

    def advance(self, account: int, read_started_ns: int, open_created: Iterable[int | None]) -> None:
        """A read that began at `read_started_ns` (Vigil's clock) finished; `open_created` holds the creation time
        (the gateway's clock) of every order it found open."""
        start = read_started_ns - CLOCK_MARGIN_NS
        for created in open_created:
            if created is None:
                self._start.pop(account, None)
                return
            start = min(start, created)
        self._start[account] = start


class ChangedOrders:
    """Per broker account: order ids the socket named since the last read, and the orders open at that read."""

    def __init__(self) -> None:
        self._socket = 0  # counts sockets opened: events from an earlier one may be missing
        self._read_on: dict[int, int] = {}  # account -> the socket its last full read saw the events of
        self._named: dict[int, set[int]] = {}
        self._open: dict[int, set[int]] = {}

    def socket_opened(self) -> None:
        self._socket += 1

    def named(self, order_id: int, accounts: Iterable[int]) -> None:
        """An event about `order_id` (whose account an event may not say: every account keeps it)."""
        for account in accounts:
            self._named.setdefault(account, set()).add(order_id)

    def begin(self, account: int, *, incremental: bool) -> tuple[int, frozenset[int] | None]:
        """Start a read: (its socket, the order ids to read), ids None for a full read. Events arriving during the
        read are kept for the next one."""
        named = self._named.pop(account, set())
        if not incremental or self._read_on.pop(account, None) != self._socket:
            return self._socket, None
        return self._socket, frozenset(named | self._open.get(account, set()))

    def peek(self, account: int) -> frozenset[int] | None:
        """The orders an incremental read would take now (those open at the last read and those named since),
        without taking the named ones; None when only a full read can be trusted (no finished read on this
        socket). For a check of the open orders that is not itself a history read."""
        if self._read_on.get(account) != self._socket:
            return None
        return frozenset(self._named.get(account, set()) | self._open.get(account, set()))

    def finish(self, account: int, socket: int, open_ids: Iterable[int]) -> None:
        """The read begun on `socket` finished and found `open_ids` open."""
        self._read_on[account] = socket
        self._open[account] = set(open_ids)
