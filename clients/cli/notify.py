"""`vigil notify status|test|reports`: the notification channels, a test message, daily reports now."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from clients.cli import exit_codes
from clients.cli.context import Context


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = commands.add_parser("notify", help="notification channels and coaching rules")
    actions = notify.add_subparsers(dest="notify_action", metavar="ACTION")
    actions.required = True
    status = actions.add_parser("status", help="each channel's counters and last error, and the coaching rules")
    status.set_defaults(run=_status)
    test = actions.add_parser("test", help="send a test message to every channel")
    test.add_argument("text", nargs="?", default="")
    test.set_defaults(run=_test)
    reports = actions.add_parser("reports", help="send every paper account's daily report now")
    reports.add_argument("--date", default=None, help="trading day YYYY-MM-DD (default: the current one)")
    reports.set_defaults(run=_reports)


def _status(ctx: Context) -> int:
    status = ctx.client.get_notification_status()
    if ctx.as_json:
        ctx.print_json(asdict(status))
        return exit_codes.OK
    if status.channels:
        rows: list[tuple[object, ...]] = [
            (c.name, c.kind, c.target, c.sent, c.retried, c.failed, c.dropped, c.last_error or "-")
            for c in status.channels
        ]
        ctx.table(("channel", "kind", "target", "sent", "retried", "failed", "dropped", "last error"), rows)
    else:
        ctx.print("no channels (set VIGIL_NOTIFY_CHANNELS)")
    ctx.print()
    ctx.print("coaching:")
    for line in status.coaching.described or ("no rules on",):
        ctx.print(f"  {line}")
    return exit_codes.OK


def _test(ctx: Context) -> int:
    count = ctx.client.send_test_notification(ctx.args.text)
    ctx.print(f"sent to {count} channels")
    return exit_codes.OK


def _reports(ctx: Context) -> int:
    count = ctx.client.send_daily_reports(ctx.args.date)
    ctx.print(f"sent {count} daily reports")
    return exit_codes.OK
