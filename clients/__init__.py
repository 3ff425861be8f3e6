"""Thin clients of the Vigil core: the SDK and the TradingView webhook bridge."""
