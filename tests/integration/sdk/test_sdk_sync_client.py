"""VigilSyncClient: the blocking facade gives the same typed answers and a plain iterator of quotes."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from decimal import Decimal

import pytest

from clients.sdk import ConnectionState, InvalidArgumentError, NotFoundError, QuoteSnapshot, VigilSyncClient


def quote_when_ready(client: VigilSyncClient) -> QuoteSnapshot:
    deadline = time.monotonic() + 10
    while True:
        try:
            return client.get_quote("ES")
        except NotFoundError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)  # a blocking client polls by blocking


def use_sync_client(address: str) -> None:
    with VigilSyncClient(address) as client:
        assert client.wait_connected(10)
        assert client.connection_state is ConnectionState.CONNECTED
        assert len(client.list_instruments()) == 8
        assert client.resolve_symbol("ES1!").contract_id.startswith("ES")
        assert client.list_sessions("2025-12-24", "2025-12-26").closed_dates == (date(2025, 12, 25),)
        assert quote_when_ready(client).quote.bid % Decimal("0.25") == 0
        with pytest.raises(InvalidArgumentError) as caught:
            client.get_quote("BOGUS")
        assert caught.value.field == "symbol"

        batches = []
        stream = client.stream_quotes(["ES"])
        for batch in stream:
            batches.append(batch)
            if len(batches) == 3:
                break
        stream.close()
        assert all(q.contract_id.startswith("ES") for b in batches for q in b.quotes)

        candles = client.stream_candles("ES", ["1m"])
        assert next(candles)[0].contract_id.startswith("ES")
        candles.close()
        assert client.get_feed_status().feeds
    assert client.connection_state is ConnectionState.CLOSED


async def test_the_sync_client_answers_calls_and_iterates_streams(vigil_server: str) -> None:
    # The facade blocks, so it runs in a thread while this test's loop keeps serving the server.
    await asyncio.to_thread(use_sync_client, vigil_server)


def test_wait_connected_gives_up_after_its_timeout_when_no_server_listens(unused_address: str) -> None:
    with VigilSyncClient(unused_address) as client:
        assert client.wait_connected(0.3) is False
