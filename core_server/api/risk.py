"""RiskService: thin translation between the wire and the RiskDesk (status, audit stream, rules, emergency stop)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc

from core_server.api import access, arguments
from core_server.api import risk_convert as convert
from core_server.api.accounts import AccountResolver
from core_server.api.errors import stream, unary
from core_server.api.resume import replay_then_live
from core_server.execution.model import AccountId
from core_server.live.risk_desk import RiskDesk
from core_server.model.errors import InvalidArgument
from core_server.risk.audit import AuditRecord
from core_server.risk.presets import list_presets, preset
from core_server.risk.rules import RuleSet
from vigil.v1 import risk_pb2 as pb
from vigil.v1 import risk_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

MAX_REPLAY = 1000
MAX_REASON_CHARS = 200


class RiskServicer(pb_grpc.RiskServiceServicer):
    def __init__(self, risk: RiskDesk, accounts: AccountResolver) -> None:
        self._risk = risk
        self._accounts = accounts

    def _account_id(self, value: str) -> AccountId:
        return self._accounts.require(value)  # an id or a name; NotFound

    def _rules(self, account_id: AccountId) -> pb.RiskRules:
        rules, balance = self._risk.engine.rules(account_id), self._risk.starting_balance(account_id)
        return convert.rules_to_proto(rules, self._risk.preset_of(account_id), balance)

    @unary
    async def GetRiskStatus(self, request: pb.GetRiskStatusRequest, context: Ctx) -> pb.GetRiskStatusResponse:
        if request.account_id.strip():
            ids: tuple[AccountId, ...] = (self._account_id(request.account_id),)
        else:
            ids = self._risk.accounts()
        return pb.GetRiskStatusResponse(statuses=[convert.status_to_proto(self._risk.status(a)) for a in ids])

    @stream
    async def StreamRiskEvents(
        self, request: pb.StreamRiskEventsRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamRiskEventsResponse]:
        account_id = self._accounts.optional(request.account_id) or ""
        if not 0 <= request.replay <= MAX_REPLAY:
            raise InvalidArgument("replay", f"0 to {MAX_REPLAY}")
        entries = replay_then_live(
            self._risk.subscribe,
            request.since_seq,
            latest=self._risk.last_seq,
            stored_after=lambda seq, limit: self._risk.since(account_id, seq, limit),
            seq_of=lambda record: record.seq,
            recent=lambda: self._risk.recent(account_id, request.replay),
            keep=lambda record: not account_id or record.entry.account_id in (account_id, ""),
        )
        async with contextlib.aclosing(entries):
            async for record in entries:
                yield self._update(record)

    @staticmethod
    def _update(record: AuditRecord) -> pb.StreamRiskEventsResponse:
        """The entry with the status it kept (as of then, replayed or live); none for engine-wide entries and for
        entries stored before statuses were kept."""
        response = pb.StreamRiskEventsResponse(event=convert.event_to_proto(record))
        if record.entry.status is not None:
            response.status.CopyFrom(convert.snapshot_to_proto(record.entry.status))
        return response

    @unary
    async def GetRules(self, request: pb.GetRulesRequest, context: Ctx) -> pb.GetRulesResponse:
        return pb.GetRulesResponse(rules=self._rules(self._account_id(request.account_id)))

    @unary
    async def SetRules(self, request: pb.SetRulesRequest, context: Ctx) -> pb.SetRulesResponse:
        account_id = self._account_id(request.account_id)
        name = arguments.text(request.preset, "preset", arguments.MAX_NAME_CHARS).strip()
        base: RuleSet | None = preset(name).rules if name else None  # InvalidArgument("preset")
        if base is None and not request.use_rules:
            raise InvalidArgument("preset", "give a preset, or rules with use_rules set")
        rules = base
        if request.use_rules:
            # The paper account's starting balance is the one the rules measure from; a different one is refused
            # rather than silently ignored (a preset's own size is not checked: its limits apply as they are).
            balance = self._risk.starting_balance(account_id)
            given = convert.decimal(request.rules.starting_balance, "rules.starting_balance")
            if given is not None and given != balance:
                raise InvalidArgument(
                    "rules.starting_balance", f"the account started at {balance}; rules cannot change it"
                )
            rules = convert.rules_from_proto(request.rules, base)
        assert rules is not None
        try:
            await self._risk.set_rules(account_id, rules, preset(name).name if name else "", actor=access.actor())
        except InvalidArgument as exc:  # the engine's own checks (window names) speak RuleSet field names
            raise InvalidArgument(convert.wire_field(exc.field), exc.reason) from None
        return pb.SetRulesResponse(rules=self._rules(account_id))

    @unary
    async def ListPresets(self, request: pb.ListPresetsRequest, context: Ctx) -> pb.ListPresetsResponse:
        return pb.ListPresetsResponse(
            presets=[convert.rules_to_proto(p.rules, p.name, p.starting_balance) for p in list_presets()]
        )

    @unary
    async def EmergencyStop(self, request: pb.EmergencyStopRequest, context: Ctx) -> pb.EmergencyStopResponse:
        # Refused when too long rather than cut: the audit log keeps what the trader said, whole.
        reason = arguments.text(request.reason, "reason", MAX_REASON_CHARS).strip() or "emergency stop"
        result = await self._risk.emergency_stop(reason, actor=access.actor())
        return pb.EmergencyStopResponse(
            orders_cancelled=result.orders_cancelled, positions_flattened=result.positions_flattened, ts_ns=result.ts_ns
        )

    @unary
    async def Resume(self, request: pb.ResumeRequest, context: Ctx) -> pb.ResumeResponse:
        reason = arguments.text(request.reason, "reason", MAX_REASON_CHARS).strip() or "resumed"
        if request.account_id.strip():
            account_id = self._account_id(request.account_id)
            return pb.ResumeResponse(ts_ns=await self._risk.release(account_id, reason, actor=access.actor()))
        return pb.ResumeResponse(ts_ns=await self._risk.resume(reason, actor=access.actor()))
