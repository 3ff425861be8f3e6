"""The Signals screen shows alerts that close, cancel and add: the action in the feed's side column, the
outcome (what was closed, or why nothing was) in the feed and the detail, a free-text strategy name exactly
as sent, and an alert's own bracket legs. A real server (tests/tui/conftest.py signal_server)."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk import BracketLeg, LegKind, LegType, SignalAction, SignalDirection, SignalStatus
from core_server.app import RunningServer
from tests.kit.eventually import eventually
from tests.tui.test_tui_signals_screen import SIZE, open_signals_streaming, signal_input
from tui.app import VigilApp
from tui.widgets.pending_signals import PendingSignalsTable
from tui.widgets.signal_detail import SignalDetail
from tui.widgets.signal_feed import SignalFeed

NAME = "Signal Lab NQ — Стратегия 🚀"


async def test_an_exit_with_no_position_shows_as_a_no_op_with_its_reason(signal_server: RunningServer) -> None:
    app = VigilApp(signal_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals_streaming(app, signal_server)
        exit_input = signal_input(
            "25340.00", action=SignalAction.EXIT, direction=SignalDirection.NONE, quantity=0, strategy=NAME
        )
        result = await app.client.submit_signal(exit_input)
        signal = result.signal
        assert signal.status is SignalStatus.NO_OP

        feed = screen.query_one(SignalFeed)
        await eventually(lambda: feed.kinds_of(signal.signal_id)[:1] == ["no_op"])
        key = f"{signal.signal_id}|no_op|{signal.decided_ns}"
        assert str(feed.get_cell(key, "direction")) == "exit"
        assert str(feed.get_cell(key, "reason")) == "no position in NQZ2026 on account paper"
        detail = screen.query_one(SignalDetail)
        detail.show(await app.client.get_signal(signal.signal_id))
        assert "NQZ2026 exit none 1m" in detail.plain
        assert NAME in detail.plain
        assert "outcome no position in NQZ2026 on account paper" in detail.plain


async def test_a_free_text_strategy_and_alert_legs_show_in_the_table_and_detail(signal_server: RunningServer) -> None:
    app = VigilApp(signal_server.address)
    async with app.run_test(size=SIZE):
        screen = await open_signals_streaming(app, signal_server)
        legs = {
            "stop_loss": BracketLeg(LegKind.POINTS, Decimal("20"), LegType.TRAILING_STOP),
            "take_profit": BracketLeg(LegKind.PERCENT, Decimal("0.5")),
        }
        signal_id = (await app.client.submit_signal(signal_input("25340.25", strategy=NAME, **legs))).signal.signal_id
        table = screen.query_one(PendingSignalsTable)
        await eventually(lambda: signal_id in table.signals)
        assert str(table.get_cell(signal_id, "strategy")) == NAME
        detail = screen.query_one(SignalDetail)
        await eventually(lambda: detail.signal is not None and detail.signal.signal_id == signal_id)
        assert "alert stop-loss 20 points (trailing_stop)  take-profit 0.5% (limit)" in detail.plain
