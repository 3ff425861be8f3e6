"""Candle building: session-aligned OHLC aggregation and the anomaly filter (pure, synchronous)."""
