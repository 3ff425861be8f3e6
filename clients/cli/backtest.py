"""`vigil backtest`, `vigil sweep`, `vigil backtests`: run strategies over stored ticks on the server, follow their
progress, and save their reports (JSON with exact decimal strings, CSV of trades, self-contained HTML)."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from decimal import Decimal, InvalidOperation

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.backtests import BacktestRun, BacktestSettings
from clients.sdk.data import ImportOptions
from clients.sdk.errors import InvalidArgumentError

BAR_WIDTH = 30
SUMMARY_FIGURES = ("trades", "wins", "losses", "win_rate", "gross", "commissions", "net", "profit_factor",
                   "expectancy", "expectancy_r", "max_drawdown", "sharpe", "ending_balance")  # fmt: skip


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("backtest", help="backtest a strategy (a built-in name or a definition file) on ticks")
    run.add_argument(
        "strategy", metavar="STRATEGY_OR_FILE", help="bracket-a-day, first-hour-breakout, or a .toml/.json"
    )
    _settings(run)
    run.add_argument("--json", dest="json_out", default=None, metavar="OUT", help="save the JSON report here")
    run.add_argument("--csv", dest="csv_out", default=None, metavar="OUT", help="save the trades as CSV here")
    run.add_argument("--html", dest="html_out", default=None, metavar="OUT", help="save the HTML report here")
    run.add_argument("--no-wait", action="store_true", help="queue it and print its run id")
    run.add_argument(
        "--data",
        default=None,
        metavar="TICK_FILE",
        help="import this tick file first (uploaded; the same rows again add nothing), then backtest",
    )
    run.add_argument("--tz", default="", help="with --data: IANA zone of its timestamps without an offset")
    run.set_defaults(run=_backtest)
    sweep = commands.add_parser("sweep", help="backtest every combination of strategy parameters")
    sweep.add_argument("strategy", metavar="STRATEGY_OR_FILE")
    _settings(sweep)
    sweep.add_argument("--grid", action="append", default=[], required=True, metavar="NAME=V1,V2,...",
                       help="a parameter and its values (repeat for more)")  # fmt: skip
    sweep.add_argument("--sort", default="net", help="summary figure to sort by (default net, highest first)")
    sweep.add_argument("--ascending", action="store_true")
    sweep.set_defaults(run=_sweep)
    runs = commands.add_parser("backtests", help="backtest runs, newest first; or one run's trades")
    runs.add_argument("run_id", nargs="?", default=None, help="show this run's summary and trades")
    runs.add_argument("--cancel", action="store_true", help="cancel the run")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(run=_backtests)


def _settings(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--symbol", required=True, help="ES (each day's front month; rolls included) or a contract such as ESZ2025")
    add("--from", dest="from_date", required=True, help="first CME trade date YYYY-MM-DD")
    add("--to", dest="to_date", required=True, help="last CME trade date YYYY-MM-DD")
    add("--fill", choices=("through", "touch"), default="through", help="resting limits fill when traded through "
        "(default) or touched")  # fmt: skip
    add("--slippage-ticks", type=int, default=0, help="adverse slippage 0..N ticks per market/stop fill")
    add("--latency-ms", default="0", help="order latency MIN-MAX milliseconds (default 0)")
    add("--preset", default="", help="prop-firm rules (e.g. topstep_50k): reports the day the evaluation failed")
    add("--seed", type=int, default=1)
    add("--param", dest="params", action="append", default=[], metavar="NAME=VALUE", help="strategy parameter")
    add("--balance", default="", help="starting balance in dollars (default: the preset's, else 50000)")
    add("--commission", default="", help="dollars per contract per side (default: the server's rate for the root)")


def _pairs(items: list[str], field: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidArgumentError(field, f"{item!r}: use NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def settings_of(args: argparse.Namespace) -> BacktestSettings:
    low, _, high = args.latency_ms.partition("-")
    try:
        latency = (int(low), int(high or low))
    except ValueError:
        raise InvalidArgumentError("--latency-ms", f"{args.latency_ms!r}: use MIN-MAX milliseconds") from None
    strategy, definition = args.strategy, ""
    if os.path.isfile(strategy):
        with open(strategy, encoding="utf-8") as file:
            strategy, definition = "", file.read()
    try:
        balance = Decimal(args.balance) if args.balance else None
        commission = Decimal(args.commission) if args.commission else None
    except InvalidOperation:
        raise InvalidArgumentError("--balance/--commission", "use a number of dollars") from None
    return BacktestSettings(
        symbol=args.symbol, from_date=args.from_date, to_date=args.to_date, strategy=strategy,
        params=_pairs(args.params, "--param"), definition=definition, fill=args.fill,
        slippage_ticks=args.slippage_ticks, latency_ms=latency, preset=args.preset, seed=args.seed,
        starting_balance=balance, commission=commission,
    )  # fmt: skip


def _bar(run: BacktestRun) -> str:
    share = run.progress
    if share is None:
        return f"{run.status:<9} {run.ticks_done:>13,} ticks"
    filled = int(share * BAR_WIDTH)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    return f"{run.status:<9} [{bar}] {share:6.1%} {run.ticks_done:,}/{run.ticks_total:,} ticks"


def follow(ctx: Context, run: BacktestRun) -> BacktestRun:
    """Show a progress bar on stderr until the run ends; Ctrl-C cancels it on the server."""
    last = run
    try:
        for update in ctx.client.stream_backtest_progress(run.run_id):
            last = update
            print(f"\r{_bar(update)}", end="", file=ctx.err, flush=True)
    except KeyboardInterrupt:
        ctx.client.cancel_backtest(run.run_id)
        print(f"\nvigil: cancelled {run.run_id}", file=ctx.err)
        raise
    print(file=ctx.err)
    return last


def _import_first(ctx: Context, path: str, symbol: str, tz: str) -> None:
    """Upload and import the tick file into the store (de-duplicated), showing its progress on stderr."""
    last = None
    for progress in ctx.client.upload_ticks(path, ImportOptions(symbol=symbol, tz=tz)):
        last = progress
        stage = "upload" if progress.uploading else "import"
        line = (f"\r{stage} {progress.lines_read:,} rows, {progress.ticks_stored:,} stored, "
                f"{progress.duplicates:,} already stored, {progress.bad_total:,} bad")  # fmt: skip
        print(line, end="", file=ctx.err, flush=True)
    print(file=ctx.err)
    if last is not None and last.bad_total:
        print(f"vigil: {last.bad_total:,} rows of {path} were bad and not imported", file=ctx.err)


def _backtest(ctx: Context) -> int:
    args = ctx.args
    settings = settings_of(args)
    if args.data:
        _import_first(ctx, args.data, args.symbol, args.tz)
    run = ctx.client.start_backtest(settings)
    if args.no_wait:
        ctx.print_json(asdict(run)) if ctx.as_json else ctx.print(run.run_id)
        return exit_codes.OK
    run = follow(ctx, run)
    if run.status != "done":
        print(f"vigil: backtest {run.run_id} {run.status}: {run.error}", file=ctx.err)
        return exit_codes.FAILED
    for fmt, path in (("json", args.json_out), ("csv", args.csv_out), ("html", args.html_out)):
        if path:
            report = ctx.client.get_backtest_report(run.run_id, fmt)
            with open(path, "w", encoding="utf-8") as file:
                file.write(report.content)
    result = ctx.client.get_backtest_result(run.run_id)
    if ctx.as_json:
        ctx.print_json({"run": asdict(run), "failed_day": result.failed_day, "failed_reason": result.failed_reason})
        return exit_codes.OK
    ctx.print(f"{run.run_id}  {run.contract_id}  {run.settings.from_date} .. {run.settings.to_date}  "
              f"{result.ticks:,} ticks")  # fmt: skip
    ctx.table(("figure", "value"), [(k, run.summary.get(k, "")) for k in SUMMARY_FIGURES])
    if result.failed_day:
        ctx.print(f"risk preset: the evaluation failed on {result.failed_day} ({result.failed_reason})")
    return exit_codes.OK


def _sweep(ctx: Context) -> int:
    args = ctx.args
    grid = {}
    for item in args.grid:
        name, sep, values = item.partition("=")
        if not sep or not name.strip():
            raise InvalidArgumentError("--grid", f"{item!r}: use NAME=V1,V2,...")
        grid[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    sweep_id, runs = ctx.client.start_sweep(settings_of(args), grid)
    print(f"sweep {sweep_id}: {len(runs)} runs", file=ctx.err)
    for run in runs:
        follow(ctx, run)
    table = ctx.client.get_sweep(sweep_id, args.sort, args.ascending)
    if ctx.as_json:
        ctx.print_json([{"params": r.params, "run_id": r.run.run_id, "status": r.run.status,
                         "summary": r.run.summary} for r in table.rows])  # fmt: skip
        return exit_codes.OK
    names = list(grid)
    figures = ("trades", "win_rate", "net", "profit_factor", "max_drawdown")
    ctx.table((*names, "status", *figures),
              [(*(r.params.get(n, "") for n in names), r.run.status, *(r.run.summary.get(f, "") for f in figures))
               for r in table.rows])  # fmt: skip
    return exit_codes.OK if table.done == table.total else exit_codes.FAILED


def _backtests(ctx: Context) -> int:
    args = ctx.args
    if args.run_id and args.cancel:
        run = ctx.client.cancel_backtest(args.run_id)
        ctx.print(f"{run.run_id} {run.status}")
        return exit_codes.OK
    if args.run_id:
        page = ctx.client.list_backtest_trades(args.run_id, 0, 1000)
        if ctx.as_json:
            ctx.print_json([asdict(t) for t in page.trades])
            return exit_codes.OK
        ctx.table(("trade", "side", "qty", "entry", "exit", "reason", "net", "R"),
                  [(t.trade_id, t.side, t.quantity, t.entry_price, t.exit_price or "", t.exit_reason, t.net,
                    t.r if t.r is not None else "") for t in page.trades])  # fmt: skip
        return exit_codes.OK
    runs = ctx.client.list_backtests(limit=args.limit)
    if ctx.as_json:
        ctx.print_json([asdict(r) for r in runs])
        return exit_codes.OK
    ctx.table(("run", "status", "strategy", "contract", "from", "to", "ticks", "net"),
              [(r.run_id, r.status, r.settings.strategy or "(definition)", r.contract_id, r.settings.from_date,
                r.settings.to_date, f"{r.ticks_done:,}", r.summary.get("net", "")) for r in runs])  # fmt: skip
    return exit_codes.OK
