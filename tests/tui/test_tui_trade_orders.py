"""Changing working orders (e, [ ]), closing and reversing positions (c, v) and today's closed trades on the Trade
screen, and the account's levels on the Market chart, against a real server with the paper account."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from clients.sdk import Order, OrderStatus, OrderType
from clients.sdk.order_specs import bracket, market
from tests.integration.execution.desk import T0, S
from tests.integration.risk.risk_desk import open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from tests.tui.test_tui_trade_screen import FAR, MNQ, RecordingApp, open_trade, press, set_input
from tui.app import VigilApp
from tui.formatting import money
from tui.screens.confirm import ConfirmScreen
from tui.screens.market import MarketScreen
from tui.screens.modify_order import ModifyOrderScreen
from tui.screens.trade import TradeScreen
from tui.widgets.closed_trades import ClosedTradesTable
from tui.widgets.positions_table import PositionsTable
from tui.widgets.price_chart import PriceChart
from tui.widgets.working_orders import WorkingOrdersTable

SIZE = (160, 45)
TICK = Decimal("0.25")


def field(found: Input | None) -> Input:
    assert found is not None
    return found


def select_order(screen: TradeScreen, order_id: str) -> None:
    table = screen.query_one(WorkingOrdersTable)
    table.move_cursor(row=table.get_row_index(order_id))


async def modify_dialog(app: VigilApp) -> ModifyOrderScreen:
    dialog = await eventually(lambda: app.screen if isinstance(app.screen, ModifyOrderScreen) else None)
    assert isinstance(dialog, ModifyOrderScreen)
    await eventually(lambda: dialog.quantity_input.has_focus or (dialog.focused is not None))
    return dialog


async def server_order(app: VigilApp, order_id: str) -> Order:
    return next(o for o in await app.client.list_orders("paper") if o.order_id == order_id)


async def place_bracket(app: VigilApp, screen: TradeScreen) -> tuple[Order, Order]:
    """Buy 1 MNQ with a stop and a target 500 points away (no walk reaches them); its (stop, target) orders."""
    set_input(screen, "stop-ticks", "2000")
    set_input(screen, "target-ticks", "2000")
    await eventually(lambda: "2000 t" in str(screen.query_one("#ticket-target").render()))
    press(app, "b")
    orders = screen.query_one(WorkingOrdersTable)

    def exits() -> tuple[Order, Order] | None:
        working = {o.order_type: o for o in orders.orders.values() if o.status is OrderStatus.WORKING}
        if OrderType.STOP in working and OrderType.LIMIT in working:
            return working[OrderType.STOP], working[OrderType.LIMIT]
        return None

    found = await eventually(exits)
    assert found is not None
    return found


async def test_e_changes_a_working_limit_orders_price_and_size(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        press(app, "o")
        limit_input = screen.query_one("#limit-price", Input)
        await eventually(lambda: limit_input.value != "")
        price = Decimal(limit_input.value) - FAR
        set_input(screen, "limit-price", str(price))
        press(app, "b")
        orders = screen.query_one(WorkingOrdersTable)
        await eventually(lambda: orders.row_count == 1)
        (order,) = orders.orders.values()
        await eventually(lambda: orders.text(order.order_id, "status") == "working")

        press(app, "e")
        dialog = await modify_dialog(app)
        assert field(dialog.limit_input).value == str(price)
        new_price = price - 10 * TICK
        field(dialog.limit_input).value = str(new_price)
        dialog.quantity_input.value = "3"
        press(app, "enter")

        await eventually(lambda: orders.text(order.order_id, "limit") == str(new_price))
        assert orders.text(order.order_id, "qty") == "3/0"
        changed = await server_order(app, order.order_id)
        assert (changed.limit_price, changed.quantity, changed.status) == (new_price, 3, OrderStatus.WORKING)
        assert any("Modified" in note or "limit" in note for note in app.notes)


async def test_escape_leaves_the_order_as_it_was(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        stop, _ = await place_bracket(app, screen)
        select_order(screen, stop.order_id)
        press(app, "e")
        dialog = await modify_dialog(app)
        assert dialog.quantity_input.disabled  # a bracket exit's size follows its entry
        press(app, "escape")
        await eventually(lambda: app.screen is screen)
        assert (await server_order(app, stop.order_id)).stop_price == stop.stop_price


async def test_brackets_stop_and_target_move_by_ticks_and_by_edit(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        stop, target = await place_bracket(app, screen)
        orders = screen.query_one(WorkingOrdersTable)
        assert orders.text(stop.order_id, "role") == "stop" and orders.text(target.order_id, "role") == "target"
        assert stop.stop_price is not None and target.limit_price is not None

        select_order(screen, stop.order_id)
        press(app, "right_square_bracket", "right_square_bracket")  # the stop up two ticks, one at a time
        raised = stop.stop_price + 2 * TICK
        await eventually(lambda: orders.text(stop.order_id, "stop") == str(raised))
        assert (await server_order(app, stop.order_id)).stop_price == raised

        select_order(screen, target.order_id)
        press(app, "e")
        dialog = await modify_dialog(app)
        lowered = target.limit_price - 100 * TICK
        field(dialog.limit_input).value = str(lowered)
        press(app, "enter")
        await eventually(lambda: orders.text(target.order_id, "limit") == str(lowered))
        assert (await server_order(app, target.order_id)).limit_price == lowered


async def test_c_closes_and_v_reverses_the_selected_position_after_asking(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        press(app, "plus")
        await eventually(lambda: screen.ticket.quantity == 2)
        press(app, "b")
        positions = screen.query_one(PositionsTable)
        await eventually(lambda: MNQ in positions.shown and positions.text(MNQ, "qty") == "+2")

        press(app, "v")
        dialog = await eventually(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.question == f"Reverse +2 {MNQ}: sell 4 at market, leaving -2?"
        press(app, "n")
        await eventually(lambda: app.screen is screen)
        assert positions.text(MNQ, "qty") == "+2"

        press(app, "v")
        await eventually(lambda: isinstance(app.screen, ConfirmScreen))
        press(app, "y")
        await eventually(lambda: positions.text(MNQ, "qty") == "-2" if MNQ in positions.shown else False)

        press(app, "c")
        dialog = await eventually(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        assert isinstance(dialog, ConfirmScreen) and dialog.question == f"Close -2 {MNQ}: buy 2 at market?"
        press(app, "y")
        await eventually(lambda: MNQ not in positions.shown)
        assert all(p.is_flat for p in await app.client.list_positions("paper"))


async def test_a_trade_closed_today_shows_its_result_excursions_and_dollars(database_url: str) -> None:
    """Hand-computed on a stepped ES tape (zero latency, no slippage): BUY 1 at the ask 6000.25, stop 10 ticks
    (2.5 points) and target 20 ticks (5 points) from the fill; a print through 6005.25 takes the target:
    +2.00R and 5 points x $50 a point = $250.00 gross."""
    async with open_risk_desk(database_url) as rd:
        address = rd.desk.running.address
        app = VigilApp(address, clock=rd.desk.clock.now_ns)
        async with app.run_test(size=SIZE):
            screen = await open_trade(app, "ES")
            await app.client.submit_bracket(
                "paper", bracket(market(ES.id, "buy", 1), stop_loss_ticks=10, take_profit_ticks=20)
            )
            await rd.filled_to(1)
            await rd.desk.ticks(quote(ES, T0 + 2 * S, "6005.25", "6005.50"), trade(ES, T0 + 2 * S, "6005.50"))
            await rd.filled_to(0)
            (closed,) = await eventually(lambda: app.client.list_trades(closed_only=True, account_id="paper"))
            table = screen.query_one(ClosedTradesTable)
            await eventually(lambda: closed.trade_id in table.shown)
            row = {c: table.text(closed.trade_id, c) for c in ("account", "contract", "side", "qty", "entry", "exit")}
            assert row == {
                "account": "paper",
                "contract": ES.id,
                "side": "long",
                "qty": "1",
                "entry": "6000.25",
                "exit": "6005.25",
            }
            assert table.text(closed.trade_id, "result") == "+2.00R"
            assert table.text(closed.trade_id, "dollars") == money(Decimal("250.00"))
            listed = await app.client.get_trade(closed.trade_id)
            assert table.text(closed.trade_id, "mfe") == f"+{listed.mfe_r:.2f}R" or listed.mfe_r <= 0
            assert table.border_title is not None and "Closed today (1)" in str(table.border_title)

        # A fresh start lists it from the server: the day's trades survive leaving the screen.
        app = VigilApp(address, clock=rd.desk.clock.now_ns)
        async with app.run_test(size=SIZE):
            screen = await open_trade(app, "ES")
            table = screen.query_one(ClosedTradesTable)
            await eventually(lambda: closed.trade_id in table.shown)
            assert table.text(closed.trade_id, "dollars") == money(Decimal("250.00"))


async def test_the_market_chart_marks_the_accounts_entry_stop_and_target(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        stop, target = await place_bracket(app, screen)
        positions = screen.query_one(PositionsTable)
        await eventually(lambda: MNQ in positions.positions)
        average = positions.positions[MNQ].average_price

        press(app, "m")
        market = await eventually(lambda: app.screen if isinstance(app.screen, MarketScreen) else None)
        assert isinstance(market, MarketScreen)
        press(app, *(["j"] * 3))  # ES, MES, NQ, MNQ: the fourth row
        chart = market.query_one(PriceChart)
        await eventually(lambda: chart.contract_id == MNQ)

        def levels() -> dict[str, Decimal]:
            return {m.kind: m.price for m in chart.marks}

        await eventually(lambda: levels() == {"entry": average, "stop": stop.stop_price, "target": target.limit_price})
        assert "stop" in str(chart.border_subtitle) and "target" in str(chart.border_subtitle)
