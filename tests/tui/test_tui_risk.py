"""Risk in the TUI: the banner on every screen, the Risk screen's presets, the emergency stop and resume, and the
Trade screen's question before an order while the risk is elevated. Real servers, except the pure text tests."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from clients.sdk import OrderSide, OrderSpec, RiskRules, RiskState, RiskStatus, TrailingMode
from core_server.config import PaperConfig
from tests.integration.execution.desk import Desk, open_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote
from tests.tui.test_tui_trade_screen import open_trade, press
from tui import risk_text
from tui.app import VigilApp
from tui.risk_messages import RiskSnapshot
from tui.screens.confirm import ConfirmScreen
from tui.screens.market import MarketScreen
from tui.screens.risk import RiskScreen
from tui.screens.signals import SignalsScreen
from tui.screens.trade import TradeScreen
from tui.widgets.fills_table import FillsTable
from tui.widgets.positions_table import PositionsTable
from tui.widgets.risk_banner import RiskBanner
from tui.widgets.risk_tables import RiskEventLog, RuleUsageTable

SIZE = (160, 45)
LIMITS = RiskRules(
    starting_balance=Decimal(50000),
    daily_loss_limit=Decimal(1000),
    trailing_drawdown=Decimal(2000),
    trailing_mode=TrailingMode.STATIC,
)


class RecordingApp(VigilApp):
    """The app, with every notification's text kept for the test to read."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.notes: list[str] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notes.append(message)
        super().notify(message, *args, **kwargs)


def banner(app: VigilApp) -> str:
    """The shown screen's banner text; "" while the screen is still being composed."""
    shown = app.screen.query(RiskBanner)
    return shown.first().plain if shown else ""


async def open_risk(app: VigilApp) -> RiskScreen:
    press(app, "R")
    screen = await eventually(lambda: app.screen if isinstance(app.screen, RiskScreen) else None)
    assert isinstance(screen, RiskScreen)
    await eventually(lambda: screen.query(RiskEventLog))  # composed
    return screen


async def question(app: VigilApp) -> str:
    dialog = await eventually(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
    assert isinstance(dialog, ConfirmScreen)
    return dialog.question


async def answer(app: VigilApp, key: str) -> None:
    press(app, key)
    await eventually(lambda: not isinstance(app.screen, ConfirmScreen))


async def test_the_risk_banner_shows_the_paper_account_on_market_signals_and_trade(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        await app.client.set_rules("paper", rules=LIMITS)
        await eventually(lambda: isinstance(app.screen, MarketScreen))
        await eventually(lambda: "daily loss $0.00 / $1,000.00 (0%)" in banner(app))
        assert banner(app).startswith("  SAFE  paper") and "to trailing drawdown $2,000.00" in banner(app)

        press(app, "g")
        await eventually(lambda: isinstance(app.screen, SignalsScreen))
        await eventually(lambda: "SAFE  paper" in banner(app) and "/ $1,000.00" in banner(app))

        press(app, "t")
        await eventually(lambda: isinstance(app.screen, TradeScreen))
        await eventually(lambda: "SAFE  paper" in banner(app) and "/ $1,000.00" in banner(app))


async def test_the_banner_shows_a_dash_when_no_server_answers(unused_address: str) -> None:
    app = VigilApp(unused_address)
    async with app.run_test(size=SIZE):
        await eventually(lambda: isinstance(app.screen, MarketScreen))
        await eventually(lambda: app.risk.problem not in ("", "loading…"))
        assert banner(app).startswith(" risk —")
        press(app, "g")
        await eventually(lambda: isinstance(app.screen, SignalsScreen) and banner(app).startswith(" risk —"))


async def test_p_on_the_risk_screen_applies_a_preset_after_asking_and_shows_its_rules(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        await eventually(lambda: isinstance(app.screen, MarketScreen))
        screen = await open_risk(app)
        for _ in range(len(await app.client.list_presets())):
            press(app, "p")
            asked = await question(app)
            if "topstep_50k" in asked:
                break
            await answer(app, "n")
        assert "Apply preset topstep_50k to paper?" in asked and "max contracts 5" in asked
        await answer(app, "y")

        rules = screen.query_one(RuleUsageTable)
        await eventually(lambda: "max_contracts" in rules.shown and "daily_loss" in rules.shown)
        assert rules.text("max_contracts", "limit") == "5"
        assert rules.text("daily_loss", "limit") == "$1,000.00"
        # The periodic status refresh can show the new rules before SetRules' own answer arrives.
        await eventually(lambda: any("max contracts 5" in note for note in app.notes))
        assert (await app.client.get_rules("paper")).preset == "topstep_50k"


async def test_shift_e_asks_then_stops_everything_and_u_on_the_risk_screen_resumes(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        trade = await open_trade(app)
        press(app, "b")
        positions = trade.query_one(PositionsTable)
        await eventually(lambda: "MNQZ2026" in positions.shown)

        press(app, "E")
        assert "EMERGENCY STOP" in await question(app)
        await answer(app, "y")
        await eventually(lambda: "EMERGENCY STOP" in banner(app))
        await eventually(lambda: "MNQZ2026" not in positions.shown)
        assert not [p for p in await app.client.list_positions("paper") if p.quantity]
        await eventually(lambda: any("1 positions flattened" in note for note in app.notes))

        screen = await open_risk(app)
        log = screen.query_one(RiskEventLog)
        await eventually(lambda: any(e.kind == "emergency_stop" for e in log.events.values()))
        await eventually(lambda: "EMERGENCY STOP" in banner(app))  # the banner composes a moment after the log
        press(app, "U")
        assert "Resume" in await question(app)
        await answer(app, "y")
        await eventually(lambda: "EMERGENCY STOP" not in banner(app) and "SAFE" in banner(app))
        assert not (await app.client.get_risk_status("paper"))[0].emergency_stop


async def open_trade_quoted(app: VigilApp, desk: Desk) -> TradeScreen:
    """The Trade screen on ES; the stepped replay sends a quote only when stepped, so the same quote is stepped
    again until the manual trader has one."""
    opening = asyncio.create_task(open_trade(app, "ES"))

    async def quoted() -> bool:
        if not opening.done():
            await desk.ticks(quote(ES, desk.clock.now_ns(), "6000.00", "6000.25"))
        return opening.done()

    await eventually(quoted)  # type: ignore[arg-type]  # mypy infers Never for an async bool check
    return opening.result()


async def test_the_trade_screen_asks_before_an_order_in_warning_and_lets_the_server_deny_once_locked(
    database_url: str,
) -> None:
    """Zero latency, no slippage, $2.50 a side, and no trade printed (so positions have no mark and no unrealised
    P&L): each fill costs exactly $2.50 of a $4.00 daily loss limit. One fill: 62.5 %, WARNING. A second: $5.00,
    a soft breach, so the account is flattened and LOCKED, and the server denies the next order."""
    paper = PaperConfig(latency_ms=(0, 0), slippage_ticks=0, commission=Decimal("2.50"))
    async with open_desk(database_url, paper=paper) as desk:
        app = RecordingApp(desk.running.address)
        async with app.run_test(size=SIZE):
            await app.client.set_rules("paper", rules=RiskRules(daily_loss_limit=Decimal(4)))
            await app.client.submit_order("paper", OrderSpec("ESZ2026", OrderSide.BUY, 1))
            trade = await open_trade_quoted(app, desk)
            fills = trade.query_one(FillsTable)
            await eventually(lambda: fills.row_count == 1)
            await eventually(lambda: "WARNING" in banner(app) and "daily loss $2.50 / $4.00 (63%)" in banner(app))

            press(app, "b")
            asked = await question(app)
            assert asked == "Risk is WARNING: 63% of the daily loss used. Send the order (buy 1 ESZ2026 market)?"
            await answer(app, "n")
            assert fills.row_count == 1 and not any(": order " in note for note in app.notes)

            press(app, "b")
            await question(app)
            await answer(app, "y")
            await eventually(lambda: fills.row_count >= 2)
            await eventually(lambda: "LOCKED" in banner(app))

            press(app, "b")  # no question when locked: the order goes, and the server's denial says why
            await eventually(lambda: any(note.startswith("buy 1 ESZ2026 market: daily loss") for note in app.notes))
            assert not isinstance(app.screen, ConfirmScreen)


# -- the prompt and the banner's text, from statuses made up here ----------------------------------------------


def status(state: RiskState, used: str = "0", limit: str | None = "1000", **fields: Any) -> RiskStatus:
    values: dict[str, Any] = {
        "account_id": "paper",
        "state": state,
        "trading_day": "2026-11-18",
        "daily_loss_used": Decimal(used),
        "daily_loss_limit": Decimal(limit) if limit is not None else None,
        "drawdown_threshold": Decimal(48000),
        "distance_to_threshold": Decimal(1580),
        "peak_balance": Decimal(50000),
        "equity": Decimal(49580),
        "locked_until_ns": 0,
        "reason": "",
        "emergency_stop": False,
        "rules": (),
        "updated_ns": 1,
    }
    values.update(fields)
    return RiskStatus(**values)


def test_the_order_question_is_asked_in_warning_and_danger_only() -> None:
    order = "buy 1 NQZ2026 market"
    assert risk_text.order_question(status(RiskState.DANGER, "780"), order) == (
        "Risk is DANGER: 78% of the daily loss used. Send the order (buy 1 NQZ2026 market)?"
    )
    assert risk_text.order_question(status(RiskState.WARNING, "500"), order) is not None
    for state in (RiskState.SAFE, RiskState.LOCKED, RiskState.FAILED):
        assert risk_text.order_question(status(state, "950"), order) is None
    assert risk_text.order_question(None, order) is None


def test_the_banner_line_has_the_state_daily_loss_drawdown_distance_and_the_stop() -> None:
    line = risk_text.banner(RiskSnapshot("paper", status(RiskState.SAFE, "420"))).plain
    assert line.startswith("  SAFE  paper")
    assert "daily loss $420.00 / $1,000.00 (42%)" in line and "to trailing drawdown $1,580.00" in line
    assert "EMERGENCY STOP" not in line

    stopped = status(RiskState.LOCKED, reason="emergency stop: new risk is blocked until resumed", emergency_stop=True)
    line = risk_text.banner(RiskSnapshot("paper", stopped)).plain
    assert "LOCKED" in line and "EMERGENCY STOP" in line and "until resumed" in line

    assert (
        "daily loss $12.50 (no limit)"
        in risk_text.banner(RiskSnapshot("paper", status(RiskState.SAFE, "12.5", None))).plain
    )
    assert risk_text.banner(RiskSnapshot("paper", None, "unavailable")).plain.startswith(" risk —")
