"""What a backtest runs on: contracts, data range, fill model, seed, account, commissions and risk preset."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, StrEnum

from core_server.backtest.rolls import Roll
from core_server.execution.fill_model import FillSettings
from core_server.model.clock import NS_PER_MS
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract
from core_server.risk.presets import preset as find_preset
from core_server.risk.rules import RuleSet

DEFAULT_BALANCE = Decimal(50_000)
DEFAULT_COMMISSION = Decimal("2.50")  # dollars per contract per side
MAX_LATENCY_MS = 60_000
MAX_SLIPPAGE_TICKS = 100


class FillMode(Enum):
    """When a resting limit fills: only when the market trades (or quotes) through it, or when it touches it."""

    THROUGH = "through"
    TOUCH = "touch"


class BacktestStatus(StrEnum):
    """A backtest run's state in the job store (stored as its value)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class FillModel:
    """How paper orders fill. `ideal()`: no latency, no slippage; limits fill on touch or only when traded through.

    The paper model draws latency uniformly from [latency_min_ms, latency_max_ms] and an adverse slippage of
    0..slippage_ticks per market or stop fill, from streams seeded by the backtest's seed
    (execution.fill_model)."""

    fill_on_touch: bool = False
    slippage_ticks: int = 0
    latency_min_ms: int = 0
    latency_max_ms: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.slippage_ticks <= MAX_SLIPPAGE_TICKS:
            raise InvalidArgument("fill.slippage_ticks", f"must be between 0 and {MAX_SLIPPAGE_TICKS}")
        if not 0 <= self.latency_min_ms <= self.latency_max_ms <= MAX_LATENCY_MS:
            raise InvalidArgument("fill.latency_ms", f"needs 0 <= min <= max <= {MAX_LATENCY_MS}")

    @classmethod
    def ideal(cls, *, touch: bool = False) -> FillModel:
        return cls(fill_on_touch=touch)

    @property
    def label(self) -> str:
        fills = "touch" if self.fill_on_touch else "through"
        if not self.slippage_ticks and not self.latency_max_ms:
            return f"ideal-{fills}"
        return f"paper-{fills} slippage<={self.slippage_ticks}t latency {self.latency_min_ms}-{self.latency_max_ms}ms"

    def settings(self, seed: int) -> FillSettings:
        return FillSettings(
            seed=seed,
            latency_min_ns=self.latency_min_ms * NS_PER_MS,
            latency_max_ns=self.latency_max_ms * NS_PER_MS,
            max_slippage_ticks=self.slippage_ticks,
            fill_limits_on_touch=self.fill_on_touch,
        )


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    contracts: tuple[Contract, ...]
    start_ns: int
    end_ns: int  # exclusive
    fill: FillModel = field(default_factory=FillModel)
    seed: int = 1
    account_id: str = "backtest"
    starting_balance: Decimal | None = None  # None: the preset's, else DEFAULT_BALANCE
    commission: Decimal = DEFAULT_COMMISSION
    preset: str = ""  # a prop-firm preset (risk.presets); '' trades without rules
    # A continuous symbol's front-month rolls inside the range (backtest.rolls.front_months), run in time order;
    # `contracts` then holds every front month, the first one first.
    rolls: tuple[Roll, ...] = ()

    def __post_init__(self) -> None:
        if not self.contracts:
            raise InvalidArgument("symbol", "name at least one contract")
        last = self.start_ns
        for roll in self.rolls:
            if not last < roll.at_ns < self.end_ns or roll.old not in self.contracts or roll.new not in self.contracts:
                raise InvalidArgument("rolls", "each roll inside the range, in order, between contracts of the run")
            last = roll.at_ns
        if self.end_ns <= self.start_ns:
            raise InvalidArgument("range", "the end must be after the start")
        if self.commission < 0:
            raise InvalidArgument("commission", "must be >= 0")
        if self.starting_balance is not None and self.starting_balance <= 0:
            raise InvalidArgument("starting_balance", "must be > 0")
        if self.preset:
            find_preset(self.preset)

    @property
    def rules(self) -> RuleSet | None:
        return find_preset(self.preset).rules if self.preset else None

    @property
    def balance(self) -> Decimal:
        if self.starting_balance is not None:
            return self.starting_balance
        return find_preset(self.preset).starting_balance if self.preset else DEFAULT_BALANCE
