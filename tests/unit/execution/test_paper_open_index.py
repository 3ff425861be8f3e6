"""The engine's index of open orders (by account, and by account and contract) always equals a scan of every order:
after random scripts, brackets, OCO pairs, expiry, and a rollback or a restore."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from core_server.execution.commands import CancelAllOrders, FlattenAccount, OpenAccount, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderType, TimeInForce
from tests.unit.execution.execution_kit import ACC, BUY, ES, LMT, MES, MKT, SELL, STP, T0, D, Rig
from tests.unit.execution.test_paper_properties import Action, actions, run

OTHER = AccountId("acc-2")


def assert_index_matches(engine: PaperExecutionEngine) -> None:
    every = engine.orders()
    for account in {o.account_id for o in every} | {a.account_id for a in engine.accounts()}:
        scanned = tuple(o for o in every if o.account_id == account and o.is_open)
        assert engine.open_orders(account) == scanned
        for contract in {o.contract_id for o in every} | {ES, MES}:
            assert engine.open_orders(account, contract) == tuple(o for o in scanned if o.contract_id == contract)
    assert engine.rollback_point().orders == tuple(o for o in every if o.is_open)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=actions)
def test_the_open_index_equals_a_scan_after_any_script(script: list[Action]) -> None:
    engine, _ = run(script, FillSettings(seed=3, partial_fills=True))
    assert_index_matches(engine)


def _book() -> Rig:
    rig = Rig()
    rig.engine.execute(OpenAccount(OTHER, D("50000")), T0)
    rig.quote(ES, "5000.00", "5000.25", at=0)
    rig.quote(MES, "5000.00", "5000.25", at=0)
    rig.submit(ES, BUY, 1, LMT, limit="4990.00", at=0)
    rig.bracket(ES, BUY, 1, MKT, None, "4980.00", "5010.00", at=0)
    rig.submit(MES, SELL, 2, STP, stop="4950.00", at=0)
    rig.engine.execute(SubmitOrder(OTHER, ES, BUY, 1, OrderType.LIMIT, TimeInForce.DAY, limit_price=D("4900.00")), T0)
    rig.quote(ES, "5000.00", "5000.25", at=200)  # arrivals: the bracket entry fills, its exits work
    return rig


def test_the_index_follows_fills_cancels_flatten_and_day_expiry() -> None:
    rig = _book()
    assert_index_matches(rig.engine)
    assert len(rig.engine.open_orders(ACC)) == 4 and len(rig.engine.open_orders(OTHER)) == 1
    rig.engine.execute(CancelAllOrders(ACC, MES), T0 + 300_000_000)
    assert_index_matches(rig.engine)
    assert rig.engine.open_orders(ACC, MES) == ()
    rig.engine.execute(FlattenAccount(ACC), T0 + 400_000_000)
    rig.quote(ES, "5000.00", "5000.25", at=600)
    assert_index_matches(rig.engine)
    assert rig.engine.open_orders(ACC) == ()
    rig.engine.advance_to(T0 + 24 * 3600 * 1_000_000_000)  # the DAY order expires at the trading day's end
    assert_index_matches(rig.engine)
    assert rig.engine.open_orders(OTHER) == ()


def test_a_rollback_and_a_restore_rebuild_the_index() -> None:
    rig = _book()
    point = rig.engine.rollback_point()
    rig.engine.execute(FlattenAccount(ACC), T0 + 300_000_000)
    rig.engine.execute(SubmitOrder(ACC, MES, BUY, 1, OrderType.LIMIT, limit_price=D("4000.00")), T0 + 300_000_000)
    rig.engine.restore(point)
    assert_index_matches(rig.engine)
    assert len(rig.engine.open_orders(ACC)) == 4
    twin = PaperExecutionEngine()
    twin.restore(rig.engine.snapshot())
    assert_index_matches(twin)
    assert twin.open_orders(ACC) == rig.engine.open_orders(ACC)
