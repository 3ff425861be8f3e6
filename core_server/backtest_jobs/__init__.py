"""Backtest jobs: settings from the API, strategies by name or definition, the store's ticks, worker processes,
progress, cancellation, sweeps and stored results (the pure driver and reports live in core_server.backtest)."""
