"""RunSettings: what a client asks a backtest to run, validated into a BacktestConfig (field names as on the wire)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from core_server.backtest.config import DEFAULT_COMMISSION, BacktestConfig, FillModel
from core_server.backtest.rolls import Roll, front_months
from core_server.model.clock import ns_from_datetime
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EXCHANGE_TZ, Contract
from core_server.model.symbols import is_continuous, parse_symbol

DAY_START = time(17, 0)  # a CME trade date starts at 17:00 CT the evening before
MAX_DAYS = 3660
MAX_PARAMS = 32
MAX_TEXT = 200
MAX_DEFINITION = 64_000
MAX_SEED = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class RunSettings:
    symbol: str
    from_date: str
    to_date: str
    strategy: str = ""
    params: dict[str, str] = field(default_factory=dict)
    definition: str = ""
    fill_on_touch: bool = False
    slippage_ticks: int = 0
    latency_min_ms: int = 0
    latency_max_ms: int = 0
    preset: str = ""
    seed: int = 1
    starting_balance: str = ""
    commission: str = ""
    stored_version: int = 0  # set by the server: `definition` is the stored strategy `strategy` at this version

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> RunSettings:
        data = json.loads(text) if isinstance(text, str) else dict(text)
        return cls(**data)

    def with_params(self, params: dict[str, str]) -> RunSettings:
        return replace(self, params={**self.params, **params})

    def dates(self) -> tuple[date, date]:
        first = _date(self.from_date, "settings.from_date")
        last = _date(self.to_date, "settings.to_date")
        if last < first:
            raise InvalidArgument("settings.to_date", "must not be before from_date")
        if (last - first).days > MAX_DAYS:
            raise InvalidArgument("settings.to_date", f"at most {MAX_DAYS} days after from_date")
        return first, last

    def contract(self) -> Contract:
        """The contract of the first day: the symbol's front month then, or the named contract."""
        return self.front_months()[0][0]

    def front_months(self) -> tuple[tuple[Contract, ...], tuple[Roll, ...]]:
        """The contracts the run trades and the rolls between them: a named contract alone; a continuous symbol
        (ES, ES1!) the front month of each part of the range (backtest.rolls, SPEC §1's roll rule)."""
        first, last = self.dates()
        symbol = self.symbol.strip()
        if not symbol:
            raise InvalidArgument("settings.symbol", "name a symbol (ES) or a contract (ESZ2025)")
        contract = parse_symbol(symbol, _day_start(first), field="settings.symbol")
        if not is_continuous(symbol):
            return (contract,), ()
        try:
            return front_months(contract.root, _day_start(first), _day_start(last + timedelta(days=1)))
        except InvalidArgument as exc:  # a front month past the years contracts exist in
            raise InvalidArgument("settings.to_date", f"{symbol!r}: {exc.reason}") from None

    def config(self, account_id: str = "backtest") -> BacktestConfig:
        """The driver's config; InvalidArgument names the bad field."""
        first, last = self.dates()
        contracts, rolls = self.front_months()
        if len(self.params) > MAX_PARAMS:
            raise InvalidArgument("settings.params", f"at most {MAX_PARAMS} parameters")
        for name, value in self.params.items():
            if not name or len(name) > MAX_TEXT or len(value) > MAX_TEXT:
                raise InvalidArgument("settings.params", f"names and values of 1 to {MAX_TEXT} characters")
        if len(self.definition) > MAX_DEFINITION:
            raise InvalidArgument("settings.definition", f"at most {MAX_DEFINITION} characters")
        if len(self.strategy) > MAX_TEXT:
            raise InvalidArgument("settings.strategy", f"at most {MAX_TEXT} characters")
        if not 0 <= self.seed <= MAX_SEED:
            raise InvalidArgument("settings.seed", "must be >= 0")
        fill = _fill(self)
        balance = _money(self.starting_balance, "settings.starting_balance") if self.starting_balance else None
        commission = _money(self.commission, "settings.commission") if self.commission else DEFAULT_COMMISSION
        if balance is not None and balance <= 0:
            raise InvalidArgument("settings.starting_balance", "must be > 0")
        try:
            return BacktestConfig(
                contracts, _day_start(first), _day_start(last + timedelta(days=1)), fill=fill, seed=self.seed,
                account_id=account_id, starting_balance=balance, commission=commission, preset=self.preset.strip(),
                rolls=rolls,
            )  # fmt: skip
        except InvalidArgument as exc:
            raise InvalidArgument(f"settings.{exc.field}", exc.reason) from None


def _fill(settings: RunSettings) -> FillModel:
    try:
        return FillModel(settings.fill_on_touch, settings.slippage_ticks, settings.latency_min_ms,
                         settings.latency_max_ms)  # fmt: skip
    except InvalidArgument as exc:
        name = "slippage_ticks" if "slippage" in exc.field else "latency_min_ms"
        raise InvalidArgument(f"settings.{name}", exc.reason) from None


def _money(text: str, field_name: str) -> Decimal:
    value = parse_decimal(text, field_name, places=2, low=Decimal(0), high=Decimal(1_000_000_000))
    if value is None:
        raise InvalidArgument(field_name, "must be a number of dollars")
    return value


def _date(text: str, field_name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgument(field_name, f"{text[:40]!r} is not a date YYYY-MM-DD") from None


def _day_start(trade_date: date) -> int:
    return ns_from_datetime(datetime.combine(trade_date - timedelta(days=1), DAY_START, tzinfo=EXCHANGE_TZ))
