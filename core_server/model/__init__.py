"""Pure vocabulary of the trading core: ids, values, instruments, time and market data."""
