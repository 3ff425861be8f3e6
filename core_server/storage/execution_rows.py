"""Row shapes of the paper execution tables: state values <-> tuples and records, and journal payloads as JSON."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any

from core_server.execution.changes import AccountState, ExecutionChange, OrderState, PositionState, account_id_of
from core_server.execution.commands import ExecutionCommand, SubmitBracketBatch, SubmitOcoPair
from core_server.execution.events import (
    AccountBalanceChanged,
    AccountOpened,
    AccountReset,
    ExecutionEvent,
    OrderAccepted,
    OrderCancelled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    OrderTriggered,
    OrderWorking,
    PositionChanged,
)
from core_server.execution.model import (
    Account,
    AccountId,
    Fill,
    FillId,
    Liquidity,
    Order,
    OrderId,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
)

ORDER_COLUMNS = (
    "id", "number", "account_id", "contract_id", "side", "order_type", "quantity", "time_in_force", "status", "role",
    "submitted_ns", "arrival_ns", "expire_ns", "limit_price", "stop_price", "filled_qty", "filled_cost", "triggered",
    "bracket_id", "linked_ids", "tag", "rest_kind", "rest_price", "rest_seq", "reason", "updated_ns", "reduce_only",
    "offset_ticks", "target_r", "actor", "reference_price",
)  # fmt: skip
ACCOUNT_COLUMNS = ("id", "name", "starting_balance", "realised_pnl", "commissions", "updated_ns")
POSITION_COLUMNS = (
    "account_id", "contract_id", "net_qty", "open_cost", "realised_ticks", "realised_pnl", "commissions", "lots",
    "updated_ns",
)  # fmt: skip
FILL_COLUMNS = (
    "id", "number", "order_id", "account_id", "contract_id", "side", "quantity", "price", "commission", "liquidity",
    "ts_ns",
)  # fmt: skip
JOURNAL_COLUMNS = ("ts_ns", "account_id", "kind", "type", "payload", "actor")


def _label(value: Enum) -> str:
    return value.name.lower()


_AS_IS = frozenset({str, int, bool, float, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}  # per class: its dataclass fields, None when not a dataclass


def plain(value: Any) -> Any:
    """A command or event as JSON-ready data: dataclasses by field, enums by name, Decimal as exact text. The field
    names of each class are looked up once (the journal converts every command and event of every commit)."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    try:
        names = _FIELD_NAMES[kind]
    except KeyError:
        names = _FIELD_NAMES[kind] = (
            tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None
        )
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return _label(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


EVENT_TYPES: dict[str, type[Any]] = {
    t.__name__: t
    for t in (
        AccountOpened, AccountReset, OrderAccepted, OrderDenied, OrderRejected, OrderWorking, OrderTriggered,
        OrderFilled, OrderModified, OrderCancelled, OrderExpired, PositionChanged, AccountBalanceChanged,
    )
}  # fmt: skip


def _from_plain(kind: Any, value: Any) -> Any:
    """The inverse of `plain` for one declared type: dataclasses by field, enums by lower-case name, Decimal from
    its exact text, tuples, optionals and NewTypes (AccountId, OrderId) of plain values."""
    if value is None:
        return None
    supertype = getattr(kind, "__supertype__", None)
    if supertype is not None:
        return _from_plain(supertype, value)
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _from_plain(next(a for a in typing.get_args(kind) if a is not type(None)), value)
    if origin is tuple:
        return tuple(_from_plain(typing.get_args(kind)[0], v) for v in value)
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            hints = typing.get_type_hints(kind)
            fields = {f.name for f in dataclasses.fields(kind)}
            return kind(**{name: _from_plain(hints[name], v) for name, v in value.items() if name in fields})
        if issubclass(kind, Enum):
            return kind[value.upper()]
        if issubclass(kind, Decimal):
            return Decimal(value)
    return value


def event_from_journal(type_name: str, payload: str) -> ExecutionEvent:
    """An execution event as the journal stored it (`plain` JSON of its class `type_name`)."""
    return typing.cast(ExecutionEvent, _from_plain(EVENT_TYPES[type_name], json.loads(payload)))


def _number(identifier: str) -> int:
    return int(identifier.rsplit("-", 1)[1])


def command_account(command: ExecutionCommand) -> str:
    if isinstance(command, SubmitBracketBatch):
        return command.brackets[0].account_id if command.brackets else ""
    if isinstance(command, SubmitOcoPair):
        return command.first.account_id
    return command.account_id


def journal_rows(change: ExecutionChange) -> list[tuple[int, str, str, str, str, str]]:
    rows = []
    actor = change.actor
    if change.command is not None:
        c = change.command
        rows.append((change.ts_ns, command_account(c), "command", type(c).__name__, json.dumps(plain(c)), actor))
    for e in change.events:
        rows.append((change.ts_ns, account_id_of(e), "event", type(e).__name__, json.dumps(plain(e)), actor))
    return rows


def order_row(state: OrderState) -> tuple[Any, ...]:
    o = state.order
    rest = state.rest or (None, None, None)
    return (
        o.order_id, _number(o.order_id), o.account_id, o.contract_id, _label(o.side), _label(o.order_type), o.quantity,
        _label(o.time_in_force), _label(o.status), _label(o.role), o.submitted_ns, o.arrival_ns, o.expire_ns,
        o.limit_price, o.stop_price, o.filled_qty, o.filled_cost, o.triggered, o.bracket_id, list(o.linked_ids),
        o.tag, *rest, state.reason, state.updated_ns, o.reduce_only, o.offset_ticks, o.target_r, state.actor,
        o.reference_price,
    )  # fmt: skip


def order_from_record(r: Any) -> OrderState:
    order = Order(
        order_id=OrderId(r["id"]),
        account_id=AccountId(r["account_id"]),
        contract_id=r["contract_id"],
        side=OrderSide[r["side"].upper()],
        order_type=OrderType[r["order_type"].upper()],
        quantity=r["quantity"],
        time_in_force=TimeInForce[r["time_in_force"].upper()],
        status=OrderStatus[r["status"].upper()],
        role=OrderRole[r["role"].upper()],
        submitted_ns=r["submitted_ns"],
        arrival_ns=r["arrival_ns"],
        expire_ns=r["expire_ns"],
        limit_price=r["limit_price"],
        stop_price=r["stop_price"],
        filled_qty=r["filled_qty"],
        filled_cost=r["filled_cost"],
        triggered=r["triggered"],
        bracket_id=OrderId(r["bracket_id"]) if r["bracket_id"] is not None else None,
        linked_ids=tuple(OrderId(i) for i in r["linked_ids"]),
        tag=r["tag"],
        reduce_only=r["reduce_only"],
        offset_ticks=r["offset_ticks"],
        target_r=r["target_r"],
        reference_price=r["reference_price"],
    )
    rest = None if r["rest_kind"] is None else (r["rest_kind"], r["rest_price"], r["rest_seq"])
    return OrderState(order, rest, r["reason"], r["updated_ns"], r["actor"])


def account_row(state: AccountState) -> tuple[Any, ...]:
    a = state.account
    return (a.account_id, state.name, a.starting_balance, a.realised_pnl, a.commissions, state.updated_ns)


def account_from_record(r: Any) -> AccountState:
    account = Account(AccountId(r["id"]), r["starting_balance"], r["realised_pnl"], r["commissions"])
    return AccountState(account, r["name"], r["updated_ns"])


def position_row(state: PositionState) -> tuple[Any, ...]:
    p = state.position
    lots = json.dumps([list(lot) for lot in state.lots])
    return (
        p.account_id, p.contract_id, p.net_qty, p.open_cost, p.realised_ticks, p.realised_pnl, p.commissions, lots,
        state.updated_ns,
    )  # fmt: skip


def position_from_record(r: Any) -> PositionState:
    position = Position(
        AccountId(r["account_id"]),
        r["contract_id"],
        r["net_qty"],
        r["open_cost"],
        r["realised_ticks"],
        r["realised_pnl"],
        r["commissions"],
    )
    lots = tuple((int(price), int(qty)) for price, qty in json.loads(r["lots"]))
    return PositionState(position, lots, r["updated_ns"])


def fill_row(f: Fill) -> tuple[Any, ...]:
    return (
        f.fill_id, _number(f.fill_id), f.order_id, f.account_id, f.contract_id, _label(f.side), f.quantity, f.price,
        f.commission, _label(f.liquidity), f.ts_event,
    )  # fmt: skip


def fill_from_record(r: Any) -> Fill:
    return Fill(
        FillId(r["id"]),
        OrderId(r["order_id"]),
        AccountId(r["account_id"]),
        r["contract_id"],
        OrderSide[r["side"].upper()],
        r["quantity"],
        r["price"],
        r["commission"],
        Liquidity[r["liquidity"].upper()],
        r["ts_ns"],
    )
