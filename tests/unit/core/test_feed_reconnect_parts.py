from core_server.backoff import Backoff
from core_server.feeds.backfill import TickSplicer
from core_server.model.market_data import Aggressor, Quote, Trade


def trade(ts: int, price: int, size: int = 1) -> Trade:
    return Trade("NQZ2026", ts, 0, price, size, Aggressor.BUY)


def test_backoff_doubles_from_one_second_to_a_thirty_second_cap_with_bounded_jitter() -> None:
    backoff = Backoff(seed=3)
    delays = [backoff.next_delay() for _ in range(8)]
    for delay, base in zip(delays, [1, 2, 4, 8, 16, 30, 30, 30], strict=True):
        assert base * 0.8 <= delay <= base * 1.2
    backoff.reset()
    assert backoff.next_delay() <= 1.2


def test_backoff_jitter_is_seeded() -> None:
    assert [Backoff(seed=5).next_delay() for _ in range(3)] == [Backoff(seed=5).next_delay() for _ in range(3)]


def test_history_overlapping_the_live_stream_is_dropped_and_the_rest_kept_in_order() -> None:
    splicer = TickSplicer()
    splicer.record_delivered([trade(1, 10), trade(2, 11), trade(2, 11)])
    history = [trade(1, 10), trade(2, 11), trade(2, 11), trade(2, 11), trade(3, 12), trade(3, 12)]
    assert splicer.admit(history) == [trade(2, 11), trade(3, 12), trade(3, 12)]
    assert splicer.last_ts("NQZ2026") == 3


def test_history_for_a_contract_never_seen_is_all_new() -> None:
    splicer = TickSplicer()
    quote = Quote("ESZ2026", 5, 0, 100, 101, 3, 4)
    assert splicer.admit([quote]) == [quote]
    assert splicer.last_ts("ESZ2026") == 5
    assert splicer.last_ts("NQZ2026") == -1


def test_history_then_held_live_ticks_through_one_splicer_deliver_each_print_once() -> None:
    splicer = TickSplicer()
    splicer.record_delivered([trade(1, 10)])
    assert splicer.admit([trade(1, 10), trade(2, 11)]) == [trade(2, 11)]
    # held live ticks overlap the newest history print
    assert splicer.admit([trade(2, 11), trade(3, 12)]) == [trade(3, 12)]
    assert splicer.admit([trade(3, 12), trade(3, 12)]) == [trade(3, 12)]


def test_admitting_the_same_batch_twice_delivers_nothing_the_second_time() -> None:
    splicer = TickSplicer()
    batch = [trade(5, 1), trade(5, 1), trade(6, 2)]
    assert splicer.admit(batch) == batch
    assert splicer.admit(batch) == []
