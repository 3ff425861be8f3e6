"""`vigil import FILE`: import a tick file (CSV/TXT, plain, gzip or zstd) into the server's tick store.

The file is uploaded by default, so it works against a remote server; `--server-side` makes the server read
the path itself (faster for big files on the server's own disk; allowed on a loopback server, or under
VIGIL_IMPORT_DIRS). A progress bar goes to stderr; the summary (or --json) to stdout. Exit codes: 0 done,
3 invalid options or an unreadable layout (the message names the flag to pin it), 4 no such file, 7 no server.
Running the same import again after an interruption resumes it; after it finished it adds nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.data import ImportOptions, ImportProgress

BAR_WIDTH = 30
REDRAW_S = 0.2


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "import",
        help="import a tick file (CSV/TXT, .gz, .zst) into the tick store",
        description="Import ticks. Everything is detected unless pinned; the report says what was detected and "
        "what it is unsure of, with the flag that pins it.",
    )
    command.add_argument("file", help="the tick file (a path on this machine, or on the server with --server-side)")
    command.add_argument(
        "--symbol", default="", help="NQ (continuous, rolled per SPEC §1) or a root; default: file name"
    )
    command.add_argument("--contract", default="", help="one contract for every row, e.g. NQZ2025")
    command.add_argument("--tz", default="", help="IANA zone of timestamps without an offset (default: UTC)")
    command.add_argument("--from", dest="start", default="", help="first time kept: RFC 3339 or YYYY-MM-DD (in --tz)")
    command.add_argument("--to", dest="end", default="", help="end of the range, exclusive")
    command.add_argument("--format", default="", help="a vendor layout: ninjatrader (default: detect)")
    command.add_argument("--separator", default="", help="comma, semicolon, tab, pipe or space (default: detect)")
    header = command.add_mutually_exclusive_group()
    header.add_argument("--header", dest="header", action="store_const", const=True, default=None)
    header.add_argument("--no-header", dest="header", action="store_const", const=False)
    command.add_argument(
        "--columns", default="", help="a role per column, e.g. time,last,bid,ask,volume (or date,clock,...,skip)"
    )
    command.add_argument("--time-format", default="", help="ymd, mdy, dmy, epoch_s, epoch_ms, epoch_us, epoch_ns")
    command.add_argument("--server-side", action="store_true", help="the server reads FILE from its own disk")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=_import)


def _options(args: argparse.Namespace) -> ImportOptions:
    return ImportOptions(
        symbol=args.contract or args.symbol,
        tz=args.tz,
        start=args.start,
        end=args.end,
        separator=args.separator,
        header=args.header,
        columns=tuple(c.strip() for c in args.columns.split(",") if c.strip()),
        time_format=args.time_format,
        format=args.format,
    )


def _bar(progress: ImportProgress) -> str:
    total = max(progress.bytes_total, 1)
    done = progress.bytes_received if progress.uploading else progress.bytes_read
    fraction = 1.0 if progress.done else min(done / total, 1.0)
    filled = int(fraction * BAR_WIDTH)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    if progress.uploading:
        return f"\rupload [{bar}] {fraction:6.1%} {progress.bytes_received / 1e6:,.1f} MB"
    eta = "" if progress.done else f" eta {progress.eta_s:,.0f}s"
    return (
        f"\rimport [{bar}] {fraction:6.1%} {progress.lines_read:,} rows {progress.ticks_stored:,} stored "
        f"{progress.duplicates:,} dup {progress.bad_total:,} bad {progress.rows_per_s:,.0f} rows/s{eta}"
    )


def _summary(ctx: Context, last: ImportProgress) -> None:
    ctx.print(f"imported {last.file_name} as {last.instrument} (import {last.import_id})")
    if last.resumed_from_line:
        ctx.print(f"resumed from line {last.resumed_from_line:,}")
    for note in last.notes:
        ctx.print(f"  detected {note}")
    for doubt in last.unsure:
        ctx.print(f"  unsure   {doubt}")
    ctx.print(
        f"rows read {last.lines_read:,}, ticks stored {last.ticks_stored:,}, duplicates skipped "
        f"{last.duplicates:,}, anomalies flagged {last.anomalies:,}, bad rows {last.bad_total:,}"
    )
    for bad in last.bad:
        lines = ", ".join(str(n) for n in bad.first_lines)
        ctx.print(f"  bad {bad.kind}: {bad.count:,} (first lines {lines})")
    if last.contracts:
        ctx.print(f"contracts: {', '.join(last.contracts)}")


def _import(ctx: Context) -> int:
    args = ctx.args
    options = _options(args)
    if args.server_side:
        path = args.file
        stream = ctx.client.import_ticks(str(Path(path).expanduser().absolute()), options)
    else:
        local = Path(args.file).expanduser()
        if not local.is_file():
            print(f"vigil: no such file: {args.file}", file=ctx.err)
            return exit_codes.NOT_FOUND
        stream = ctx.client.upload_ticks(local, options)
    show = not args.quiet and not ctx.as_json and (ctx.stderr is not None or sys.stderr.isatty())
    last: ImportProgress | None = None
    drawn = 0.0
    for progress in stream:
        last = progress
        now = time.monotonic()
        if show and (progress.done or now - drawn >= REDRAW_S):
            drawn = now
            ctx.err.write(_bar(progress))
            ctx.err.flush()
    if show:
        ctx.err.write("\n")
    if last is None or not last.done:
        print("vigil: the import ended without a final report", file=ctx.err)
        return exit_codes.FAILED
    if ctx.as_json:
        ctx.print_json(asdict(last))
    else:
        _summary(ctx, last)
    return exit_codes.OK
