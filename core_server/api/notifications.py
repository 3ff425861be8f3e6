"""NotificationService: channel status, a test message, daily reports on demand, and the coaching rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from core_server.analytics.coaching import CoachingRules
from core_server.api import arguments
from core_server.api.errors import unary
from core_server.live.notify_desk import NotifyDesk
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.notify.events import Notification
from vigil.v1 import notifications_pb2 as pb
from vigil.v1 import notifications_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
TEST_TEXT = "Vigil test notification: this channel works."


def rules_to_proto(rules: CoachingRules) -> pb.CoachingRules:
    return pb.CoachingRules(
        daily_loss_share="" if rules.daily_loss_share is None else str(rules.daily_loss_share),
        losses_in_a_row=rules.losses_in_a_row or 0,
        outside_best_session=rules.outside_best_session,
        best_session_min_trades=rules.best_session_min_trades,
        hold_past_losers=rules.hold_past_losers,
        described=rules.describe(),
    )


def rules_from_proto(msg: pb.CoachingRules) -> CoachingRules:
    share = parse_decimal(
        arguments.text(msg.daily_loss_share, "rules.daily_loss_share", 32), "rules.daily_loss_share",
        low=Decimal(0), high=Decimal(1),
    )  # fmt: skip
    if share == 0:
        raise InvalidArgument("rules.daily_loss_share", "above 0 and at most 1 (empty switches the rule off)")
    if not 0 <= msg.losses_in_a_row <= 100:
        raise InvalidArgument("rules.losses_in_a_row", "1 to 100, or 0 for off")
    if not 0 <= msg.best_session_min_trades <= 100_000:
        raise InvalidArgument("rules.best_session_min_trades", "1 to 100000 (0: the default, 20)")
    return CoachingRules(
        daily_loss_share=share,
        losses_in_a_row=msg.losses_in_a_row or None,
        outside_best_session=msg.outside_best_session,
        best_session_min_trades=msg.best_session_min_trades or 20,
        hold_past_losers=msg.hold_past_losers,
    )


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    def __init__(self, desk: NotifyDesk) -> None:
        self._desk = desk

    @unary
    async def GetNotificationStatus(
        self, request: pb.GetNotificationStatusRequest, context: Ctx
    ) -> pb.GetNotificationStatusResponse:
        notifier = self._desk.notifier
        events = {c.name: sorted(c.events) for c in notifier.channels}
        return pb.GetNotificationStatusResponse(
            channels=[
                pb.ChannelStatus(
                    name=s.name,
                    kind=s.kind,
                    target=s.target,
                    events=events[s.name],
                    sent=s.sent,
                    retried=s.retried,
                    failed=s.failed,
                    dropped=s.dropped,
                    queued=s.queued,
                    last_error=s.last_error,
                    last_error_ns=s.last_error_ns,
                )
                for s in notifier.statuses()
            ],
            coaching=rules_to_proto(self._desk.coach.rules),
        )

    @unary
    async def SendTestNotification(
        self, request: pb.SendTestNotificationRequest, context: Ctx
    ) -> pb.SendTestNotificationResponse:
        text = arguments.text(request.text, "text", arguments.MAX_REASON_CHARS).strip() or TEST_TEXT
        notifier = self._desk.notifier
        if not notifier.channels:
            raise FailedPrecondition("no notification channels are configured (VIGIL_NOTIFY_CHANNELS)")
        notifier.publish_to_all(Notification("test", text))
        return pb.SendTestNotificationResponse(channels=len(notifier.channels))

    @unary
    async def SendDailyReports(self, request: pb.SendDailyReportsRequest, context: Ctx) -> pb.SendDailyReportsResponse:
        day = arguments.optional_date(arguments.text(request.date, "date", 32), "date")
        if day is not None and not 1970 <= day.year <= 2200:
            raise InvalidArgument("date", "a trading day between 1970 and 2200")
        return pb.SendDailyReportsResponse(reports=await self._desk.send_daily_reports(day))

    @unary
    async def SetCoachingRules(self, request: pb.SetCoachingRulesRequest, context: Ctx) -> pb.SetCoachingRulesResponse:
        rules = rules_from_proto(request.rules)
        self._desk.coach.rules = rules
        return pb.SetCoachingRulesResponse(rules=rules_to_proto(rules))
