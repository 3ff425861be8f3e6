"""How many contracts a follower trades, and in which contract (micro substitution).

- fixed: `quantity` contracts of the follower's contract.
- multiplier: floor(source quantity x multiplier), in minis; as micros (a micros-only follower of a mini source)
  x10 first: 2 NQ x 1.5 = 3 NQ, or 30 MNQ.
- risk: floor(risk dollars / (stop distance in ticks x the follower contract's tick value)); a stop 40 NQ ticks
  away is $20 per MNQ ($0.50 a tick), so $500 buys 25 MNQ; as NQ ($5 a tick, $200) 2.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from core_server.copying.model import Follower, SizingKind
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS

MICRO_FACTOR = 10  # 1 mini = 10 micros (CME equity index micros are a tenth of their minis)
_MICRO_OF_MINI = {spec.micro_of: root for root, spec in INSTRUMENTS.items() if spec.micro_of is not None}


def split_contract(contract_id: str) -> tuple[str, str]:
    """("NQ", "Z2026") from "NQZ2026"."""
    return contract_id[:-5], contract_id[-5:]


def follower_contract(contract_id: str, follower: Follower) -> tuple[str, int]:
    """The contract the follower trades for a source contract, and how many of it make one source contract."""
    root, month = split_contract(contract_id)
    if follower.micros_only:
        micro = _MICRO_OF_MINI.get(root)
        if micro is not None:
            return micro + month, MICRO_FACTOR
    return contract_id, 1


def size_for(
    follower: Follower, source_quantity: int, contract_id: str, factor: int, stop_ticks: int | None
) -> tuple[int, str]:
    """(quantity, how it was sized) in the follower's contract `contract_id` (`factor` of it make one source
    contract); InvalidArgument when the rule cannot size (risk sizing without a stop distance)."""
    sizing = follower.sizing
    if sizing.kind is SizingKind.FIXED:
        return sizing.quantity, f"fixed {sizing.quantity}"
    if sizing.kind is SizingKind.MULTIPLIER:
        exact = Decimal(source_quantity * factor) * sizing.multiplier
        quantity = int(exact.to_integral_value(rounding=ROUND_FLOOR))
        micro = f" x{factor}" if factor != 1 else ""
        return quantity, f"{source_quantity}{micro} x {format(sizing.multiplier.normalize(), 'f')} = {quantity}"
    if stop_ticks is None or stop_ticks <= 0:
        raise InvalidArgument("sizing", "risk sizing needs a stop: the source order has no stop-loss distance")
    spec = INSTRUMENTS[split_contract(contract_id)[0]]
    per_contract = spec.tick_value * stop_ticks
    quantity = int((sizing.risk_dollars / per_contract).to_integral_value(rounding=ROUND_FLOOR))
    return quantity, (
        f"${format(sizing.risk_dollars, 'f')} / ({stop_ticks} ticks x ${format(spec.tick_value.normalize(), 'f')})"
        f" = {quantity}"
    )
