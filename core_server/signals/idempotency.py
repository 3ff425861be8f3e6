"""Idempotency keys for signal deliveries and the key -> signal index that turns repeats into the original.

The content key covers what makes two alerts the same alert: source, strategy, contract, direction, signal
time, signal price and timeframe (and the bar time when the alert gives one; the action and quantity for
exits, cancels and adds). It deliberately leaves out the
raw payload, quantity and labels, so a TradingView retry of the same body, or the same alert relayed through
a second symbol form (NQ1! and NQZ2025 resolve to one contract), is recognised. A submitted key is used as
given: the sender vouches that equal keys mean equal alerts.
"""

from __future__ import annotations

import hashlib
import json

from core_server.signals.model import SignalAction, SignalInput


def content_key(signal_input: SignalInput) -> str:
    """sha256 (hex) of the canonical JSON of the identifying fields."""
    fields = [
        signal_input.source,
        signal_input.strategy,
        signal_input.contract_id,
        signal_input.direction.label,
        signal_input.signal_time_ns,
        signal_input.signal_price,
        signal_input.timeframe.label,
    ]
    if signal_input.bar_time_ns:
        fields.append(signal_input.bar_time_ns)  # appended only when given, so earlier keys stay the same
    if signal_input.action is not SignalAction.ENTRY:
        fields += [signal_input.action.label, signal_input.quantity]  # an exit of 1 is not an exit of all
    # JSON quoting keeps field boundaries unambiguous whatever the strings contain.
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def idempotency_key(signal_input: SignalInput) -> str:
    """The submitted key when there is one, else the content key."""
    return signal_input.idempotency_key or content_key(signal_input)


class IdempotencyIndex:
    """Which signal each key produced. The shell persists the pairs and reloads them with `add`."""

    def __init__(self) -> None:
        self._signal_ids: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._signal_ids)

    def __contains__(self, key: object) -> bool:
        return key in self._signal_ids

    def find(self, key: str) -> str | None:
        return self._signal_ids.get(key)

    def add(self, key: str, signal_id: str) -> None:
        """Record the first signal of `key`; a later one for the same key never replaces it."""
        self._signal_ids.setdefault(key, signal_id)

    def discard(self, key: str, signal_id: str) -> None:
        """Forget `key` if it names `signal_id` (the signal has left memory; the store still knows the pair)."""
        if self._signal_ids.get(key) == signal_id:
            del self._signal_ids[key]
