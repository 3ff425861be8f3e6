"""The market-data engine: feed sink -> anomaly filter -> candles -> bus, latest quotes and recent ticks."""
