"""`python -m core_server` / `vigil-server`: run the Vigil server until SIGINT or SIGTERM (core_server.shutdown);
`config check` checks the configuration (core_server.config_check)."""

from __future__ import annotations

import asyncio
import sys

import structlog
import uvloop

from core_server.app import start
from core_server.config import Config, ConfigError
from core_server.log_config import configure_logging
from core_server.runtime import tune_server
from core_server.shutdown import ShutdownSignals, stop_within
from core_server.storage.database import StoreUnreachable

log = structlog.get_logger("core_server")

USAGE = """usage: vigil-server [serve]        run the server (python -m core_server)
       vigil-server config check print the effective configuration (secrets masked) and every problem
       vigil-server backup FILE  dump the store (embedded or DATABASE_URL) to FILE, also while serving
       vigil-server restore FILE replace the store's contents with FILE (the server stopped)"""


def _backup_or_restore(action: str, file: str) -> int:
    from pathlib import Path

    from core_server.backup import BackupError, backup, restore

    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, config.log_format)
    try:
        if action == "backup":
            size = asyncio.run(backup(config, Path(file)))
            print(f"vigil: backed up the store to {file} ({size:,} bytes)", file=sys.stderr)
        else:
            asyncio.run(restore(config, Path(file)))
            print(f"vigil: restored the store from {file}", file=sys.stderr)
    except BackupError as exc:
        print(f"vigil: {action} failed: {exc}", file=sys.stderr)
        return 1
    return 0


async def serve(config: Config) -> int:
    try:
        running = await start(config)
    except StoreUnreachable as exc:
        log.error("store.unreachable", reason=str(exc))
        print(f"vigil: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        return 2
    collector = tune_server()
    signals = ShutdownSignals()
    signals.install(asyncio.get_running_loop())
    print(
        f"Vigil is serving on {running.address} (feed: {running.feed_plan.feed.name}); Ctrl-C to stop.", file=sys.stderr
    )
    await signals.requested.wait()
    print("vigil: stopping (a second Ctrl-C or SIGTERM exits at once)", file=sys.stderr, flush=True)
    collector.cancel()
    return await stop_within(running.stop, config.shutdown_timeout_s, on_timeout=running.stop_embedded)


def main() -> None:
    command = sys.argv[1:]
    if command[:2] == ["config", "check"]:
        from core_server.config_check import check

        sys.exit(check())
    if len(command) == 2 and command[0] in ("backup", "restore"):
        sys.exit(_backup_or_restore(command[0], command[1]))
    if command and command != ["serve"]:
        print(USAGE, file=sys.stderr)
        sys.exit(2 if command[0] not in ("-h", "--help", "help") else 0)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    configure_logging(config.log_level, config.log_format)
    sys.exit(uvloop.run(serve(config)))


if __name__ == "__main__":
    main()
