"""AnomalyFilter: spikes rejected, genuine jumps confirmed and released in order, the exact threshold."""

from __future__ import annotations

import pytest

from core_server.candles.anomaly import AnomalyFilter, threshold_ticks_for
from core_server.model.instruments import INSTRUMENTS


def good_at(price: int, threshold: int = 200, confirm: int = 3) -> AnomalyFilter[str]:
    f: AnomalyFilter[str] = AnomalyFilter(threshold, confirm)
    assert f.push("first", price) == (("first",), ())
    return f


def test_first_price_ever_seen_is_good() -> None:
    f: AnomalyFilter[str] = AnomalyFilter(200)
    assert f.last_good_price is None
    assert f.push("a", 1_000_000) == (("a",), ())
    assert f.last_good_price == 1_000_000


def test_common_path_returns_the_shared_empty_rejection() -> None:
    f = good_at(1000)
    _, rejected_a = f.push("a", 1001)
    _, rejected_b = f.push("b", 1002)
    assert rejected_a == () and rejected_a is rejected_b


def test_move_of_exactly_the_threshold_is_not_an_anomaly_and_one_more_tick_is() -> None:
    f = good_at(1000)
    assert f.push("up", 1200) == (("up",), ())
    assert f.push("down", 1000) == (("down",), ())
    assert f.push("spike", 1201) == ((), ())
    assert f.held == 1
    f = good_at(1000)
    assert f.push("spike", 799) == ((), ())
    assert f.held == 1


def test_spike_is_rejected_when_the_next_price_returns_to_the_good_level() -> None:
    f = good_at(1000)
    assert f.push("spike", 1400) == ((), ())
    assert f.push("back", 1004) == (("back",), ["spike"])
    assert (f.held, f.rejected_total, f.confirmed_jumps, f.last_good_price) == (0, 1, 0, 1004)


def test_spike_held_for_two_ticks_is_rejected_as_a_whole() -> None:
    f = good_at(1000)
    f.push("s1", 1400)
    f.push("s2", 1410)
    assert f.push("back", 1000) == (("back",), ["s1", "s2"])
    assert f.rejected_total == 2


def test_genuine_jump_is_released_in_order_once_confirmed() -> None:
    f = good_at(1000)
    assert f.push("j1", 1400) == ((), ())
    assert f.push("j2", 1600) == ((), ())  # exactly the threshold from the first held price
    assert f.push("j3", 1390) == (["j1", "j2", "j3"], ())
    assert (f.held, f.rejected_total, f.confirmed_jumps, f.last_good_price) == (0, 0, 1, 1390)
    assert f.push("next", 1395) == (("next",), ())


def test_price_far_from_both_levels_rejects_the_held_and_becomes_the_new_candidate() -> None:
    f = good_at(1000)
    f.push("s1", 1400)
    assert f.push("s2", 1700) == ((), ["s1"])
    assert f.held == 1
    f.push("s3", 1710)
    assert f.push("s4", 1705) == (["s2", "s3", "s4"], ())
    assert f.last_good_price == 1705


def test_confirm_count_of_one_releases_jumps_at_once() -> None:
    f = good_at(1000, confirm=1)
    assert f.push("jump", 5000) == (["jump"], ())
    assert f.confirmed_jumps == 1


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        AnomalyFilter(0)
    with pytest.raises(ValueError):
        AnomalyFilter(10, confirm_count=0)


def test_threshold_comes_from_the_instrument_anomaly_points_in_ticks() -> None:
    assert threshold_ticks_for(INSTRUMENTS["NQ"]) == 200  # 50 points / 0.25
    assert threshold_ticks_for(INSTRUMENTS["ES"]) == 60  # 15 / 0.25
    assert threshold_ticks_for(INSTRUMENTS["YM"]) == 400  # 400 / 1
    assert threshold_ticks_for(INSTRUMENTS["M2K"]) == 200  # 20 / 0.1
