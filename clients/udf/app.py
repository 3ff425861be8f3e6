"""The UDF routes as an aiohttp sub-application (mount it at e.g. /udf): parameters, JSON, UDF error shape.

    GET /config                                         DatafeedConfiguration + supports_search/group_request
    GET /symbols?symbol=NQ1!                             LibrarySymbolInfo
    GET /search?query=NQ&type=&exchange=&limit=30        [SearchSymbolResultItem]
    GET /history?symbol=&resolution=&from=&to=&countback= {s, t, o, h, l, c, v} or {s: no_data, nextTime}
    GET /marks?symbol=&resolution=&from=&to=[&account=]  [Mark]
    GET /timescale_marks?symbol=&resolution=&from=&to=   [TimescaleMark]
    GET /time                                            Unix seconds, as plain text
    GET /quotes?symbols=NQ1!,ES1!                        {s, d: [{s, n, v}]}
Times are Unix seconds. Prices are JSON numbers written from the core's exact decimal strings (never through a
binary float). Every refusal is {"s": "error", "errmsg": ...}: 400 for a bad parameter, 404 for an unknown symbol
or account, 503 when the core is unreachable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgspec
import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from clients.sdk import (
    DeadlineExceededError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    UnavailableError,
    VigilError,
)
from clients.udf.bars import parse_resolution
from clients.udf.datafeed import UdfDatafeed
from clients.udf.errors import UdfError, UdfRequestError

log = structlog.get_logger(__name__)

DATAFEED_KEY = web.AppKey("udf_datafeed", UdfDatafeed)
MAX_COUNTBACK = 20_000
MAX_SEARCH = 100
MAX_QUOTE_SYMBOLS = 100
MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
_ENCODER = msgspec.json.Encoder(decimal_format="number")  # Decimal("25341.25") -> 25341.25, exactly
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_udf_app(datafeed: UdfDatafeed, cors_origins: Iterable[str] = ()) -> web.Application:
    """The UDF endpoints as a sub-application; `cors_origins` may read it from other origins (none by default:
    the fills and positions of the account are private)."""
    app = web.Application(middlewares=[_udf_errors, _cors(frozenset(cors_origins))])
    app[DATAFEED_KEY] = datafeed
    routes = {
        "/config": _config,
        "/symbols": _symbols,
        "/search": _search,
        "/history": _history,
        "/marks": _marks,
        "/timescale_marks": _timescale_marks,
        "/time": _time,
        "/quotes": _quotes,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


def udf_json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_ENCODER.encode(payload), content_type="application/json")


def _feed(request: web.Request) -> UdfDatafeed:
    return request.app[DATAFEED_KEY]


async def _config(request: web.Request) -> web.Response:
    return udf_json(await _feed(request).config())


async def _symbols(request: web.Request) -> web.Response:
    return udf_json(await _feed(request).symbol_info(_text(request, "symbol")))


async def _search(request: web.Request) -> web.Response:
    query = request.query
    limit = _integer(request, "limit", default=30, low=1, high=MAX_SEARCH)
    assert limit is not None
    found = await _feed(request).search(query.get("query", ""), query.get("type", ""), query.get("exchange", ""), limit)
    return udf_json(found)


async def _history(request: web.Request) -> web.Response:
    symbol = _text(request, "symbol")
    timeframe = parse_resolution(request.query.get("resolution"))
    to_s = _integer(request, "to", low=0, high=MAX_UNIX_SECONDS)
    countback = _integer(request, "countback", default=None, low=1, high=MAX_COUNTBACK)
    from_s = _integer(request, "from", default=None if countback else ..., low=0, high=MAX_UNIX_SECONDS)
    assert to_s is not None
    if countback is None and from_s is not None and from_s >= to_s:
        raise UdfRequestError("from", "must be before to")
    return udf_json(await _feed(request).history(symbol, timeframe, to_s, from_s, countback))


async def _marks(request: web.Request) -> web.Response:
    symbol, timeframe, from_s, to_s = _mark_query(request)
    account = request.query.get("account", "").strip() or None
    return udf_json(await _feed(request).marks(symbol, timeframe, from_s, to_s, account))


async def _timescale_marks(request: web.Request) -> web.Response:
    symbol, timeframe, from_s, to_s = _mark_query(request)
    return udf_json(await _feed(request).timescale_marks(symbol, timeframe, from_s, to_s))


async def _time(request: web.Request) -> web.Response:
    seconds = await _feed(request).server_time_ns() // 1_000_000_000
    return web.Response(text=str(seconds), content_type="text/plain")


async def _quotes(request: web.Request) -> web.Response:
    symbols = [s.strip() for s in _text(request, "symbols").split(",") if s.strip()]
    if not symbols or len(symbols) > MAX_QUOTE_SYMBOLS:
        raise UdfRequestError("symbols", f"1 to {MAX_QUOTE_SYMBOLS} comma-separated symbols")
    return udf_json(await _feed(request).quotes(symbols))


def _mark_query(request: web.Request) -> tuple[str, Any, int, int]:
    symbol = _text(request, "symbol")
    timeframe = parse_resolution(request.query.get("resolution") or "1D")
    from_s = _integer(request, "from", low=0, high=MAX_UNIX_SECONDS)
    to_s = _integer(request, "to", low=0, high=MAX_UNIX_SECONDS)
    assert from_s is not None and to_s is not None
    if from_s >= to_s:
        raise UdfRequestError("from", "must be before to")
    return symbol, timeframe, from_s, to_s


def _text(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise UdfRequestError(name, "is required")
    return value


def _integer(request: web.Request, name: str, *, default: Any = ..., low: int, high: int) -> int | None:
    """A whole-number parameter in [low, high]; `default` ... means required."""
    raw = request.query.get(name, "").strip()
    if not raw:
        if default is ...:
            raise UdfRequestError(name, "is required")
        return default  # type: ignore[no-any-return]
    if not raw.lstrip("-").isdigit() or not raw.isascii():
        raise UdfRequestError(name, f"{raw!r} is not a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise UdfRequestError(name, f"{value} is outside {low}..{high}")
    return value


def _error(status: int, errmsg: str) -> web.Response:
    return udf_json({"s": "error", "errmsg": errmsg}, status)


@web.middleware
async def _udf_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Every refusal in the UDF error shape; the core's typed errors become 4xx/5xx with their reason."""
    try:
        return await handler(request)
    except UdfError as error:
        return _error(error.status, error.errmsg)
    except InvalidArgumentError as error:
        return _error(400, f"{error.field}: {error.reason}" if error.field else error.reason)
    except NotFoundError as error:
        return _error(404, error.message)
    except FailedPreconditionError as error:
        return _error(409, error.message)
    except (UnavailableError, DeadlineExceededError, ResourceExhaustedError) as error:
        log.warning("udf.core_unavailable", code=error.code, reason=error.message, path=request.path)
        return _error(503, f"the Vigil core is unavailable ({error.code}): {error.message}")
    except VigilError as error:
        log.error("udf.core_error", code=error.code, reason=error.message, path=request.path)
        return _error(502, f"the Vigil core failed the request ({error.code}): {error.message}")
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _error(error.status, error.reason)
    except Exception:
        log.exception("udf.internal_error", path=request.path)
        return _error(500, "internal error in the UDF datafeed; its log has the details")


def _cors(origins: frozenset[str]) -> Middleware:
    @web.middleware
    async def allow_origins(request: web.Request, handler: _Handler) -> web.StreamResponse:
        response = await handler(request)
        origin = request.headers.get("Origin", "")
        if origin and ("*" in origins or origin in origins):
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
            response.headers["Vary"] = "Origin"
        return response

    return allow_origins
