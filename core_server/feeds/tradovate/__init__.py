"""Tradovate market data: REST login and contract lookup, the md WebSocket, reconnect and tick-chart backfill."""

from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.feed import TradovateFeed

__all__ = ["TradovateConfig", "TradovateFeed"]
