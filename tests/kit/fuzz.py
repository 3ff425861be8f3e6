"""Fuzz targets shared by the short parser fuzz tests (`make test`) and the long run (`python -m bench fuzz`).

A target is one parser with the one error type its callers catch (count, log, go on). Each target takes a
hypothesis-drawn input, calls the parser and lets any exception out: the harness accepts only the target's
documented error. Inputs mix random bytes and text, JSON shaped like the real messages with random values in
every field, and extreme values (huge integers, decimals with huge exponents, NaN/Infinity, deep nesting,
unhashable values where ids go).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from clients.webhook_bridge import AlertRejected, parse_alert
from clients.webhook_bridge.body import decode_body
from core_server.brokers.projectx import ProjectXBroker
from core_server.brokers.tradovate import BrokerUnavailable, TradovateBroker
from core_server.feeds.projectx import signalr
from core_server.feeds.projectx.messages import MalformedPayload, MarketEventParser
from core_server.feeds.projectx.messages import timestamp_ns as projectx_timestamp_ns
from core_server.feeds.trade_manager.messages import MalformedMessage as TradeManagerMalformed
from core_server.feeds.trade_manager.messages import QuoteStreamParser
from core_server.feeds.tradovate.framing import FrameError, decode_frame, loads
from core_server.feeds.tradovate.history import ChartHistory
from core_server.feeds.tradovate.messages import MalformedMessage, QuoteParser, decode_tick_packet, timestamp_ns
from core_server.model.clock import TestClock
from core_server.model.instruments import Contract

NQ = Contract("NQ", 2026, 12)
NOW_NS = 1_795_000_000_000_000_000
NQ_TRADOVATE_ID = 101
_TRADOVATE_ENV = {
    name: "fuzz" for name in ("TRADOVATE_USERNAME", "TRADOVATE_PASSWORD", "TRADOVATE_APP_ID", "TRADOVATE_APP_VERSION")
} | {"TRADOVATE_CID": "1", "TRADOVATE_SECRET": "fuzz"}
_PROJECTX_ENV = {"PROJECTX_USERNAME": "fuzz", "PROJECTX_API_KEY": "fuzz"}

# -- value strategies --------------------------------------------------------------------------------------------

FIELDS = [
    # Tradovate md / chart / user events
    "e",
    "d",
    "i",
    "s",
    "quotes",
    "contractId",
    "timestamp",
    "entries",
    "Bid",
    "Offer",
    "Trade",
    "TotalTradeVolume",
    "EmptyBook",
    "price",
    "size",
    "charts",
    "id",
    "eoh",
    "tks",
    "bp",
    "bt",
    "ts",
    "p",
    "t",
    "entityType",
    "entity",
    "accountId",
    "orderId",
    "qty",
    "action",
    "netPos",
    "netPrice",
    "fills",
    "positions",
    "orders",
    "contracts",
    "name",
    "failureReason",
    "failureText",
    "oso1Id",
    "oso2Id",
    "ocoId",
    "clOrdId",
    "orderQty",
    "ordStatus",
    "filledQty",
    "avgPx",
    "stopPrice",
    "orderType",
    # ProjectX hub / gateway
    "type",
    "target",
    "arguments",
    "invocationId",
    "error",
    "result",
    "symbol",
    "lastPrice",
    "bestBid",
    "bestAsk",
    "bestBidSize",
    "bestAskSize",
    "volume",
    "lastUpdated",
    "symbolId",
    "data",
    "side",
    "voided",
    "success",
    "errorMessage",
    "fillVolume",
    "filledPrice",
    "limitPrice",
    "customTag",
    "status",
    "averagePrice",
    # Trade Manager
    "ticker",
    "prices",
    "ask",
    "bid",
    "tickinfo",
    "step",
    "amnt",
]
WORDS = [
    "md",
    "chart",
    "props",
    "shutdown",
    "clock",
    "order",
    "fill",
    "position",
    "DATA",
    "LOGS",
    "GatewayQuote",
    "GatewayTrade",
    "GatewayUserTrade",
    "CON.F.US.ENQ.Z26",
    "NQ1!",
    "NQZ2026",
    "ES1!",
    "Buy",
    "Sell",
    "Success",
    "2026-11-17T14:30:01.123Z",
    "2026-11-17T14:30:01.1234567+00:00",
    "2026-11-17T14:30:01Z",
    "2026-13-45T99:99:99Z",
    "25329.25",
    "0.25",
    "",
    " ",
]

extreme_numbers = st.one_of(
    st.integers(),
    st.builds(lambda sign, digits: sign * 10**digits - sign, st.sampled_from([1, -1]), st.integers(0, 400)),
    st.sampled_from([0, -1, 1, 2**63, -(2**63), 2**64, NQ_TRADOVATE_ID, 25329, 101316]),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1E+999999", "-1E+999999", "1E-999999", "25329.25", "25329.3", "0.25"]).map(Decimal),
    st.integers(1, 500).map(lambda n: Decimal("9" * n + ".5")),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    extreme_numbers,
    st.text(max_size=24),
    st.sampled_from(WORDS),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=6),
    ),
    max_leaves=10,
)
json_objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)


def _number_text(value: Decimal | int) -> str:
    return format(value, "f") if isinstance(value, Decimal) and abs(value.adjusted()) < 50 else str(value)


def to_json(value: Any) -> str:
    """JSON text with Decimals written as exact numbers (json.dumps cannot), extremes included."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal | int):
        return _number_text(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"


def _mangle(text: str, cut: int, junk: str) -> str:
    """The text cut short or with junk inserted: truncated and corrupted frames."""
    at = cut % (len(text) + 1)
    return text[:at] + junk + text[at + len(junk) :]


def texts(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Message text: the shaped JSON, the same mangled, random JSON, random text, nesting bombs and constants."""
    json_text = shaped.map(to_json)
    return st.one_of(
        json_text,
        json_text,
        st.builds(_mangle, json_text, st.integers(min_value=0, max_value=400), st.text(max_size=4)),
        json_values.map(to_json),
        st.text(max_size=200),
        st.integers(min_value=1, max_value=5000).map(lambda n: "[" * n + "]" * n),
        st.integers(min_value=1, max_value=5000).map(lambda n: '{"a":' * n + "1" + "}" * n),
        st.sampled_from(["NaN", "Infinity", "-Infinity", '{"price":NaN}', '{"price":Infinity}', "null", "[]", "{}"]),
    )


# -- targets ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Target:
    name: str
    inputs: st.SearchStrategy[Any]
    run: Callable[[Any], object]
    allowed: tuple[type[BaseException], ...]  # the documented errors; anything else is a bug

    def __repr__(self) -> str:
        return self.name


def _tradovate_frame(raw: str | bytes) -> object:
    return decode_frame(raw, 1 << 16)


tradovate_quote = st.fixed_dictionaries(
    {"contractId": st.sampled_from([NQ_TRADOVATE_ID]) | json_values, "entries": json_objects | json_values},
    optional={"timestamp": st.sampled_from(WORDS) | json_values},
)
tradovate_md = st.fixed_dictionaries({"quotes": st.lists(tradovate_quote | json_values, max_size=4)}) | json_values


def _tradovate_md(text: str) -> object:
    parser = QuoteParser(TestClock(NOW_NS))
    parser.add_contract(NQ_TRADOVATE_ID, NQ)
    out: list[Any] = []
    data = loads(text)  # the frame decoder already refused what is not JSON
    for _ in range(2):  # twice: the second message is not a subscription baseline
        errors = parser.parse(data, out)
        assert all(isinstance(e, MalformedMessage) for e in errors)
    return out


tick_packet = st.fixed_dictionaries(
    {
        "id": st.just(7) | json_values,
        "bp": extreme_numbers | json_values,
        "bt": extreme_numbers | json_values,
        "ts": st.sampled_from([Decimal("0.25"), Decimal("0.5")]) | extreme_numbers | json_values,
        "tks": st.lists(
            st.fixed_dictionaries({"p": extreme_numbers, "t": extreme_numbers, "s": extreme_numbers, "id": scalars})
            | json_values,
            max_size=4,
        )
        | json_values,
    }
)


def _tradovate_chart(text: str) -> object:
    data = loads(text)
    history = ChartHistory(NQ.spec)
    history.on_response({"historicalId": 7, "realtimeId": 8})
    if type(data) is dict and "charts" not in data:
        return decode_tick_packet(data, NQ.spec)
    charts = data.get("charts") if type(data) is dict else None
    for packet in charts if type(charts) is list else []:
        if type(packet) is dict:
            history.on_packet(packet)
    return history.ticks


def _tradovate_charts_event(text: str) -> object:
    from core_server.feeds.tradovate.config import TradovateConfig
    from core_server.feeds.tradovate.history import HistoryFetcher

    fetcher = HistoryFetcher(TradovateConfig.from_env(_TRADOVATE_ENV), lambda what, exc: None)
    fetcher.on_charts(loads(text))
    return None


def _tradovate_timestamp(text: str) -> object:
    return timestamp_ns(text)


hub_message = st.fixed_dictionaries(
    {"type": st.sampled_from([1, 2, 3, 6, 7, 99]) | json_values},
    optional={
        "target": st.sampled_from(WORDS) | json_values,
        "arguments": st.lists(json_values, max_size=3) | json_values,
        "invocationId": json_values,
        "error": json_values,
        "result": json_values,
        "allowReconnect": json_values,
    },
)


def _signalr_records(text: str) -> object:
    reader = signalr.RecordReader(4096)
    decoded = []
    for part in (text[: len(text) // 2], text[len(text) // 2 :]):
        for record in reader.feed(part):
            with contextlib.suppress(signalr.ProtocolError):
                decoded.append(signalr.decode_message(record))
    assert isinstance(signalr.handshake_error(text), str | None)
    return decoded


gateway_args = st.one_of(
    st.tuples(
        st.sampled_from([NQ.projectx_id]) | json_values,
        json_objects,
    ),
    st.tuples(
        st.sampled_from([NQ.projectx_id]) | json_values,
        st.lists(json_objects, max_size=3) | json_objects,
    ),
    st.lists(json_values, max_size=3),
).map(lambda args: list(args))


def _projectx_payload(args_and_target: tuple[str, str]) -> object:
    text, target = args_and_target
    parser = MarketEventParser()
    parser.add_contract(NQ.projectx_id, NQ.id, NQ.spec)
    return parser.parse(target, text, NOW_NS)


def _projectx_timestamp(text: str) -> object:
    try:
        return projectx_timestamp_ns(text)
    except ValueError as exc:  # its callers map ValueError to MalformedPayload
        raise MalformedPayload(str(exc)) from None


tm_message = st.fixed_dictionaries(
    {"type": st.sampled_from(["DATA", "LOGS"]) | json_values},
    optional={
        "data": st.fixed_dictionaries(
            {"ticker": st.sampled_from(["NQ1!", "NQZ2026", "ES1!", "NQ", "!"]) | json_values},
            optional={"prices": json_objects | json_values, "tickinfo": json_objects | json_values},
        )
        | json_values
    },
)


def _trade_manager(raw: str | bytes) -> object:
    return QuoteStreamParser([NQ]).parse(raw, NOW_NS)


# brokers: the user-data socket events and the REST answers, with no network (the answers are handed in)


def _tradovate_broker() -> TradovateBroker:
    from core_server.feeds.tradovate.config import TradovateConfig

    fills: list[Any] = []
    broker = TradovateBroker(
        TradovateConfig.from_env(_TRADOVATE_ENV),
        "ws://127.0.0.1:1",
        TestClock(NOW_NS),
        on_fill=lambda a, f: fills.append(f),
    )
    broker._accounts = {"1": 1, "DEMO1": 1}
    return broker


def _tradovate_user_events(text: str) -> object:
    broker = _tradovate_broker()
    frame = decode_frame("a" + text if not text.startswith(("a", "o", "h", "c")) else text, 1 << 16)
    broker._apply_snapshot(frame.messages[0] if frame.messages else None)
    for message in frame.messages:
        if isinstance(message, dict):
            broker._event(message)
    return broker.positions


def _tradovate_rest_answers(text: str) -> object:
    broker = _tradovate_broker()
    answer = loads(text)

    async def get(path: str, query: dict[str, str] | None = None) -> Any:
        return answer

    async def ensure() -> None:
        return None

    broker._get = get  # type: ignore[method-assign]
    broker._ensure = ensure  # type: ignore[method-assign]
    broker._placement("k1", answer)
    broker._command_result("5", answer)
    asyncio.run(broker.open_orders("1"))
    return asyncio.run(broker.broker_positions("1"))


def _projectx_broker() -> ProjectXBroker:
    from core_server.feeds.projectx import ProjectXConfig

    fills: list[Any] = []
    broker = ProjectXBroker(
        ProjectXConfig.from_env(_PROJECTX_ENV),
        "ws://127.0.0.1:1",
        TestClock(NOW_NS),
        on_fill=lambda a, f: fills.append(f),
    )
    broker._accounts = {"1": 1, "DEMO1": 1}
    return broker


def _projectx_user_hub(text: str) -> object:
    broker = _projectx_broker()
    for record in text.split(signalr.RECORD_SEPARATOR):
        if record:
            broker._record(record)
    return None


def _projectx_rest_answers(text: str) -> object:
    broker = _projectx_broker()
    answer = loads(text)

    async def post(path: str, body: dict[str, Any]) -> Any:
        if not isinstance(answer, dict):
            raise BrokerUnavailable(f"{path}: the answer is not an object")
        return answer

    async def ensure() -> None:
        return None

    broker._post = post  # type: ignore[method-assign]
    broker._ensure = ensure  # type: ignore[method-assign]
    asyncio.run(broker.open_orders("1"))
    return asyncio.run(broker.broker_positions("1"))


def _webhook_body(body: bytes) -> object:
    return decode_body(body)


def _webhook_alert(body: bytes) -> object:
    return parse_alert(body, now_ns=lambda: NOW_NS)


def _webhook_inputs() -> st.SearchStrategy[bytes]:
    alert = st.dictionaries(
        st.sampled_from(["secret", "ticker", "action", "price", "quantity", "time", "interval", "strategy"]),
        json_values,
        max_size=8,
    )
    return st.one_of(
        st.binary(max_size=400),
        texts(alert).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(FIELDS), st.text(max_size=10)), max_size=8).map(
            lambda kv: " ".join(kv).encode("utf-8", "surrogatepass")
        ),
        st.lists(
            st.builds(lambda k, v: f"{k}={v}", st.sampled_from(FIELDS), st.text(max_size=10)), min_size=2, max_size=8
        ).map(lambda kv: "&".join(kv).encode("utf-8", "surrogatepass")),
    )


def _frames(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[str | bytes]:
    body = texts(shaped)
    return st.one_of(
        body.map(lambda t: "a[" + t + "]"),
        body.map(lambda t: "a" + t),
        body.map(lambda t: "c" + t),
        st.sampled_from(["o", "h", "", "a", "c", "x", "oo", "hh", "a[]"]),
        st.text(max_size=100),
        st.binary(max_size=100),
        st.integers(min_value=1 << 16, max_value=(1 << 16) + 4).map(lambda n: "a" + "[" * n),
    )


def _is_json(text: str) -> bool:
    try:
        loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _frame_ok(text: str) -> bool:
    try:
        decode_frame(text, 1 << 16)
    except FrameError:
        return False
    return True


TARGETS: tuple[Target, ...] = (
    Target("tradovate.frame", _frames(st.lists(json_objects, max_size=3)), _tradovate_frame, (FrameError,)),
    Target("tradovate.md", texts(tradovate_md).filter(_is_json), _tradovate_md, (MalformedMessage,)),
    Target("tradovate.chart", texts(tick_packet).filter(_is_json), _tradovate_chart, (MalformedMessage,)),
    Target(
        "tradovate.chart_event",
        texts(st.fixed_dictionaries({"charts": st.lists(tick_packet | json_values, max_size=3)}) | json_values).filter(
            _is_json
        ),
        _tradovate_charts_event,
        (MalformedMessage,),
    ),
    Target(
        "tradovate.timestamp", st.sampled_from(WORDS) | st.text(max_size=40), _tradovate_timestamp, (MalformedMessage,)
    ),
    Target(
        "projectx.signalr",
        texts(hub_message).map(lambda t: t + signalr.RECORD_SEPARATOR)
        | st.lists(texts(hub_message), max_size=4).map(signalr.RECORD_SEPARATOR.join),
        _signalr_records,
        (),
    ),
    Target(
        "projectx.gateway",
        st.tuples(texts(gateway_args), st.sampled_from(["GatewayQuote", "GatewayTrade", "GatewayDepth", ""])),
        _projectx_payload,
        (MalformedPayload,),
    ),
    Target(
        "projectx.timestamp", st.sampled_from(WORDS) | st.text(max_size=40), _projectx_timestamp, (MalformedPayload,)
    ),
    Target(
        "trade_manager.quote", texts(tm_message) | st.binary(max_size=200), _trade_manager, (TradeManagerMalformed,)
    ),
    Target(
        "brokers.tradovate_events",
        _frames(
            st.fixed_dictionaries({"e": st.sampled_from(["props"]) | json_values, "d": json_objects | json_values}).map(
                lambda m: [m]
            )
            | st.lists(json_objects, max_size=3)
        ).filter(lambda f: isinstance(f, str) and _frame_ok(f)),
        _tradovate_user_events,
        (),
    ),
    Target(
        "brokers.tradovate_rest",
        texts(st.lists(json_objects, max_size=4) | json_objects).filter(_is_json),
        _tradovate_rest_answers,
        (BrokerUnavailable,),
    ),
    Target(
        "brokers.projectx_user_hub",
        texts(hub_message) | st.lists(texts(hub_message), max_size=3).map(signalr.RECORD_SEPARATOR.join),
        _projectx_user_hub,
        (),
    ),
    Target(
        "brokers.projectx_rest",
        texts(
            st.fixed_dictionaries(
                {}, optional={"orders": st.lists(json_objects, max_size=3), "positions": st.lists(json_objects)}
            )
            | json_objects
        ).filter(_is_json),
        _projectx_rest_answers,
        (BrokerUnavailable,),
    ),
    Target("webhook.body", _webhook_inputs(), _webhook_body, (AlertRejected,)),
    Target("webhook.alert", _webhook_inputs(), _webhook_alert, (AlertRejected,)),
)


def check(target: Target, value: Any) -> None:
    """Run one input; an error outside the documented ones fails with the input named."""
    with contextlib.suppress(target.allowed):
        target.run(value)
