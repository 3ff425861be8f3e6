"""The admission checks decided the moment a signal arrives: authentic and new, staleness, session.

Each returns a CheckResult whose detail holds the numbers it was decided on. Boundaries are inclusive:
a price exactly the threshold away and an age exactly the maximum both pass.

Session labels: a sender's `session` label (e.g. "NY AM") is compared with the window the signal time
falls in, ignoring case and punctuation. A mismatch is written into the detail but never fails the check,
because charting scripts label sessions by their own clocks and names; the signal time is the authority.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from core_server.calendar.sessions import CalendarRangeError, TradingCalendar
from core_server.calendar.windows import SessionWindows
from core_server.candles.buckets import bucket_of
from core_server.signals.details import (
    eastern_clock_text,
    exchange_text,
    half_ticks_text,
    moment_text,
    points_text,
    seconds_text,
)
from core_server.signals.model import CheckName, CheckOutcome, CheckResult, SignalInput
from core_server.signals.ports import MarketView
from core_server.signals.settings import InstrumentRules

PASSED = CheckOutcome.PASSED
FAILED = CheckOutcome.FAILED


@dataclass(frozen=True, slots=True)
class CurrentPrice:
    """The market price compared with the signal price, in half ticks so a quote mid stays exact."""

    half_ticks: int
    source: str  # "last trade" or "quote mid"


def current_price(market: MarketView, contract_id: str) -> CurrentPrice | None:
    """The last trade price, else the mid of the last two-sided quote, else None."""
    trade = market.last_trade(contract_id)
    if trade is not None:
        return CurrentPrice(2 * trade.price, "last trade")
    quote = market.last_quote(contract_id)
    if quote is not None and 0 < quote.bid <= quote.ask:
        return CurrentPrice(quote.bid + quote.ask, "quote mid")
    return None


def check_authentic(authenticated: bool, key: str, now_ns: int) -> CheckResult:
    """The bridge verified the shared secret; by the time this runs the key is known to be new."""
    if not authenticated:
        return CheckResult(CheckName.AUTHENTIC_AND_NEW, FAILED, "shared secret missing or wrong", now_ns)
    return CheckResult(CheckName.AUTHENTIC_AND_NEW, PASSED, f"authenticated; first delivery of key {key}", now_ns)


def check_staleness_price(
    rules: InstrumentRules, contract_id: str, signal_price: int, current: CurrentPrice | None, now_ns: int
) -> CheckResult:
    """|signal price - current price| <= the instrument's staleness points."""
    spec = rules.spec
    limit = points_text(rules.settings.staleness_points)
    if current is None:
        detail = f"no trade or quote for {contract_id} yet: cannot compare {spec.format_ticks(signal_price)} with it"
        return CheckResult(CheckName.STALENESS_PRICE, FAILED, detail, now_ns)
    distance = abs(2 * signal_price - current.half_ticks)
    passed = distance <= 2 * rules.staleness_ticks
    detail = (
        f"|{spec.format_ticks(signal_price)} - {half_ticks_text(spec, current.half_ticks)} ({current.source})|"
        f" = {half_ticks_text(spec, distance)} {'<=' if passed else '>'} {limit}"
    )
    return CheckResult(CheckName.STALENESS_PRICE, PASSED if passed else FAILED, detail, now_ns)


def check_staleness_age(rules: InstrumentRules, signal_time_ns: int, now_ns: int) -> CheckResult:
    """now - signal time <= max age, and the signal time is not later than now by more than the clock skew."""
    settings = rules.settings
    age = now_ns - signal_time_ns
    if -age > settings.future_skew_ns:
        detail = f"signal time {seconds_text(-age)} s in the future > {seconds_text(settings.future_skew_ns)} s skew"
        return CheckResult(CheckName.STALENESS_AGE, FAILED, detail, now_ns)
    if age > settings.max_age_ns:
        detail = f"age {seconds_text(age)} s > {seconds_text(settings.max_age_ns)} s"
        return CheckResult(CheckName.STALENESS_AGE, FAILED, detail, now_ns)
    if age < 0:
        detail = f"signal time {seconds_text(-age)} s ahead, within {seconds_text(settings.future_skew_ns)} s skew"
    else:
        detail = f"age {seconds_text(age)} s <= {seconds_text(settings.max_age_ns)} s"
    return CheckResult(CheckName.STALENESS_AGE, PASSED, detail, now_ns)


def check_session(
    signal_time_ns: int,
    label: str,
    calendar: TradingCalendar,
    windows: SessionWindows,
    enabled: Collection[str],
    now_ns: int,
) -> CheckResult:
    """The signal time lies in an enabled named window and CME is open then (no holiday, halt or early close)."""
    names = windows.windows_at(signal_time_ns)
    chosen = next((name for name in names if name in enabled), None)
    clock = eastern_clock_text(signal_time_ns)
    parts: list[str] = []
    failed = False
    if chosen is not None:
        parts.append(f"window {chosen} at {clock}")
    elif names:
        parts.append(f"window {names[0]} at {clock} is not enabled")
        failed = True
    else:
        parts.append(f"no session window at {clock}")
        failed = True
    try:
        is_open = calendar.is_open(signal_time_ns)
    except CalendarRangeError as exc:
        return CheckResult(CheckName.SESSION, FAILED, str(exc), now_ns)
    moment = exchange_text(signal_time_ns)
    if is_open:
        parts.append(f"market open at {moment}")
    else:
        failed = True
        state = "halted" if calendar.session_at(signal_time_ns) is not None else "closed"
        parts.append(f"market {state} at {moment}{_reopening(calendar, signal_time_ns)}")
    if label:
        parts.append(_label_note(label, chosen or (names[0] if names else None)))
    return CheckResult(CheckName.SESSION, FAILED if failed else PASSED, "; ".join(parts), now_ns)


def check_bar_time(signal_input: SignalInput, now_ns: int) -> CheckResult | None:
    """A given bar time must open a candle of the signal timeframe, at or before the signal time; a failure is
    the confirmation check's (there is no signal candle to confirm). None when fine or not given."""
    bar_ns = signal_input.bar_time_ns
    if not bar_ns:
        return None
    tf = signal_input.timeframe.label
    start_ns, _ = bucket_of(signal_input.timeframe, bar_ns)
    if start_ns != bar_ns:
        detail = (
            f"bar time {moment_text(bar_ns)} is not the start of a {tf} candle"
            f" (the {tf} candle holding it starts {moment_text(start_ns)})"
        )
    elif bar_ns > signal_input.signal_time_ns:
        detail = (
            f"bar time {moment_text(bar_ns)} is after the signal time {moment_text(signal_input.signal_time_ns)}:"
            " an alert's bar cannot open after the alert fired"
        )
    else:
        return None
    return CheckResult(CheckName.CONFIRMATION, FAILED, detail, now_ns)


def _reopening(calendar: TradingCalendar, ts_ns: int) -> str:
    try:
        return f", reopens {exchange_text(calendar.next_open_ns(ts_ns))}"
    except CalendarRangeError:
        return ""


def _label_note(label: str, window: str | None) -> str:
    if window is not None and _squash(label) == _squash(window):
        return f"label {label!r} matches"
    return f"label {label!r} differs from window {window or 'none'} (not enforced)"


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())
