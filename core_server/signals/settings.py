"""Per-instrument signal settings, their documented defaults, and the same settings resolved to ticks.

Defaults and why:
- staleness_points: SPEC gives 5 points for NQ, i.e. 0.02 % of a ~25,000 index level (late 2025). The other
  roots keep the same fraction of their own level, rounded to a tick multiple: ES ~6,800 -> 1.5, YM ~47,000
  -> 10, RTY ~2,450 -> 0.5. Scaling by price level (not by point value) keeps the same tolerance in index
  terms; a micro shares its mini's prices and so its numbers.
- pivot_buffer_points: SPEC gives 25 points for NQ (0.1 %); the same fraction gives ES 7, YM 50, RTY 2.5.
- max_age: 120 s. The signal time is the alert's fire time ({{timenow}}); TradingView delivers within
  seconds, occasionally tens of seconds under load, so two minutes admits every genuine delivery and
  rejects an alert replayed from a queue or retried long after the market moved.
- future_skew: 5 s. A signal stamped later than now by more than the senders' plausible clock error is
  malformed, not early.
- expiry_candles: 10 closed signal-timeframe candles after the signal candle (10 minutes on 1m, 50 on 5m):
  a setup that has not broken its signal candle by then has lost the context it was taken in.
- session_windows: None, i.e. every configured named window (the market-open test still applies).
- approval: auto. Confirmed signals become Signal Lab trades that paper-trade (SPEC §3); a trader who wants
  one-key approval sets manual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from core_server.calendar.windows import SessionWindows
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec

DEFAULT_MAX_AGE_NS = 120 * NS_PER_SECOND
DEFAULT_FUTURE_SKEW_NS = 5 * NS_PER_SECOND
DEFAULT_EXPIRY_CANDLES = 10


class ApprovalMode(StrEnum):
    AUTO = "auto"  # a valid confirmation is CONFIRMED at once
    MANUAL = "manual"  # it is AWAITING_APPROVAL until approve()


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """How one instrument's signals are validated. Points are index points, e.g. Decimal("5")."""

    staleness_points: Decimal
    pivot_buffer_points: Decimal
    max_age_ns: int = DEFAULT_MAX_AGE_NS
    future_skew_ns: int = DEFAULT_FUTURE_SKEW_NS
    expiry_candles: int = DEFAULT_EXPIRY_CANDLES
    session_windows: frozenset[str] | None = None  # enabled window names; None = all configured windows
    approval: ApprovalMode = ApprovalMode.AUTO

    def __post_init__(self) -> None:
        if self.staleness_points < 0:
            raise InvalidArgument("signals.staleness_points", "must not be negative")
        if self.pivot_buffer_points < 0:
            raise InvalidArgument("signals.pivot_buffer_points", "must not be negative")
        if self.max_age_ns <= 0:
            raise InvalidArgument("signals.max_age_ns", "must be positive")
        if self.future_skew_ns < 0:
            raise InvalidArgument("signals.future_skew_ns", "must not be negative")
        if self.expiry_candles < 1:
            raise InvalidArgument("signals.expiry_candles", "must be at least 1")


def _defaults(staleness: str, buffer: str) -> SignalSettings:
    return SignalSettings(Decimal(staleness), Decimal(buffer))


DEFAULT_SIGNAL_SETTINGS: Mapping[str, SignalSettings] = {
    "NQ": _defaults("5", "25"),
    "MNQ": _defaults("5", "25"),
    "ES": _defaults("1.5", "7"),
    "MES": _defaults("1.5", "7"),
    "YM": _defaults("10", "50"),
    "MYM": _defaults("10", "50"),
    "RTY": _defaults("0.5", "2.5"),
    "M2K": _defaults("0.5", "2.5"),
}


def settings_with(**changes: object) -> dict[str, SignalSettings]:
    """The default table with the same change applied to every root, e.g. settings_with(approval=MANUAL)."""
    return {root: replace(s, **changes) for root, s in DEFAULT_SIGNAL_SETTINGS.items()}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    """One instrument's settings in its own ticks, with the enabled windows checked against the configuration."""

    spec: InstrumentSpec
    settings: SignalSettings
    staleness_ticks: int
    pivot_buffer_ticks: int
    enabled_windows: frozenset[str]


def resolve_rules(
    overrides: Mapping[str, SignalSettings] | None, windows: SessionWindows
) -> dict[str, InstrumentRules]:
    """Rules for every known root: the defaults, replaced root by root by `overrides`.

    Points off an instrument's tick grid and unknown window names are InvalidArgument, raised at start-up.
    """
    chosen = {**DEFAULT_SIGNAL_SETTINGS, **(overrides or {})}
    unknown = set(chosen) - set(INSTRUMENTS)
    if unknown:
        raise InvalidArgument("signals", f"settings for unknown root {sorted(unknown)[0]!r}")
    rules = {}
    for root, settings in chosen.items():
        spec = INSTRUMENTS[root]
        enabled = (
            frozenset(windows.names)
            if settings.session_windows is None
            else windows.check_names(settings.session_windows)
        )
        rules[root] = InstrumentRules(
            spec,
            settings,
            spec.ticks_from_price(settings.staleness_points, f"signals.{root}.staleness_points"),
            spec.ticks_from_price(settings.pivot_buffer_points, f"signals.{root}.pivot_buffer_points"),
            enabled,
        )
    return rules
