"""The other UDF endpoints on a live (simulated) server: config, symbols with the CME session, search, time,
quotes, signal and fill marks, timescale marks; and the chart's positions feed."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from clients.sdk import SignalDirection, SignalInput, Timeframe, VigilClient, market
from tests.integration.udf.conftest import Edge
from tests.kit.eventually import eventually

S = 10**9


async def get(edge: Edge, path: str, **query: object) -> tuple[int, Any]:
    response = await edge.get(path, params={k: str(v) for k, v in query.items()})
    body = await response.read()
    return response.status, json.loads(body, parse_float=Decimal) if body[:1] in b"{[" else body.decode()


async def test_config_announces_search_marks_time_and_the_served_resolutions(live_edge: Edge) -> None:
    status, config = await get(live_edge, "/udf/config")

    assert status == 200
    assert config["supported_resolutions"] == ["1", "5", "15", "60", "240", "1D"]
    assert (config["supports_search"], config["supports_group_request"]) == (True, False)
    assert config["supports_marks"] and config["supports_timescale_marks"] and config["supports_time"]
    assert {e["value"] for e in config["exchanges"]} == {"", "CME", "CBOT"}


async def test_symbols_describes_the_continuous_contract_with_the_cme_session(
    live_edge: Edge, vigil_server: str
) -> None:
    async with VigilClient(vigil_server) as client:
        front = next(i for i in await client.list_instruments() if i.root == "NQ").front_contract.contract_id
    status, info = await get(live_edge, "/udf/symbols", symbol="CME:NQ1!")

    assert status == 200
    assert (info["name"], info["ticker"], info["full_name"]) == ("NQ1!", "NQ1!", "CME:NQ1!")
    assert (info["session"], info["timezone"], info["exchange"], info["type"]) == (
        "1700-1600",
        "America/Chicago",
        "CME",
        "futures",
    )
    assert (info["pricescale"], info["minmov"]) == (100, 25)  # tick 0.25
    assert "20251225" in info["session_holidays"].split(",")
    assert "1700-1200:" in info["corrections"] and "20251127" in info["corrections"]
    assert info["has_intraday"] and info["data_status"] == "streaming" and front in info["description"]
    assert info["intraday_multipliers"] == ["1", "5", "15", "60", "240"]

    status, dated = await get(live_edge, "/udf/symbols", symbol="YMZ2026")
    assert status == 200 and (dated["ticker"], dated["pricescale"], dated["minmov"]) == ("YMZ2026", 1, 1)
    assert dated["exchange"] == "CBOT" and dated["data_status"] == "endofday"


async def test_search_finds_continuous_and_front_contracts(live_edge: Edge) -> None:
    status, found = await get(live_edge, "/udf/search", query="NQ", type="", exchange="", limit=30)

    assert status == 200
    symbols = [f["symbol"] for f in found]
    assert symbols[:2] == ["NQ1!", symbols[1]] and symbols[1].startswith("NQ") and "MNQ1!" in symbols
    assert all(f["type"] == "futures" and f["full_name"] == f"{f['exchange']}:{f['symbol']}" for f in found)
    status, none = await get(live_edge, "/udf/search", query="NQ", type="stock", exchange="", limit=30)
    assert (status, none) == (200, [])


async def test_time_is_the_cores_clock_in_seconds(live_edge: Edge) -> None:
    status, text = await get(live_edge, "/udf/time")
    assert status == 200 and abs(int(text) - time.time()) < 5


async def test_quotes_answer_each_symbol_with_exact_prices_or_an_error(live_edge: Edge) -> None:
    async def quoted() -> dict[str, Any] | None:
        status, answer = await get(live_edge, "/udf/quotes", symbols="NQ1!,XX")
        return answer if status == 200 and answer["d"][0]["s"] == "ok" else None

    answer = await eventually(quoted)
    nq, unknown = answer["d"]
    values = nq["v"]
    assert nq["n"] == "NQ1!" and values["short_name"] == "NQ1!" and values["exchange"] == "CME"
    assert values["ask"] - values["bid"] == values["spread"] and values["spread"] >= Decimal("0.25")
    assert values["lp"] % Decimal("0.25") == 0 and isinstance(values["volume"], int)
    assert unknown["s"] == "error" and unknown["n"] == "XX"


async def test_marks_show_signals_and_the_accounts_fills_on_their_bars(live_edge: Edge, vigil_server: str) -> None:
    async with VigilClient(vigil_server) as client:
        await eventually(lambda: client.list_recent_ticks("NQ", trades_only=True))
        last = (await client.list_recent_ticks("NQ", trades_only=True))[-1]
        signal = await client.submit_signal(
            SignalInput("NQ1!", SignalDirection.BULLISH, last.price, time.time_ns(), Timeframe.M1, strategy="orb")
        )
        order = await client.submit_order("paper", market("NQ", "buy", 1))
        assert not order.denied
        fills = await eventually(lambda: client.list_fills("paper"))
    now_s = time.time_ns() // S
    query = {"symbol": "NQ1!", "resolution": "1", "from": now_s - 3600, "to": now_s + 120}

    status, marks = await get(live_edge, "/udf/marks", **query)

    assert status == 200
    by_id = {m["id"]: m for m in marks}
    signal_mark = by_id[f"signal-{signal.signal.signal_id}"]
    assert signal_mark["label"] == "U" and signal_mark["time"] % 60 == 0  # on a 1-minute bar's time
    assert "Bullish signal" in signal_mark["text"] and "orb" in signal_mark["text"]
    fill_mark = by_id[f"fill-{fills[0].fill_id}"]
    assert fill_mark["label"] == "B" and fill_mark["time"] == fills[0].ts_ns // S // 60 * 60
    assert f"@ {fills[0].price}" in fill_mark["text"] and "(paper)" in fill_mark["text"]
    assert set(fill_mark) >= {"id", "time", "color", "text", "label", "labelFontColor", "minSize"}

    status, positions = await get(live_edge, "/chart/api/positions", symbol="NQ1!")
    assert status == 200 and [p["quantity"] for p in positions] == [1]
    assert positions[0]["average_price"] == fills[0].price

    status, missing = await get(live_edge, "/udf/marks", **query, account="nobody")
    assert status == 404 and missing["s"] == "error"


async def test_timescale_marks_flag_early_closes_and_holiday_halts(live_edge: Edge) -> None:
    thanksgiving_week = {"from": 1_764_000_000, "to": 1_764_400_000}  # 2025-11-24 .. 2025-11-29 UTC
    status, marks = await get(live_edge, "/udf/timescale_marks", symbol="NQ1!", resolution="60", **thanksgiving_week)

    assert status == 200
    assert [(m["id"], m["label"]) for m in marks] == [("session-2025-11-28-H", "H"), ("session-2025-11-28-E", "E")]
    assert marks[0]["time"] == 1_764_262_800  # Thursday's 11:00 CT bar, the last before the 12:00 CT halt
    assert marks[1]["time"] == 1_764_352_800  # Friday's 12:00 CT bar, which the 12:15 CT close cuts short
    assert "Thanksgiving" in marks[1]["tooltip"][1]


async def test_the_datafeed_sends_no_cors_header_unless_configured(live_edge: Edge) -> None:
    response = await live_edge.get("/udf/config", headers={"Origin": "https://evil.example"})
    assert response.status == 200 and "Access-Control-Allow-Origin" not in response.headers
