"""The front months a backtest on a continuous symbol trades over its range, and the rolls between them.

One roll rule (SPEC §1: the next contract leads from the 17:00 CT open of the trading day 8 calendar days before
expiry) lives in model.instruments: `front_contract` is what live uses to pick the front month, and each roll
instant here is the one it rolls at (`Contract.roll_ns`), so a run and live agree on every instant.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_server.model.instruments import Contract, front_contract


@dataclass(frozen=True, slots=True)
class Roll:
    """At `at_ns` the front month of the root changes from `old` to `new` (kernel.front_roll runs it)."""

    at_ns: int
    old: Contract
    new: Contract


def front_months(root: str, start_ns: int, end_ns: int) -> tuple[tuple[Contract, ...], tuple[Roll, ...]]:
    """The front months of `root` over [start_ns, end_ns) in order, and the rolls strictly inside the range."""
    contract = front_contract(root, start_ns)
    contracts, rolls = [contract], []
    while contract.roll_ns < end_ns:
        at = contract.roll_ns
        new = front_contract(root, at)
        if new == contract:  # the rule never keeps a contract past its own roll; never loop if it did
            raise AssertionError(f"front_contract kept {contract.id} at its roll")
        rolls.append(Roll(at, contract, new))
        contracts.append(new)
        contract = new
    return tuple(contracts), tuple(rolls)
