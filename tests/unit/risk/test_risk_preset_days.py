"""One hand-computed trading day per preset: the same trades, each firm's numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core_server.risk.events import RiskStatus
from core_server.risk.presets import preset
from tests.unit.risk.risk_kit import BUY, NQ, SELL, D, Shell, mar

# Buy 2 NQ at 20000 ($5 fees), low 19980 (-$800 open: day -$805), sell 2 at 19990 (-$400, $10 fees: day -$410).
DAYS = [
    ("topstep_50k", "50000", RiskStatus.DANGER, "48000"),  # 805 of 1,000 = 80.5 %
    ("topstep_100k", "100000", RiskStatus.SAFE, "97000"),  # 805 of 2,000 = 40.25 %
    ("topstep_150k", "150000", RiskStatus.SAFE, "145500"),
    ("apex_50k", "50000", RiskStatus.SAFE, "47500"),  # no daily limit; peak never above the start
    ("takeprofittrader_50k", "50000", RiskStatus.DANGER, "48000"),  # 805 of 1,100 = 73.2 %
]


@pytest.mark.parametrize(("name", "start", "status_at_low", "threshold"), DAYS)
def test_a_losing_day_per_preset(name: str, start: str, status_at_low: RiskStatus, threshold: str) -> None:
    shell = Shell(replace(preset(name).rules, flat_by=None), balance=start)
    shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, 0))
    shell.price(NQ, "19980.00", mar(10, 9, 10))
    low = shell.figures()
    assert (low.day_pnl, low.status) == (D("-805"), status_at_low)
    shell.trade(NQ, SELL, 2, "19990.00", mar(10, 9, 20))
    end = shell.figures()
    assert (end.day_pnl, end.balance, end.drawdown_threshold) == (D("-410"), D(start) - 410, D(threshold))
    assert not end.locked and not end.failed
    shell.advance(mar(10, 17, 0))
    assert shell.risk.day_results(shell.account)[-1][1] == D("-410")
