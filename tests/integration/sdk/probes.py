"""Probes for SDK tests on the real server: is a service registered yet, and where is the NQ market."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal

import pytest

from clients.sdk import NotFoundError, VigilClient, VigilError
from tests.kit.eventually import eventually


async def served(call: Awaitable[object], service: str) -> None:
    """Skip the test when the server does not register `service` yet (the call answers UNIMPLEMENTED)."""
    try:
        await call
    except VigilError as error:
        if error.code == "UNIMPLEMENTED":
            pytest.skip(f"{service} is not served yet")
        raise


async def nq_bid(client: VigilClient) -> Decimal:
    """The NQ front month's bid, once the simulator has quoted it."""

    async def ready() -> Decimal | None:
        try:
            return (await client.get_quote("NQ")).quote.bid
        except NotFoundError:
            return None

    return await eventually(ready)
