"""`vigil signals send|list|show`: submit an alert of any action (TradersPost semantics) and read the Signal Lab.

vigil signals send NQ1! buy --price 25341.25 --strategy orb --stop-loss amount=20 --take-profit percent=0.5
vigil signals send CME_MINI_DL:NQ1! exit --strategy orb            # close the strategy's position
vigil signals send NQ1! exit --quantity 1 --strategy orb           # reduce it by 1
vigil signals send NQ1! cancel --strategy orb                      # its pending signals and working orders
vigil signals list --status no_op --strategy "Signal Lab NQ"
vigil signals show SIGNAL_ID
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk import (
    BracketLeg,
    LegKind,
    LegType,
    Signal,
    SignalAction,
    SignalDirection,
    SignalInput,
    SignalStatus,
    Timeframe,
)
from clients.sdk.errors import InvalidArgumentError

_ACTIONS = {
    "buy": (SignalAction.ENTRY, SignalDirection.BULLISH),
    "long": (SignalAction.ENTRY, SignalDirection.BULLISH),
    "sell": (SignalAction.ENTRY, SignalDirection.BEARISH),
    "short": (SignalAction.ENTRY, SignalDirection.BEARISH),
    "exit": (SignalAction.EXIT, SignalDirection.NONE),
    "close": (SignalAction.EXIT, SignalDirection.NONE),
    "cancel": (SignalAction.CANCEL, SignalDirection.NONE),
    "add": (SignalAction.ADD, SignalDirection.NONE),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LEG_KINDS = {"price": LegKind.PRICE, "amount": LegKind.POINTS, "points": LegKind.POINTS, "percent": LegKind.PERCENT}
_STOP_TYPES = {t.value: t for t in (LegType.STOP, LegType.STOP_LIMIT, LegType.TRAILING_STOP)}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("signals", help="send alerts (buy, sell, exit, cancel, add) and read the Signal Lab")
    actions = group.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    send = actions.add_parser("send", help="submit an alert, as the webhook bridge does")
    send.add_argument("symbol", help="NQ1!, NQZ2026, CME_MINI_DL:MNQ1!, ...")
    send.add_argument("what", choices=sorted(_ACTIONS), metavar="ACTION", help=", ".join(sorted(_ACTIONS)))
    send.add_argument("--price", help="the alert price (required for buy, sell and add)")
    send.add_argument("--quantity", type=int, default=None, help="contracts (an exit without it closes all)")
    send.add_argument("--strategy", default="", help="free text, e.g. 'Signal Lab NQ'")
    send.add_argument("--side", choices=("buy", "sell"), help="an add's or exit's side (optional)")
    send.add_argument("--time", help="fire time, ISO 8601 with a zone (default: now)")
    send.add_argument("--timeframe", default="1m", help="1m, 5m, 15m, 1h, 4h or 1d")
    send.add_argument("--key", default="", help="idempotency key (default: derived from the content)")
    send.add_argument("--stop-loss", metavar="KIND=VALUE", help="price=P, amount=POINTS or percent=PCT")
    send.add_argument("--stop-type", choices=sorted(_STOP_TYPES), default="stop")
    send.add_argument("--stop-limit", metavar="PRICE", help="a stop_limit stop-loss's limit price")
    send.add_argument("--take-profit", metavar="KIND=VALUE", help="price=P, amount=POINTS or percent=PCT")
    send.set_defaults(run=_send)
    listing = actions.add_parser("list", help="signals newest first")
    listing.add_argument("--status", action="append", default=[], help="e.g. pending, executed, no_op")
    listing.add_argument("--strategy", default="")
    listing.add_argument("--symbol", default="")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=_list)
    show = actions.add_parser("show", help="one signal with its checks and events")
    show.add_argument("signal_id")
    show.set_defaults(run=_show)


def _decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidArgumentError(field, f"not a number: {text!r}") from None
    if not value.is_finite():
        raise InvalidArgumentError(field, f"not a finite number: {text!r}")
    return value


def _leg(text: str | None, field: str, order_type: LegType, limit: str | None) -> BracketLeg | None:
    if text is None:
        return None
    kind, sep, value = text.partition("=")
    found = _LEG_KINDS.get(kind.strip().lower())
    if not sep or found is None:
        raise InvalidArgumentError(field, f"{text!r}: use price=P, amount=POINTS or percent=PCT")
    limit_price = _decimal(limit, "stop_limit") if limit else None
    return BracketLeg(found, _decimal(value.strip(), field), order_type, limit_price)


def _fired_ns(text: str | None) -> int:
    if not text:
        return time.time_ns()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError("time", f"{text!r}: use ISO 8601 with a zone, e.g. 2026-11-19T15:30:50Z") from None
    if moment.tzinfo is None:
        raise InvalidArgumentError("time", f"{text!r} has no zone: add Z or an offset")
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _send(ctx: Context) -> int:
    args = ctx.args
    action, direction = _ACTIONS[args.what]
    if args.side is not None:
        direction = SignalDirection.BULLISH if args.side == "buy" else SignalDirection.BEARISH
    quantity = args.quantity if args.quantity is not None else (0 if action is SignalAction.EXIT else 1)
    signal_input = SignalInput(
        symbol=args.symbol,
        direction=direction,
        signal_price=_decimal(args.price, "price") if args.price else Decimal(0),
        signal_time_ns=_fired_ns(args.time),
        timeframe=Timeframe.parse(args.timeframe),
        strategy=args.strategy,
        quantity=quantity,
        source="manual",
        idempotency_key=args.key,
        action=action,
        stop_loss=_leg(args.stop_loss, "stop_loss", _STOP_TYPES[args.stop_type], args.stop_limit),
        take_profit=_leg(args.take_profit, "take_profit", LegType.LIMIT, None),
    )
    result = ctx.client.submit_signal(signal_input)
    _print_signal(ctx, result.signal, duplicate=result.duplicate)
    return exit_codes.OK


def _list(ctx: Context) -> int:
    statuses = [SignalStatus.parse(s) for s in ctx.args.status]
    signals = ctx.client.list_signals(
        statuses=statuses, symbol=ctx.args.symbol, strategy=ctx.args.strategy, limit=ctx.args.limit
    )
    if ctx.as_json:
        ctx.print_json([_summary(s) for s in signals])
        return exit_codes.OK
    ctx.table(
        ("ID", "CONTRACT", "ACTION", "DIR", "STATUS", "STRATEGY", "OUTCOME"),
        [
            (s.signal_id, s.contract_id, s.action.value, s.direction.value, s.status.value, s.input.strategy, s.outcome)
            for s in signals
        ],
    )
    return exit_codes.OK


def _show(ctx: Context) -> int:
    _print_signal(ctx, ctx.client.get_signal(ctx.args.signal_id))
    return exit_codes.OK


def _summary(signal: Signal, duplicate: bool | None = None) -> dict[str, object]:
    summary: dict[str, object] = {
        "signal_id": signal.signal_id,
        "contract_id": signal.contract_id,
        "action": signal.action.value,
        "direction": signal.direction.value,
        "status": signal.status.value,
        "strategy": signal.input.strategy,
        "outcome": signal.outcome,
    }
    if duplicate is not None:
        summary["duplicate"] = duplicate
    return summary


def _print_signal(ctx: Context, signal: Signal, duplicate: bool | None = None) -> None:
    if ctx.as_json:
        summary = _summary(signal, duplicate)
        summary["checks"] = [{"name": c.name, "outcome": c.outcome.value, "detail": c.detail} for c in signal.checks]
        summary["events"] = [{"kind": e.kind, "detail": e.detail} for e in signal.events]
        ctx.print_json(summary)
        return
    repeat = " (duplicate: the original decision)" if duplicate else ""
    ctx.print(f"{signal.signal_id} {signal.contract_id} {signal.action.value} {signal.direction.value}{repeat}")
    ctx.print(f"status   {signal.status.value}")
    ctx.print(f"strategy {signal.input.strategy}")
    ctx.print(f"outcome  {signal.outcome}")
    for check in signal.checks:
        ctx.print(f"  {check.name:<18} {check.outcome.value:<8} {check.detail}")
