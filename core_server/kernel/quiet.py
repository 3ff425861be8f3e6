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

from core_server.candles.anomaly import AnomalyFilter
from core_server.execution.exchange import PaperExchange
from core_server.execution.fill_model import UNLIMITED
from core_server.execution.matching import ContractBook
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.market import ContractMarket
from core_server.kernel.ports import StrategyStage
from core_server.model.column_ticks import ColumnTicks, Flags
from core_server.model.market_data import Quote, Tick, Trade
from core_server.risk.engine import RiskEngine

_FAR = 1 << 62
_FIRST_WINDOW = 256  # ticks looked at first in a columnar batch; each further window is 4 times as long


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
    s_low, s_high = -_FAR, _FAR
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
    """quiet_run over a columnar batch: the same conditions and effect, with array operations."""
    contract = batch.contract_ids[batch.contract.item(start)]
    c = _conditions(kernel, contract, stop_ns)
    if c is None:
        return start
    q = c.book.quote
    if c.markets_waiting and q is None:
        return start  # neither a quote nor a trade can be quiet
    prices = batch.prices(c.mode)
    if abs(prices.item(start) - c.good) > c.threshold:
        return start
    j = _first_loud(batch, c, start, from_ns)
    if j == start:
        return start
    is_trade = batch.is_trade[start:j]
    run_prices = prices[start:j]
    candle = (0, 0, 0, 0, 0)
    taken = run_prices if c.quote_only else run_prices[is_trade]
    if len(taken):
        volume = int(batch.size[start:j][is_trade].sum())
        candle = (int(taken.max()), int(taken.min()), taken.item(-1), volume, len(taken))
    last_trade = _last(is_trade, start)
    last_quote = _last(~is_trade, start)
    stale = c.book.quote_stale
    if last_quote is not None:  # the trades after the run's last quote decide the flag
        after = batch.price[last_quote + 1 : j]
        bid, ask = batch.bid.item(last_quote), batch.ask.item(last_quote)
        stale = bool(((after < bid) | (after > ask)).any())
    elif q is not None and not stale:  # only trades: one outside the quote in effect sets it
        stale = bool(((run_prices < q.bid) | (run_prices > q.ask)).any())
    trade = batch[last_trade] if last_trade is not None else None
    quote = batch[last_quote] if last_quote is not None else None
    last_ns = batch.ts.item(j - 1)
    kernel.output.note_quiet(j - start, batch.ts.item(start), last_ns)
    _apply(c, contract, prices.item(j - 1), candle, quote, trade, stale, last_ns)  # type: ignore[arg-type]
    return j


def _last(flags: Flags, offset: int) -> int | None:
    """The index (plus `offset`) of the last True in `flags`, None when there is none."""
    if not len(flags):
        return None
    back = int(flags[::-1].argmax())
    return offset + len(flags) - 1 - back if flags[len(flags) - 1 - back] else None


def _first_loud(batch: ColumnTicks, c: _Conditions, start: int, from_ns: int) -> int:
    """The first index from `start` whose tick is not quiet (len(batch) when none), the price at `start` being
    within the threshold of the good one (checked by the caller); windows of growing length."""
    n = len(batch)
    ts_all, is_trade_all = batch.ts, batch.is_trade
    low_all, high_all = batch.low_high()
    steady = batch.steady(c.mode, c.threshold)
    prices = batch.prices(c.mode) if c.watched else None
    several = len(batch.contract_ids) > 1
    index = batch.contract.item(start)
    # A trade: blf <= p < bst and sst < p <= slf; a quote: the same with its ask and bid (low_high).
    blf, bst, sst, slf = c.blf, c.bst, c.sst, c.slf
    stop_ns, bucket_from, bucket_to = c.stop_ns, c.bucket_from, c.bucket_to
    a, size = start, _FIRST_WINDOW
    while a < n:
        b = min(n, a + size)
        ts, is_trade, low, high = ts_all[a:b], is_trade_all[a:b], low_all[a:b], high_all[a:b]
        ok = (ts >= from_ns) & (ts < stop_ns) & (high >= blf) & (high < bst) & (low > sst) & (low <= slf)
        inside = (ts >= bucket_from) & (ts < bucket_to)  # every forming candle's bucket
        ok &= inside if c.quote_only else inside | ~is_trade
        if prices is not None:  # the watching strategies' band, for trades
            p = prices[a:b]
            ok &= ((p >= c.s_low) & (p <= c.s_high)) | ~is_trade
        if c.markets_waiting:  # a market order waits: no quote is quiet (nor a trade without a quote)
            ok &= is_trade
        if several:
            ok &= batch.contract[a:b] == index
        if a == start:
            ok[1:] &= steady[a + 1 : b]
        else:
            ok &= steady[a:b]
        first = int(ok.argmin())
        if not ok[first]:
            return a + first
        a, size = b, size * 4
    return n
