"""The browser chart as an aiohttp sub-application (mounted at /chart): the page, its script, and two feeds.

    GET /                                   index.html (candles, signal and fill markers, position lines)
    GET /chart.js                           the page's one module
    GET /vendor/lightweight-charts.js       TradingView's lightweight-charts, copied from npm by make chart-assets
    GET /api/candles?symbol=&resolution=    server-sent events: each forming or closed bar from StreamCandles
    GET /api/positions?symbol=[&account=]   the account's open positions in the symbol's contract
The page reads history and marks from the UDF routes (/udf/history, /udf/marks) of the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from pathlib import Path

import msgspec
import structlog
from aiohttp import web

from clients.sdk import Candle, NotFoundError, UnavailableError, VigilError
from clients.udf import UdfDatafeed
from clients.udf.app import udf_json
from clients.udf.bars import bar_time_s, parse_resolution
from clients.udf.errors import UdfError, UdfRequestError

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_FILE = STATIC_DIR / "vendor" / "lightweight-charts.standalone.production.js"
KEEPALIVE_S = 15.0
_ENCODER = msgspec.json.Encoder(decimal_format="number")
DATAFEED_KEY = web.AppKey("chart_datafeed", UdfDatafeed)


def create_chart_app(datafeed: UdfDatafeed) -> web.Application:
    app = web.Application()
    app[DATAFEED_KEY] = datafeed
    app.router.add_get("/", _page)
    app.router.add_get("/chart.js", _script)
    app.router.add_get("/vendor/lightweight-charts.js", _vendor)
    app.router.add_get("/api/candles", _candles)
    app.router.add_get("/api/positions", _positions)
    return app


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _script(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC_DIR / "chart.js", headers={"Content-Type": "text/javascript", "Cache-Control": "no-cache"}
    )


async def _vendor(request: web.Request) -> web.StreamResponse:
    if not VENDOR_FILE.is_file():
        raise web.HTTPNotFound(text="lightweight-charts is not installed here; run `make chart-assets`")
    return web.FileResponse(VENDOR_FILE, headers={"Content-Type": "text/javascript"})


def bar_event(candle: Candle, resolution_time: int) -> bytes:
    bar = {
        "time": resolution_time,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
        "closed": candle.closed,
        "contract_id": candle.contract_id,
    }
    return b"data: " + _ENCODER.encode(bar) + b"\n\n"


async def _candles(request: web.Request) -> web.StreamResponse:
    """Server-sent events of one contract's bars; a comment line every 15 s keeps idle links honest."""
    datafeed = request.app[DATAFEED_KEY]
    symbol = request.query.get("symbol", "").strip()
    if not symbol:
        raise web.HTTPBadRequest(text="symbol: is required")
    try:
        timeframe = parse_resolution(request.query.get("resolution"))
        resolved = await datafeed.resolve(symbol)
    except UdfError as error:
        return udf_json({"s": "error", "errmsg": error.errmsg}, error.status)
    stream = datafeed.client.stream_candles(resolved.contract.contract_id, [timeframe], send_snapshot=True)
    queue: asyncio.Queue[list[Candle] | BaseException] = asyncio.Queue(maxsize=64)
    pump = asyncio.create_task(_pump(stream, queue))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if isinstance(item, BaseException):
                reason = item.message if isinstance(item, VigilError) else "the candle stream ended"
                await response.write(b"event: failure\ndata: " + _ENCODER.encode({"errmsg": reason}) + b"\n\n")
                break
            for candle in item:
                await response.write(bar_event(candle, bar_time_s(timeframe, candle.start_ns)))
    except ConnectionResetError:
        pass  # the page went away
    finally:  # also when the edge stops and cancels this handler
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        await stream.aclose()
    return response


async def _pump(stream: AsyncGenerator[list[Candle], None], queue: asyncio.Queue[list[Candle] | BaseException]) -> None:
    """Moves batches from the SDK stream to the queue, so the writer can time out without cancelling the stream."""
    try:
        async for batch in stream:
            await queue.put(batch)
        await queue.put(UnavailableError("the candle stream ended"))
    except VigilError as error:
        log.info("chart.stream_failed", code=error.code, reason=error.message)
        await queue.put(error)


async def _positions(request: web.Request) -> web.Response:
    datafeed = request.app[DATAFEED_KEY]
    account = request.query.get("account", "").strip() or datafeed.account_id
    try:
        symbol = request.query.get("symbol", "").strip()
        if not symbol:
            raise UdfRequestError("symbol", "is required")
        resolved = await datafeed.resolve(symbol)
        positions = await datafeed.client.list_positions(account)
    except UdfError as error:
        return udf_json({"s": "error", "errmsg": error.errmsg}, error.status)
    except NotFoundError:
        return udf_json({"s": "error", "errmsg": f"account: {account!r} does not exist"}, 404)
    return udf_json(
        [
            {
                "account_id": p.account_id,
                "contract_id": p.contract_id,
                "quantity": p.quantity,
                "average_price": p.average_price,
                "average_price_text": str(p.average_price),
                "unrealized_pnl": p.unrealized_pnl,
            }
            for p in positions
            if p.quantity != 0 and p.contract_id == resolved.contract.contract_id
        ]
    )
