"""`vigil commissions show|set ACCOUNT`: what a paper account pays per contract per side, all-in, by root."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.commissions import CommissionRate
from clients.sdk.errors import InvalidArgumentError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("commissions", help="an account's commission per contract per side, by root")
    actions = group.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    show = actions.add_parser("show", help="every root's rate for an account")
    show.add_argument("account", help="account id or name")
    show.set_defaults(run=_show)
    change = actions.add_parser("set", help="override roots (ROOT=DOLLARS), or put them back with --reset")
    change.add_argument("account", help="account id or name")
    change.add_argument("rates", nargs="*", metavar="ROOT=DOLLARS", help="e.g. ES=2.25 MES=0.62")
    change.add_argument("--reset", action="append", default=[], metavar="ROOT", help="back to the server's rate")
    change.add_argument("--reset-all", action="store_true", help="drop every override first")
    change.set_defaults(run=_set)


def _print(ctx: Context, rates: list[CommissionRate]) -> None:
    if ctx.as_json:
        ctx.print_json([asdict(r) for r in rates])
        return
    ctx.table(
        ("ROOT", "PER SIDE", "SERVER", "SOURCE"),
        [(r.root, f"${r.rate}", f"${r.server_rate}", "account" if r.overridden else "server") for r in rates],
    )


def _show(ctx: Context) -> int:
    _print(ctx, ctx.client.get_commission_rates(ctx.args.account))
    return exit_codes.OK


def _set(ctx: Context) -> int:
    rates: dict[str, str] = {}
    for item in ctx.args.rates:
        root, sep, value = item.partition("=")
        if not sep or not root.strip() or not value.strip():
            raise InvalidArgumentError("rates", f"{item!r}: use ROOT=DOLLARS, e.g. ES=2.25")
        rates[root.strip().upper()] = value.strip()
    reset = [r.strip().upper() for r in ctx.args.reset]
    _print(ctx, ctx.client.set_commission_rates(ctx.args.account, rates, reset=reset, reset_all=ctx.args.reset_all))
    return exit_codes.OK
