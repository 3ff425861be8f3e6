"""A local HTTP receiver for notification tests: records every POST and answers with scripted statuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Receiver:
    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answered in order; then 200
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, JSON body)
    attempts: int = 0


@asynccontextmanager
async def receiver(*statuses: int) -> AsyncIterator[Receiver]:
    state = Receiver(statuses=list(statuses))

    async def handle(request: web.Request) -> web.Response:
        state.attempts += 1
        status = state.statuses.pop(0) if state.statuses else 200
        if status == 200:
            state.received.append((request.path, json.loads(await request.text())))
        return web.Response(status=status, text="ok" if status == 200 else "no")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()
