"""`vigil health`, `vigil quote SYMBOL`, `vigil feed`: the server and its market data at a glance."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.models import ServingStatus


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    health = commands.add_parser("health", help="is the server serving?")
    health.set_defaults(run=_health)
    quote = commands.add_parser("quote", help="the latest quote and trade of a symbol (NQ, MNQZ2026, ...)")
    quote.add_argument("symbol")
    quote.set_defaults(run=_quote)
    feed = commands.add_parser("feed", help="the market-data feed's state and counters")
    feed.set_defaults(run=_feed)


def _health(ctx: Context) -> int:
    status = ctx.client.health()
    ctx.print(status.value)
    return exit_codes.OK if status is ServingStatus.SERVING else exit_codes.UNAVAILABLE


def _quote(ctx: Context) -> int:
    snapshot = ctx.client.get_quote(ctx.args.symbol)
    if ctx.as_json:
        ctx.print_json(asdict(snapshot))
        return exit_codes.OK
    quote = snapshot.quote
    ctx.print(f"{quote.contract_id}  bid {quote.bid}  ask {quote.ask}")
    if snapshot.last_trade is not None:
        ctx.print(f"last {snapshot.last_trade.price} x {snapshot.last_trade.size}  day volume {snapshot.day_volume}")
    return exit_codes.OK


def _feed(ctx: Context) -> int:
    report = ctx.client.get_feed_status()
    ctx.print_json(asdict(report))
    return exit_codes.OK
