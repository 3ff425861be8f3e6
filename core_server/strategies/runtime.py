"""The strategy interface: market events and timers in, actions out. A strategy never does I/O and never runs a
command itself: it returns actions, the host turns them into the kernel's execution commands (tagged with the
strategy and its version) and the kernel runs them through execution and risk like any other command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.execution.commands import SubmitBracket, SubmitBracketBatch, SubmitOrder
from core_server.execution.model import AccountId, Order
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, Tick, Timeframe
from core_server.strategies.definition import StrategyDefinition
from core_server.strategies.scheduler import NEVER
from core_server.strategies.series import Series


@dataclass(frozen=True, slots=True)
class Place:
    """New orders: a plain order, a bracket or a batch of brackets (all or none)."""

    command: SubmitOrder | SubmitBracket | SubmitBracketBatch


@dataclass(frozen=True, slots=True)
class CancelOwn:
    """Cancel the strategy's own open orders: only entries not yet filled, or every one (exits too)."""

    entries_only: bool = True


@dataclass(frozen=True, slots=True)
class CloseOwn:
    """Cancel every open order of the strategy and close its own position at market (reduce-only)."""


@dataclass(frozen=True, slots=True)
class Note:
    """A line in the strategy's event log: a signal evaluated, an action skipped and why, a state change."""

    kind: str
    message: str


Action = Place | CancelOwn | CloseOwn | Note


class Context(Protocol):
    """What a strategy may read: time, the calendar, its contract's series and its own orders and position."""

    @property
    def now_ns(self) -> int: ...

    @property
    def calendar(self) -> TradingCalendar: ...

    @property
    def windows(self) -> SessionWindows: ...

    @property
    def contract(self) -> Contract: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def tag(self) -> str: ...

    def series(self, timeframe: Timeframe) -> Series | None: ...

    def position(self) -> int:
        """The strategy's own net position (its fills only), signed contracts."""
        ...

    def open_entries(self) -> tuple[Order, ...]:
        """The strategy's entry orders still working."""
        ...

    def open_positions(self) -> int:
        """Its filled brackets still open (entries filled, exits working)."""
        ...

    def trades_today(self) -> int: ...

    def realised_today(self) -> Decimal:
        """The strategy's realised dollars on the current CME trading day, commissions included."""
        ...


class Strategy:
    """Base of every strategy: override what it reacts to. `next_timer_ns` and `wants_ticks` are read by the host
    after every call."""

    next_timer_ns: int = NEVER
    wants_ticks: bool = False
    wants_quotes: bool = False  # with wants_ticks: quotes too (trade prints only otherwise)
    changed: bool = False  # set when its state() changed without an action (the host stores it, then clears it)

    def __init__(self, definition: StrategyDefinition) -> None:
        self.definition = definition

    def required(self) -> Sequence[object]:
        """The indicator operands it reads (the host keeps them updated)."""
        return ()

    def start(self, ctx: Context) -> Sequence[Action]:
        """Activated (or restored active): schedule the first timer."""
        return ()

    def on_candles(self, candles: Sequence[Candle], ctx: Context) -> Sequence[Action]:
        """Closed candles of its contract, every timeframe that closed at once (its series are already updated)."""
        return ()

    def on_tick(self, tick: Tick, ctx: Context) -> Sequence[Action]:
        return ()

    def tick_band(self) -> tuple[int, int] | None:
        """(low, high): a trade at a price in [low, high] before `next_timer_ns` makes `on_tick` return nothing
        and change nothing (not even `changed`), so a backtest may pass over it (kernel.quiet). None (the
        default): every tick it wants must reach it."""
        return None

    def on_timer(self, ctx: Context) -> Sequence[Action]:
        return ()

    def state(self) -> dict[str, object]:
        """What must survive a restart, as JSON-able values."""
        return {}

    def restore(self, state: Mapping[str, object]) -> None:
        return None
