"""The working orders of each broker account as the ProjectX user hub reports them, so closing a contract can skip
its `Order/searchOpen` read when the hub has shown there is nothing to cancel.

Closing a contract first cancels the account's working orders in it (a resting stop left behind a closed position
could open a new one), which needs to know them. Reading them (`Order/searchOpen`) costs a round trip before the
close, on the critical path of a copy group's fan-out. The user hub pushes every order change
(GatewayUserOrder: id, accountId, contractId, status), so the working set can be kept as the events come, and
trusted only when nothing may be missing from it:
- a `searchOpen` read of the account (a baseline) was taken on the current hub session, which is still open:
  events may be missed while it is down, so a drop untrusts every account until its next read after reconnecting;
- Vigil never placed a bracket entry on the account and contract: the gateway makes the legs only when the entry
  fills, maybe long after any read, and their events may trail the fill; such a contract is read at every close.
An order is dropped from the set only on a final status; an unknown status keeps it. An order Vigil placed joins
at its acknowledgement unless the hub already reported it final (its event may come first). Stale entries only
cost a cancel the gateway refuses or a read; what could be missed is an order placed outside Vigil in the
milliseconds before a close whose event had not arrived yet, which the next reconciliation reports as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

FINAL = frozenset({2, 3, 4, 5})  # Filled, Cancelled, Expired, Rejected (PROTOCOLS.md §2.6 OrderStatus)
FINISHED_MEMORY = 10_000  # order ids reported final, remembered so a late acknowledgement cannot bring one back


@dataclass
class _Account:
    working: dict[int, str] = field(default_factory=dict)  # order id -> contract id
    baseline_session: int = -1  # the hub session of the last searchOpen read (-1: none)
    brackets: set[str] = field(default_factory=set)  # contracts Vigil placed a bracket entry in
    reading: int = 0  # searchOpen reads in progress
    seen_while_reading: dict[int, str] = field(default_factory=dict)


class OrderWatch:
    """Per broker account (the gateway's account number): working orders from the hub and Vigil's placements."""

    def __init__(self) -> None:
        self._session = 0
        self._accounts: dict[int, _Account] = {}
        self._finished: dict[int, None] = {}

    def _account(self, account: int) -> _Account:
        return self._accounts.setdefault(account, _Account())

    def hub_changed(self) -> None:
        """The hub closed or a new session opened: what it did not deliver is unknown until each account is read
        again on the new session."""
        self._session += 1

    def event(self, account: int, order_id: int, contract_id: str, status: object) -> None:
        """A GatewayUserOrder event."""
        state = self._account(account)
        if status in FINAL:
            state.working.pop(order_id, None)
            state.seen_while_reading.pop(order_id, None)
            self._finished[order_id] = None
            if len(self._finished) > FINISHED_MEMORY:
                del self._finished[next(iter(self._finished))]
        else:
            state.working[order_id] = contract_id
            if state.reading:
                state.seen_while_reading[order_id] = contract_id

    def placed(self, account: int, order_id: int, contract_id: str, *, bracket: bool) -> None:
        """Vigil's order was acknowledged by the gateway."""
        state = self._account(account)
        if order_id not in self._finished:
            state.working[order_id] = contract_id
        if bracket:
            state.brackets.add(contract_id)

    def read_started(self, account: int) -> int:
        """A searchOpen read of the account begins; returns the hub session it began in."""
        state = self._account(account)
        state.reading += 1
        return self._session

    def read_finished(self, account: int, session: int, working: Iterable[tuple[int, str]] | None) -> None:
        """The read begun in `session` ended with these working orders (None: it failed). Orders the hub reported
        working meanwhile are kept (the read may predate them); a final status reported meanwhile removed them."""
        state = self._account(account)
        state.reading -= 1
        if working is None:
            if not state.reading:
                state.seen_while_reading.clear()
            return
        found = {order_id: contract for order_id, contract in working if order_id not in self._finished}
        found.update(state.seen_while_reading)
        if not state.reading:
            state.seen_while_reading.clear()
        state.working = found
        if session == self._session:
            state.baseline_session = session

    def working_in(self, account: int, contract_id: str) -> list[int] | None:
        """The account's working orders in the contract, or None when the watch cannot vouch for them (read)."""
        state = self._accounts.get(account)
        if state is None or state.baseline_session != self._session or contract_id in state.brackets:
            return None
        return sorted(order_id for order_id, contract in state.working.items() if contract == contract_id)
