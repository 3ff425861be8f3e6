"""Feeds: the simulator, replays and broker adapters, each implementing core_server.ports.MarketDataFeed."""
