"""The backtest's quiet fast path (kernel.quiet) against the plain tick-by-tick path: on seeded tapes with time gaps,
anomalous spikes and confirmed jumps, trades printing outside the quote, brackets and resting orders hit (ideal and
paper fills with latency and slippage, partial fills), a risk preset failing an account, the first-hour breakout
through the StrategyHost (its first hour passed over inside the range so far) and two contracts interleaved, both
paths give the byte-identical JSON report, the same kernel output batch by batch (ticks, anomalies, candles, orders
and fills, risk events, trades) and the same state at the end, while the fast path skips most ticks.

Every scenario also runs on columnar batches (model.column_ticks.ColumnTicks, as a backtest reads the store), where
the quiet path works with numpy and counts its ticks instead of listing them: the same report, the same output
batch by batch (the released ticks compared by count and first and last instant, all the recorder reads), the same
state, and exactly the ticks the list path skipped. Targeted tapes add stale quotes (trades outside the quote, few
quotes), anomalies inside runs, quotes running past candle boundaries, contracts changing inside a batch and each
quote price mode with and without quote-only candles; both ways over one hand-set state: trades before any quote
while a market order waits, and a run's end wherever it falls among the growing windows."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest

import core_server.backtest.driver as driver_module
from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.config import BacktestConfig, FillModel
from core_server.backtest.driver import Backtest, kernel_settings
from core_server.backtest.report import build_report, to_json
from core_server.backtest.rolls import Roll
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.strategies import strategy_stage
from core_server.execution.commands import ExecutionCommand, ExitOffset, SubmitBracket, SubmitOrder
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderId, OrderSide, OrderType
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import KernelOutput
from core_server.kernel.quiet import quiet_run
from core_server.model.clock import NS_PER_MS, NS_PER_SECOND
from core_server.model.column_ticks import ColumnTicks
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.risk.events import RiskEventKind
from core_server.strategies.host import StrategyHost
from tests.kit.time import ct

ES = Contract("ES", 2025, 12)
NQ = Contract("NQ", 2025, 12)
ESH = Contract("ES", 2026, 3)  # the front month from the 17:00 CT open of Wednesday 2025-12-10
ROLL_WEEK = date(2025, 12, 9)  # a Tuesday
ACC = AccountId("backtest")
S, MS = NS_PER_SECOND, NS_PER_MS
FIRST = date(2025, 10, 6)  # a Monday


def weekdays(count: int, first: date = FIRST) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def tape(
    seed: int,
    contracts: tuple[Contract, ...],
    days: int,
    per_day: int,
    *,
    quotes: float = 0.5,
    outside: float = 0.1,
    spikes: float = 0.003,
    max_step_ms: int = 5000,
    run_of: int = 1,
    near: bool = False,
    first: date = FIRST,
) -> list[Tick]:
    """A random walk per contract from 08:25 CT: quotes and trades (some outside the quote, some of size 0),
    steps of 1 ms to 5 s with now and then a gap of minutes, same-instant ticks, one-tick spikes the anomaly
    filter rejects and level shifts it confirms. Knobs for the targeted tapes: the share of quotes, of trades
    outside the quote and of spikes, the longest step, how many ticks in a row one contract gets (about), and
    whether NQ trades a few ticks from ES (a contract change is then no price jump)."""
    rng = random.Random(seed)
    out: list[Tick] = []
    base = {c.id: (26_805 if near else 100_000) if c.root == "NQ" else 26_800 for c in contracts}
    contract = contracts[0]
    for day in weekdays(days, first):
        ts = ct(day.year, day.month, day.day, 8, 25)
        price = dict(base)
        for _ in range(per_day):
            r = rng.random()
            ts += 0 if r < 0.05 else rng.randint(15, 30) * 60 * S if r < 0.06 else rng.randint(1, max_step_ms) * MS
            if run_of == 1 or rng.random() < 1 / run_of:
                contract = contracts[rng.randrange(len(contracts))]
            cid = contract.id
            threshold = 60 if contract.root == "ES" else 200
            move = rng.random()
            if move < spikes:  # a spike for one tick, rejected
                spike = price[cid] + rng.choice((-1, 1)) * (threshold + rng.randint(1, 30))
                out.append(Trade(cid, ts, ts, spike, 1, Aggressor.NONE))
                continue
            if move < spikes + 0.002:  # a level shift, confirmed by the ticks after it
                price[cid] += rng.choice((-1, 1)) * (threshold + rng.randint(1, 30))
            else:
                price[cid] += rng.choice((-1, 0, 0, 1))
            p = price[cid]
            if rng.random() < quotes:
                spread = 1 if rng.random() < 0.9 else 2
                out.append(Quote(cid, ts, ts, p, p + spread, rng.randint(0, 6), rng.randint(0, 6)))
            else:
                off = 0 if rng.random() < 1 - outside else rng.choice((-2, 3))
                out.append(Trade(cid, ts, ts, p + off, rng.randint(0, 4), Aggressor.NONE))
    out.sort(key=lambda t: t.ts_event)
    return out


def price_at(ticks: list[Tick], contract: Contract, ts: int) -> int:
    last = None
    for t in ticks:
        if t.ts_event > ts:
            break
        if t.contract_id == contract.id:
            last = t.price if type(t) is Trade else t.bid  # type: ignore[union-attr]
    return last if last is not None else (26_800 if contract.root == "ES" else 100_000)


def commands(seed: int, ticks: list[Tick], contracts: tuple[Contract, ...], count: int) -> list[tuple[int, object]]:
    """Brackets (market, limit and stop entries a few ticks from the market) and market orders at random instants."""
    rng = random.Random(seed + 1000)
    first, last = ticks[0].ts_event, ticks[-1].ts_event
    out: list[tuple[int, object]] = []
    for _ in range(count):
        at = rng.randint(first, last)
        contract = contracts[rng.randrange(len(contracts))]
        spec = contract.spec
        p = price_at(ticks, contract, at)
        side = rng.choice((OrderSide.BUY, OrderSide.SELL))
        kind = rng.choice((OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.MARKET))
        stop, target = ExitOffset(Decimal(rng.randint(3, 12))), ExitOffset(Decimal(rng.randint(3, 12)))
        qty = rng.randint(1, 3)
        command: ExecutionCommand
        if kind is OrderType.MARKET and rng.random() < 0.3:
            command = SubmitOrder(ACC, contract.id, side, qty, OrderType.MARKET)
        elif kind is OrderType.MARKET:
            command = SubmitBracket(ACC, contract.id, side, qty, kind, stop, target)
        else:
            away = rng.randint(1, 6)
            below = (kind is OrderType.LIMIT) == (side is OrderSide.BUY)
            entry = Decimal(spec.format_ticks(p - away if below else p + away))
            command = SubmitBracket(ACC, contract.id, side, qty, kind, stop, target, entry_price=entry)
        out.append((at, command))
    return out


Run = tuple[str, list[KernelOutput], list[object]]


def state(kernel: TradingKernel) -> list[object]:
    """What the next tick would see: forming candles, filter and book state, latest prices, risk's clock."""
    x = kernel.execution.exchange
    books = [(b.quote, b.last_trade, b.quote_stale, b.ask_avail, b.bid_avail, b.trade_avail) for b in x.books.values()]
    markets = [
        (m.last_quote, m.last_trade, m.anomaly_filter.last_good_price, m.anomaly_filter.held, m.anomalies)
        for m in kernel.market.contracts.values()
    ]
    risk = kernel.risk
    prices = (risk._now, dict(risk._trade_px), dict(risk._bid), dict(risk._ask))
    return [kernel.market.forming_candles(), books, markets, prices, kernel.unknown_contract_ticks]


class ColumnBatches:
    """The ticks as columnar batches (the store's shape: StoreTicks yields ColumnTicks)."""

    def __init__(self, ticks: Sequence[Tick], batch: int) -> None:
        ids = tuple(dict.fromkeys(t.contract_id for t in ticks))
        self.total = len(ticks)
        self.columns = [ColumnTicks.of(ticks[i : i + batch], ids) for i in range(0, len(ticks), batch)]

    def total_hint(self) -> int:
        return self.total

    def batches(self) -> Iterator[Sequence[Tick]]:
        return iter(self.columns)


_COMPARED = [f.name for f in dataclasses.fields(KernelOutput) if f.compare and f.name not in ("ticks", "quiet")]


def outline(out: KernelOutput) -> list[object]:
    """A kernel output with its released ticks as the recorder reads them: count, first and last instant."""
    return [out.tick_count(), out.first_tick_ns(), out.last_tick_ns(), *(getattr(out, n) for n in _COMPARED)]


def run_path(
    make: Callable[[bool], tuple[Backtest, list[Tick]]], fast: bool, batch: int, columnar: bool = False
) -> Run:
    backtest, ticks = make(fast)
    kernel = backtest.kernel
    taken: list[KernelOutput] = []
    original = kernel.take_output

    def take() -> KernelOutput:
        out = original()
        taken.append(out)
        return out

    kernel.take_output = take  # type: ignore[method-assign]
    record = backtest.run(ColumnBatches(ticks, batch) if columnar else TickList(ticks, batch=batch))
    return to_json(build_report(backtest.config, record)), taken, state(kernel)


@pytest.fixture
def skipped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the ticks the fast path applied without the full chain."""
    counted = [0]

    def counting(kernel: TradingKernel, ticks: list[Tick], start: int, from_ns: int, stop_ns: int) -> int:
        end = quiet_run(kernel, ticks, start, from_ns, stop_ns)
        counted[0] += end - start
        return end

    monkeypatch.setattr(driver_module, "quiet_run", counting)
    return counted


def assert_parity(
    make: Callable[[bool], tuple[Backtest, list[Tick]]], skipped: list[int], batch: int = 4096, share: int = 2
) -> Run:
    plain = run_path(make, False, batch)
    assert skipped[0] == 0
    fast = run_path(make, True, batch)
    assert fast[0] == plain[0]  # the JSON report, byte for byte
    assert len(fast[1]) == len(plain[1])
    for i, (a, b) in enumerate(zip(fast[1], plain[1], strict=True)):
        assert a == b, f"kernel output batch {i} differs"
    assert fast[2] == plain[2]
    total = len(make(True)[1])
    assert skipped[0] > total // share, (skipped[0], total)  # the fast path did much of the work
    on_lists, skipped[0] = skipped[0], 0
    columns = run_path(make, True, batch, columnar=True)
    assert columns[0] == plain[0]
    assert len(columns[1]) == len(plain[1])
    for i, (a, b) in enumerate(zip(columns[1], plain[1], strict=True)):
        assert outline(a) == outline(b), f"kernel output batch {i} differs on columns"
    assert columns[2] == plain[2]
    assert skipped[0] == on_lists  # the same runs, found with numpy
    return plain


def config(contracts: tuple[Contract, ...], days: int, **kw: object) -> BacktestConfig:
    first, last = weekdays(days)[0], weekdays(days)[-1] + timedelta(days=1)
    settings: dict[str, object] = {"fill": FillModel.ideal()}
    settings.update(kw)
    return BacktestConfig(contracts, ct(first.year, first.month, first.day), ct(last.year, last.month, last.day),
                          **settings)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bracket_a_day_and_scheduled_orders_on_ideal_fills_with_a_preset(seed: int, skipped: list[int]) -> None:
    ticks = tape(seed, (ES,), days=3, per_day=4000)
    scheduled = commands(seed, ticks, (ES,), 25)

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        cfg = config((ES,), 3, preset="topstep_50k", fill=FillModel.ideal(touch=seed % 2 == 0))
        stage = BracketADay(cfg.account_id, ES.id, cfg.start_ns, distance_ticks=8)
        return Backtest(cfg, strategies=stage, commands=scheduled, fast=fast), ticks  # type: ignore[arg-type]

    report, outputs, _ = assert_parity(make, skipped, batch=1000 + seed * 777)
    fills = sum(len(step.events) for out in outputs for step in out.execution)
    assert fills > 50 and '"trades"' in report


@pytest.mark.parametrize("seed", [4, 5])
def test_paper_fills_with_latency_slippage_and_two_contracts_interleaved(seed: int, skipped: list[int]) -> None:
    ticks = tape(seed, (ES, NQ), days=2, per_day=6000)
    scheduled = commands(seed, ticks, (ES, NQ), 30)
    paper = FillModel(slippage_ticks=2, latency_min_ms=20, latency_max_ms=900)

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        cfg = config((ES, NQ), 2, fill=paper, seed=seed)
        return Backtest(cfg, commands=scheduled, fast=fast), ticks  # type: ignore[arg-type]

    assert_parity(make, skipped, batch=2048, share=20)  # a quiet run stops where the contract changes


def test_partial_fills_and_a_risk_preset_failing_the_account(skipped: list[int]) -> None:
    ticks = tape(6, (ES,), days=3, per_day=5000)
    heavy = [
        (at, SubmitOrder(ACC, ES.id, OrderSide.BUY, 5, OrderType.MARKET)) for at, _ in commands(6, ticks, (ES,), 8)
    ]
    scheduled = sorted([*commands(7, ticks, (ES,), 20), *heavy], key=lambda pair: pair[0])

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        cfg = config((ES,), 3, preset="topstep_50k")
        fill = FillSettings(seed=3, latency_min_ns=0, latency_max_ns=300 * MS, max_slippage_ticks=1, partial_fills=True)
        settings = kernel_settings(cfg)
        settings = type(settings)(fill=fill, commissions=settings.commissions, signals=False,
                                  market_hours=settings.market_hours)  # fmt: skip
        return Backtest(cfg, commands=scheduled, settings=settings, fast=fast), ticks  # type: ignore[arg-type]

    plain = assert_parity(make, skipped)
    assert any(event.kind is RiskEventKind.FAILED for out in plain[1] for event in out.risk)


@pytest.mark.parametrize("seed", [8, 9])
def test_the_first_hour_breakout_through_the_strategy_host(
    seed: int, skipped: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = tape(seed, (ES,), days=4, per_day=5000)
    days = weekdays(4)
    inside = [0]  # runs of first-hour trades inside the range so far, passed over while the strategy watches
    original = StrategyHost.quiet_trades

    def counting(host: StrategyHost, last_ns: int) -> None:
        inside[0] += 1
        original(host, last_ns)

    monkeypatch.setattr(StrategyHost, "quiet_trades", counting)

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        settings = RunSettings(ES.id, days[0].isoformat(), days[-1].isoformat(), "first-hour-breakout",
                               preset="topstep_50k", fill_on_touch=seed % 2 == 1)  # fmt: skip
        cfg = settings.config()
        stage, _, setup = strategy_stage(settings, cfg)
        backtest = Backtest(cfg, strategies=stage, fast=fast)
        setup(backtest)
        return backtest, ticks

    _, outputs, _ = assert_parity(make, skipped, batch=3000)
    assert inside[0] > 10
    assert sum(len(out.execution) for out in outputs) > 10  # ladders placed, filled and cancelled


@pytest.mark.parametrize("seed", [12, 15, 17])  # seeds whose runs hold a position at the roll
def test_a_continuous_symbol_across_the_roll_with_the_breakout_and_scheduled_orders_on_both_contracts(
    seed: int, skipped: list[int]
) -> None:
    days = weekdays(3, ROLL_WEEK)  # Tue 9, Wed 10, Thu 11 December 2025: ESZ2025, then ESH2026 from Wed 17:00 CT
    ticks = tape(seed, (ES, ESH), days=3, per_day=5000, first=ROLL_WEEK)
    scheduled = commands(seed, ticks, (ES, ESH), 30)

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        settings = RunSettings("ES", days[0].isoformat(), days[-1].isoformat(), "first-hour-breakout",
                               fill_on_touch=seed % 2 == 0, latency_max_ms=400 * (seed % 2))  # fmt: skip
        cfg = settings.config()
        assert cfg.rolls == (Roll(ct(2025, 12, 10, 17), ES, ESH),)
        stage, _, setup = strategy_stage(settings, cfg)
        backtest = Backtest(cfg, strategies=stage, commands=scheduled, fast=fast)  # type: ignore[arg-type]
        setup(backtest)
        return backtest, ticks

    plain = assert_parity(make, skipped, batch=2500, share=20)
    report = json.loads(plain[0])
    assert {t["contract"] for t in report["trades"]} == {ES.id, ESH.id}
    assert [t["exit_ns"] for t in report["trades"] if t["exit_reason"] == "roll"]  # a position closed at the roll
    events = [n["kind"] for d in report["days"] for n in d["strategy_events"]]
    assert "rolled" in events


def test_columnar_batches_build_the_same_ticks() -> None:
    ticks = tape(11, (ES, NQ), days=1, per_day=500)
    columns = ColumnTicks.of(ticks)
    assert len(columns) == len(ticks)
    assert list(columns) == ticks == columns.tolist() == [columns[i] for i in range(len(ticks))]
    assert columns[-1] == ticks[-1] and columns[3:9] == ticks[3:9]
    assert all(type(a) is type(b) and type(a.ts_event) is int for a, b in zip(columns, ticks, strict=True))
    with pytest.raises(IndexError):
        columns[len(ticks)]


TARGETED = {
    # trades outside the quote and few quotes: the stale-quote flag set and cleared inside runs, limit orders near
    "stale quotes": {"quotes": 0.2, "outside": 0.5},
    # one-tick spikes often: runs stop at them, the filter rejects them, runs go on after
    "anomalies inside runs": {"spikes": 0.02},
    # mostly quotes, closely spaced: runs of quotes go past candle boundaries and stop at the next trade
    "quotes past candle boundaries": {"quotes": 0.95, "max_step_ms": 400},
    # two contracts at nearby prices in stretches of about 40 ticks: runs stop where the contract changes, inside a
    # batch (not at a price jump)
    "contract changes inside a batch": {"run_of": 40, "contracts": (ES, NQ), "near": True},
}


@pytest.mark.parametrize("name", list(TARGETED))
def test_targeted_tapes_on_columns_and_lists(name: str, skipped: list[int]) -> None:
    knobs = dict(TARGETED[name])
    contracts: tuple[Contract, ...] = knobs.pop("contracts", (ES,))  # type: ignore[assignment]
    ticks = tape(21, contracts, days=2, per_day=5000, **knobs)  # type: ignore[arg-type]
    scheduled = commands(21, ticks, contracts, 30)
    paper = FillModel(slippage_ticks=1, latency_min_ms=0, latency_max_ms=300)

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        cfg = config(contracts, 2, fill=paper, seed=5)
        return Backtest(cfg, commands=scheduled, fast=fast), ticks  # type: ignore[arg-type]

    assert_parity(make, skipped, batch=1500, share=20 if len(contracts) > 1 else 3)


def both_ways(
    prefix: list[Tick], run: list[Tick], from_ns: int, stop_ns: int, setup: Callable[[TradingKernel], None] = print
) -> int:
    """quiet_run over `run` as a list and as columns, each on a fresh kernel that saw `prefix` (then `setup`): the
    same end and the same state after; returns the end."""
    ends, states = [], []
    for columnar in (False, True):
        kernel = Backtest(config((ES,), 1)).kernel
        kernel.on_ticks(prefix)
        if setup is not print:
            setup(kernel)
        ends.append(quiet_run(kernel, ColumnTicks.of(run) if columnar else run, 0, from_ns, stop_ns))
        states.append(state(kernel))
    assert ends[0] == ends[1]
    assert states[0] == states[1]
    return ends[0]


T0 = ct(2025, 10, 6, 9, 0)


def trades(count: int, first_ns: int, step_ns: int = MS) -> list[Tick]:
    return [Trade(ES.id, first_ns + i * step_ns, first_ns + i * step_ns, 26_800 + i % 3, 1, Aggressor.NONE)
            for i in range(count)]  # fmt: skip


def test_with_a_market_order_waiting_no_trade_is_quiet_before_a_quote_nor_any_quote_after() -> None:
    """Trade-only data so far and a market order waiting (set by hand: in a backtest a waiting market order comes
    with a holding, which already keeps the quiet path off)."""
    quote = Quote(ES.id, T0 + 5 * MS, T0 + 5 * MS, 26_800, 26_801, 3, 3)
    run = trades(5, T0 + S, S)
    run += [Quote(ES.id, T0 + 7 * S, T0 + 7 * S, 26_801, 26_802, 2, 2), run[0]._replace(ts_event=T0 + 8 * S)]

    def waiting(kernel: TradingKernel) -> None:
        kernel.execution.exchange.books[ES.id].markets.append(OrderId("waiting"))

    assert both_ways(trades(3, T0), run, T0, T0 + 30 * S, waiting) == 0
    assert both_ways([*trades(3, T0), quote], run, T0, T0 + 30 * S, waiting) == 5  # the trades up to the next quote


@pytest.mark.parametrize("loud", [1, 255, 256, 257, 1279, 1280, 1281, 5375, 5376, None])
def test_a_run_ends_at_the_first_loud_tick_wherever_it_falls(loud: int | None) -> None:
    """Across the columnar path's growing windows (256, then 1024, 4096, ... ticks): a spike, or a tick at the
    instant the caller must act."""
    run = trades(6000, T0 + S, 5 * MS)
    if loud is not None:
        spiked = run[loud]._replace(price=26_800 + 70)  # beyond ES's 60-tick anomaly threshold
        run[loud] = spiked
    assert both_ways(trades(3, T0), run, T0, T0 + 60 * S) == (len(run) if loud is None else loud)
    if loud is not None:
        run[loud] = run[loud]._replace(price=26_800)
        assert both_ways(trades(3, T0), run, T0, run[loud].ts_event) == loud  # [from_ns, stop_ns)
        assert both_ways(trades(3, T0), run, run[loud].ts_event, T0 + 60 * S) == 0


@pytest.mark.parametrize("mode", ["bid", "ask", "mid"])
@pytest.mark.parametrize("quote_only", [False, True])
def test_each_quote_price_mode_with_and_without_quote_only_candles(
    mode: str, quote_only: bool, skipped: list[int]
) -> None:
    ticks = tape(31, (ES,), days=2, per_day=5000, spikes=0.01)
    scheduled = commands(31, ticks, (ES,), 25)

    def make(fast: bool) -> tuple[Backtest, list[Tick]]:
        cfg = config((ES,), 2, preset="topstep_50k")
        settings = dataclasses.replace(kernel_settings(cfg), quote_price_mode=mode)
        backtest = Backtest(cfg, commands=scheduled, settings=settings, fast=fast)
        for market in backtest.kernel.market.contracts.values():
            market.quote_only = quote_only
        return backtest, ticks

    assert_parity(make, skipped, batch=2500, share=3)


def test_a_batch_out_of_time_order_is_compared_tick_by_tick() -> None:
    """A source should give time order; when one does not, the columns still end a run where the list does."""
    run = trades(600, T0 + 10 * S, 5 * MS)
    run[300] = run[300]._replace(ts_event=T0 + 9 * S)  # earlier, still inside the candles' buckets: quiet
    assert both_ways(trades(3, T0), run, T0, T0 + 60 * S) == len(run)
    run[400] = run[400]._replace(ts_event=T0 + S // 2)  # before from_ns
    assert both_ways(trades(3, T0), run, T0 + S, T0 + 60 * S) == 400
    run[200] = run[200]._replace(ts_event=T0 - S)  # before the forming candles' buckets
    assert both_ways(trades(3, T0), run, T0 - 10 * S, T0 + 60 * S) == 200


@pytest.mark.parametrize("quote_only", [False, True])
def test_ticks_before_the_forming_candles_buckets_in_time_order(quote_only: bool) -> None:
    """Late ticks (before the buckets the candles are forming, in time order): quotes pass unless candles come from
    quotes, the first trade ends the run."""
    quotes = [Quote(ES.id, T0 - S + i * MS, T0 - S + i * MS, 26_800, 26_801, 1, 1) for i in range(3)]
    late = Trade(ES.id, T0 - S // 2, T0 - S // 2, 26_800, 1, Aggressor.NONE)

    def candles_from_quotes(kernel: TradingKernel) -> None:
        kernel.market.contracts[ES.id].quote_only = quote_only

    run = [*quotes, late, *trades(10, T0 + S)]
    prefix = trades(3, T0)
    assert both_ways(prefix, run, T0 - 10 * S, T0 + 60 * S, candles_from_quotes) == (0 if quote_only else 3)
    assert both_ways(prefix, run[:3] + run[4:], T0 - 10 * S, T0 + 60 * S, candles_from_quotes) == (
        0 if quote_only else 13
    )
