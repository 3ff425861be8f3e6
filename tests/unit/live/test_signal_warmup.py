"""The start path with an in-memory candle store: a signal restored long after its candles still gets exactly
the candles it waited for (not just the newest ones), across a gap with no candles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core_server.kernel.assembly import KernelSettings, build_kernel
from core_server.kernel.kernel import TradingKernel
from core_server.live.restore import SEED_CANDLES, restore_signals, warm_candles
from core_server.model.clock import NS_PER_HOUR, NS_PER_MINUTE, NS_PER_SECOND
from core_server.model.market_data import Candle, Timeframe
from core_server.signals.model import Signal, SignalDirection, SignalInput, SignalStatus, SignalUpdate
from core_server.signals.trade_record import TradeRecord
from tests.kit.feeds import NQ, px, trade
from tests.kit.time import utc

M1 = Timeframe.M1
T0 = utc(2026, 11, 19, 15, 29)


class MemorySignalStore:
    """A SignalStore in a dict: the latest snapshot per signal, and the trades."""

    def __init__(self) -> None:
        self.signals: dict[str, Signal] = {}
        self.trades: list[TradeRecord] = []

    async def save_batch(self, updates: Sequence[SignalUpdate], trades: Sequence[TradeRecord] = ()) -> None:
        for update in updates:
            self.signals[update.signal.signal_id] = update.signal
        self.trades += trades

    async def get(self, signal_id: str) -> Signal | None:
        return self.signals.get(signal_id)

    async def find_by_key(self, key: str) -> Signal | None:
        return next((s for s in self.signals.values() if s.idempotency_key == key), None)

    async def live(self) -> list[Signal]:
        return [s for s in self.signals.values() if s.status.is_live]

    async def list(
        self,
        *,
        statuses: Iterable[SignalStatus] = (),
        contract_id: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> list[Signal]:
        return list(self.signals.values())[:limit]


class MemoryCandleStore:
    """A CandleStore over a list, answering like the repository: the newest `limit` in range, oldest first."""

    def __init__(self, candles: Iterable[Candle] = ()) -> None:
        self.candles = sorted(candles, key=lambda c: c.start_ns)
        self.queries = 0

    async def list_range(
        self, contract_id: str, timeframe: Timeframe, start_ns: int, end_ns: int, limit: int
    ) -> list[Candle]:
        self.queries += 1
        found = [
            c
            for c in self.candles
            if c.contract_id == contract_id and c.timeframe is timeframe and start_ns <= c.start_ns < end_ns
        ]
        return found[-limit:]


def candle(start: int, o: str, h: str, lo: str, c: str) -> Candle:
    return Candle(
        NQ.id, M1, start, start + NS_PER_MINUTE, px(NQ, o), px(NQ, h), px(NQ, lo), px(NQ, c), 1, 4, True, True
    )


def kernel(start_ns: int) -> TradingKernel:
    return build_kernel(KernelSettings(), [NQ], complete_from_ns=start_ns)


async def test_a_signal_restored_hours_later_expires_on_its_own_tenth_candle() -> None:
    store = MemorySignalStore()
    first = kernel(T0)
    first.on_tick(trade(NQ, T0 + NS_PER_MINUTE + 45 * NS_PER_SECOND, "25340.00"))
    signal_time = T0 + NS_PER_MINUTE + 50 * NS_PER_SECOND
    sig = SignalInput("NQZ2026", SignalDirection.BULLISH, px(NQ, "25340.25"), signal_time, M1)
    pending = first.submit_signal(sig, authenticated=True, now_ns=signal_time + NS_PER_SECOND).signal
    await store.save_batch(first.take_output().signals)
    assert pending.status is SignalStatus.PENDING

    # Stored while this server was down: the signal candle, 12 quiet candles, then, after an hour without
    # trades, far more candles than the recent window holds, the first of which would have confirmed.
    signal_start = T0 + NS_PER_MINUTE
    history = [candle(T0, "25330.00", "25338.00", "25320.00", "25335.00")]
    history.append(candle(signal_start, "25335.00", "25341.25", "25318.00", "25340.00"))
    history += [
        candle(signal_start + i * NS_PER_MINUTE, "25330.00", "25331.00", "25329.00", "25330.00") for i in range(1, 13)
    ]
    later = signal_start + 2 * NS_PER_HOUR
    history += [
        candle(later + i * NS_PER_MINUTE, "25350.00", "25360.00", "25345.00", "25355.00")
        for i in range(SEED_CANDLES + 20)
    ]
    restart_ns = later + (SEED_CANDLES + 30) * NS_PER_MINUTE
    restarted = kernel(restart_ns)
    live = await store.live()
    await warm_candles(restarted, MemoryCandleStore(history), live, restart_ns)
    restore_signals(restarted, live, restart_ns)
    out = restarted.take_output()
    await store.save_batch(out.signals, out.signal_trades)
    assert restarted.signals is not None
    signal = restarted.signals.get(pending.signal_id)
    assert signal.status is SignalStatus.EXPIRED
    assert (signal.signal_candle, signal.candles_waited) == (history[1], 10)
    assert signal.checks[4].detail == "no 1m close > 25341.25 within 10 candles"
    assert store.signals[pending.signal_id].status is SignalStatus.EXPIRED
    assert store.trades == []
