"""Trade Manager style price stream adapter: push-only JSON quotes over a websocket, no history."""

from core_server.feeds.trade_manager.config import TradeManagerConfig
from core_server.feeds.trade_manager.feed import TradeManagerFeed

__all__ = ["TradeManagerConfig", "TradeManagerFeed"]
