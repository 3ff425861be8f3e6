"""Exits never open a position: random brackets, OCO pairs, reduce-only and plain orders, modifies, cancels (one
order, or all of a contract's or the account's, as asked or as the front-month roll does), closes, flattens,
reverses and ticks, with the reduce-only rules and the cash checked after every step."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_server.execution.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ExecutionCommand,
    ExitLevel,
    ExitOffset,
    FlattenAccount,
    ModifyOrder,
    OffsetUnit,
    OpenAccount,
    ReversePosition,
    SubmitBracket,
    SubmitOcoPair,
    SubmitOrder,
)
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent, OrderFilled
from core_server.execution.exits import reducible
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import CancelReason, OrderSide, OrderStatus, OrderType, TimeInForce
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Quote, Trade
from tests.unit.execution.execution_kit import ACC, ES, MES, MS, T0, D
from tests.unit.execution.test_paper_properties import START, check_reconciles

CONTRACTS = (ES, MES)
MID = 24_000
TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP)

# (kind, contract index, a, b, c); kinds 0-4 quotes on a random walk, 5 a trade, 6-16 commands (`_command`)
Step = tuple[int, int, int, int, int]
steps = st.lists(
    st.tuples(st.integers(0, 16), st.integers(0, 1), st.integers(-8, 8), st.integers(1, 4), st.integers(0, 7)),
    min_size=1,
    max_size=60,
)


def _exit(kind: int, distance: int, mid: int, sign: int, tick: Decimal, target: bool) -> ExitLevel:
    """A bracket leg in one of its forms: absolute, ticks, points, or (target) R."""
    if kind % 4 == 0:
        return tick * (mid + sign * distance)
    if kind % 4 == 1 or (kind % 4 == 3 and not target):
        return ExitOffset(Decimal(distance), OffsetUnit.TICKS)
    if kind % 4 == 2:
        return ExitOffset(tick * distance * 4, OffsetUnit.POINTS)
    return ExitOffset(Decimal(distance) / 2, OffsetUnit.R)


def _command(step: Step, mids: dict[str, int], open_ids: list[str], engine: PaperExecutionEngine) -> ExecutionCommand:
    kind, which, a, b, c = step
    contract = CONTRACTS[which]
    mid = mids[contract]
    tick = INSTRUMENTS[contract[:-5]].tick_size
    side = OrderSide.BUY if a >= 0 else OrderSide.SELL
    sign = side.sign
    order_type = TYPES[c % 3]
    entry_price = None
    if order_type is OrderType.LIMIT:
        entry_price = tick * (mid - sign * (abs(a) - 2))
    elif order_type is OrderType.STOP:
        entry_price = tick * (mid + sign * (abs(a) + 2))

    def order(reduce_only: bool, typ: OrderType = order_type, s: OrderSide = side) -> SubmitOrder:
        limit = stop = None
        if typ is OrderType.LIMIT:
            limit = tick * (mid - s.sign * (abs(a) - 2))
        elif typ is OrderType.STOP:
            stop = tick * (mid + s.sign * (abs(a) + 2))
        return SubmitOrder(ACC, contract, s, b, typ, TimeInForce.GTC, limit, stop, reduce_only=reduce_only)

    if kind == 7:
        return order(False)
    if kind in (8, 9):
        return SubmitBracket(
            ACC, contract, side, b, order_type,
            _exit(c, abs(a) + 1 + c, mid, -sign, tick, target=False),
            _exit(c + b, abs(a) + 1 + b, mid, sign, tick, target=True),
            entry_price, TimeInForce.GTC,
        )  # fmt: skip
    if kind == 10:
        position = engine.position(ACC, contract).net_qty
        exit_side = OrderSide.SELL if position > 0 else OrderSide.BUY
        first = order(c % 2 == 0, OrderType.LIMIT, exit_side)
        return SubmitOcoPair(first, order(c % 3 == 0, OrderType.STOP, exit_side))
    if kind == 11:
        position = engine.position(ACC, contract).net_qty
        exit_side = OrderSide.SELL if position > 0 else OrderSide.BUY if position < 0 else side
        return order(True, s=exit_side)
    if kind == 12 and open_ids:
        target = engine.order(open_ids[(b + c) % len(open_ids)])  # type: ignore[arg-type]
        if c % 2 and target.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and target.stop_price is not None:
            return ModifyOrder(ACC, target.order_id, stop_price=tick * (target.stop_price + a))
        if target.order_type is OrderType.LIMIT and target.limit_price is not None:
            return ModifyOrder(ACC, target.order_id, limit_price=tick * (target.limit_price + a))
        return ModifyOrder(ACC, target.order_id, quantity=target.quantity + b)
    if kind == 13 and c >= 6:  # every order of the contract, or of the account; as asked or as the roll does
        reason = CancelReason.ROLL if b % 2 else CancelReason.REQUESTED
        return CancelAllOrders(ACC, contract if c == 6 else None, reason)
    if kind == 13 and open_ids:
        return CancelOrder(ACC, open_ids[(a + b) % len(open_ids)])  # type: ignore[arg-type]
    if kind == 14:
        return ClosePosition(ACC, contract)
    if kind == 15:
        return FlattenAccount(ACC)
    if kind == 16:
        return ReversePosition(ACC, contract)
    return SubmitOrder(ACC, contract, side, b, OrderType.MARKET)


def check_exits_only_reduce(engine: PaperExecutionEngine, events: list[ExecutionEvent]) -> None:
    """(a) every fill of a reduce-only order reduced a position without crossing zero."""
    net = dict.fromkeys(CONTRACTS, 0)
    for event in events:
        if not isinstance(event, OrderFilled):
            continue
        fill = event.fill
        before = net[fill.contract_id]
        after = before + (fill.quantity if fill.side is OrderSide.BUY else -fill.quantity)
        if engine.order(fill.order_id).reduce_only:
            assert before != 0 and abs(after) < abs(before) and after * before >= 0, (fill, before, after)
        net[fill.contract_id] = after


def check_no_reduce_only_order_outgrows_its_position(engine: PaperExecutionEngine) -> None:
    """(b) no open reduce-only order (bracket exits waiting for their entry aside) with nothing to reduce,
    or with more open than the position."""
    for order in engine.open_orders(ACC):
        if not order.reduce_only or order.status is OrderStatus.HELD:
            continue
        room = reducible(order.side, engine.position(ACC, order.contract_id))
        assert 0 < order.leaves_qty <= room, (order, engine.position(ACC, order.contract_id))


def run(script: list[Step], fill: FillSettings) -> tuple[PaperExecutionEngine, list[ExecutionEvent]]:
    engine = PaperExecutionEngine(fill_settings=fill)
    events: list[ExecutionEvent] = list(engine.execute(OpenAccount(ACC, START), T0))
    mids = dict.fromkeys(CONTRACTS, MID)
    for n, step in enumerate(script):
        kind, which, a, b, c = step
        contract = CONTRACTS[which]
        ts = T0 + n * 40 * MS
        open_ids = [o.order_id for o in engine.open_orders(ACC)]
        if kind <= 4:
            mids[contract] += a
            bid = mids[contract]
            events += engine.on_quote(Quote(contract, ts, ts, bid, bid + 1 + kind % 2, b, b + c))
        elif kind == 5:
            events += engine.on_trade(Trade(contract, ts, ts, mids[contract] + a // 2, b, Aggressor.NONE))
        else:
            with contextlib.suppress(InvalidArgument, FailedPrecondition):  # a refused command changes nothing
                events += engine.execute(_command(step, mids, open_ids, engine), ts)
        events += engine.advance_to(ts)
        check_no_reduce_only_order_outgrows_its_position(engine)
    return engine, events


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=steps, seed=st.integers(0, 1000), partial=st.booleans(), touch=st.booleans())
def test_exits_never_open_or_flip_a_position_and_the_cash_reconciles(
    script: list[Step], seed: int, partial: bool, touch: bool
) -> None:
    fill = FillSettings(seed=seed, partial_fills=partial, fill_limits_on_touch=touch)
    engine, events = run(script, fill)
    check_exits_only_reduce(engine, events)
    check_reconciles(engine, events)
    assert engine.account(ACC).balance - START == sum(
        (engine.position(ACC, c).realised_pnl - engine.position(ACC, c).commissions for c in CONTRACTS), D("0")
    )
