"""Vigil core server: market data, candles, signals, excursions, paper execution and risk."""
