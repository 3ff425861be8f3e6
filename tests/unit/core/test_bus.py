import asyncio

import pytest

from core_server.bus import Bus, SlowConsumer


async def test_subscriber_receives_messages_on_exact_and_prefix_topics_in_order() -> None:
    bus = Bus()
    exact = bus.subscribe("quotes.NQZ2026")
    prefix = bus.subscribe("quotes.*")
    bus.publish("quotes.NQZ2026", 1)
    bus.publish("quotes.ESZ2026", 2)
    bus.publish("trades.NQZ2026", 3)
    assert await exact.next_batch() == [1]
    assert await prefix.next_batch() == [1, 2]


async def test_next_batch_waits_for_a_message_and_respects_max_items() -> None:
    bus = Bus()
    sub = bus.subscribe("t")
    waiter = asyncio.create_task(sub.next_batch(2))
    await asyncio.sleep(0)
    assert not waiter.done()
    for i in range(5):
        bus.publish("t", i)
    assert await waiter == [0, 1]
    assert await sub.next_batch(10) == [2, 3, 4]


async def test_a_slow_market_data_subscriber_gets_the_latest_value_per_key_within_its_bound() -> None:
    bus = Bus()
    sub = bus.subscribe("q.*", maxsize=4, conflate=lambda m: m[0])
    for i in range(1000):
        bus.publish("q.x", ("NQ", i))
        bus.publish("q.x", ("ES", i))
    batch = await sub.next_batch(100)
    assert len(batch) <= 4
    assert ("NQ", 999) in batch and ("ES", 999) in batch
    assert sub.conflated > 0
    assert sub.pending() == 0


async def test_a_reliable_subscriber_that_overflows_is_closed_not_silently_dropped() -> None:
    bus = Bus()
    sub = bus.subscribe("orders.A", maxsize=3)
    for i in range(4):
        bus.publish("orders.A", i)
    assert sub.closed
    assert await sub.next_batch() == [0, 1, 2]
    with pytest.raises(SlowConsumer):
        await sub.next_batch()
    assert bus.subscriber_count() == 0


async def test_close_all_ends_every_subscription_after_it_drains() -> None:
    bus = Bus()
    sub = bus.subscribe("*")
    bus.publish("a", 1)
    bus.close_all()
    assert [m async for m in sub] == [1]


async def test_unsubscribed_topics_cost_nothing_and_routes_refresh_on_subscribe() -> None:
    bus = Bus()
    bus.publish("quotes.NQZ2026", 1)
    assert not bus.has_subscribers("quotes.NQZ2026")
    sub = bus.subscribe("quotes.*")
    bus.publish("quotes.NQZ2026", 2)
    assert await sub.next_batch() == [2]
