"""`vigil strategies list|show|validate|load|enable|disable|stop|events`: strategies from the command line.

`load FILE` sends the file's text (TOML, or JSON for *.json) to the server, which keeps it as a new version when
it differs; `--enable` activates it after loading. `validate FILE` prints the findings without saving anything
(exit 5 when an error stands). Definitions are read here, so the file never has to be on the server's machine.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Any

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.strategies import StrategyFinding, StrategyInfo


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("strategies", help="list, load, enable, disable and stop strategies")
    sub = group.add_subparsers(dest="strategy_command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="every strategy with its status, account, today's P&L and trades").set_defaults(
        run=_list
    )
    show = sub.add_parser("show", help="one strategy: findings, versions and recent events")
    show.add_argument("strategy_id")
    show.add_argument("--events", type=int, default=20, help="recent events to show (default 20)")
    show.set_defaults(run=_show)
    validate = sub.add_parser("validate", help="the findings for a definition file, nothing saved")
    validate.add_argument("file", type=Path)
    validate.set_defaults(run=_validate)
    load = sub.add_parser("load", help="load a definition file (a new version when it changed)")
    load.add_argument("file", type=Path)
    load.add_argument("--enable", action="store_true", help="activate it after loading")
    load.set_defaults(run=_load)
    for name, helptext, run in (
        ("enable", "activate a strategy", _enable),
        ("disable", "deactivate: no new entries, unfilled entries cancelled", _disable),
        ("stop", "emergency stop: cancel its orders and close its position now", _stop),
    ):
        command = sub.add_parser(name, help=helptext)
        command.add_argument("strategy_id")
        command.set_defaults(run=run)
    events = sub.add_parser("events", help="the event log (--follow: keep printing new events)")
    events.add_argument("strategy_id", nargs="?", default="")
    events.add_argument("--replay", type=int, default=50)
    events.add_argument("--follow", action="store_true")
    events.set_defaults(run=_events)


def _plain(value: Any) -> Any:
    """asdict() output with enums as their values, for --json."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _read(path: Path) -> tuple[str, str]:
    return path.read_text(encoding="utf-8"), "json" if path.suffix.lower() == ".json" else "toml"


def _blank(value: object | None) -> object:
    return "" if value is None else value


def _row(s: StrategyInfo) -> tuple[object, ...]:
    return (s.strategy_id, s.version, s.kind, s.status.value, s.account_id, s.contract_id, s.position,
            s.realised_today, _blank(s.unrealised), s.realised_r_today, _blank(s.unrealised_r), s.realised_r,
            s.trades_today, s.errors)  # fmt: skip


# R: the trade journal's (P&L over the initial risk); OPEN R is blank when flat, before a print or without a stop
HEADERS = ("ID", "VER", "KIND", "STATUS", "ACCOUNT", "CONTRACT", "POS", "TODAY $", "OPEN $", "TODAY R", "OPEN R",
           "TOTAL R", "TRADES", "ERRORS")  # fmt: skip
VERSION_HEADERS = ("VER", "TOTAL R", "TODAY R", "OPEN R", "OPEN", "TRADES", "WITH R")


def _print_findings(ctx: Context, findings: tuple[StrategyFinding, ...]) -> None:
    for f in findings:
        ctx.print(f"{f.severity}: {f.path}: {f.message}")


def _summary(ctx: Context, s: StrategyInfo) -> None:
    if ctx.as_json:
        ctx.print_json(_plain(asdict(s)))
        return
    ctx.table(HEADERS, [_row(s)])


def _list(ctx: Context) -> int:
    strategies = ctx.client.list_strategies()
    if ctx.as_json:
        ctx.print_json([_plain(asdict(s)) for s in strategies])
    else:
        ctx.table(HEADERS, [_row(s) for s in strategies])
    return exit_codes.OK


def _show(ctx: Context) -> int:
    detail = ctx.client.get_strategy(ctx.args.strategy_id, ctx.args.events)
    if ctx.as_json:
        ctx.print_json(_plain(asdict(detail)))
        return exit_codes.OK
    s = detail.strategy
    ctx.table(HEADERS, [_row(s)])
    if s.description:
        ctx.print(s.description)
    ctx.print(f"realised {s.realised} since loaded; state {s.state_json}")
    if s.last_error:
        ctx.print(f"last error: {s.last_error}")
    _print_findings(ctx, s.findings)
    ctx.print("versions: " + ", ".join(f"{v.version} ({v.format})" for v in detail.versions))
    if s.version_pnl:
        ctx.print("R per version (live):")
        ctx.table(
            VERSION_HEADERS,
            [(v.version, v.realised_r, v.realised_r_today, _blank(v.unrealised_r), v.open_qty, v.trades, v.r_trades)
             for v in s.version_pnl],
        )  # fmt: skip
    for r in detail.results:
        ctx.print(
            f"version {r.version}: {r.trades} closed trades, {r.wins} won, net {r.net}, {r.r}R ({r.r_trades} with R)"
        )
    for e in detail.events:
        ctx.print(f"{e.seq}  {e.ts_ns}  v{e.version}  {e.kind}: {e.message}")
    return exit_codes.OK


def _validate(ctx: Context) -> int:
    try:
        text, fmt = _read(ctx.args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"vigil strategies validate: cannot read {ctx.args.file}: {exc}", file=ctx.err)
        return exit_codes.USAGE
    result = ctx.client.validate_strategy(text, fmt)
    if ctx.as_json:
        ctx.print_json(_plain(asdict(result)))
    else:
        _print_findings(ctx, result.findings)
        ctx.print("ok" if result.ok else "errors stand: activation would be refused")
    return exit_codes.OK if result.ok else exit_codes.FAILED_PRECONDITION


def _load(ctx: Context) -> int:
    try:
        text, fmt = _read(ctx.args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"vigil strategies load: cannot read {ctx.args.file}: {exc}", file=ctx.err)
        return exit_codes.USAGE
    result = ctx.client.load_strategy(text, fmt)
    strategy = result.strategy
    if ctx.args.enable:
        strategy = ctx.client.activate_strategy(strategy.strategy_id)
    if not ctx.as_json:
        ctx.print(f"{strategy.strategy_id} version {strategy.version}" + ("" if result.changed else " (unchanged)"))
        _print_findings(ctx, strategy.findings)
    _summary(ctx, strategy)
    return exit_codes.OK


def _enable(ctx: Context) -> int:
    _summary(ctx, ctx.client.activate_strategy(ctx.args.strategy_id))
    return exit_codes.OK


def _disable(ctx: Context) -> int:
    _summary(ctx, ctx.client.deactivate_strategy(ctx.args.strategy_id))
    return exit_codes.OK


def _stop(ctx: Context) -> int:
    _summary(ctx, ctx.client.emergency_stop_strategy(ctx.args.strategy_id))
    return exit_codes.OK


def _events(ctx: Context) -> int:
    if ctx.args.follow:
        for update in ctx.client.stream_strategy_events(ctx.args.strategy_id, ctx.args.replay):
            e = update.event
            if e is not None:
                ctx.print(f"{e.seq}  {e.ts_ns}  {e.strategy_id}@{e.version}  {e.kind}: {e.message}")
        return exit_codes.OK
    if not ctx.args.strategy_id:
        print("vigil strategies events: give a strategy id, or --follow for every strategy", file=ctx.err)
        return exit_codes.USAGE
    for e in ctx.client.get_strategy(ctx.args.strategy_id, ctx.args.replay).events:
        ctx.print(f"{e.seq}  {e.ts_ns}  {e.strategy_id}@{e.version}  {e.kind}: {e.message}")
    return exit_codes.OK
