"""What the kernel produced since the last drain, by stage, in the order it happened.

The kernel appends; the driver around it (the live shell, a backtest) drains with `take()` and stores,
publishes or reports what it wants. `mark()`/`truncate()` let the live shell drop what a command produced when
the command is rolled back because it could not be stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from core_server.copying.model import CopyOutcome, GroupChange
from core_server.execution.commands import ExecutionCommand
from core_server.execution.events import ExecutionEvent
from core_server.execution.model import AccountId
from core_server.model.market_data import Candle, Tick
from core_server.risk.audit import StatusSnapshot
from core_server.risk.events import RiskEvent
from core_server.signals.model import SignalUpdate
from core_server.signals.trade_record import TradeRecord


class Stage(StrEnum):
    """The kernel's stages, in the order a tick runs through them."""

    MARKET = "market"  # anomaly filter and candles
    STRATEGIES = "strategies"
    EXECUTION = "execution"  # paper fills
    RISK = "risk"
    TRADES = "trades"  # round trips and their excursions
    SIGNALS = "signals"


class Cause(StrEnum):
    """Who made the kernel run an execution command (the audit trail names it)."""

    TICK = "tick"  # no command: the market moved
    TIME = "time"  # no command: time passed
    API = "api"  # a client's command (the shell adds who)
    RISK = "risk"  # a same-tick risk action (cancel all, flatten)
    TRADES = "trades"  # a trade's break-even stop move
    SIGNAL = "signal"  # a confirmed signal's bracket
    STRATEGY = "strategy"
    COPY = "copy"  # a follower's copy of a copy group's source command (actor: the group id)
    ROLL = "roll"  # the front-month roll (a continuous backtest, or live): the old month's orders and position closed


@dataclass(frozen=True, slots=True)
class ExecutionStep:
    """One engine call: the events it caused, the command (None for a tick or the clock) and who asked."""

    ts_ns: int
    command: ExecutionCommand | None
    events: tuple[ExecutionEvent, ...]
    cause: Cause
    actor: str = ""  # the strategy or signal id, or the API caller, when known


@dataclass(frozen=True, slots=True)
class StageFailure:
    """A stage raised while handling one tick, time step or command: recorded, counted, and made safe."""

    stage: Stage
    ts_ns: int
    contract_id: str
    accounts: tuple[AccountId, ...]  # locked from opening new risk until an operator resumes them
    error: str
    detail: str  # the traceback, for the log


@dataclass(slots=True)
class QuietTicks:
    """Ticks a backtest's quiet fast path applied from a columnar batch without building them (kernel.quiet): how
    many, the first and last instants, and where they fell among the listed `ticks` (len(ticks) when the first and
    the last run were applied)."""

    count: int
    first_ns: int
    last_ns: int
    first_at: int
    last_at: int


@dataclass(slots=True)
class KernelOutput:
    ticks: list[Tick] = field(default_factory=list)  # released by the anomaly filter, in order
    anomalies: list[Tick] = field(default_factory=list)  # held back for good
    candles: list[Candle] = field(default_factory=list)  # closed, or re-marked incomplete after closing
    execution: list[ExecutionStep] = field(default_factory=list)
    risk: list[RiskEvent] = field(default_factory=list)
    trades: list[object] = field(default_factory=list)  # trades.ledger TradeChange values
    signals: list[SignalUpdate] = field(default_factory=list)
    signal_trades: list[TradeRecord] = field(default_factory=list)
    strategies: list[object] = field(default_factory=list)  # strategy events
    failures: list[StageFailure] = field(default_factory=list)
    copies: list[CopyOutcome] = field(default_factory=list)  # each follower's copy of a copy group's source
    copy_groups: list[GroupChange] = field(default_factory=list)  # copy groups created, changed or deleted
    # Per risk event, its account's whole status as of the moment it was decided (None without `status_of`)
    risk_as_of: list[StatusSnapshot | None] = field(default_factory=list)
    # Set by a driver that shows statuses (the live shell): an account's status now, read when its events are added
    status_of: Callable[[AccountId], StatusSnapshot] | None = field(default=None, repr=False, compare=False)
    # Backtests only (live never takes the quiet path): released ticks counted but not listed in `ticks`
    quiet: QuietTicks | None = None

    def note_quiet(self, count: int, first_ns: int, last_ns: int) -> None:
        """`count` released ticks from `first_ns` to `last_ns`, applied after the listed ones so far."""
        quiet, at = self.quiet, len(self.ticks)
        if quiet is None:
            self.quiet = QuietTicks(count, first_ns, last_ns, at, at)
        else:
            quiet.count += count
            quiet.last_ns, quiet.last_at = last_ns, at

    def tick_count(self) -> int:
        """Released ticks, listed or counted."""
        return len(self.ticks) + (self.quiet.count if self.quiet is not None else 0)

    def first_tick_ns(self) -> int | None:
        """The instant of the first released tick (None: none)."""
        quiet = self.quiet
        if quiet is not None and quiet.first_at == 0:
            return quiet.first_ns
        return self.ticks[0].ts_event if self.ticks else None

    def last_tick_ns(self) -> int | None:
        """The instant of the last released tick (None: none)."""
        quiet = self.quiet
        if quiet is not None and quiet.last_at == len(self.ticks):
            return quiet.last_ns
        return self.ticks[-1].ts_event if self.ticks else None

    def add_risk(self, events: Sequence[RiskEvent]) -> None:
        """Record risk events with their accounts' status as of now (before any action they ask for runs)."""
        self.risk.extend(events)
        status_of, seen = self.status_of, dict[AccountId, StatusSnapshot | None]()
        for event in events:
            aid = event.account_id
            status = None
            if status_of is not None and aid is not None:
                if aid not in seen:
                    try:
                        seen[aid] = status_of(aid)
                    except Exception:  # an account risk no longer knows: the entry goes without a status
                        seen[aid] = None
                status = seen[aid]
            self.risk_as_of.append(status)

    def mark(self) -> tuple[int, ...]:
        """For the live shell (which never has `quiet` ticks)."""
        return tuple(len(getattr(self, name)) for name in _FIELDS)

    def truncate(self, mark: tuple[int, ...]) -> None:
        for name, size in zip(_FIELDS, mark, strict=True):
            del getattr(self, name)[size:]

    def take(self) -> KernelOutput:
        """Move everything out into a new output; this one stays the kernel's, empty."""
        taken = KernelOutput(*(getattr(self, name) for name in _FIELDS))
        taken.quiet, self.quiet = self.quiet, None
        for name in _FIELDS:
            setattr(self, name, [])
        return taken

    def __bool__(self) -> bool:
        return self.quiet is not None or any(getattr(self, name) for name in _FIELDS)


_FIELDS = (
    "ticks",
    "anomalies",
    "candles",
    "execution",
    "risk",
    "trades",
    "signals",
    "signal_trades",
    "strategies",
    "failures",
    "copies",
    "copy_groups",
    "risk_as_of",
)
