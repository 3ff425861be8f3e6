"""Which contract a ticker's bars come from over time: a dated contract always, a continuous one by front month.

The core resolves `NQ1!` at any instant to the contract that leads then (ResolveSymbol with at_ns), and each
contract says when the next one takes over (roll_ns, at the 17:00 CT open of the roll date, so no bar straddles
a roll). A contract leads from its predecessor's roll to its own; predecessors are one quarter apart, so the
contract leading 100 days before a roll is the predecessor. Contracts never change: lookups are cached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from clients.sdk import Contract, VigilClient
from clients.udf.bars import NS_PER_DAY
from clients.udf.symbols import Ticker

PREDECESSOR_PROBE_NS = 100 * NS_PER_DAY  # between one and two quarterly lead periods (84-98 days each)
MAX_CACHED = 4096


@dataclass(frozen=True, slots=True)
class Segment:
    """Bars of `contract_id` in [start_ns, end_ns) belong to the ticker."""

    contract_id: str
    start_ns: int
    end_ns: int


class ContractChain:
    """The contracts behind a ticker, newest first, over a time range."""

    def __init__(self, client: VigilClient) -> None:
        self._client = client
        self._predecessor: dict[str, Contract] = {}

    async def segments_back(self, ticker: Ticker, end_ns: int, floor_ns: int) -> AsyncIterator[Segment]:
        """Segments covering [floor_ns, end_ns), newest first, clipped to that range."""
        if not ticker.continuous:
            yield Segment(ticker.contract_id, floor_ns, end_ns)
            return
        contract = await self._client.resolve_symbol(ticker.text, at_ns=max(1, end_ns - 1))
        while True:
            predecessor = await self._predecessor_of(ticker, contract)
            lead_from, lead_to = predecessor.roll_ns, contract.roll_ns
            if lead_to > floor_ns and lead_from < end_ns:
                yield Segment(contract.contract_id, max(lead_from, floor_ns), min(lead_to, end_ns))
            if lead_from <= floor_ns:
                return
            contract = predecessor

    async def segments(self, ticker: Ticker, start_ns: int, end_ns: int) -> list[Segment]:
        """Segments covering [start_ns, end_ns), oldest first."""
        found = [s async for s in self.segments_back(ticker, end_ns, start_ns)]
        found.reverse()
        return found

    async def _predecessor_of(self, ticker: Ticker, contract: Contract) -> Contract:
        found = self._predecessor.get(contract.contract_id)
        if found is None:
            found = await self._client.resolve_symbol(ticker.text, at_ns=contract.roll_ns - PREDECESSOR_PROBE_NS)
            if len(self._predecessor) >= MAX_CACHED:
                self._predecessor.clear()
            self._predecessor[contract.contract_id] = found
        return found
