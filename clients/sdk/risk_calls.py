"""RiskCalls: VigilClient's RiskService methods (risk status, rules and presets, audit events, emergency stop)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from clients.sdk import convert_risk
from clients.sdk.risk import EmergencyStopResult, RiskEventUpdate, RiskRules, RiskStatus
from clients.sdk.transport import Transport
from vigil.v1 import risk_pb2, risk_pb2_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call

# After a reconnect the stream asks for this many audit entries again (the server's maximum) and skips those
# it already delivered, so a short outage loses no risk event.


class RiskCalls(Transport):
    """One method per RiskService RPC."""

    async def get_risk_status(self, account_id: str = "") -> list[RiskStatus]:
        """The risk status of one account, or of every account when `account_id` is empty."""
        request = risk_pb2.GetRiskStatusRequest(account_id=account_id)
        response = await self._unary(self._risk_stub().GetRiskStatus, request)
        return [convert_risk.risk_status_from_pb(s) for s in response.statuses]

    async def get_rules(self, account_id: str) -> RiskRules:
        response = await self._unary(self._risk_stub().GetRules, risk_pb2.GetRulesRequest(account_id=account_id))
        return convert_risk.rules_from_pb(response.rules)

    async def set_rules(self, account_id: str, preset: str = "", rules: RiskRules | None = None) -> RiskRules:
        """Replace an account's rules, all or nothing: from `preset`, then the fields set in `rules`; without a
        preset, `rules` is the whole rule set. Returns the rules now in force."""
        request = risk_pb2.SetRulesRequest(
            account_id=account_id,
            preset=preset,
            rules=convert_risk.rules_to_pb(rules) if rules is not None else None,
            use_rules=rules is not None,
        )
        response = await self._unary(self._risk_stub().SetRules, request)
        return convert_risk.rules_from_pb(response.rules)

    async def list_presets(self) -> list[RiskRules]:
        response = await self._unary(self._risk_stub().ListPresets, risk_pb2.ListPresetsRequest())
        return [convert_risk.rules_from_pb(p) for p in response.presets]

    async def emergency_stop(self, reason: str = "") -> EmergencyStopResult:
        """Flatten every account, cancel every order and stop automatic execution until resume()."""
        request = risk_pb2.EmergencyStopRequest(reason=reason)
        response = await self._unary(self._risk_stub().EmergencyStop, request)
        return convert_risk.emergency_stop_result_from_pb(response)

    async def resume(self) -> int:
        """Allow new risk again after an emergency stop; returns when (UTC ns) the server resumed."""
        response = await self._unary(self._risk_stub().Resume, risk_pb2.ResumeRequest())
        return response.ts_ns

    async def stream_risk_events(
        self, account_id: str = "", replay: int = 0, since_seq: int = 0
    ) -> AsyncGenerator[RiskEventUpdate, None]:
        """Risk decisions, status changes and breaches of one account ("" for all) as they happen, after the
        last `replay` audit entries (at most 1000), or after every stored entry above `since_seq`.

        After a reconnect the request is re-sent with `since_seq` set to the last seq delivered: the server
        replays everything stored after it, then continues live, so no outage loses an event or repeats one
        (entries at or below the last seq with no later time are skipped as well).
        """
        last: tuple[int, int] | None = None  # (seq, ts_ns) of the last delivered event

        def open_call(resumed: bool) -> Call[risk_pb2.StreamRiskEventsResponse]:
            if resumed and last is not None:
                request = risk_pb2.StreamRiskEventsRequest(account_id=account_id, since_seq=last[0])
            else:
                request = risk_pb2.StreamRiskEventsRequest(account_id=account_id, replay=replay, since_seq=since_seq)
            return self._risk_stub().StreamRiskEvents(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        def restart() -> None:
            nonlocal last
            last = None

        updates = self._resilient_stream("StreamRiskEvents", open_call, convert_risk.risk_event_update_from_pb, restart)
        try:
            async for update in updates:
                seen = last
                # A restarted server with a fresh log numbers from 1 again; its entries are later, so they pass.
                if seen is not None and update.event.seq <= seen[0] and update.event.ts_ns <= seen[1]:
                    continue
                last = (update.event.seq, update.event.ts_ns)
                yield update
        finally:
            await updates.aclose()

    def _risk_stub(self) -> risk_pb2_grpc.RiskServiceAsyncStub:
        return risk_pb2_grpc.RiskServiceStub(self._channel())
