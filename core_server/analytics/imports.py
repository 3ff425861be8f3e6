"""Broker history into the journal: Tradovate Performance and Fills CSV, NinjaTrader executions CSV, read into
executions and rebuilt into round trips FIFO (flat -> position -> flat per account and contract).

Column names are the exports' own (RESEARCH-TURN2 §3.3). Times without a zone are read in the given time zone;
Tradovate Fills' `_timestamp` is UTC. Money like `$340.00`, `$(120.50)` or `-$120.50`. A Performance export has
no commissions, so the caller gives one per contract per side. A bad row is an InvalidArgument naming its line
and column; a position still open at the end of the file is left out and counted. Imported trades carry no stop
(no R) and no excursion.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from core_server.excursions.model import Direction
from core_server.model.clock import ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EXCHANGE_TZ, INSTRUMENTS, MONTH_CODES, Contract
from core_server.model.symbols import parse_symbol

CENT = Decimal("0.01")
MAX_ROWS = 100_000
FIRST_YEAR, LAST_YEAR = 1990, 2100
_MONTHS = {name: i + 1 for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                                   "OCT", "NOV", "DEC"))}  # fmt: skip


class ImportFormat(StrEnum):
    TRADOVATE_PERFORMANCE = "tradovate_performance"
    TRADOVATE_FILLS = "tradovate_fills"
    NINJATRADER_EXECUTIONS = "ninjatrader_executions"


@dataclass(frozen=True, slots=True)
class Execution:
    account: str
    contract_id: str
    buy: bool
    quantity: int
    price: int  # ticks
    ts_ns: int
    commission: Decimal
    line: int  # in the file, for ordering and messages


@dataclass(slots=True)
class ImportedTrip:
    """A round trip rebuilt from executions (mutable while it is being built)."""

    account: str
    contract_id: str
    direction: Direction
    opened_ns: int
    closed_ns: int = 0
    entry_qty: int = 0
    entry_cost: int = 0
    exit_qty: int = 0
    exit_cost: int = 0
    max_qty: int = 0
    realised_ticks: int = 0
    commissions: Decimal = Decimal(0)
    lots: deque[list[int]] = field(default_factory=deque)  # [price ticks, quantity] open lots, oldest first

    @property
    def gross(self) -> Decimal:
        return self.realised_ticks * INSTRUMENTS[self.contract_id[:-5]].tick_value

    @property
    def trade_id(self) -> str:
        """Stable over re-imports of the same history: the same trip gets the same id."""
        key = f"{self.account}|{self.contract_id}|{self.opened_ns}|{self.closed_ns}|{self.entry_cost}|{self.exit_cost}"
        return "IMP-" + hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class ImportResult:
    trips: tuple[ImportedTrip, ...]
    executions: int
    open_at_end: int  # positions not flat at the end of the file: left out


def detect_format(header: Sequence[str]) -> ImportFormat:
    names = {h.strip() for h in header}
    if {"buyPrice", "sellPrice", "boughtTimestamp", "soldTimestamp"} <= names:
        return ImportFormat.TRADOVATE_PERFORMANCE
    if {"B/S", "Contract"} <= names and ({"_timestamp", "Timestamp"} & names):
        return ImportFormat.TRADOVATE_FILLS
    if {"Instrument", "Action", "Quantity", "Price", "Time"} <= names:
        return ImportFormat.NINJATRADER_EXECUTIONS
    raise InvalidArgument("csv", "unrecognised header: expected a Tradovate Performance or Fills export or a "
                          "NinjaTrader executions export")  # fmt: skip


def import_history(
    text: str,
    *,
    fmt: ImportFormat | None = None,
    account: str = "",
    tz: ZoneInfo = EXCHANGE_TZ,
    commission_per_contract: Decimal = Decimal(0),
) -> ImportResult:
    """Round trips of a broker export. `account` names the account when the file has none (or overrides it)."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise InvalidArgument("csv", f"not a CSV file: {error}") from None
    if not rows:
        raise InvalidArgument("csv", "the file is empty")
    if len(rows) > MAX_ROWS + 1:
        raise InvalidArgument("csv", f"at most {MAX_ROWS} rows at once")
    header = [h.strip() for h in rows[0]]
    kind = fmt or detect_format(header)
    records = [(n, dict(zip(header, row, strict=False))) for n, row in enumerate(rows[1:], start=2) if any(row)]
    reader = {
        ImportFormat.TRADOVATE_PERFORMANCE: _performance,
        ImportFormat.TRADOVATE_FILLS: _tradovate_fills,
        ImportFormat.NINJATRADER_EXECUTIONS: _ninjatrader,
    }[kind]
    executions: list[Execution] = []
    for line, record in records:
        executions += reader(line, record, account, tz, commission_per_contract)
    trips, still_open = rebuild_round_trips(executions)
    return ImportResult(tuple(trips), len(executions), still_open)


def rebuild_round_trips(executions: Iterable[Execution]) -> tuple[list[ImportedTrip], int]:
    """FIFO round trips per (account, contract), executions in time then file order; a fill through zero closes
    one trip and opens the next at its price, its commission split by quantity (to the cent, summing exactly)."""
    open_trips: dict[tuple[str, str], ImportedTrip] = {}
    closed: list[ImportedTrip] = []
    for e in sorted(executions, key=lambda x: (x.ts_ns, x.line)):
        key = (e.account, e.contract_id)
        remaining, commission = e.quantity, e.commission
        trip = open_trips.get(key)
        if trip is not None and (trip.direction is Direction.LONG) != e.buy:
            held = sum(lot[1] for lot in trip.lots)
            closing = min(held, remaining)
            share = (
                (commission * closing / e.quantity).quantize(CENT, ROUND_HALF_EVEN)
                if closing < remaining
                else commission
            )
            _close(trip, e, closing, share)
            commission -= share
            remaining -= closing
            if not trip.lots:
                trip.closed_ns = e.ts_ns
                closed.append(trip)
                del open_trips[key]
                trip = None
        if remaining:
            if trip is None:
                trip = ImportedTrip(e.account, e.contract_id, Direction.LONG if e.buy else Direction.SHORT, e.ts_ns)
                open_trips[key] = trip
            trip.lots.append([e.price, remaining])
            trip.entry_qty += remaining
            trip.entry_cost += e.price * remaining
            trip.commissions += commission
            trip.max_qty = max(trip.max_qty, sum(lot[1] for lot in trip.lots))
    closed.sort(key=lambda t: (t.closed_ns, t.opened_ns))
    return closed, len(open_trips)


def _close(trip: ImportedTrip, e: Execution, quantity: int, commission: Decimal) -> None:
    sign = trip.direction.sign
    left = quantity
    while left:
        lot = trip.lots[0]
        matched = min(lot[1], left)
        trip.realised_ticks += (e.price - lot[0]) * matched * sign
        lot[1] -= matched
        left -= matched
        if not lot[1]:
            trip.lots.popleft()
    trip.exit_qty += quantity
    trip.exit_cost += e.price * quantity
    trip.commissions += commission


# -- the three exports ---------------------------------------------------------------------------------------------


def _performance(line: int, r: dict[str, str], account: str, tz: ZoneInfo, fee: Decimal) -> list[Execution]:
    contract = _contract(_cell(r, line, "symbol"), line, "symbol", _local(r, line, "boughtTimestamp", tz))
    qty = _quantity(_cell(r, line, "qty"), line, "qty")
    bought = _local(r, line, "boughtTimestamp", tz)
    sold = _local(r, line, "soldTimestamp", tz)
    who = account or "tradovate"
    commission = fee * qty
    return [
        Execution(who, contract.id, True, qty, _ticks(contract, r, line, "buyPrice"), bought, commission, line),
        Execution(who, contract.id, False, qty, _ticks(contract, r, line, "sellPrice"), sold, commission, line),
    ]


def _tradovate_fills(line: int, r: dict[str, str], account: str, tz: ZoneInfo, fee: Decimal) -> list[Execution]:
    if r.get("_timestamp", "").strip():
        ts = _utc(r["_timestamp"], line, "_timestamp")
    else:
        ts = _local(r, line, "Timestamp", tz)
    contract = _contract(_cell(r, line, "Contract"), line, "Contract", ts)
    side = _cell(r, line, "B/S").strip().lower()
    if side not in ("buy", "sell"):
        raise InvalidArgument("csv", f"line {line}, B/S: expected Buy or Sell, not {side!r}")
    qty = _quantity(r.get("Quantity") or _cell(r, line, "_qty"), line, "Quantity")
    price_column = "Price" if r.get("Price", "").strip() else "_price"
    commission = _money(r["commission"], line, "commission") if r.get("commission", "").strip() else fee * qty
    who = account or r.get("Account", "").strip() or "tradovate"
    return [
        Execution(who, contract.id, side == "buy", qty, _ticks(contract, r, line, price_column), ts, commission, line)
    ]


def _ninjatrader(line: int, r: dict[str, str], account: str, tz: ZoneInfo, fee: Decimal) -> list[Execution]:
    ts = _local(r, line, "Time", tz)
    contract = _nt_contract(_cell(r, line, "Instrument"), line, ts)
    action = _cell(r, line, "Action").strip().lower()
    if action not in ("buy", "sell", "buy to cover", "sell short"):
        raise InvalidArgument("csv", f"line {line}, Action: expected Buy or Sell, not {action!r}")
    qty = _quantity(_cell(r, line, "Quantity"), line, "Quantity")
    commission = _money(r["Commission"], line, "Commission") if r.get("Commission", "").strip() else fee * qty
    who = account or r.get("Account", "").strip() or "ninjatrader"
    buy = action.startswith("buy")
    return [Execution(who, contract.id, buy, qty, _ticks(contract, r, line, "Price"), ts, commission, line)]


# -- cells ---------------------------------------------------------------------------------------------------------


def _cell(r: dict[str, str], line: int, column: str) -> str:
    value = (r.get(column) or "").strip()
    if not value:
        raise InvalidArgument("csv", f"line {line}, {column}: missing")
    return value


def _quantity(text: str, line: int, column: str) -> int:
    try:
        value = int(Decimal(text.strip()))
    except (InvalidOperation, ValueError, OverflowError):
        raise InvalidArgument("csv", f"line {line}, {column}: {text!r} is not a quantity") from None
    if not 1 <= value <= 10_000:
        raise InvalidArgument("csv", f"line {line}, {column}: {value} is not 1 to 10000")
    return value


def _money(text: str, line: int, column: str) -> Decimal:
    raw = text.strip()
    negative = raw.startswith("-") or (raw.startswith("(") or "$(" in raw)
    cleaned = re.sub(r"[\s$(),-]", "", raw)
    try:
        value = Decimal(cleaned or "0")
    except InvalidOperation:
        raise InvalidArgument("csv", f"line {line}, {column}: {text!r} is not an amount") from None
    if not value.is_finite() or value > 1_000_000:
        raise InvalidArgument("csv", f"line {line}, {column}: {text!r} is not an amount")
    return -value if negative else value


def _ticks(contract: Contract, r: dict[str, str], line: int, column: str) -> int:
    text = _cell(r, line, column)
    try:
        return contract.spec.ticks_from_price(text.replace(",", ""), field=column)
    except InvalidArgument as error:
        raise InvalidArgument("csv", f"line {line}, {column}: {error.reason}") from None


_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M")  # fmt: skip


def _local(r: dict[str, str], line: int, column: str, tz: ZoneInfo) -> int:
    text = _cell(r, line, column)
    for pattern in _FORMATS:
        try:
            return _bounded(datetime.strptime(text, pattern).replace(tzinfo=tz), line, column)
        except ValueError:
            continue
    raise InvalidArgument("csv", f"line {line}, {column}: {text!r} is not a time like 09/22/2025 15:50:36")


def _utc(text: str, line: int, column: str) -> int:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument("csv", f"line {line}, {column}: {text!r} is not an ISO time") from None
    return _bounded(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), line, column)


def _bounded(moment: datetime, line: int, column: str) -> int:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidArgument("csv", f"line {line}, {column}: {moment.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return ns_from_datetime(moment)


def _contract(symbol: str, line: int, column: str, ts_ns: int) -> Contract:
    try:
        return parse_symbol(symbol, ts_ns, column)
    except InvalidArgument as error:
        raise InvalidArgument("csv", f"line {line}, {column}: {error.reason}") from None


def _nt_contract(text: str, line: int, ts_ns: int) -> Contract:
    """NinjaTrader's `MNQ SEP25`, `NQ 12-26` or `ES 03-26`."""
    parts = text.strip().upper().split()
    if len(parts) == 2:
        root, expiry = parts
        month_year = re.fullmatch(r"(\d{2})-(\d{2})", expiry) or re.fullmatch(r"([A-Z]{3})(\d{2})", expiry)
        if month_year:
            month_text, year = month_year.groups()
            month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 0)
            if 1 <= month <= 12:
                return _contract(f"{root}{MONTH_CODES[month - 1]}{2000 + int(year)}", line, "Instrument", ts_ns)
    return _contract(text, line, "Instrument", ts_ns)
