"""The HTTP edge: one aiohttp process serving the webhook bridge, the UDF datafeed and the browser chart."""

from clients.http_edge.app import create_edge_app
from clients.http_edge.config import EdgeConfig

__all__ = ["EdgeConfig", "create_edge_app"]
