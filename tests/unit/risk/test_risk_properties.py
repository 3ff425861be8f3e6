"""Property: with risk registered on the paper engine, no fill ever takes an account past a size rule."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_server.execution.commands import (
    CancelOrder,
    ClosePosition,
    FlattenAccount,
    OpenAccount,
    ReversePosition,
    SubmitBracket,
    SubmitOrder,
)
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent, OrderAccepted
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import OrderId, OrderSide, OrderType, TimeInForce
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Quote, Trade
from core_server.risk.engine import RiskEngine
from core_server.risk.rules import RuleSet
from tests.unit.risk.risk_kit import ACC, ES, MNQ, NQ, mar

CONTRACTS = (NQ, MNQ, ES)
RULES = RuleSet(max_contracts=3, max_position_size=12, max_concurrent_positions=2)
MS = 1_000_000

steps = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 2), st.integers(-6, 6), st.integers(1, 14)), min_size=1, max_size=90
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(0, 3))
def test_no_fill_exceeds_max_contracts_position_size_or_concurrent_positions(
    script: list[tuple[int, int, int, int]], seed: int
) -> None:
    engine = PaperExecutionEngine(fill_settings=FillSettings(seed=seed))
    risk = RiskEngine()
    engine.add_pre_trade_check(risk)
    t0 = mar(10, 9, 0)
    risk.track_account(ACC, Decimal(50000), RULES, t0)
    engine.execute(OpenAccount(ACC, Decimal(50000)), t0)
    mids = {c: 80000 for c in CONTRACTS}
    orders: list[OrderId] = []
    for step, (kind, which, a, b) in enumerate(script):
        contract = CONTRACTS[which]
        ts = t0 + step * 60 * MS
        side = OrderSide.BUY if a >= 0 else OrderSide.SELL
        tick = INSTRUMENTS[contract[:-5]].tick_size
        qty = b if contract == MNQ else b % 4 + 1
        events: tuple[ExecutionEvent, ...] = ()
        try:
            if kind <= 2:
                mids[contract] += a
                quote = Quote(contract, ts, ts, mids[contract], mids[contract] + 1, 0, 0)
                events = engine.on_quote(quote)
                risk.on_tick(quote, events)
                trade = Trade(contract, ts, ts, mids[contract] + (a % 2), 1, Aggressor.NONE)
                events = engine.on_trade(trade)
                risk.on_tick(trade, events)
                check_sizes(engine)
                continue
            if kind == 3:
                events = engine.execute(SubmitOrder(ACC, contract, side, qty, OrderType.MARKET), ts)
            elif kind == 4:
                price = (mids[contract] - a) * tick
                cmd = SubmitOrder(ACC, contract, side, qty, OrderType.LIMIT, TimeInForce.GTC, limit_price=price)
                events = engine.execute(cmd, ts)
            elif kind == 5:
                price = (mids[contract] + (abs(a) + 2) * side.sign) * tick
                cmd = SubmitOrder(ACC, contract, side, qty, OrderType.STOP, TimeInForce.GTC, stop_price=price)
                events = engine.execute(cmd, ts)
            elif kind == 6:
                sl = (mids[contract] - 8 * side.sign) * tick
                tp = (mids[contract] + 8 * side.sign) * tick
                events = engine.execute(SubmitBracket(ACC, contract, side, qty, OrderType.MARKET, sl, tp), ts)
            elif kind == 7 and orders:
                events = engine.execute(CancelOrder(ACC, orders[(a + b) % len(orders)]), ts)
            elif kind == 8:
                command = ClosePosition(ACC, contract) if a % 2 else ReversePosition(ACC, contract)
                events = engine.execute(command, ts)
            elif kind == 9:
                events = engine.execute(FlattenAccount(ACC), ts)
        except (InvalidArgument, FailedPrecondition):
            continue
        orders += [e.order.order_id for e in events if isinstance(e, OrderAccepted)]
        risk.on_execution_events(events)
        risk.take_pending()
        events = engine.advance_to(ts + 250 * MS)
        risk.on_execution_events(events)
        check_sizes(engine)


def check_sizes(engine: PaperExecutionEngine) -> None:
    positions = [p for p in engine.positions(ACC) if p.net_qty]
    assert all(abs(p.net_qty) <= 12 for p in positions)
    assert sum(RULES.contract_weight(p.contract_id[:-5]) * abs(p.net_qty) for p in positions) <= 3
    assert len(positions) <= 2
