"""The one place a TradingKernel is put together, for the live server, backtests and the test kits alike."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core_server.calendar.session_table import load_trading_calendar
from core_server.calendar.sessions import TradingCalendar
from core_server.excursions.settings import DEFAULT_EXCURSION_SETTINGS, ExcursionSettings
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, MarkPrice
from core_server.execution.price_bands import PriceBands
from core_server.kernel.kernel import SignalExecution, TradingKernel
from core_server.kernel.market import MarketStage
from core_server.kernel.ports import StrategyStage
from core_server.model.instruments import Contract
from core_server.risk.days import MarketHours
from core_server.risk.engine import RiskEngine
from core_server.risk.rules import RuleSet
from core_server.signals.settings import SignalSettings
from core_server.signals.validator import SignalValidator
from core_server.trades.ledger import TradeLedger


def counter(prefix: str) -> Callable[[], str]:
    """Ids `prefix1`, `prefix2`, ...: deterministic, for backtests and tests."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


@dataclass(frozen=True, slots=True)
class KernelSettings:
    fill: FillSettings = field(default_factory=FillSettings)
    commissions: CommissionSchedule = field(default_factory=CommissionSchedule.broker)  # the documented defaults
    mark: MarkPrice = MarkPrice.LAST_TRADE
    excursions: ExcursionSettings = DEFAULT_EXCURSION_SETTINGS
    default_rules: RuleSet | None = None
    default_max_order_size: int | None = None  # orders above it are denied when the account's rules set none
    price_bands: PriceBands | None = None  # None: prices are not checked against the market (synthetic data)
    quote_price_mode: str = "mid"
    close_grace_ns: int = 0
    signals: bool = True
    signal_settings: Mapping[str, SignalSettings] | None = None
    signal_execution: SignalExecution | None = None
    market_hours: MarketHours = MarketHours.EXCHANGE  # or declared open (the simulator, replays)


def build_kernel(
    settings: KernelSettings,
    contracts: Sequence[Contract],
    *,
    complete_from_ns: int,
    quote_only: bool = False,
    calendar: TradingCalendar | None = None,
    strategies: StrategyStage | None = None,
    signal_id_factory: Callable[[], str] | None = None,
    trade_id_factory: Callable[[], str] | None = None,
) -> TradingKernel:
    calendar = calendar or load_trading_calendar()
    market = MarketStage(quote_price_mode=settings.quote_price_mode)
    execution = PaperExecutionEngine(
        fill_settings=settings.fill, commissions=settings.commissions, mark=settings.mark,
        price_bands=settings.price_bands,
    )  # fmt: skip
    risk = RiskEngine(
        mark=settings.mark, calendar=calendar, market_hours=settings.market_hours, default_rules=settings.default_rules,
        default_max_order_size=settings.default_max_order_size,
    )  # fmt: skip
    validator = None
    if settings.signals:
        validator = SignalValidator(
            calendar=calendar,
            market=market,
            history=market,
            id_factory=signal_id_factory or counter("S-"),
            settings=settings.signal_settings,
        )
    kernel = TradingKernel(
        market=market,
        execution=execution,
        risk=risk,
        trades=TradeLedger(settings.excursions),
        signals=validator,
        signal_execution=settings.signal_execution,
        strategies=strategies,
        close_grace_ns=settings.close_grace_ns,
        trade_id_factory=trade_id_factory,
    )
    for contract in contracts:
        kernel.add_contract(contract, complete_from_ns=complete_from_ns, quote_only=quote_only)
    return kernel


def default_signal_execution(account_id: str, target_r: Decimal, *, enabled: bool = True) -> SignalExecution:
    return SignalExecution(enabled, AccountId(account_id), target_r)
