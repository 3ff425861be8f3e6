"""Closing a broker's socket and the task reading it, the same way for every adapter."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def close_quietly(ws: Any, reader: asyncio.Task[Any] | None) -> None:
    """Cancel `reader` and wait for it, then close `ws`; neither may raise. The caller detaches both first, so
    the reader's ending is not taken for a drop."""
    if reader is not None:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    if ws is not None:
        with contextlib.suppress(Exception):
            await ws.close()
