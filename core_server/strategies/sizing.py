"""How many contracts an entry trades: fixed, or the most whose stop risk stays within `risk_dollars`."""

from __future__ import annotations

from core_server.model.instruments import InstrumentSpec
from core_server.strategies.definition import Distance, DistanceUnit, Sizing


def stop_ticks(spec: InstrumentSpec, stop: Distance) -> int:
    if stop.unit is DistanceUnit.TICKS:
        return int(stop.amount)
    return spec.points_to_ticks(stop.amount)


def contracts_for(sizing: Sizing, spec: InstrumentSpec, risk_ticks: int) -> int:
    """Contracts to trade (0: the risk budget does not cover one contract at this stop distance)."""
    if sizing.risk_dollars is None:
        return sizing.contracts
    per_contract = risk_ticks * spec.tick_value
    if per_contract <= 0:
        return 0
    return int(sizing.risk_dollars // per_contract)
