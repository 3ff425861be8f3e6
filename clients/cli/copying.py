"""`vigil copy create|list|show|pause|resume|delete|outcomes`: copy groups fanning one source out to followers.

A follower is `ACCOUNT=RULE[+micros]`, RULE one of `x2` (multiplier of the source size), `3` (fixed contracts) or
`risk500` / `$500` (dollars at risk from the stop distance); `+micros` trades the micro of a mini source.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import UTC, datetime

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.copying import CopyFollower, CopyGroup, CopyOutcome, CopySourceKind
from clients.sdk.errors import InvalidArgumentError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("copy", help="copy groups: one source fanned out to follower accounts")
    actions = group.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="a new copy group")
    create.add_argument("name")
    kinds = [k.value for k in CopySourceKind]
    create.add_argument("--source-kind", choices=kinds, default="webhook", help="what is copied (default webhook)")
    create.add_argument("--source", required=True, help="webhook strategy name, Vigil strategy id or leader account")
    create.add_argument(
        "--follow", action="append", required=True, metavar="ACCOUNT=RULE[+micros]",
        help="a follower: RULE x2 (multiplier), 3 (fixed contracts) or risk500 ($ at risk); repeat per follower",
    )  # fmt: skip
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", help="every copy group")
    listing.set_defaults(run=_list)
    show = actions.add_parser("show", help="a group with each follower's last outcome")
    show.add_argument("group", help="group id or name")
    show.set_defaults(run=_show)
    for name, run, text in (
        ("pause", _pause, "stop copying (positions stay)"),
        ("resume", _resume, "copy again"),
        ("delete", _delete, "remove the group (its outcomes stay)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("group", help="group id or name")
        action.set_defaults(run=run)
    outcomes = actions.add_parser("outcomes", help="follower outcomes, newest first")
    outcomes.add_argument("group", nargs="?", default="", help="group id or name (default: every group)")
    outcomes.add_argument("--account", default="", help="one follower account")
    outcomes.add_argument("--source", default="", help="one source, e.g. signal:<id> or account:<id>")
    outcomes.add_argument("--limit", type=int, default=20)
    outcomes.set_defaults(run=_outcomes)


def parse_follower(text: str) -> CopyFollower:
    account, sep, rule = text.partition("=")
    if not sep or not account.strip() or not rule.strip():
        raise InvalidArgumentError("follow", f"{text!r}: use ACCOUNT=RULE, e.g. eval-1=x2, eval-2=3, eval-3=risk500")
    rule = rule.strip().lower()
    micros = rule.endswith("+micros")
    rule = rule.removesuffix("+micros")
    account = account.strip()
    if rule.startswith("x"):
        return CopyFollower.times(account, _number(rule[1:], text), micros_only=micros)
    if rule.startswith(("risk", "$")):
        dollars = _number(rule.removeprefix("risk").removeprefix("$"), text)
        return CopyFollower.risk(account, dollars, micros_only=micros)
    if rule.isdigit():
        return CopyFollower.fixed(account, int(rule), micros_only=micros)
    raise InvalidArgumentError("follow", f"{text!r}: RULE is x<multiplier>, <contracts> or risk<dollars>")


def _number(value: str, text: str) -> str:
    stripped = value.strip()
    if not stripped or not stripped.replace(".", "", 1).isdigit():
        raise InvalidArgumentError("follow", f"{text!r}: {value!r} is not a number")
    return stripped


def _when(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, UTC).strftime("%H:%M:%S") if ts_ns else ""


def _last(outcome: CopyOutcome | None) -> str:
    if outcome is None:
        return "-"
    what = f"{outcome.action.value} {outcome.status.value} {outcome.quantity} {outcome.contract_id}"
    return f"{what} {_when(outcome.ts_ns)}"


def _print_group(ctx: Context, group: CopyGroup) -> None:
    if ctx.as_json:
        ctx.print_json(asdict(group))
        return
    state = "PAUSED" if group.paused else "active"
    ctx.print(f"{group.name} ({group.group_id}) {state}: copies {group.source_kind.value} {group.source}")
    ctx.table(
        ("FOLLOWER", "SIZING", "LAST OUTCOME", "DETAIL"),
        [
            (f.account_id, f.describe(), _last(f.last_outcome), f.last_outcome.detail if f.last_outcome else "")
            for f in group.followers
        ],
    )


def _create(ctx: Context) -> int:
    followers = [parse_follower(text) for text in ctx.args.follow]
    group = ctx.client.create_copy_group(ctx.args.name, ctx.args.source_kind, ctx.args.source, followers)
    _print_group(ctx, group)
    return exit_codes.OK


def _list(ctx: Context) -> int:
    groups = ctx.client.list_copy_groups()
    if ctx.as_json:
        ctx.print_json([asdict(g) for g in groups])
        return exit_codes.OK
    ctx.table(
        ("NAME", "ID", "STATE", "SOURCE", "FOLLOWERS"),
        [
            (g.name, g.group_id, "PAUSED" if g.paused else "active", f"{g.source_kind.value} {g.source}",
             len(g.followers))
            for g in groups
        ],
    )  # fmt: skip
    return exit_codes.OK


def _show(ctx: Context) -> int:
    _print_group(ctx, ctx.client.get_copy_group(ctx.args.group))
    return exit_codes.OK


def _pause(ctx: Context) -> int:
    _print_group(ctx, ctx.client.pause_copy_group(ctx.args.group))
    return exit_codes.OK


def _resume(ctx: Context) -> int:
    _print_group(ctx, ctx.client.resume_copy_group(ctx.args.group))
    return exit_codes.OK


def _delete(ctx: Context) -> int:
    group = ctx.client.delete_copy_group(ctx.args.group)
    if ctx.as_json:
        ctx.print_json(asdict(group))
    else:
        ctx.print(f"deleted {group.name} ({group.group_id})")
    return exit_codes.OK


def _outcomes(ctx: Context) -> int:
    outcomes = ctx.client.list_copy_outcomes(
        group=ctx.args.group, account_id=ctx.args.account, source_ref=ctx.args.source, limit=ctx.args.limit
    )
    if ctx.as_json:
        ctx.print_json([asdict(o) for o in outcomes])
        return exit_codes.OK
    ctx.table(
        ("TIME", "FOLLOWER", "SOURCE", "ACTION", "STATUS", "QTY", "CONTRACT", "DETAIL"),
        [
            (_when(o.ts_ns), o.account_id, o.source_ref, o.action.value, o.status.value, o.quantity, o.contract_id,
             o.detail)
            for o in outcomes
        ],
    )  # fmt: skip
    return exit_codes.OK
