"""The blocking client offers every call of the async one with the same parameters (a stream's `since_seq` too), so
a script written against VigilSyncClient can resume a stream as an async client does."""

from __future__ import annotations

import inspect

from clients.sdk import VigilClient, VigilSyncClient


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_async_stream_has_a_blocking_twin_with_the_same_parameters() -> None:
    sync, asynchronous = _public(VigilSyncClient), _public(VigilClient)
    streams = sorted(name for name in asynchronous if name.startswith("stream_"))
    assert streams
    for name in streams:
        assert name in sync, f"VigilSyncClient has no {name}"
        assert list(sync[name].parameters) == list(asynchronous[name].parameters), name


def test_the_blocking_client_resumes_the_event_streams_by_seq() -> None:
    sync = _public(VigilSyncClient)
    for name in ("stream_order_events", "stream_trade_updates", "stream_strategy_events", "stream_signal_events",
                 "stream_risk_events"):  # fmt: skip
        assert "since_seq" in sync[name].parameters, name
