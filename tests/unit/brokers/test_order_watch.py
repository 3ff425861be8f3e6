"""OrderWatch (brokers/order_watch.py): when the user hub's order events can stand in for an Order/searchOpen read."""

from __future__ import annotations

from core_server.brokers.order_watch import OrderWatch

NQ, ES = "CON.F.US.ENQ.Z26", "CON.F.US.EP.Z26"
OPEN, FILLED, CANCELLED, PENDING = 1, 2, 3, 6


def baselined(*working: tuple[int, str]) -> OrderWatch:
    watch = OrderWatch()
    watch.hub_changed()
    watch.read_finished(7, watch.read_started(7), list(working))
    return watch


def test_nothing_is_vouched_for_before_a_read_on_the_current_hub_session() -> None:
    watch = OrderWatch()
    watch.hub_changed()
    watch.event(7, 1, NQ, OPEN)
    assert watch.working_in(7, NQ) is None
    watch.read_finished(7, watch.read_started(7), [(1, NQ)])
    assert watch.working_in(7, NQ) == [1] and watch.working_in(7, ES) == []
    assert watch.working_in(8, NQ) is None  # another account: never read


def test_events_keep_the_working_set_and_only_a_final_status_removes_an_order() -> None:
    watch = baselined((1, NQ))
    watch.event(7, 2, NQ, PENDING)
    watch.event(7, 3, ES, OPEN)
    watch.event(7, 4, NQ, 99)  # a status this code does not know: kept as working
    assert watch.working_in(7, NQ) == [1, 2, 4]
    watch.event(7, 1, NQ, FILLED)
    watch.event(7, 2, NQ, CANCELLED)
    assert watch.working_in(7, NQ) == [4] and watch.working_in(7, ES) == [3]


def test_a_hub_that_closed_or_reopened_untrusts_every_account_until_it_is_read_again() -> None:
    watch = baselined()
    watch.hub_changed()
    assert watch.working_in(7, NQ) is None
    session = watch.read_started(7)
    watch.hub_changed()  # the hub dropped during the read: the read cannot be a baseline
    watch.read_finished(7, session, [])
    assert watch.working_in(7, NQ) is None


def test_an_acknowledgement_after_the_final_event_does_not_bring_the_order_back() -> None:
    watch = baselined()
    watch.event(7, 5, NQ, FILLED)  # a market order filled; its event came before the REST answer
    watch.placed(7, 5, NQ, bracket=False)
    assert watch.working_in(7, NQ) == []
    watch.placed(7, 6, NQ, bracket=False)  # a resting one: working from its acknowledgement on
    assert watch.working_in(7, NQ) == [6]


def test_orders_reported_working_during_a_read_survive_the_read_that_may_predate_them() -> None:
    watch = baselined()
    session = watch.read_started(7)
    watch.event(7, 8, NQ, OPEN)
    watch.read_finished(7, session, [])
    assert watch.working_in(7, NQ) == [8]
    session = watch.read_started(7)
    watch.event(7, 8, NQ, CANCELLED)
    watch.read_finished(7, session, [(8, NQ)])  # read before the cancel: the final status wins
    assert watch.working_in(7, NQ) == []


def test_a_failed_read_changes_nothing() -> None:
    watch = baselined((1, NQ))
    watch.read_finished(7, watch.read_started(7), None)
    assert watch.working_in(7, NQ) == [1]


def test_a_contract_vigil_placed_a_bracket_in_is_never_vouched_for() -> None:
    watch = baselined()
    watch.placed(7, 9, NQ, bracket=True)
    assert watch.working_in(7, NQ) is None and watch.working_in(7, ES) == []
    watch.read_finished(7, watch.read_started(7), [])
    watch.hub_changed()
    watch.read_finished(7, watch.read_started(7), [])
    assert watch.working_in(7, NQ) is None  # its legs may appear whenever it fills
