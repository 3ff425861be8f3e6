"""The `vigil` entry point: global options, the command groups, and one place that turns errors into exit codes.

A command group is a module with `register(subparsers)`; each subcommand sets `run=function(ctx) -> int`.
Add a group by adding its module to GROUPS.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

from clients.cli import (
    accounts,
    analytics,
    backtest,
    certs,
    commissions,
    copying,
    data,
    exit_codes,
    imports,
    keys,
    market,
    notify,
    signals,
    strategies,
)
from clients.cli.context import Context
from clients.sdk.errors import InvalidArgumentError, VigilError

GROUPS = (
    market,
    commissions,
    keys,
    analytics,
    certs,
    signals,
    strategies,
    imports,
    notify,
    backtest,
    copying,
    accounts,
    data,
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="vigil", description="Vigil command-line client")
    root.add_argument("--target", default=None, help="server address (default: VIGIL_TARGET, else 127.0.0.1:50051)")
    root.add_argument("--api-key", default=None, help="API key (default: VIGIL_API_KEY)")
    root.add_argument("--json", action="store_true", help="print JSON instead of text where a command supports it")
    root.add_argument("--tls-ca", default=None, help="CA certificate (PEM) to trust: TLS (default: VIGIL_TLS_CA)")
    root.add_argument("--tls-cert", default=None, help="client certificate (PEM), mutual TLS (VIGIL_TLS_CLIENT_CERT)")
    root.add_argument("--tls-key", default=None, help="client key (PEM), mutual TLS (VIGIL_TLS_CLIENT_KEY)")
    root.add_argument("--tls", action="store_true", default=None, help="TLS with the system CAs (VIGIL_TLS=1)")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for group in GROUPS:
        group.register(commands)
    return root


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    ctx = Context(args, stdout, stderr)
    try:
        code: int = args.run(ctx)
        return code
    except InvalidArgumentError as error:
        print(f"vigil: invalid {error.field or 'argument'}: {error.reason}", file=ctx.err)
        return exit_codes.INVALID_ARGUMENT
    except VigilError as error:
        print(f"vigil: {error.code}: {error.message}", file=ctx.err)
        return exit_codes.for_error(error)
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()
