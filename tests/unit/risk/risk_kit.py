"""Test kit for risk: a synchronous stand-in for the shell wiring the paper engine and the risk engine."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.accounts import CommissionSchedule
from core_server.execution.commands import ExecutionCommand, OpenAccount, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.events import ExecutionEvent, OrderAccepted, OrderDenied
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, MarkPrice, OrderSide, OrderType, TimeInForce
from core_server.model.instruments import INSTRUMENTS
from core_server.model.market_data import Aggressor, Quote, Trade
from core_server.risk.engine import RiskEngine
from core_server.risk.evaluation import RiskFigures
from core_server.risk.events import RiskAction, RiskEvent, RiskEventKind, RiskResult
from core_server.risk.rules import RuleSet
from tests.kit.time import ct

NQ, MNQ, ES = "NQM2026", "MNQM2026", "ESM2026"
ACC = AccountId("acc-1")
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def D(text: str | int) -> Decimal:
    return Decimal(text)


def mar(day: int, hour: int, minute: int = 0, second: int = 0) -> int:
    """March 2026 in Chicago time (10 = Tuesday)."""
    return ct(2026, 3, day, hour, minute, second)


def ticks(contract_id: str, price: str) -> int:
    return INSTRUMENTS[contract_id[:-5]].ticks_from_price(Decimal(price))


class Shell:
    """Paper engine + risk engine, wired as the async shell will: every path through both, actions run at once."""

    def __init__(
        self,
        rules: RuleSet,
        *,
        balance: str = "50000",
        commission: str = "2.50",
        mark: MarkPrice = MarkPrice.LAST_TRADE,
        start: int = mar(10, 8, 30),
        risk: RiskEngine | None = None,
        account: AccountId = ACC,
    ) -> None:
        fill = FillSettings(latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=0)
        self.exec = PaperExecutionEngine(
            fill_settings=fill, commissions=CommissionSchedule(default=D(commission)), mark=mark
        )
        self.risk = risk or RiskEngine(mark=mark)
        self.exec.add_pre_trade_check(self.risk)
        self.log: list[RiskEvent] = []
        self.actions: list[RiskAction] = []
        self.account = account
        self._take(self.risk.track_account(account, D(balance), rules, start), start)
        self.run(OpenAccount(account, D(balance)), start)

    def run(self, command: ExecutionCommand, ts: int) -> tuple[ExecutionEvent, ...]:
        events = self.exec.execute(command, ts) + self.exec.advance_to(ts)
        self._take(self.risk.take_pending(), ts)
        self._take(self.risk.on_execution_events(events), ts)
        return events

    def price(self, contract: str, price: str, ts: int) -> None:
        """The market at one price: a locked quote (bid = ask) then a trade there."""
        px = ticks(contract, price)
        quote = Quote(contract, ts, ts, px, px, 0, 0)
        self._take(self.risk.on_tick(quote, self.exec.on_quote(quote)), ts)
        trade = Trade(contract, ts, ts, px, 1, Aggressor.NONE)
        self._take(self.risk.on_tick(trade, self.exec.on_trade(trade)), ts)

    def advance(self, ts: int) -> None:
        self._take(self.risk.on_execution_events(self.exec.advance_to(ts)), ts)
        self._take(self.risk.advance_to(ts), ts)

    def order(
        self,
        contract: str,
        side: OrderSide,
        qty: int,
        ts: int,
        order_type: OrderType = OrderType.MARKET,
        limit: str | None = None,
    ) -> str | None:
        """Submit; returns the denial reason, or None when accepted."""
        cmd = SubmitOrder(self.account, contract, side, qty, order_type, TimeInForce.GTC, D(limit) if limit else None)
        first = self.run(cmd, ts)[0]
        if isinstance(first, OrderDenied):
            return first.reason
        assert isinstance(first, OrderAccepted)
        return None

    def trade(self, contract: str, side: OrderSide, qty: int, price: str, ts: int) -> None:
        """Set the market at `price` and fill a market order there (must be allowed)."""
        self.price(contract, price, ts)
        assert self.order(contract, side, qty, ts) is None

    def _take(self, result: RiskResult, ts: int) -> None:
        self.log.extend(result.events)
        for action in result.actions:
            self.actions.append(action)
            self.run(action, ts)

    def figures(self) -> RiskFigures:
        return self.risk.figures(self.account)

    def kinds(self) -> list[RiskEventKind]:
        return [e.kind for e in self.log if e.kind not in (RiskEventKind.ORDER_ALLOWED,)]

    def net(self, contract: str) -> int:
        return self.exec.position(self.account, contract).net_qty
