"""Which contract each imported row belongs to: one named contract, or a continuous root rolled per SPEC §1."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from core_server.imports.text import I64
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, MONTH_CODES, Contract, InstrumentSpec, front_contract
from core_server.model.symbols import parse_symbol

_ROOTS = "|".join(sorted(INSTRUMENTS, key=len, reverse=True))
_CONTINUOUS = re.compile(rf"^({_ROOTS})(?:1!)?$")
# NinjaTrader names its exports after the instrument: "NQ 12-25.Last.txt"
_NINJA_NAME = re.compile(rf"(?<![A-Z])({_ROOTS}) (\d{{2}})-(\d{{2}})(?![0-9])")
_DATED_NAME = re.compile(rf"(?<![A-Z])({_ROOTS})([{MONTH_CODES}])(\d{{4}}|\d{{2}}|\d)(?![0-9])")
_ROOT_NAME = re.compile(rf"(?<![A-Z])({_ROOTS})(?![A-Z])")


@dataclass(frozen=True, slots=True)
class Instrument:
    """What the rows are: one contract, or a root whose rows go to the front month of their own time."""

    spec: InstrumentSpec
    contract: Contract | None  # None: continuous
    source: str  # how it was decided, for the report

    @property
    def label(self) -> str:
        return self.contract.id if self.contract else f"{self.spec.root} (continuous, rolled per SPEC §1)"

    def assign(self, ts_ns: I64) -> tuple[list[str], I64]:
        """(contract ids, per row the index of its contract in that list)."""
        if self.contract is not None or not len(ts_ns):
            ids = [self.contract.id] if self.contract else []
            return ids, np.zeros(len(ts_ns), dtype=np.int64)
        first = front_contract(self.spec.root, int(ts_ns.min()))
        contracts = [first]
        last = int(ts_ns.max())
        while contracts[-1].roll_ns <= last:
            contracts.append(contracts[-1].next())
        rolls = np.array([c.roll_ns for c in contracts[:-1]], dtype=np.int64)
        return [c.id for c in contracts], np.searchsorted(rolls, ts_ns, side="right").astype(np.int64)


def resolve_instrument(symbol: str, file_name: str, now_ns: int) -> Instrument:
    """From the --symbol flag when given, else from the file name (NQ 12-25.Last.txt, ESZ2025.csv, nq_ticks.csv)."""
    if symbol.strip():
        text = symbol.strip().upper()
        if m := _CONTINUOUS.match(text):
            return Instrument(INSTRUMENTS[m.group(1)], None, "--symbol")
        contract = parse_symbol(text, now_ns, field="symbol")
        return Instrument(contract.spec, contract, "--symbol")
    name = PurePath(file_name).name.upper()
    if m := _NINJA_NAME.search(name):
        root, month, year = m.group(1), int(m.group(2)), 2000 + int(m.group(3))
        try:
            return Instrument(INSTRUMENTS[root], Contract(root, year, month), "file name")
        except InvalidArgument:
            pass
    if m := _DATED_NAME.search(name):
        try:
            contract = parse_symbol(m.group(0), now_ns, field="symbol")
            return Instrument(contract.spec, contract, "file name")
        except InvalidArgument:
            pass
    if m := _ROOT_NAME.search(name):
        return Instrument(INSTRUMENTS[m.group(1)], None, "file name")
    raise InvalidArgument(
        "symbol", f"cannot tell the instrument from the file name {file_name!r}; name it with --symbol"
    )
