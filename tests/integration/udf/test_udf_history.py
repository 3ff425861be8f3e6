"""/history against a replayed tape: bars compared field by field with hand-computed candles, countback across
the weekend, no_data with nextTime, exact prices on the wire, and refusals in the UDF error shape."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from clients.udf.history import MAX_BARS
from tests.integration.udf.conftest import Edge
from tests.kit.eventually import eventually
from tests.kit.time import utc

S = 10**9
FRI_1558 = utc(2026, 11, 20, 21, 58) // S
FRI_1559 = utc(2026, 11, 20, 21, 59) // S
SUN_1700 = utc(2026, 11, 22, 23, 0) // S
SUN_1701 = utc(2026, 11, 22, 23, 1) // S
SAT_NOON = utc(2026, 11, 21, 18) // S
LATER = utc(2026, 11, 23, 12) // S


async def udf(edge: Edge, path: str, **query: object) -> tuple[int, Any, bytes]:
    response = await edge.get(f"/udf/{path}", params={k: str(v) for k, v in query.items()})
    body = await response.read()
    return response.status, json.loads(body, parse_float=Decimal) if body[:1] in b"{[" else body.decode(), body


async def all_bars(edge: Edge, resolution: str, count: int) -> dict[str, Any]:
    async def ready() -> dict[str, Any] | None:
        status, answer, _ = await udf(
            edge, "history", symbol="NQ1!", resolution=resolution, **{"from": FRI_1558 - 86400, "to": LATER}
        )
        return answer if status == 200 and answer["s"] == "ok" and len(answer["t"]) == count else None

    return await eventually(ready)  # closed candles reach the store within about a second


async def test_history_1m_matches_the_hand_computed_candles_field_by_field(replay_edge: Edge) -> None:
    bars = await all_bars(replay_edge, "1", 4)

    assert bars["t"] == [FRI_1558, FRI_1559, SUN_1700, SUN_1701]
    assert bars["o"] == [Decimal("25341.25"), Decimal("25340.00"), Decimal("25350.75"), Decimal("25352.00")]
    assert bars["h"] == [Decimal("25343.50"), Decimal("25341.25"), Decimal("25350.75"), Decimal("25352.00")]
    assert bars["l"] == [Decimal("25341.25"), Decimal("25340.00"), Decimal("25350.75"), Decimal("25349.25")]
    assert bars["c"] == [Decimal("25343.50"), Decimal("25341.25"), Decimal("25350.75"), Decimal("25349.25")]
    assert bars["v"] == [3, 4, 4, 3]


async def test_history_prices_are_json_numbers_with_the_exact_digits(replay_edge: Edge) -> None:
    await all_bars(replay_edge, "1", 4)
    status, _, raw = await udf(
        replay_edge, "history", symbol="NQZ2026", resolution="1", **{"from": FRI_1558, "to": FRI_1559}
    )

    assert status == 200
    assert raw == (
        b'{"s":"ok","t":[%d],"o":[25341.25],"h":[25343.50],"l":[25341.25],"c":[25343.50],"v":[3]}' % FRI_1558
    )


async def test_history_5m_and_daily_bars_follow_the_session_and_the_trade_date(replay_edge: Edge) -> None:
    await all_bars(replay_edge, "1", 4)
    five = await all_bars(replay_edge, "5", 2)
    daily = await all_bars(replay_edge, "1D", 2)

    assert five["t"] == [utc(2026, 11, 20, 21, 55) // S, SUN_1700]
    assert (five["o"], five["h"], five["l"], five["c"], five["v"]) == (
        [Decimal("25341.25"), Decimal("25350.75")],
        [Decimal("25343.50"), Decimal("25352.00")],
        [Decimal("25340.00"), Decimal("25349.25")],
        [Decimal("25341.25"), Decimal("25349.25")],
        [7, 7],
    )
    # Daily bars sit at 00:00 UTC of the trade date: Friday's, and Monday's (which opened Sunday 17:00 CT).
    assert daily["t"] == [utc(2026, 11, 20) // S, utc(2026, 11, 23) // S]
    assert (daily["o"], daily["c"], daily["v"]) == (
        [Decimal("25341.25"), Decimal("25350.75")],
        [Decimal("25341.25"), Decimal("25349.25")],
        [7, 7],
    )


async def test_countback_returns_the_bars_before_to_across_the_weekend_and_ignores_from(replay_edge: Edge) -> None:
    await all_bars(replay_edge, "1", 4)
    status, answer, _ = await udf(
        replay_edge, "history", symbol="NQ1!", resolution="1", **{"from": LATER - 60, "to": SUN_1701, "countback": 3}
    )
    assert status == 200 and answer["t"] == [FRI_1558, FRI_1559, SUN_1700]

    status, answer, _ = await udf(replay_edge, "history", symbol="CME:NQ1!", resolution="1", to=LATER, countback=100)
    assert status == 200 and answer["t"] == [FRI_1558, FRI_1559, SUN_1700, SUN_1701]  # all there is

    status, answer, _ = await udf(replay_edge, "history", symbol="NQ1!", resolution="1", to=FRI_1558, countback=5)
    assert (status, answer) == (200, {"s": "no_data"})  # nothing earlier at all: no nextTime


async def test_an_empty_range_answers_no_data_with_the_time_of_the_closest_earlier_bar(replay_edge: Edge) -> None:
    await all_bars(replay_edge, "1", 4)
    status, answer, _ = await udf(
        replay_edge, "history", symbol="NQ1!", resolution="1", **{"from": SAT_NOON, "to": SAT_NOON + 3600}
    )

    assert status == 200
    assert answer == {"s": "no_data", "nextTime": FRI_1559 * 1000}  # milliseconds, like HistoryMetadata.nextTime


async def test_unknown_symbols_answer_the_udf_error_shape(replay_edge: Edge) -> None:
    for path, query in (
        ("symbols", {"symbol": "XX"}),
        ("history", {"symbol": "XX1!", "resolution": "1", "from": FRI_1558, "to": LATER}),
        ("marks", {"symbol": "XX", "resolution": "1", "from": FRI_1558, "to": LATER}),
    ):
        status, answer, _ = await udf(replay_edge, path, **query)
        assert status == 404, (path, answer)
        assert answer["s"] == "error" and answer["errmsg"].startswith("unknown_symbol"), (path, answer)


async def test_bad_parameters_are_a_400_naming_the_parameter(replay_edge: Edge) -> None:
    good = {"symbol": "NQ1!", "resolution": "1", "from": FRI_1558, "to": LATER}
    cases = [
        ({**good, "resolution": "7"}, "resolution:"),
        ({**good, "resolution": ""}, "resolution:"),
        ({**good, "from": "yesterday"}, "from:"),
        ({**good, "from": LATER}, "from:"),
        ({k: v for k, v in good.items() if k != "to"}, "to:"),
        ({k: v for k, v in good.items() if k != "from"}, "from:"),
        ({**good, "countback": 0}, "countback:"),
        ({**good, "countback": MAX_BARS + 1}, "countback:"),
        ({**good, "from": 0}, "from:"),  # decades of 1-minute bars: narrow it or use countback
        ({**good, "symbol": ""}, "symbol:"),
    ]
    for query, prefix in cases:
        status, answer, _ = await udf(replay_edge, "history", **query)
        assert status == 400, (query, answer)
        assert answer["s"] == "error" and answer["errmsg"].startswith(prefix), (query, answer)
