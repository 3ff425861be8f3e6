"""`python -m clients.http_edge`: serve webhooks (when configured), the UDF datafeed and the chart (config.py)."""

from __future__ import annotations

import asyncio
import signal
import sys

import structlog
from aiohttp import web

from clients.http_edge.app import create_edge_app
from clients.http_edge.chart import VENDOR_FILE
from clients.http_edge.config import EdgeConfig
from clients.webhook_bridge.__main__ import configure_logging
from clients.webhook_bridge.config import ConfigError
from clients.webhook_bridge.https import server_ssl_context

log = structlog.get_logger(__name__)


async def serve(config: EdgeConfig) -> int:
    try:
        tls = server_ssl_context()
    except ConfigError as error:
        print(f"vigil-edge: configuration error: {error}", file=sys.stderr)
        return 2
    runner = web.AppRunner(create_edge_app(config), access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    host, port = config.host_port
    try:
        await web.TCPSite(runner, host, port, ssl_context=tls).start()
    except OSError as error:
        print(f"vigil-edge: cannot listen on {config.listen}: {error}", file=sys.stderr)
        await runner.cleanup()
        return 1
    if not VENDOR_FILE.is_file():
        log.warning("chart.library_missing", path=str(VENDOR_FILE), fix="make chart-assets")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    for address in runner.addresses:
        base = f"http{'s' if tls else ''}://{address[0]}:{address[1]}"
        webhooks = f"{base}/webhook/tradingview" if config.bridge else "off (no VIGIL_WEBHOOK_SECRET)"
        print(
            f"Vigil edge on {base} (core: {config.target}): chart {base}/chart/, UDF datafeed {base}/udf,"
            f" webhooks {webhooks}; Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
    await stop.wait()
    await runner.cleanup()
    return 0


def main() -> None:
    try:
        config = EdgeConfig.from_env()
    except ConfigError as error:
        print(f"vigil-edge: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    configure_logging(config.log_level)
    sys.exit(asyncio.run(serve(config)))


if __name__ == "__main__":
    main()
