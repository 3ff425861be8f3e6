"""How long one candle close takes with 100 pending signals on its series (printed with -s, never asserted)."""

from __future__ import annotations

import time
from statistics import median

import pytest

from core_server.model.clock import NS_PER_MINUTE
from core_server.model.market_data import Timeframe
from core_server.signals.model import SignalStatus
from core_server.signals.settings import settings_with
from tests.kit.time import ct
from tests.unit.signals.signal_fakes import Rig, S, bar, signal_input

M1 = Timeframe.M1
T = ct(2025, 11, 14, 8, 37, 12)
PENDING = 100


def rig_with_pending(expiry_candles: int) -> Rig:
    rig = Rig(settings_with(expiry_candles=expiry_candles))
    rig.market.trade("25341.25")
    for i in range(PENDING):
        sig = signal_input(T, "25341.25", tf=M1, strategy=f"s{i}")
        assert rig.validator.submit(sig, authenticated=True, now_ns=T + S).signal.status is SignalStatus.PENDING
    signal_candle = bar(ct(2025, 11, 14, 8, 37), "25340.00", "25341.25", "25338.00", "25339.50", M1)
    rig.validator.on_candle_closed(signal_candle, signal_candle.end_ns)
    return rig


def test_recheck_cost_of_100_pending_signals_on_one_close(capsys: pytest.CaptureFixture[str]) -> None:
    rig = rig_with_pending(expiry_candles=10_000)
    start = ct(2025, 11, 14, 8, 38)
    quiet: list[int] = []
    for i in range(500):  # closes inside the signal range: every tracker is checked, none decides
        candle = bar(start + i * NS_PER_MINUTE, "25339.00", "25341.00", "25338.50", "25340.00", M1)
        t0 = time.perf_counter_ns()
        updates = rig.validator.on_candle_closed(candle, candle.end_ns)
        quiet.append(time.perf_counter_ns() - t0)
        assert updates == []
    deciding: list[int] = []
    for _ in range(20):  # one close confirms all 100, and the forming candle gives each its entry at once
        rig = rig_with_pending(expiry_candles=10)
        rig.history.form(bar(ct(2025, 11, 14, 8, 39), "25342.00", "25342.00", "25342.00", "25342.00", M1))
        candle = bar(ct(2025, 11, 14, 8, 38), "25339.00", "25343.00", "25338.50", "25342.50", M1)
        t0 = time.perf_counter_ns()
        updates = rig.validator.on_candle_closed(candle, candle.end_ns)
        deciding.append(time.perf_counter_ns() - t0)
        assert len(updates) == PENDING
    with capsys.disabled():
        print(
            f"\n{PENDING} pending signals, one close: median {median(quiet) / 1000:.1f} us when nothing is decided"
            f" (p99 {sorted(quiet)[494] / 1000:.1f} us); median {median(deciding) / 1000:.1f} us when all confirm"
        )
