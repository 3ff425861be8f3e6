"""The Trade screen and the active-trades panel driven through the app against a real server (paper account)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual import events
from textual.widgets import Input

from clients.sdk import NotFoundError, OrderStatus, QuoteSnapshot
from clients.sdk.order_specs import bracket
from clients.sdk.order_specs import market as market_order
from tests.integration.execution.desk import T0, S
from tests.integration.risk.risk_desk import open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote
from tests.kit.feeds import trade as trade_print
from tui.app import VigilApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.market import MarketScreen
from tui.screens.trade import TradeScreen
from tui.widgets.account_bar import AccountBar
from tui.widgets.active_trades import ActiveTradesTable
from tui.widgets.fills_table import FillsTable
from tui.widgets.order_ticket import OrderTicket
from tui.widgets.positions_table import PositionsTable
from tui.widgets.working_orders import WorkingOrdersTable

SIZE = (160, 45)
MNQ = "MNQZ2026"
FAR = Decimal("1000")  # points: no simulated walk reaches a price this far away during a test
NQ_TICK = Decimal("0.25")


class RecordingApp(VigilApp):
    """The app, with every notification's text kept for the test to read."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.notes: list[str] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notes.append(message)
        super().notify(message, *args, **kwargs)


def press(app: VigilApp, *keys: str) -> None:
    """Send keys without Pilot's wait-for-idle (the server shares this process); tests wait for outcomes."""
    characters = {"plus": "+", "minus": "-"}
    for key in keys:
        app.post_message(events.Key(key, characters.get(key, key if len(key) == 1 else None)))


async def open_trade(app: VigilApp, root: str = "MNQ") -> TradeScreen:
    """The Trade screen with the paper account shown and `root` in the manual trader, priced."""
    await eventually(lambda: isinstance(app.screen, MarketScreen))
    press(app, "t")
    screen = await eventually(lambda: app.screen if isinstance(app.screen, TradeScreen) else None)
    assert isinstance(screen, TradeScreen)
    # The mode's screen can be current a moment before its widgets are composed.
    await eventually(lambda: screen.query(AccountBar))
    bar = screen.query_one(AccountBar)
    await eventually(lambda: bar.account is not None)
    ticket = screen.query_one(OrderTicket)
    await eventually(lambda: ticket.instrument is not None)
    for _ in range(len(screen.instruments)):
        if ticket.instrument is not None and ticket.instrument.root == root:
            break
        before = ticket.instrument
        press(app, "i")
        await eventually(lambda: ticket.instrument != before)  # noqa: B023  (awaited within this iteration)
    assert ticket.instrument is not None and ticket.instrument.root == root
    await eventually(lambda: ticket.quote is not None)
    return screen


async def nq_quote(app: VigilApp) -> QuoteSnapshot:
    try:
        return await app.client.get_quote("NQ")
    except NotFoundError as error:
        raise AssertionError("no NQ quote yet") from error


def set_input(screen: TradeScreen, input_id: str, value: str) -> None:
    screen.query_one(f"#{input_id}", Input).value = value


async def test_t_opens_the_trade_screen_with_the_account_bar_and_m_returns_to_the_market(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        market = await eventually(lambda: app.screen if isinstance(app.screen, MarketScreen) else None)
        screen = await open_trade(app, "NQ")
        bar = screen.query_one(AccountBar)
        await eventually(lambda: "Account paper" in bar.plain)
        assert "Balance $50,000.00" in bar.plain and "Equity $" in bar.plain and "Commissions $0.00" in bar.plain
        assert not app.check_action("switch_mode", ("trade",)) and app.check_action("switch_mode", ("market",))
        press(app, "m")
        await eventually(lambda: app.screen is market)
        press(app, "t")
        await eventually(lambda: app.screen is screen)


async def test_buying_one_mnq_at_market_shows_a_long_position_and_its_fill(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        press(app, "b")
        positions = screen.query_one(PositionsTable)
        await eventually(lambda: MNQ in positions.shown)
        assert positions.text(MNQ, "qty") == "+1"
        fills = screen.query_one(FillsTable)
        await eventually(lambda: fills.row_count == 1)
        (fill,) = fills.fills.values()
        assert (fill.contract_id, fill.side.value, fill.quantity) == (MNQ, "buy", 1)
        assert Decimal(positions.text(MNQ, "avg")) == fill.price  # an average shows the price places + 4
        assert fills.text(fill.fill_id, "price") == str(fill.price)
        assert any("buy 1 MNQZ2026 market: order" in note for note in app.notes)
        bar = screen.query_one(AccountBar)
        await eventually(lambda: "Commissions $0.00" not in bar.plain)


async def test_size_keys_change_the_quantity_of_the_next_order(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        ticket = screen.query_one(OrderTicket)
        press(app, "plus", "plus", "minus")
        await eventually(lambda: ticket.quantity == 2)
        press(app, "s")
        positions = screen.query_one(PositionsTable)
        await eventually(lambda: MNQ in positions.shown and positions.text(MNQ, "qty") == "-2")


async def test_a_limit_order_far_from_the_market_works_until_x_cancels_it(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        ticket = screen.query_one(OrderTicket)
        press(app, "o")
        limit_input = screen.query_one("#limit-price", Input)
        await eventually(lambda: limit_input.value != "")
        assert ticket.quote is not None and limit_input.value == str(ticket.quote.bid)  # prefilled with the bid
        price = Decimal(limit_input.value) - FAR
        set_input(screen, "limit-price", str(price))
        press(app, "b")

        orders = screen.query_one(WorkingOrdersTable)
        await eventually(lambda: orders.row_count == 1 and orders.selected is not None)
        order = orders.selected
        assert order is not None
        await eventually(lambda: orders.text(order.order_id, "status") == "working")
        row = [orders.text(order.order_id, c) for c in ("contract", "side", "type", "qty", "limit", "stop", "tif")]
        assert row == [MNQ, "buy", "limit", "1/0", str(price), "—", "day"]

        press(app, "x")
        await eventually(lambda: orders.row_count == 0)
        listed = await app.client.list_orders("paper")
        assert [o.status for o in listed if o.order_id == order.order_id] == [OrderStatus.CANCELLED]


async def test_an_off_tick_limit_price_is_a_notification_and_the_app_keeps_running(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        press(app, "o")
        limit_input = screen.query_one("#limit-price", Input)
        await eventually(lambda: limit_input.value != "")
        set_input(screen, "limit-price", "20000.10")
        press(app, "b")
        await eventually(lambda: any("not a multiple of the MNQ tick" in note for note in app.notes))
        set_input(screen, "limit-price", "")
        press(app, "s")
        await eventually(lambda: any("enter a limit price" in note for note in app.notes))
        assert app.is_running and app.screen is screen
        assert screen.query_one(WorkingOrdersTable).row_count == 0


async def test_flatten_asks_first_then_closes_the_position(vigil_server: str) -> None:
    app = VigilApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        press(app, "b")
        positions = screen.query_one(PositionsTable)
        await eventually(lambda: MNQ in positions.shown)

        press(app, "F")
        await eventually(lambda: isinstance(app.screen, ConfirmScreen))
        press(app, "n")
        await eventually(lambda: app.screen is screen)
        assert MNQ in positions.shown

        press(app, "F")
        await eventually(lambda: isinstance(app.screen, ConfirmScreen))
        press(app, "y")
        await eventually(lambda: app.screen is screen and positions.row_count == 0)
        account = await app.client.get_account("paper")
        assert all(p.is_flat for p in account.positions)
        await eventually(lambda: screen.query_one(FillsTable).row_count == 2)  # the buy and the flattening sell


async def test_a_bracket_buy_fills_and_leaves_a_working_stop_and_target(vigil_server: str) -> None:
    app = RecordingApp(vigil_server)
    async with app.run_test(size=SIZE):
        screen = await open_trade(app)
        set_input(screen, "stop-ticks", "2000")  # 500 MNQ points: neither exit is reached during the test
        set_input(screen, "target-ticks", "4000")
        exits = screen.query_one("#ticket-stop")
        await eventually(lambda: "2000 t = 500.00 pts = $1,000.00" in str(exits.render()))
        press(app, "b")

        positions = screen.query_one(PositionsTable)
        await eventually(lambda: MNQ in positions.shown and positions.text(MNQ, "qty") == "+1")
        orders = screen.query_one(WorkingOrdersTable)

        def exits_working() -> bool:
            working = [o for o in orders.orders.values() if o.status is OrderStatus.WORKING]
            return sorted(o.order_type.value for o in working) == ["limit", "stop"]

        await eventually(exits_working)
        fill_price = next(iter(screen.query_one(FillsTable).fills.values())).price
        by_type = {o.order_type.value: o for o in orders.orders.values()}
        stop, target = by_type["stop"], by_type["limit"]
        assert stop.side.value == "sell" and target.side.value == "sell"
        assert stop.stop_price is not None and target.limit_price is not None
        assert target.limit_price - stop.stop_price == 1500  # placed from the entry's reference price
        assert stop.stop_price < fill_price < target.limit_price
        assert orders.text(stop.order_id, "stop") == str(stop.stop_price)

        # The server tracks a hand-placed bracket as a trade once its entry fills (stop = its stop-loss).
        trades = screen.query_one(ActiveTradesTable)
        await eventually(lambda: len(trades.trades) == 1)
        (trade,) = trades.trades.values()
        assert (trade.contract_id, trade.entry_price, trade.current_stop) == (MNQ, fill_price, stop.stop_price)
        assert trades.text(trade.trade_id, "direction") == "long"
        assert any("bracket" in note for note in app.notes)


async def test_the_active_trades_panel_shows_an_open_tracked_trade_on_market_and_trade(database_url: str) -> None:
    """A bracket on a stepped ES tape (zero latency, no slippage): BUY 1 at the ask 6000.25 with its stop 40 ticks
    (10 points) below; the panel shows it on both screens, with R now, until the position is closed."""
    async with open_risk_desk(database_url) as rd:
        app = VigilApp(rd.desk.running.address, clock=rd.desk.clock.now_ns)
        async with app.run_test(size=SIZE):
            market = await eventually(lambda: app.screen if isinstance(app.screen, MarketScreen) else None)
            assert isinstance(market, MarketScreen)
            await app.client.submit_bracket(
                "paper", bracket(market_order(ES.id, "buy", 1), stop_loss_ticks=40, take_profit_ticks=80)
            )
            await rd.filled_to(1)
            (trade,) = await eventually(lambda: app.client.list_trades(open_only=True, account_id="paper"))
            panel = market.query_one(ActiveTradesTable)
            await eventually(lambda: trade.trade_id in panel.trades)
            assert [panel.text(trade.trade_id, c) for c in ("contract", "direction", "entry", "status")] == [
                ES.id,
                "long",
                "6000.25",
                "open",
            ]
            assert panel.text(trade.trade_id, "stop") == "5990.25"
            # a print 1 point up: the trade is marked at it, R now = 1 / 10 = +0.10R
            await rd.desk.ticks(trade_print(ES, T0 + S + S // 2, "6001.25"))
            await eventually(lambda: panel.text(trade.trade_id, "r_now") == "+0.10R")

            screen = await open_trade(app, "ES")
            trade_panel = screen.query_one(ActiveTradesTable)
            await eventually(lambda: trade.trade_id in trade_panel.trades)

            await app.client.close_position("paper", ES.id)
            await rd.desk.ticks(quote(ES, T0 + 2 * S, "6000.00", "6000.25"), trade_print(ES, T0 + 2 * S, "6000.25"))
            await rd.filled_to(0)
            await eventually(lambda: trade.trade_id not in trade_panel.trades and trade.trade_id not in panel.trades)
