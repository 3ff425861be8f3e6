"""Tick history: compact tick packets, getChart ids, page merging, and the delivered tail."""

from __future__ import annotations

import pytest

from core_server.feeds.tradovate.framing import loads
from core_server.feeds.tradovate.history import ChartHistory, DeliveredTail, chart_request, merge_pages
from core_server.feeds.tradovate.messages import ChartTick, MalformedMessage, decode_tick_packet
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Trade
from tests.kit.time import utc

NQ = Contract("NQ", 2026, 12)
ES = Contract("ES", 2026, 12)

DOC_PACKET = (
    '{"id":16335,"s":"db","td":20210718,"bp":11917,"bt":1563421179735,"ts":0.25,'
    '"tks":[{"t":0,"p":0,"s":3,"b":-1,"a":0,"bs":122.21,"as":28.35,"id":11768401}]}'
)


def test_the_documented_tick_packet_decodes_to_base_price_and_time_plus_offsets() -> None:
    (tick,) = decode_tick_packet(loads(DOC_PACKET), ES.spec)
    assert tick == ChartTick(1563421179735 * 1_000_000, 11768401, 11917, 3)
    assert ES.spec.format_ticks(tick.price) == "2979.25"


def test_offsets_are_added_to_the_base_for_every_tick() -> None:
    packet = loads(
        '{"id":1,"bp":101317,"bt":1000,"ts":0.25,"tks":[{"t":0,"p":0,"s":1,"id":5},{"t":250,"p":-3,"s":4,"id":6}]}'
    )
    ticks = decode_tick_packet(packet, NQ.spec)
    assert [(t.ts_ns, t.price, t.size) for t in ticks] == [(1_000_000_000, 101317, 1), (1_250_000_000, 101314, 4)]
    assert NQ.spec.format_ticks(ticks[0].price) == "25329.25"


def test_a_packet_tick_size_other_than_the_instruments_is_converted_exactly() -> None:
    (tick,) = decode_tick_packet(loads('{"id":1,"bp":50658,"bt":0,"ts":0.5,"tks":[{"t":0,"p":1,"s":1}]}'), NQ.spec)
    assert tick.price == 101318  # (50658 + 1) * 0.5 = 25329.5
    with pytest.raises(MalformedMessage):
        decode_tick_packet(loads('{"id":1,"bp":3,"bt":0,"ts":0.1,"tks":[{"t":0,"p":0,"s":1}]}'), NQ.spec)


@pytest.mark.parametrize(
    "packet",
    [
        '{"id":1,"bt":0,"ts":0.25,"tks":[]}',
        '{"id":1,"bp":1.5,"bt":0,"ts":0.25,"tks":[]}',
        '{"id":1,"bp":1,"bt":0,"ts":0.25,"tks":{}}',
        '{"id":1,"bp":1,"bt":0,"ts":0.25,"tks":[{"t":"x","p":0,"s":1}]}',
        '{"id":1,"bp":1,"bt":0,"ts":0.25,"tks":[7]}',
    ],
)
def test_malformed_tick_packets_raise(packet: str) -> None:
    with pytest.raises(MalformedMessage):
        decode_tick_packet(loads(packet), NQ.spec)


def test_a_chart_collects_history_until_end_of_history_and_ignores_live_packets() -> None:
    chart = ChartHistory(NQ.spec)
    chart.on_response({"historicalId": 32, "realtimeId": 31})
    assert set(chart.ids) == {31, 32} and chart.cancel_id == 31
    chart.on_packet(loads('{"id":31,"bp":1,"bt":0,"ts":0.25,"tks":[{"t":0,"p":0,"s":1,"id":1}]}'))
    chart.on_packet(loads('{"id":32,"bp":1,"bt":0,"ts":0.25,"tks":[{"t":0,"p":0,"s":2,"id":2}]}'))
    chart.on_packet({"id": 32, "eoh": True})
    chart.on_packet(loads('{"id":32,"bp":1,"bt":0,"ts":0.25,"tks":[{"t":9,"p":0,"s":3,"id":3}]}'))
    assert chart.done.is_set()
    assert [t.size for t in chart.ticks] == [2]


def test_older_servers_name_one_subscription_id_for_both() -> None:
    chart = ChartHistory(NQ.spec)
    chart.on_response({"subscriptionId": 7})
    assert chart.ids == (7,) and chart.cancel_id == 7
    with pytest.raises(MalformedMessage):
        ChartHistory(NQ.spec).on_response({"ok": True})


def test_the_chart_request_asks_for_ticks_from_the_gap_start() -> None:
    body = chart_request("NQZ6", utc(2026, 11, 17, 14, 30) + 123_000_000, 5000)
    assert body["chartDescription"]["underlyingType"] == "Tick"
    assert body["timeRange"] == {"asFarAsTimestamp": "2026-11-17T14:30:00.123Z", "asMuchAsElements": 5000}
    assert chart_request("NQZ6", 0, 10, closest_ns=1_000_000)["timeRange"]["closestTimestamp"] == (
        "1970-01-01T00:00:00.001Z"
    )


def test_overlapping_pages_merge_once_each_in_time_order() -> None:
    newer = [ChartTick(30, 3, 1, 1), ChartTick(20, 2, 1, 1), ChartTick(20, 4, 1, 1)]
    older = [ChartTick(10, 1, 1, 1), ChartTick(20, 2, 1, 1)]
    assert [t.tick_id for t in merge_pages([newer, older])] == [1, 2, 4, 3]


def trade(ts: int, price: int, size: int = 1) -> Trade:
    return Trade("NQZ2026", ts, 0, price, size, Aggressor.NONE)


def quote(ts: int) -> Quote:
    return Quote("NQZ2026", ts, 0, 99, 100, 1, 1)


def test_the_delivered_tail_keeps_every_tick_at_the_newest_instant() -> None:
    tail = DeliveredTail()
    tail.record([trade(1, 1), trade(2, 2), quote(2)])
    tail.record([trade(2, 3)])
    assert tail.last_ts("NQZ2026") == 2
    assert tail.tail("NQZ2026") == [trade(2, 2), quote(2), trade(2, 3)]
    assert tail.last_ts("ESZ2026") == -1 and tail.tail("ESZ2026") == []
