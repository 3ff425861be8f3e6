"""ProjectX Gateway (TopstepX and other firms) market-data adapter: REST auth and history, SignalR market hub."""

from core_server.feeds.projectx.config import ProjectXConfig
from core_server.feeds.projectx.feed import ProjectXFeed

__all__ = ["ProjectXConfig", "ProjectXFeed"]
