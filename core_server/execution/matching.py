"""ContractBook: one contract's resting orders, sorted so a tick looks only at the best price on each side.

Four sorted lists of (key, seq, order_id), best first: buy limits by highest price, sell limits by lowest,
buy stops by lowest trigger, sell stops by highest (keys are negated for the "highest first" lists; `seq`
keeps time priority among equal prices). After every change the book caches four integer thresholds, so
a tick that fills nothing costs four integer comparisons plus a check of the market-order queue.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from core_server.execution.model import OrderId, OrderSide
from core_server.model.market_data import Quote, Trade

_HIGH = 1 << 62
_LOW = -_HIGH

Entry = tuple[int, int, OrderId]


class ContractBook:
    """Resting orders and the latest market of one contract."""

    __slots__ = (
        "arrivals",
        "ask_avail",
        "bid_avail",
        "buy_limit_fire",
        "buy_limits",
        "buy_stop_at",
        "buy_stops",
        "contract_id",
        "last_trade",
        "markets",
        "next_arrival",
        "quote",
        "quote_stale",
        "sell_limit_fire",
        "sell_limits",
        "sell_stop_at",
        "sell_stops",
        "touch",
        "trade_avail",
    )

    def __init__(self, contract_id: str, touch: int) -> None:
        self.contract_id = contract_id
        self.touch = touch  # 1 when a limit fills on touch, else 0
        self.quote: Quote | None = None
        self.quote_stale = False  # a later trade printed outside the quote: do not take liquidity from it
        self.last_trade: Trade | None = None
        self.buy_limits: list[Entry] = []
        self.sell_limits: list[Entry] = []
        self.buy_stops: list[Entry] = []
        self.sell_stops: list[Entry] = []
        # Size the latest quote still offers to buyers (ask) and sellers (bid), and the latest trade to either.
        self.ask_avail = 0
        self.bid_avail = 0
        self.trade_avail = 0
        self.arrivals: list[tuple[int, int, OrderId]] = []  # heap of (arrival ns, seq, id) still travelling
        self.next_arrival = _HIGH
        self.markets: list[OrderId] = []  # market orders and triggered stops waiting for liquidity, FIFO
        # A buy limit fills when price < buy_limit_fire, a sell limit when price > sell_limit_fire,
        # a buy stop triggers when price >= buy_stop_at, a sell stop when price <= sell_stop_at.
        self.buy_limit_fire = _LOW
        self.sell_limit_fire = _HIGH
        self.buy_stop_at = _HIGH
        self.sell_stop_at = _LOW

    # -- resting orders -----------------------------------------------------------------------------------

    def add_limit(self, side: OrderSide, price: int, seq: int, order_id: OrderId) -> None:
        if side is OrderSide.BUY:
            insort(self.buy_limits, (-price, seq, order_id))
            self.buy_limit_fire = -self.buy_limits[0][0] + self.touch
        else:
            insort(self.sell_limits, (price, seq, order_id))
            self.sell_limit_fire = self.sell_limits[0][0] - self.touch

    def add_stop(self, side: OrderSide, price: int, seq: int, order_id: OrderId) -> None:
        if side is OrderSide.BUY:
            insort(self.buy_stops, (price, seq, order_id))
            self.buy_stop_at = self.buy_stops[0][0]
        else:
            insort(self.sell_stops, (-price, seq, order_id))
            self.sell_stop_at = -self.sell_stops[0][0]

    def remove_limit(self, side: OrderSide, price: int, seq: int, order_id: OrderId) -> None:
        if side is OrderSide.BUY:
            _remove(self.buy_limits, (-price, seq, order_id))
        else:
            _remove(self.sell_limits, (price, seq, order_id))
        self._refresh_limits()

    def remove_stop(self, side: OrderSide, price: int, seq: int, order_id: OrderId) -> None:
        if side is OrderSide.BUY:
            _remove(self.buy_stops, (price, seq, order_id))
        else:
            _remove(self.sell_stops, (-price, seq, order_id))
        self._refresh_stops()

    def remove_market(self, order_id: OrderId) -> None:
        if order_id in self.markets:
            self.markets.remove(order_id)

    def _refresh_limits(self) -> None:
        self.buy_limit_fire = -self.buy_limits[0][0] + self.touch if self.buy_limits else _LOW
        self.sell_limit_fire = self.sell_limits[0][0] - self.touch if self.sell_limits else _HIGH

    def _refresh_stops(self) -> None:
        self.buy_stop_at = self.buy_stops[0][0] if self.buy_stops else _HIGH
        self.sell_stop_at = -self.sell_stops[0][0] if self.sell_stops else _LOW

    # -- what a tick reaches ------------------------------------------------------------------------------

    def next_due(self, buy_price: int, sell_price: int, buy_open: bool, sell_open: bool) -> OrderId | None:
        """The first resting order the prices reach (limits before stops), or None.

        `buy_price` is what buyers pay (the ask, or a trade), `sell_price` what sellers get (bid or trade);
        `buy_open`/`sell_open` say whether the tick still has size for resting limits on that side.
        """
        if buy_open and buy_price < self.buy_limit_fire:
            return self.buy_limits[0][2]
        if sell_open and sell_price > self.sell_limit_fire:
            return self.sell_limits[0][2]
        if buy_price >= self.buy_stop_at:
            return self.buy_stops[0][2]
        if sell_price <= self.sell_stop_at:
            return self.sell_stops[0][2]
        return None

    def resting_ids(self) -> tuple[OrderId, ...]:
        lists = (self.buy_limits, self.sell_limits, self.buy_stops, self.sell_stops)
        return tuple(entry[2] for entries in lists for entry in entries) + tuple(self.markets)


def _remove(entries: list[Entry], key: Entry) -> None:
    i = bisect_left(entries, key)
    if i < len(entries) and entries[i] == key:
        del entries[i]
