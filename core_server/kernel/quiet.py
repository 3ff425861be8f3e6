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

A batch of ticks held as columns (model.column_ticks.ColumnTicks, as the store gives them) takes the same
conditions (`_conditions`, shared) and finds the run with numpy: the per-tick conditions as array comparisons over
growing windows from `start` (a short run stays cheap), the run's effect from the columns, and only the run's last
quote and last trade built. Its ticks are counted in the output (KernelOutput.note_quiet), not listed: a backtest's
record reads only their count and first and last instants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core_server.candles.anomaly import AnomalyFilter
from core_server.execution.exchange import PaperExchange
from core_server.execution.fill_model import UNLIMITED
from core_server.execution.matching import ContractBook
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.market import ContractMarket
from core_server.kernel.ports import StrategyStage
from core_server.kernel.quiet_columns import FAR, QuietColumns, first_at, last_at
from core_server.model.column_ticks import ColumnTicks
from core_server.model.market_data import Quote, Tick, Trade
from core_server.risk.engine import RiskEngine

_FIRST_WINDOW = 256  # ticks compared first against the quiet band; each further window is 4 times as long


@dataclass(slots=True)
class _Conditions:
    """What a quiet run of one contract may not cross, read once per offer, and the state its effect goes to."""

    market: ContractMarket
    anomaly: AnomalyFilter[Tick]
    good: int  # the anomaly filter's last good price
    threshold: int
    strategies: StrategyStage | None
    watched: bool  # a strategy watches the contract's trades, but none in [s_low, s_high] changes it
    s_low: int
    s_high: int
    risk: RiskEngine
    exchange: PaperExchange
    book: ContractBook
    stop_ns: int
    markets_waiting: bool
    blf: int  # the book's quiet band: blf <= ask (a trade's price) < bst and sst < bid (a trade's price) <= slf
    bst: int
    sst: int
    slf: int
    bucket_from: int  # every forming candle's bucket: [bucket_from, bucket_to)
    bucket_to: int
    quote_only: bool
    mode: str  # the quote price mode


def _conditions(kernel: TradingKernel, cid: str, stop_ns: int) -> _Conditions | None:
    """The run's bounds for contract `cid`, or None when no tick of it can be quiet now."""
    market = kernel.market.contracts.get(cid)
    if market is None:
        return None
    anomaly = market.anomaly_filter
    good = anomaly.quiet_good()
    if good is None:
        return None
    strategies = kernel.strategies
    watched = False
    s_low, s_high = -FAR, FAR
    if strategies is not None:
        if strategies.wants_ticks(cid):
            tick_band = getattr(strategies, "tick_band", None)  # strategies.host.StrategyHost
            band = tick_band(cid) if tick_band is not None else None
            if band is None:
                return None
            watched, (s_low, s_high) = True, band
        stop_ns = min(stop_ns, strategies.next_timer_ns())
    signals = kernel.signals
    if signals is not None and signals.pending_count:
        return None
    if not kernel.trades.quiet_for(cid):
        return None
    risk = kernel.risk
    risk_due = risk.quiet_due(cid)
    if risk_due is None:
        return None
    exchange = kernel.execution.exchange
    book = exchange.books.get(cid)
    if book is None:
        return None
    bucket_from, bucket_to = market.aggregator.quiet_window()
    return _Conditions(
        market, anomaly, good, anomaly.threshold_ticks, strategies, watched, s_low, s_high, risk, exchange, book,
        min(stop_ns, risk_due, book.next_arrival, exchange.next_expiry), bool(book.markets), book.buy_limit_fire,
        book.buy_stop_at, book.sell_stop_at, book.sell_limit_fire, bucket_from, bucket_to, market.quote_only,
        kernel.market.quote_price_mode,
    )  # fmt: skip


def quiet_run(kernel: TradingKernel, ticks: Sequence[Tick], start: int, from_ns: int, stop_ns: int) -> int:
    """Apply the quiet ticks of `ticks[start:]` (all of one contract, each in [`from_ns`, `stop_ns`): the caller
    skips earlier ticks and must act at `stop_ns`) and return the index of the first tick that needs the full
    chain (len(ticks) if none)."""
    n = len(ticks)
    if start >= n:
        return start
    if type(ticks) is ColumnTicks:
        return _columnar_run(kernel, ticks, start, from_ns, stop_ns)
    cid = ticks[start].contract_id
    c = _conditions(kernel, cid, stop_ns)
    if c is None:
        return start
    good, threshold, stop_ns = c.good, c.threshold, c.stop_ns
    s_low, s_high, markets_waiting = c.s_low, c.s_high, c.markets_waiting
    blf, bst, sst, slf = c.blf, c.bst, c.sst, c.slf
    bucket_from, bucket_to = c.bucket_from, c.bucket_to
    quote_only, mode = c.quote_only, c.mode
    q = c.book.quote
    stale = c.book.quote_stale
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
    kernel.output.ticks.extend(ticks[start:j])
    _apply(c, cid, good, (hi, lo, close, volume, count), last_quote, last_trade, stale, ticks[j - 1].ts_event)
    return j


def _apply(
    c: _Conditions,
    cid: str,
    good: int,
    candle: tuple[int, int, int, int, int],
    last_quote: Quote | None,
    last_trade: Trade | None,
    stale: bool,
    last_ns: int,
) -> None:
    """The run's effect, once (beside its ticks in the output): `candle` is (high, low, close, volume, count) of
    the prices the forming candles took."""
    c.anomaly.accept_run(good)
    if candle[4]:
        c.market.aggregator.apply_run(*candle)
    book = c.book
    partial = c.exchange.fill_model.settings.partial_fills
    bid_px = ask_px = trade_px = None
    if last_quote is not None:
        c.market.last_quote = last_quote
        book.quote = last_quote
        if partial:
            book.ask_avail = last_quote.ask_size if last_quote.ask_size > 0 else UNLIMITED
            book.bid_avail = last_quote.bid_size if last_quote.bid_size > 0 else UNLIMITED
        else:
            book.ask_avail = book.bid_avail = UNLIMITED
        bid_px, ask_px = last_quote.bid, last_quote.ask
    if last_trade is not None:
        c.market.last_trade = last_trade
        book.last_trade = last_trade
        book.trade_avail = last_trade.size if partial and last_trade.size > 0 else UNLIMITED
        trade_px = last_trade.price
        if c.watched:
            c.strategies.quiet_trades(last_trade.ts_event)  # type: ignore[union-attr]  # strategies.host.StrategyHost
    book.quote_stale = stale
    c.risk.note_prices(cid, last_ns, trade_px, bid_px, ask_px)


def _columnar_run(kernel: TradingKernel, batch: ColumnTicks, start: int, from_ns: int, stop_ns: int) -> int:
    """quiet_run over a columnar batch: the same conditions and effect, from the batch's derived arrays."""
    contract = batch.contract_ids[batch.contract.item(start)]
    c = _conditions(kernel, contract, stop_ns)
    if c is None:
        return start
    q = c.book.quote
    if c.markets_waiting and q is None:
        return start  # neither a quote nor a trade can be quiet
    cols = QuietColumns.of(batch, c.mode, c.threshold)
    prices = cols.prices
    if abs(prices.item(start) - c.good) > c.threshold:
        return start
    j = _run_end(batch, cols, c, start, from_ns)
    if j <= start:
        return start
    last = j - 1
    is_trade = batch.is_trade
    at_trade, at_quote = last_at(is_trade, start, j, True), last_at(is_trade, start, j, False)
    volume = cols.volume.item(j) - cols.volume.item(start)
    candle = (0, 0, 0, 0, 0)
    if c.quote_only:
        run = prices[start:j]
        candle = (int(run.max()), int(run.min()), prices.item(last), volume, j - start)
    elif at_trade >= start:
        count = int(np.count_nonzero(is_trade[start:j]))
        high, low = int(cols.trade_high[start:j].max()), int(cols.trade_low[start:j].min())
        candle = (high, low, prices.item(at_trade), volume, count)
    stale = c.book.quote_stale
    if at_quote >= start:  # the trades after the run's last quote decide the flag
        stale = at_quote < last and _outside(cols, at_quote + 1, j, batch.bid.item(at_quote), batch.ask.item(at_quote))
    elif q is not None and not stale:  # only trades: one outside the quote in effect sets it
        stale = _outside(cols, start, j, q.bid, q.ask)
    trade = batch[at_trade] if at_trade >= start else None
    quote = batch[at_quote] if at_quote >= start else None
    last_ns = batch.ts.item(last)
    kernel.output.note_quiet(j - start, batch.ts.item(start), last_ns)
    _apply(c, contract, prices.item(last), candle, quote, trade, stale, last_ns)  # type: ignore[arg-type]
    return j


def _outside(cols: QuietColumns, start: int, end: int, bid: int, ask: int) -> bool:
    """Whether a trade in [start, end) printed below `bid` or above `ask`."""
    return int(cols.trade_low[start:end].min()) < bid or int(cols.trade_high[start:end].max()) > ask


def _run_end(batch: ColumnTicks, cols: QuietColumns, c: _Conditions, start: int, from_ns: int) -> int:
    """The first index from `start` whose tick is not quiet (len(batch) when none), the price at `start` being
    within the threshold of the good one (checked by the caller)."""
    end = cols.next_jump.item(start + 1)  # the anomaly filter's chain
    if len(batch.contract_ids) > 1:
        end = min(end, cols.next_change().item(start + 1))
    if c.markets_waiting:  # a market order waits (and a quote is in): no quote is quiet
        end = first_at(batch.is_trade, start, end, False)
    end = _time_end(batch, cols, c, start, from_ns, end)
    if end <= start:
        return start
    return _band_end(batch, cols, c, start, end)


def _time_end(batch: ColumnTicks, cols: QuietColumns, c: _Conditions, start: int, from_ns: int, end: int) -> int:
    """`end`, or the first tick before it outside [from_ns, stop_ns), or a trade (any tick for quote-only candles)
    outside every forming candle's bucket."""
    ts = batch.ts
    if not cols.ordered:  # compared tick by tick
        ts, is_trade = batch.ts[start:end], batch.is_trade[start:end]
        ok = (ts >= from_ns) & (ts < c.stop_ns)
        inside = (ts >= c.bucket_from) & (ts < c.bucket_to)
        ok &= inside if c.quote_only else inside | ~is_trade
        first = int(ok.argmin()) if len(ok) else 0
        return start + first if len(ok) and not ok[first] else end
    if ts.item(start) < from_ns:
        return start
    end = min(end, int(ts.searchsorted(c.stop_ns)))
    after = max(start, int(ts.searchsorted(c.bucket_to)))  # from here on, past the buckets
    before = int(ts.searchsorted(c.bucket_from))  # up to here, before them
    if c.quote_only:
        return start if before > start else min(end, after)
    if after < end:
        end = first_at(batch.is_trade, after, end, True)
    early = min(before, end)  # a trade before the buckets, if any, ends the run
    if early > start and (first := first_at(batch.is_trade, start, early, True)) < early:
        return first
    return end


def _band_end(batch: ColumnTicks, cols: QuietColumns, c: _Conditions, start: int, end: int) -> int:
    """`end`, or the first tick before it outside the exchange's quiet band (a trade: or the watching strategies'
    band), in windows of growing length (a short run stays cheap): a window's extremes first, tick by tick only in
    a window that crosses a bound."""
    blf, bst, sst, slf = c.blf, c.bst, c.sst, c.slf
    s_low, s_high = c.s_low, c.s_high
    band = c.watched and (s_low > -FAR or s_high < FAR)
    if not (band or blf > -FAR or bst < FAR or sst > -FAR or slf < FAR):
        return end
    low_all, high_all = cols.band()  # a quote's bid and ask, a trade's price in both
    a, size = start, _FIRST_WINDOW
    while a < end:
        b = min(end, a + size)
        low, high = low_all[a:b], high_all[a:b]
        if (
            (blf > -FAR and high.min() < blf)
            or (bst < FAR and high.max() >= bst)
            or (sst > -FAR and low.min() <= sst)
            or (slf < FAR and low.max() > slf)
            or (band and (cols.trade_low[a:b].min() < s_low or cols.trade_high[a:b].max() > s_high))
        ):
            bad = (high < blf) | (high >= bst) | (low <= sst) | (low > slf)
            if band:
                bad |= (cols.trade_low[a:b] < s_low) | (cols.trade_high[a:b] > s_high)
            return a + int(bad.argmax())
        a, size = b, size * 4
    return end
