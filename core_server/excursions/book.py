"""ExcursionBook: every tracked trade, indexed by contract, so a tick touches only its contract's trades.

Per contract the trackers are grouped by the price they read (last trade; bid for longs; ask for shorts),
and each group keeps the intersection of its trackers' quiet bands. A tick strictly inside that band
changes nothing for the whole group: one chained comparison, however many trades are open. Trades that
end leave their group at once (their snapshot stays available through `get` until `remove`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from core_server.excursions.model import Direction, ExcursionEvent
from core_server.excursions.settings import PriceSource
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.errors import InvalidArgument, NotFound
from core_server.model.market_data import Tick, Trade

TradeEvents = tuple[str, tuple[ExcursionEvent, ...]]  # (trade_id, its events from one tick)

NO_TRADE_EVENTS: Final[tuple[TradeEvents, ...]] = ()

_FAR: Final = 1 << 62


class _Group:
    """Open trackers of one contract that read the same price, with the intersection of their bands."""

    __slots__ = ("hi", "lo", "trackers")

    def __init__(self) -> None:
        self.trackers: list[ExcursionTracker] = []
        self.lo, self.hi = -_FAR, _FAR  # nothing open: every price is quiet

    def refresh(self) -> None:
        self.trackers = [t for t in self.trackers if t.is_open]
        if not self.trackers:
            self.lo, self.hi = -_FAR, _FAR  # nothing open: every price is quiet
            return
        bands = [t.quiet_band for t in self.trackers]
        self.lo = max(lo for lo, _ in bands)
        self.hi = min(hi for _, hi in bands)

    def visit(self, price: int, ts_ns: int, out: list[TradeEvents]) -> None:
        """Offer a price outside the group band to each tracker (most stay quiet: their own band holds it)."""
        before = len(out)
        for tracker in self.trackers:
            events = tracker.on_price(price, ts_ns)
            if events:
                out.append((tracker.trade_id, events))
        if len(out) > before:
            self.refresh()


class _ContractSlot:
    __slots__ = ("ask_short", "bid_long", "last")

    def __init__(self) -> None:
        self.last = _Group()
        self.bid_long = _Group()
        self.ask_short = _Group()

    def group_for(self, tracker: ExcursionTracker) -> _Group:
        if tracker.settings.price_source is PriceSource.LAST:
            return self.last
        return self.bid_long if tracker.spec.direction is Direction.LONG else self.ask_short

    def groups(self) -> tuple[_Group, _Group, _Group]:
        return self.last, self.bid_long, self.ask_short


class ExcursionBook:
    """All tracked trades. The engine calls `on_tick` for every tick and persists the events it returns."""

    __slots__ = ("_by_contract", "_by_id")

    def __init__(self) -> None:
        self._by_id: dict[str, ExcursionTracker] = {}
        self._by_contract: dict[str, _ContractSlot] = {}

    def add(self, tracker: ExcursionTracker) -> None:
        trade_id = tracker.trade_id
        if trade_id in self._by_id:
            raise InvalidArgument("trade_id", f"trade {trade_id!r} is already tracked")
        self._by_id[trade_id] = tracker
        if tracker.is_open:
            slot = self._by_contract.get(tracker.spec.contract_id)
            if slot is None:
                slot = self._by_contract[tracker.spec.contract_id] = _ContractSlot()
            group = slot.group_for(tracker)
            group.trackers.append(tracker)
            group.refresh()

    def remove(self, trade_id: str) -> ExcursionTracker:
        tracker = self._by_id.pop(trade_id, None)
        if tracker is None:
            raise NotFound("trade_id", f"trade {trade_id!r} is not tracked")
        slot = self._by_contract.get(tracker.spec.contract_id)
        if slot is not None:
            group = slot.group_for(tracker)
            group.trackers = [t for t in group.trackers if t is not tracker]
            group.refresh()
            if not any(g.trackers for g in slot.groups()):
                del self._by_contract[tracker.spec.contract_id]
        return tracker

    def refresh(self, trade_id: str) -> None:
        """A tracker's band changed from outside a tick (its stop moved): recompute its group's band."""
        tracker = self._by_id.get(trade_id)
        if tracker is None:
            return
        slot = self._by_contract.get(tracker.spec.contract_id)
        if slot is not None:
            slot.group_for(tracker).refresh()

    def get(self, trade_id: str) -> ExcursionTracker | None:
        return self._by_id.get(trade_id)

    def tracks(self, contract_id: str) -> bool:
        """Whether a tick of `contract_id` reaches any tracked trade's band check."""
        return contract_id in self._by_contract

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, trade_id: object) -> bool:
        return trade_id in self._by_id

    def __iter__(self) -> Iterator[ExcursionTracker]:
        return iter(tuple(self._by_id.values()))

    def on_tick(self, tick: Tick, anomalous: bool = False) -> tuple[TradeEvents, ...]:
        """(trade_id, events) for every trade this tick moved; NO_TRADE_EVENTS (shared) when none."""
        if anomalous:
            return NO_TRADE_EVENTS
        slot = self._by_contract.get(tick.contract_id)
        if slot is None:
            return NO_TRADE_EVENTS
        out: list[TradeEvents]
        if type(tick) is Trade:
            last, price = slot.last, tick.price
            if last.lo < price < last.hi:
                return NO_TRADE_EVENTS
            out = []
            last.visit(price, tick.ts_event, out)
        else:
            longs, bid = slot.bid_long, tick.bid  # type: ignore[union-attr]
            shorts, ask = slot.ask_short, tick.ask  # type: ignore[union-attr]
            if longs.lo < bid < longs.hi and shorts.lo < ask < shorts.hi:
                return NO_TRADE_EVENTS
            out = []
            if not longs.lo < bid < longs.hi:
                longs.visit(bid, tick.ts_event, out)
            if not shorts.lo < ask < shorts.hi:
                shorts.visit(ask, tick.ts_event, out)
        return tuple(out) if out else NO_TRADE_EVENTS

    def close(self, trade_id: str, price: int, ts_ns: int) -> tuple[ExcursionEvent, ...]:
        """Close one trade by hand or from outside at `price`; it leaves the per-tick path at once."""
        tracker = self._by_id.get(trade_id)
        if tracker is None:
            raise NotFound("trade_id", f"trade {trade_id!r} is not tracked")
        events = tracker.close(price, ts_ns)
        if events:
            slot = self._by_contract.get(tracker.spec.contract_id)
            if slot is not None:
                slot.group_for(tracker).refresh()
        return events
