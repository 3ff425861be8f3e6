"""ConfirmationTracker: one pending signal's way through its candles: signal candle, confirmation, entry.

Rules (SPEC §3.4 and §3.6), for the closed candles of the signal timeframe in time order:
- The signal candle is the bucket containing the signal time, or, when the alert names its bar
  (`bar_time_ns`, TradingView {{time}}), the bucket starting there. If it is still forming when the signal
  arrives, the tracker waits for it to close; it never counts toward the expiry. If the first closed
  candle seen starts after it (no trades in that bucket), there is no signal candle and the signal fails.
- Each later closed candle counts one. Bullish: close > signal high confirms; otherwise close < signal low
  invalidates; bearish mirrored. With neither by the Nth candle, the signal expires (the Nth may confirm).
- After the confirmation the entry is the open of the next candle: its first price (`on_opened`) or, if
  that was missed, the open of the next closed candle.
Candles at or before the last one seen are ignored, so history catch-up and live feeding may overlap.
The per-candle path is a few integer comparisons: the validator runs it for every pending signal.
"""

from __future__ import annotations

from enum import IntEnum

from core_server.candles.buckets import bucket_of
from core_server.model.market_data import Candle
from core_server.signals.model import SignalDirection, SignalInput


def signal_candle_start(signal_input: SignalInput) -> int:
    """Start of the signal candle: the bar time when given (checked to be a bucket start on submit), else the
    start of the bucket holding the signal time."""
    if signal_input.bar_time_ns:
        return signal_input.bar_time_ns
    start_ns, _ = bucket_of(signal_input.timeframe, signal_input.signal_time_ns)
    return start_ns


class Phase(IntEnum):
    SIGNAL_CANDLE = 0  # waiting for the signal candle to close
    CONFIRMATION = 1  # waiting for a confirming close
    ENTRY = 2  # confirmed; waiting for the next candle's open
    DONE = 3


class Step(IntEnum):
    """What one candle did to the tracker."""

    NONE = 0
    SIGNAL_CANDLE = 1  # the signal candle closed; the confirmation levels are known
    CONFIRMED = 2
    INVALIDATED = 3
    EXPIRED = 4
    NO_SIGNAL_CANDLE = 5
    ENTRY = 6


class ConfirmationTracker:
    """Mutable progress of one pending signal; the validator turns its steps into events."""

    __slots__ = (
        "candles",
        "candles_waited",
        "confirmation",
        "direction",
        "entry_open",
        "entry_start_ns",
        "expiry_candles",
        "last_start_ns",
        "phase",
        "sign",
        "signal_candle",
        "signal_id",
        "signal_start_ns",
        "signed_invalid",
        "signed_trigger",
    )

    def __init__(self, signal_id: str, direction: SignalDirection, signal_start_ns: int, expiry_candles: int) -> None:
        self.signal_id = signal_id
        self.direction = direction
        self.signal_start_ns = signal_start_ns
        self.expiry_candles = expiry_candles
        self.phase = Phase.SIGNAL_CANDLE
        # Bearish levels are negated so one "greater than" test serves both directions.
        self.sign = 1 if direction is SignalDirection.BULLISH else -1
        self.signed_trigger = 0
        self.signed_invalid = 0
        self.signal_candle: Candle | None = None
        self.confirmation: Candle | None = None
        self.candles: list[Candle] = []  # the signal candle and every later closed candle up to confirmation
        self.candles_waited = 0
        self.last_start_ns = signal_start_ns - 1
        self.entry_open = 0
        self.entry_start_ns = 0

    @property
    def trigger(self) -> int:
        """The level a close must pass to confirm: the signal high (bullish) or low (bearish)."""
        return self.sign * self.signed_trigger

    @property
    def invalid_level(self) -> int:
        """The level a close must pass the other way to invalidate: the signal low (bullish) or high (bearish)."""
        return self.sign * self.signed_invalid

    def on_closed(self, candle: Candle) -> Step:
        start = candle.start_ns
        if start <= self.last_start_ns:
            return Step.NONE
        self.last_start_ns = start
        phase = self.phase
        if phase == Phase.CONFIRMATION:
            self.candles.append(candle)
            self.candles_waited += 1
            signed_close = self.sign * candle.close
            if signed_close > self.signed_trigger:
                self.confirmation = candle
                self.phase = Phase.ENTRY
                return Step.CONFIRMED
            if signed_close < self.signed_invalid:
                self.phase = Phase.DONE
                return Step.INVALIDATED
            if self.candles_waited >= self.expiry_candles:
                self.phase = Phase.DONE
                return Step.EXPIRED
            return Step.NONE
        if phase == Phase.SIGNAL_CANDLE:
            if start != self.signal_start_ns:
                self.phase = Phase.DONE
                return Step.NO_SIGNAL_CANDLE
            self.signal_candle = candle
            self.candles.append(candle)
            if self.sign > 0:
                self.signed_trigger, self.signed_invalid = candle.high, candle.low
            else:
                self.signed_trigger, self.signed_invalid = -candle.low, -candle.high
            self.phase = Phase.CONFIRMATION
            return Step.SIGNAL_CANDLE
        if phase == Phase.ENTRY:
            return self.on_opened(start, candle.open)
        return Step.NONE

    def on_opened(self, start_ns: int, open_price: int) -> Step:
        """The first price of the candle starting at `start_ns`: the entry, if this is the one after confirmation."""
        if self.phase != Phase.ENTRY or self.confirmation is None or start_ns <= self.confirmation.start_ns:
            return Step.NONE
        self.entry_open = open_price
        self.entry_start_ns = start_ns
        self.phase = Phase.DONE
        return Step.ENTRY
