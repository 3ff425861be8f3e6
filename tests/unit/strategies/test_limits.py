"""Per-strategy limits and sizing through the kernel: concurrent positions, daily loss, risk-based size."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.model import OrderRole
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from core_server.strategies.definition import Sizing
from core_server.strategies.sizing import contracts_for
from tests.kit.feeds import trade
from tests.kit.strategies import StrategyRig
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
T0 = et(2026, 11, 18, 9, 0)
BASE = """
name = "fhb"
kind = "first_hour_breakout"
account = "acc-1"
instrument = "ES"
enabled = true
"""


def tk(hour: int, minute: int, price: str) -> Tick:
    return trade(ES, et(2026, 11, 18, hour, minute), price)


def placed(extra: str) -> StrategyRig:
    """The ladder around high 6002.00 / low 5998.00: sells at 6011, 6020, ...; buys at 5989, 5980, ..."""
    rig = StrategyRig([ES], t0=T0)
    rig.load(BASE + extra, T0)
    rig.ticks(tk(9, 30, "6000.00"), tk(9, 40, "6002.00"), tk(9, 50, "5998.00"))
    rig.advance(et(2026, 11, 18, 10, 30))
    return rig


def working_entries(rig: StrategyRig) -> int:
    orders = rig.kernel.execution.open_orders(rig.host.get("fhb").account_id)
    return len([o for o in orders if o.role is OrderRole.BRACKET_ENTRY])


def test_at_the_concurrent_position_limit_the_other_entries_are_cancelled() -> None:
    rig = placed("[limits]\nmax_concurrent_positions = 2\n")
    assert working_entries(rig) == 10
    rig.ticks(tk(10, 31, "6011.25"))  # sell 6011 fills: one position
    assert working_entries(rig) == 9 and rig.host.open_positions(rig.host.get("fhb")) == 1
    rig.ticks(tk(10, 32, "6015.00"))  # its stop at 6016 not reached
    rig.ticks(tk(10, 33, "6015.75"))
    assert rig.host.open_positions(rig.host.get("fhb")) == 1
    rig = placed("[limits]\nmax_concurrent_positions = 1\n")
    rig.ticks(tk(10, 31, "6011.25"))
    assert working_entries(rig) == 0
    assert rig.events("max_positions")[0].message == "1 concurrent positions open: unfilled entries cancelled"


def test_the_daily_loss_limit_cancels_the_entries() -> None:
    rig = placed("[limits]\ndaily_loss = 200\n")
    rig.ticks(tk(10, 31, "6011.25"), tk(10, 32, "6016.00"))  # short 6011 stopped at 6016: -$250 - $5
    record = rig.records()[-1]
    assert record.realised_today == Decimal("-255.00") and record.position == 0
    assert working_entries(rig) == 0  # within the tick of the losing fill
    assert rig.events("daily_loss")[0].message == "realised -255.00 today reached the limit 200"


def test_risk_based_size() -> None:
    assert contracts_for(Sizing(risk_dollars=Decimal(600)), ES.spec, 20) == 2  # 20 ticks x $12.50 = $250 each
    assert contracts_for(Sizing(risk_dollars=Decimal(249)), ES.spec, 20) == 0
    assert contracts_for(Sizing(contracts=3), ES.spec, 20) == 3
    rig = placed("[sizing]\nrisk_dollars = 600\n")
    orders = rig.kernel.execution.open_orders(rig.host.get("fhb").account_id)
    assert {o.quantity for o in orders if o.role is OrderRole.BRACKET_ENTRY} == {2}
