"""Risk workers: the app's status refresh and status-after-each-event for the banner, and the Risk screen's log."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from clients.sdk import RiskEventUpdate, VigilClient, VigilError
from tui.messages import StreamFailed
from tui.risk_messages import RiskEventArrived, RiskSnapshot, RiskStatusChanged

REFRESH_SECONDS = 1.0  # P&L moves with every tick, while events come only with decisions
RETRY_SECONDS = 5.0  # a server without a RiskService (or a failed stream) is asked again this often
LOG_REPLAY = 100  # audit entries the Risk screen's log starts with


class RiskStatusStreams:
    """Workers for the app (which sets `client`): the one status every risk banner shows."""

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="risk-status")
    async def run_risk_status(self, account_id: str) -> None:
        """The status every second: daily loss and drawdown distance move with the ticks between events."""
        while True:
            await self._post_risk_status(account_id)
            await asyncio.sleep(REFRESH_SECONDS)

    @work(exclusive=True, group="risk-refresh")
    async def refresh_risk_status(self, account_id: str) -> None:
        await self._post_risk_status(account_id)

    @work(exclusive=True, group="risk-status-events")
    async def run_risk_status_events(self, account_id: str) -> None:
        """The status sent right after each event, so a breach or a stop shows at once, not at the next refresh."""

        def deliver(update: RiskEventUpdate) -> None:
            if update.status is not None and update.status.account_id == account_id:
                self.post_message(RiskStatusChanged(RiskSnapshot(account_id, update.status)))

        await follow_risk_events(self.client, account_id, 0, deliver)

    async def _post_risk_status(self, account_id: str) -> None:
        try:
            statuses = await self.client.get_risk_status(account_id)
        except VigilError as error:
            self.post_message(RiskStatusChanged(RiskSnapshot(account_id, None, str(error))))
            return
        status = next((s for s in statuses if s.account_id == account_id), None)
        self.post_message(RiskStatusChanged(RiskSnapshot(account_id, status, "" if status else "no risk status")))


class RiskLogStreams:
    """The Risk screen's worker (the screen sets `client`): every audit event of the account, after a replay."""

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="risk-log")
    async def run_risk_log(self, account_id: str) -> None:
        failed = False

        def deliver(update: RiskEventUpdate) -> None:
            self.post_message(RiskEventArrived(update))

        def report(error: VigilError) -> None:
            nonlocal failed
            if not failed:  # once: the stream is retried every few seconds and would repeat the same error
                failed = True
                self.post_message(StreamFailed("risk events", error))

        await follow_risk_events(self.client, account_id, LOG_REPLAY, deliver, report)


async def follow_risk_events(
    client: VigilClient,
    account_id: str,
    replay: int,
    deliver: Callable[[RiskEventUpdate], None],
    report: Callable[[VigilError], None] = lambda error: None,
) -> None:
    """Deliver every event until cancelled. The SDK rides out reconnects; an error it gives up on (no RiskService
    yet, say) is reported and the stream opened again later, asking for the replay again (rows are keyed by seq)."""
    while True:
        try:
            async for update in client.stream_risk_events(account_id, replay=replay):
                deliver(update)
        except VigilError as error:
            report(error)
        await asyncio.sleep(RETRY_SECONDS)
