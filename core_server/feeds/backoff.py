"""The feeds' reconnect delays are the server's one backoff (core_server.backoff)."""

from core_server.backoff import Backoff

__all__ = ["Backoff"]
