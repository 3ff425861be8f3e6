"""The kernel's exact fast path for quiet ticks (backtests): a run of ticks that can change nothing but prices.

A tick is quiet when the full chain (TradingKernel._tick) would only remember it: the anomaly filter holds nothing
and the price is within its threshold of the last good one; a trade falls inside every timeframe's forming bucket
(no candle closes, none opens, none is late); no strategy wants the contract's ticks (or the StrategyHost gives a
`tick_band`: its quotes reach no strategy and its trades inside the band change none) and no strategy timer, order
arrival, DAY expiry or risk roll/flat-by is due; the paper exchange's quiet band holds (no market order waiting,
the price between the resting limits and stops that could fire); nobody holds a position in the contract (risk
marks nothing), no excursion is tracked in it, no trade work or stop-move retry waits, no signal is pending.

For such a run the chain's whole effect is: each tick appended to the output, the anomaly filter's good price,
the forming candles' high/low/close/volume/count, the latest quote and trade (market, exchange book, risk's price
memo), the exchange's available sizes and stale-quote flag, and risk's clock. `quiet_run` applies exactly that, once
for the run, and stops at the first tick that is not quiet; the caller sends that tick down the full chain. The
parity tests (tests/unit/backtest/test_fast_path_parity.py) run both paths and compare every output.
"""

from __future__ import annotations

from collections.abc import Sequence

from core_server.execution.fill_model import UNLIMITED
from core_server.kernel.kernel import TradingKernel
from core_server.model.market_data import Quote, Tick, Trade

_FAR = 1 << 62


def quiet_run(kernel: TradingKernel, ticks: Sequence[Tick], start: int, from_ns: int, stop_ns: int) -> int:
    """Apply the quiet ticks of `ticks[start:]` (all of one contract, each in [`from_ns`, `stop_ns`): the caller
    skips earlier ticks and must act at `stop_ns`) and return the index of the first tick that needs the full
    chain (len(ticks) if none)."""
    n = len(ticks)
    if start >= n:
        return start
    first = ticks[start]
    cid = first.contract_id
    market = kernel.market.contracts.get(cid)
    if market is None:
        return start
    anomaly = market.anomaly_filter
    good = anomaly.quiet_good()
    if good is None:
        return start
    threshold = anomaly.threshold_ticks
    strategies = kernel.strategies
    watched = False  # a strategy watches the contract's trades, but none in [s_low, s_high] changes it
    s_low, s_high = -_FAR, _FAR
    if strategies is not None:
        if strategies.wants_ticks(cid):
            tick_band = getattr(strategies, "tick_band", None)  # strategies.host.StrategyHost
            band = tick_band(cid) if tick_band is not None else None
            if band is None:
                return start
            watched, (s_low, s_high) = True, band
        stop_ns = min(stop_ns, strategies.next_timer_ns())
    signals = kernel.signals
    if signals is not None and signals.pending_count:
        return start
    if not kernel.trades.quiet_for(cid):
        return start
    risk = kernel.risk
    risk_due = risk.quiet_due(cid)
    if risk_due is None:
        return start
    exchange = kernel.execution.exchange
    book = exchange.books.get(cid)
    if book is None:
        return start
    stop_ns = min(stop_ns, risk_due, book.next_arrival, exchange.next_expiry)
    markets_waiting = bool(book.markets)
    blf, bst, sst, slf = book.buy_limit_fire, book.buy_stop_at, book.sell_stop_at, book.sell_limit_fire
    bucket_from, bucket_to = market.aggregator.quiet_window()
    quote_only = market.quote_only
    mode = kernel.market.quote_price_mode
    q = book.quote
    stale = book.quote_stale
    last_trade: Trade | None = None
    last_quote: Quote | None = None
    hi = lo = close = 0
    volume = count = 0
    j = start
    while j < n:
        tick = ticks[j]
        ts = tick.ts_event
        if not from_ns <= ts < stop_ns or tick.contract_id != cid:
            break
        if type(tick) is Trade:
            p = tick.price
            if not (bucket_from <= ts < bucket_to and blf <= p < bst and sst < p <= slf and s_low <= p <= s_high):
                break
            if q is None and markets_waiting:
                break
            if p - good > threshold or good - p > threshold:
                break
            good = p
            if count:
                if p > hi:
                    hi = p
                elif p < lo:
                    lo = p
            else:
                hi = lo = p
            close = p
            volume += tick.size
            count += 1
            if q is not None and (p < q.bid or p > q.ask):
                stale = True
            last_trade = tick
        else:
            assert type(tick) is Quote
            bid, ask = tick.bid, tick.ask
            if markets_waiting or not (blf <= ask < bst and sst < bid <= slf):
                break
            p = bid if mode == "bid" else ask if mode == "ask" else (bid + ask) // 2
            if p - good > threshold or good - p > threshold:
                break
            if quote_only:
                if not bucket_from <= ts < bucket_to:
                    break
                if count:
                    if p > hi:
                        hi = p
                    elif p < lo:
                        lo = p
                else:
                    hi = lo = p
                close = p
                count += 1
            good = p
            q = last_quote = tick
            stale = False
        j += 1
    if j == start:
        return start
    # The run's effect, once.
    kernel.output.ticks.extend(ticks[start:j])
    anomaly.accept_run(good)
    if count:
        market.aggregator.apply_run(hi, lo, close, volume, count)
    partial = exchange.fill_model.settings.partial_fills
    bid_px = ask_px = trade_px = None
    if last_quote is not None:
        market.last_quote = last_quote
        book.quote = last_quote
        if partial:
            book.ask_avail = last_quote.ask_size if last_quote.ask_size > 0 else UNLIMITED
            book.bid_avail = last_quote.bid_size if last_quote.bid_size > 0 else UNLIMITED
        else:
            book.ask_avail = book.bid_avail = UNLIMITED
        bid_px, ask_px = last_quote.bid, last_quote.ask
    if last_trade is not None:
        market.last_trade = last_trade
        book.last_trade = last_trade
        book.trade_avail = last_trade.size if partial and last_trade.size > 0 else UNLIMITED
        trade_px = last_trade.price
        if watched:
            strategies.quiet_trades(last_trade.ts_event)  # type: ignore[union-attr]
    book.quote_stale = stale
    risk.note_prices(cid, ticks[j - 1].ts_event, trade_px, bid_px, ask_px)
    return j
