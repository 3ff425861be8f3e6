"""NotificationCalls: VigilClient's NotificationService methods, and their blocking mirror."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from clients.sdk.convert import decimal_to_wire, optional_decimal_from_wire
from clients.sdk.notifications import ChannelStatus, CoachingRules, NotificationStatus
from clients.sdk.transport import Transport
from vigil.v1 import notifications_pb2 as pb
from vigil.v1 import notifications_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from clients.sdk.client import VigilClient

_T = TypeVar("_T")


def _rules_from_pb(msg: pb.CoachingRules) -> CoachingRules:
    return CoachingRules(
        optional_decimal_from_wire(msg.daily_loss_share), msg.losses_in_a_row, msg.outside_best_session,
        msg.best_session_min_trades, msg.hold_past_losers, tuple(msg.described),
    )  # fmt: skip


def _rules_to_pb(rules: CoachingRules) -> pb.CoachingRules:
    share = rules.daily_loss_share
    return pb.CoachingRules(
        daily_loss_share="" if share is None else decimal_to_wire(share, "daily_loss_share"),
        losses_in_a_row=rules.losses_in_a_row,
        outside_best_session=rules.outside_best_session,
        best_session_min_trades=rules.best_session_min_trades,
        hold_past_losers=rules.hold_past_losers,
    )


class NotificationCalls(Transport):
    """One method per NotificationService RPC."""

    async def get_notification_status(self) -> NotificationStatus:
        r = await self._unary(self._notify_stub().GetNotificationStatus, pb.GetNotificationStatusRequest())
        channels = tuple(
            ChannelStatus(
                c.name,
                c.kind,
                c.target,
                tuple(c.events),
                c.sent,
                c.retried,
                c.failed,
                c.dropped,
                c.queued,
                c.last_error,
                c.last_error_ns,
            )
            for c in r.channels
        )
        return NotificationStatus(channels, _rules_from_pb(r.coaching))

    async def send_test_notification(self, text: str = "") -> int:
        """A test message to every channel; how many channels."""
        request = pb.SendTestNotificationRequest(text=text)
        return (await self._unary(self._notify_stub().SendTestNotification, request)).channels

    async def send_daily_reports(self, day: date | str | None = None) -> int:
        """Every paper account's daily report to the channels now; how many reports."""
        text = day.isoformat() if isinstance(day, date) else (day or "")
        return (await self._unary(self._notify_stub().SendDailyReports, pb.SendDailyReportsRequest(date=text))).reports

    async def set_coaching_rules(self, rules: CoachingRules) -> CoachingRules:
        request = pb.SetCoachingRulesRequest(rules=_rules_to_pb(rules))
        return _rules_from_pb((await self._unary(self._notify_stub().SetCoachingRules, request)).rules)

    def _notify_stub(self) -> pb_grpc.NotificationServiceAsyncStub:
        return pb_grpc.NotificationServiceStub(self._channel())


class NotificationSyncCalls:
    _client: VigilClient

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        raise NotImplementedError

    def get_notification_status(self) -> NotificationStatus:
        return self._run(self._client.get_notification_status())

    def send_test_notification(self, text: str = "") -> int:
        return self._run(self._client.send_test_notification(text))

    def send_daily_reports(self, day: date | str | None = None) -> int:
        return self._run(self._client.send_daily_reports(day))

    def set_coaching_rules(self, rules: CoachingRules) -> CoachingRules:
        return self._run(self._client.set_coaching_rules(rules))
