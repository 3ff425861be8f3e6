"""`python -m core_server`: run the Vigil server until SIGINT or SIGTERM (core_server.shutdown)."""

from __future__ import annotations

import asyncio
import sys

import structlog
import uvloop

from core_server.app import start
from core_server.config import Config, ConfigError
from core_server.log_config import configure_logging
from core_server.runtime import tune_after_start
from core_server.shutdown import ShutdownSignals, stop_within
from core_server.storage.database import StoreUnreachable

log = structlog.get_logger("core_server")


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
    tune_after_start()
    signals = ShutdownSignals()
    signals.install(asyncio.get_running_loop())
    print(
        f"Vigil is serving on {running.address} (feed: {running.feed_plan.feed.name}); Ctrl-C to stop.", file=sys.stderr
    )
    await signals.requested.wait()
    print("vigil: stopping (a second Ctrl-C or SIGTERM exits at once)", file=sys.stderr, flush=True)
    return await stop_within(running.stop, config.shutdown_timeout_s, on_timeout=running.stop_embedded)


def main() -> None:
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    configure_logging(config.log_level, config.log_format)
    sys.exit(uvloop.run(serve(config)))


if __name__ == "__main__":
    main()
