"""Notifications from a real server to a local HTTP receiver: fills as they happen, risk and coaching alerts,
daily reports on demand, a test message, the channel status and the coaching rules over gRPC."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import grpc
import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk.client import VigilClient
from clients.sdk.notifications import CoachingRules
from core_server.app import RunningServer, start
from core_server.config import PaperConfig
from core_server.feeds.catalog import FeedPlan
from core_server.model.clock import TestClock
from core_server.model.feed_status import FeedState
from tests.integration.api.test_trade_service import OPENED, bad_field, market, nq_long, play
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, NQ, ScriptedFeed
from tests.kit.server import server_config
from tests.unit.notify.receiver import Receiver, receiver
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import notifications_pb2 as pb
from vigil.v1 import notifications_pb2_grpc as pb_grpc


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with receiver() as opened:
        yield opened


@pytest.fixture
async def notifying(database_url: str, hook: Receiver) -> AsyncIterator[RunningServer]:
    channels = [
        {"name": "all", "kind": "webhook", "url": f"{hook.url}/all"},
        {"name": "chat", "kind": "slack", "url": f"{hook.url}/slack", "events": ["daily_report", "coaching"]},
    ]
    env = {"VIGIL_NOTIFY_CHANNELS": json.dumps(channels), "VIGIL_COACHING": '{"losses_in_a_row": 1}'}
    clock = TestClock(OPENED)
    plan = FeedPlan(ScriptedFeed([NQ, ES], clock=clock), realtime=False, quote_only=False, store_ticks=False)
    config = server_config(
        database_url, symbols=("NQZ2026", "ESZ2026"), paper=PaperConfig(latency_ms=(0, 0), slippage_ticks=0), env=env
    )
    running = await start(config, clock=clock, feed_plan=plan)
    binding = running.engine.bindings[0]
    await eventually(lambda: binding.state is FeedState.STREAMING)
    binding.on_ticks([market(NQ, "25000.00", OPENED), market(ES, "6000.00", OPENED)])
    try:
        yield running
    finally:
        await running.stop()


def kinds(hook: Receiver, path: str) -> list[str]:
    return [body.get("kind", "") for p, body in hook.received if p == path]


async def test_fills_coaching_reports_and_status(notifying: RunningServer, hook: Receiver) -> None:
    async with grpc.aio.insecure_channel(notifying.address) as channel:
        await nq_long(xpb_grpc.ExecutionServiceStub(channel))
        play(notifying, "24990.00", "24975.00")  # stopped out: a loss, and with losses_in_a_row 1 a coaching alert
        await eventually(lambda: kinds(hook, "/all").count("fill") >= 2, timeout=10)
        await eventually(lambda: "coaching" in kinds(hook, "/all"), timeout=10)
        fills = [body for p, body in hook.received if p == "/all" and body["kind"] == "fill"]
        assert fills[0]["title"] == "paper: bought 2 NQZ2026 at 25000.00" and fills[0]["account_id"] == "paper"
        assert fills[0]["data"]["price"] == "25000.00"
        coaching = next(b for p, b in hook.received if p == "/slack")
        assert coaching["text"].startswith("paper: first loss in a row: cooldown starts")

        stub = pb_grpc.NotificationServiceStub(channel)
        assert (await stub.SendDailyReports(pb.SendDailyReportsRequest())).reports == 1
        await eventually(lambda: any("daily report 2026-11-19" in b.get("text", "") for _, b in hook.received))
        assert (await stub.SendTestNotification(pb.SendTestNotificationRequest(text="hello"))).channels == 2
        await eventually(lambda: sum(1 for _, b in hook.received if "hello" in json.dumps(b)) == 2)

        status = await stub.GetNotificationStatus(pb.GetNotificationStatusRequest())
        by_name = {c.name: c for c in status.channels}
        assert by_name["all"].sent >= 5 and by_name["all"].failed == 0 and by_name["all"].kind == "webhook"
        assert list(by_name["chat"].events) == ["coaching", "daily_report"]
        assert status.coaching.losses_in_a_row == 1 and status.coaching.daily_loss_share == "0.7"

        rules = pb.CoachingRules(daily_loss_share="0.5", losses_in_a_row=0, hold_past_losers=True)
        changed = await stub.SetCoachingRules(pb.SetCoachingRulesRequest(rules=rules))
        assert changed.rules.losses_in_a_row == 0 and changed.rules.described[0].startswith("alert when 50 %")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.SetCoachingRules(pb.SetCoachingRulesRequest(rules=pb.CoachingRules(daily_loss_share="2")))
        assert bad_field(caught.value) == "rules.daily_loss_share"


async def test_without_channels_a_test_message_is_refused(vigil_server: str) -> None:
    async with grpc.aio.insecure_channel(vigil_server) as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        assert list((await stub.GetNotificationStatus(pb.GetNotificationStatusRequest())).channels) == []
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.SendTestNotification(pb.SendTestNotificationRequest())
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_sdk_and_cli(notifying: RunningServer, hook: Receiver) -> None:
    async with VigilClient(notifying.address) as client:
        status = await client.get_notification_status()
        assert [c.name for c in status.channels] == ["all", "chat"] and status.coaching.losses_in_a_row == 1
        rules = await client.set_coaching_rules(CoachingRules(daily_loss_share=None, losses_in_a_row=2))
        assert rules.daily_loss_share is None and rules.losses_in_a_row == 2
        assert await client.send_test_notification() == 2

    def vigil(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(["--target", notifying.address, *argv], stdout=out, stderr=err), out.getvalue()

    code, out = await asyncio.to_thread(vigil, "notify", "status")
    assert code == exit_codes.OK and "all      webhook" in out and "alert at 2 losing trades in a row" in out
    code, out = await asyncio.to_thread(vigil, "notify", "reports")
    assert (code, out.strip()) == (exit_codes.OK, "sent 1 daily reports")
