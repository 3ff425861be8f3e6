"""The edge's aiohttp application: the webhook bridge's routes (when configured), /udf and /chart, one process.

The bridge keeps its own app and its own SDK client (fail-fast, no stream reconnects); the datafeed and chart
share one client whose streams reconnect. With webhooks configured the bridge app is the root (its routes,
/healthz and JSON errors stay exactly as `make bridge` serves them); otherwise a plain root serves /healthz.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from clients.http_edge.chart import create_chart_app
from clients.http_edge.config import EdgeConfig
from clients.sdk import ServingStatus, VigilClient, VigilError
from clients.udf import UdfDatafeed, create_udf_app
from clients.udf.app import udf_json
from clients.webhook_bridge import create_app as create_bridge_app


def create_edge_app(
    config: EdgeConfig, client: VigilClient | None = None, bridge_client: VigilClient | None = None
) -> web.Application:
    """The whole edge. Without `client` it opens its own (closed on cleanup); a given client stays the caller's."""
    owned = client is None
    datafeed_client = client or VigilClient(config.target, api_key=config.api_key)
    datafeed = UdfDatafeed(datafeed_client, account_id=config.account_id)
    if config.bridge is not None:
        root = create_bridge_app(config.bridge, bridge_client)
    else:
        root = web.Application()
        root.router.add_get("/healthz", _healthz(datafeed_client))
    root.add_subapp("/udf", create_udf_app(datafeed, config.cors_origins))
    root.add_subapp("/chart", create_chart_app(datafeed))
    root.router.add_get("/", _to_chart)

    async def close_client(app: web.Application) -> AsyncIterator[None]:
        yield
        if owned:
            await datafeed_client.close()

    root.cleanup_ctx.append(close_client)
    return root


async def _to_chart(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/chart/")


def _healthz(client: VigilClient) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(request: web.Request) -> web.Response:
        try:
            status = await client.health()
        except VigilError as error:
            return udf_json({"status": "degraded", "core": "unreachable", "reason": error.message}, 503)
        healthy = status is ServingStatus.SERVING
        return udf_json({"status": "ok" if healthy else "degraded", "core": status.value}, 200 if healthy else 503)

    return healthz
