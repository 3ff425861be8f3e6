"""`vigil accounts list|brokers|bind|unbind|live on|off|reconcile|flatten`: broker accounts and live routing.

An account is PAPER, BOUND (bound to a broker, live routing off: nothing is sent) or LIVE. Turning live routing on
is an admin's act and needs `--confirm ACCOUNT` (the account's id or name again).
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.brokers import AccountBinding, BrokerFlatten


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("accounts", help="broker accounts: modes, bindings, live routing, reconciliation")
    actions = group.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser("list", help="every account with its mode (PAPER, BOUND, LIVE)").set_defaults(run=_list)
    actions.add_parser("brokers", help="brokers and their connection state").set_defaults(run=_brokers)
    bind = actions.add_parser("bind", help="bind an account to a broker account (admin)")
    bind.add_argument("account", help="Vigil account id or name")
    bind.add_argument("broker", choices=("tradovate", "projectx"))
    bind.add_argument("broker_account", help="the broker's account id or name (Tradovate: e.g. DEMO12345)")
    bind.add_argument("--environment", default="demo", help="demo or live (Tradovate); the gateway URL (ProjectX)")
    bind.set_defaults(run=_bind)
    unbind = actions.add_parser("unbind", help="back to paper (live routing must be off)")
    unbind.add_argument("account")
    unbind.set_defaults(run=_unbind)
    live = actions.add_parser("live", help="turn live routing on or off (admin)")
    live.add_argument("switch", choices=("on", "off"))
    live.add_argument("account")
    live.add_argument("--confirm", default="", metavar="ACCOUNT", help="to turn it on: the account again")
    live.set_defaults(run=_live)
    reconcile = actions.add_parser("reconcile", help="compare with the broker now (the broker wins)")
    reconcile.add_argument("account")
    reconcile.set_defaults(run=_reconcile)
    order = actions.add_parser("order", help="send one order to a LIVE account's broker (after the risk check)")
    order.add_argument("account")
    order.add_argument("side", choices=("buy", "sell"))
    order.add_argument("quantity", type=int)
    order.add_argument("symbol", help="the broker's contract: NQZ6 (Tradovate), CON.F.US.ENQ.Z26 (ProjectX)")
    order.add_argument("--type", default="market", choices=("market", "limit", "stop", "stop_limit"))
    order.add_argument("--limit", default="", help="limit price")
    order.add_argument("--stop", default="", help="stop price")
    order.add_argument("--take-profit", default="", help="bracket target price")
    order.add_argument("--stop-loss", default="", help="bracket stop price")
    order.add_argument("--id", default="", help="client order id (a retry with the same id is never sent twice)")
    order.set_defaults(run=_order)
    audit = actions.add_parser("audit", help="the account's broker audit trail, newest first")
    audit.add_argument("account")
    audit.add_argument("--limit", type=int, default=50)
    audit.set_defaults(run=_audit)
    flatten = actions.add_parser("flatten", help="cancel every order and close every position at the broker")
    flatten.add_argument("account")
    flatten.set_defaults(run=_flatten)


def _bindings(ctx: Context, bindings: list[AccountBinding]) -> None:
    if ctx.as_json:
        ctx.print_json([asdict(b) for b in bindings])
        return
    ctx.table(
        ("ACCOUNT", "NAME", "MODE", "BROKER", "ENVIRONMENT", "BROKER ACCOUNT"),
        [(b.account_id, b.name, b.mode.value, b.broker.value if b.broker else "", b.environment, b.broker_account)
         for b in bindings],
    )  # fmt: skip


def _list(ctx: Context) -> int:
    _bindings(ctx, ctx.client.list_account_modes())
    return exit_codes.OK


def _brokers(ctx: Context) -> int:
    brokers = ctx.client.list_brokers()
    if ctx.as_json:
        ctx.print_json([asdict(b) for b in brokers])
        return exit_codes.OK
    ctx.table(
        ("BROKER", "ENVIRONMENT", "CREDENTIALS", "STATE", "ACCOUNTS", "DETAIL"),
        [(b.broker.value, b.environment, "set" if b.configured else "missing", b.state, ",".join(b.account_ids),
          b.detail) for b in brokers],
    )  # fmt: skip
    return exit_codes.OK


def _bind(ctx: Context) -> int:
    a = ctx.args
    _bindings(ctx, [ctx.client.bind_account(a.account, a.broker, a.broker_account, a.environment)])
    return exit_codes.OK


def _unbind(ctx: Context) -> int:
    _bindings(ctx, [ctx.client.unbind_account(ctx.args.account)])
    return exit_codes.OK


def _live(ctx: Context) -> int:
    a = ctx.args
    _bindings(ctx, [ctx.client.set_live_routing(a.account, a.switch == "on", confirm=a.confirm)])
    return exit_codes.OK


def _reconcile(ctx: Context) -> int:
    result = ctx.client.reconcile(ctx.args.account)
    if ctx.as_json:
        ctx.print_json(asdict(result))
        return exit_codes.OK
    ctx.print(f"{result.account_id}: {len(result.positions)} position(s), {len(result.open_orders)} open order(s)")
    for p in result.positions:
        ctx.print(f"  position {p.symbol} {p.net_qty:+d} @ {p.avg_price}")
    for o in result.open_orders:
        ctx.print(f"  order {o.order_id} {o.side} {o.quantity} {o.symbol} {o.order_type} {o.status}")
    for d in result.differences:
        ctx.print(f"  DIFFERENCE {d.kind} {d.symbol}: vigil {d.vigil}, broker {d.broker} (broker adopted)")
    return exit_codes.OK


def _order(ctx: Context) -> int:
    a = ctx.args
    client_order_id = a.id or f"cli-{uuid.uuid4().hex[:16]}"
    placed = ctx.client.submit_broker_order(
        a.account, client_order_id, a.symbol, a.side, a.quantity, a.type, limit_price=a.limit or None,
        stop_price=a.stop or None, take_profit=a.take_profit or None, stop_loss=a.stop_loss or None,
    )  # fmt: skip
    if ctx.as_json:
        ctx.print_json(asdict(placed))
    elif placed.accepted:
        legs = f" legs {', '.join(placed.leg_ids)}" if placed.leg_ids else ""
        ctx.print(f"accepted: order {placed.order_id}{legs} (client id {placed.client_order_id})")
    else:
        ctx.print(f"refused: {placed.reason} (client id {placed.client_order_id})")
    return exit_codes.OK if placed.accepted else exit_codes.FAILED_PRECONDITION


def _audit(ctx: Context) -> int:
    records = ctx.client.list_broker_audit(ctx.args.account, ctx.args.limit)
    if ctx.as_json:
        ctx.print_json([asdict(r) for r in records])
        return exit_codes.OK
    ctx.table(
        ("TIME (UTC)", "ACTOR", "KIND", "DETAIL"),
        [(datetime.fromtimestamp(r.ts_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S"), r.actor, r.kind,
          json.dumps(r.detail, sort_keys=True)) for r in records],
    )  # fmt: skip
    return exit_codes.OK


def _flatten(ctx: Context) -> int:
    report: BrokerFlatten = ctx.client.flatten_broker_account(ctx.args.account)
    if ctx.as_json:
        data: dict[str, Any] = asdict(report)
        ctx.print_json(data)
    else:
        ctx.print(f"cancelled {', '.join(report.cancelled_order_ids) or 'nothing'}; closed "
                  f"{', '.join(report.closed_symbols) or 'nothing'}; remaining {len(report.remaining)}")  # fmt: skip
        for error in report.errors:
            ctx.print(f"  error: {error}")
    return exit_codes.OK if not report.remaining and not report.errors else exit_codes.FAILED_PRECONDITION
