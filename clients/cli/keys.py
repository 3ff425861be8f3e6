"""`vigil keys create|list|revoke|whoami`: named API keys with roles (admin only, except whoami).

The secret of a new key is printed once (on stdout, alone on its line with --json off, so
`KEY=$(vigil keys create --name ci --role viewer --quiet)` works); the server keeps only its hash.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import UTC, datetime

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.access import ApiKey


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="API keys with roles: create, list, revoke (admin), whoami")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="create a key and print its secret once")
    create.add_argument("--name", required=True, help="1-64 characters: letters, digits, '.', '_', '-'")
    create.add_argument("--role", required=True, choices=("viewer", "trader", "admin"))
    create.add_argument("--accounts", default="", help="trader only: comma-separated accounts (ids or names)")
    create.add_argument("--quiet", action="store_true", help="print only the secret")
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", help="the keys (never their secrets)")
    listing.add_argument("--all", action="store_true", help="revoked keys too")
    listing.set_defaults(run=_list)
    revoke = actions.add_parser("revoke", help="revoke a key by name; it stops working at once")
    revoke.add_argument("name")
    revoke.set_defaults(run=_revoke)
    whoami = actions.add_parser("whoami", help="who the server takes this caller for, and its role")
    whoami.set_defaults(run=_whoami)


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if ns else "-"


def _plain(key: ApiKey) -> dict[str, object]:
    value = asdict(key)
    value["role"] = key.role.value
    return value


def _create(ctx: Context) -> int:
    accounts = [a.strip() for a in ctx.args.accounts.split(",") if a.strip()]
    created = ctx.client.create_api_key(ctx.args.name, ctx.args.role, accounts)
    if ctx.as_json:
        ctx.print_json({"key": _plain(created.key), "secret": created.secret})
    elif ctx.args.quiet:
        ctx.print(created.secret)
    else:
        key = created.key
        scope = ", ".join(key.account_ids) or "every account"
        ctx.print(f"created key {key.name!r}: role {key.role.value}, {scope}")
        ctx.print("secret (shown this once; send it as 'authorization: Bearer <secret>', or VIGIL_API_KEY):")
        ctx.print(created.secret)
    return exit_codes.OK


def _list(ctx: Context) -> int:
    keys = ctx.client.list_api_keys(include_revoked=ctx.args.all)
    if ctx.as_json:
        ctx.print_json([_plain(k) for k in keys])
        return exit_codes.OK
    rows: list[tuple[object, ...]] = [
        (k.name, k.role.value, ",".join(k.account_ids) or "*", k.prefix + "…", _when(k.created_ns), k.created_by,
         _when(k.revoked_ns) if k.revoked_ns else "")
        for k in keys
    ]  # fmt: skip
    ctx.table(("NAME", "ROLE", "ACCOUNTS", "SECRET", "CREATED", "BY", "REVOKED"), rows)
    return exit_codes.OK


def _revoke(ctx: Context) -> int:
    key = ctx.client.revoke_api_key(ctx.args.name)
    if ctx.as_json:
        ctx.print_json(_plain(key))
    else:
        ctx.print(f"revoked key {key.name!r} ({key.role.value})")
    return exit_codes.OK


def _whoami(ctx: Context) -> int:
    identity = ctx.client.who_am_i()
    if ctx.as_json:
        ctx.print_json({"actor": identity.actor, "role": identity.role.value, "accounts": list(identity.account_ids)})
    else:
        ctx.print(f"{identity.actor} ({identity.role.value}; {', '.join(identity.account_ids) or 'every account'})")
    return exit_codes.OK
