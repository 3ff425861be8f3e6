"""CopyGroupService: thin translation between the wire and the CopyDesk (copy groups and follower outcomes).

Roles (core_server.api.access): changes are trader, and the key must be granted every account the group touches
(each follower, the leader of an account source; for an update, pause, resume or delete both the group's accounts
as they stand and the new ones); reads are viewer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import grpc

from core_server.api import access, arguments, enums
from core_server.api.accounts import AccountResolver
from core_server.api.errors import stream, unary
from core_server.copying.model import (
    MAX_FIXED_QUANTITY,
    MAX_FOLLOWERS,
    MAX_MULTIPLIER,
    MAX_RISK_DOLLARS,
    CopyGroup,
    CopyOutcome,
    Follower,
    Sizing,
    SizingKind,
    SourceKind,
)
from core_server.execution.model import AccountId
from core_server.live.copy_desk import CopyDesk
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from vigil.v1 import copying_pb2 as pb
from vigil.v1 import copying_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
MAX_OUTCOMES = 1_000

SOURCE_KINDS = enums.COPY_SOURCE_KIND.from_proto
SOURCE_KIND_TO_PROTO = enums.COPY_SOURCE_KIND.to_proto
SIZINGS = enums.COPY_SIZING.from_proto
SIZING_TO_PROTO = enums.COPY_SIZING.to_proto
ACTION_TO_PROTO = enums.COPY_ACTION.to_proto
STATUS_TO_PROTO = enums.COPY_STATUS.to_proto


# -- wire -> values ---------------------------------------------------------------------------------------------


def _name(value: str, field: str = "name") -> str:
    name = arguments.text(value, field, arguments.MAX_NAME_CHARS).strip()
    if not name:
        raise InvalidArgument(field, "a group name is required")
    return name


def _sizing(item: Any, prefix: str) -> Sizing:
    kind = SIZINGS.get(item.sizing)
    if kind is None:
        raise InvalidArgument(f"{prefix}.sizing", "FIXED, MULTIPLIER or RISK")
    if kind is SizingKind.FIXED:
        if not 1 <= item.quantity <= MAX_FIXED_QUANTITY:
            raise InvalidArgument(f"{prefix}.quantity", f"1 to {MAX_FIXED_QUANTITY} contracts")
        return Sizing(kind, quantity=item.quantity)
    if kind is SizingKind.MULTIPLIER:
        field = f"{prefix}.multiplier"
        multiplier = parse_decimal(item.multiplier, field, places=4, low=Decimal(0), high=MAX_MULTIPLIER)
        if not multiplier:
            raise InvalidArgument(field, f"a multiplier above 0, at most {MAX_MULTIPLIER}, e.g. 2 or 0.5")
        return Sizing(kind, multiplier=multiplier)
    field = f"{prefix}.risk_dollars"
    risk = parse_decimal(item.risk_dollars, field, places=2, low=Decimal(0), high=MAX_RISK_DOLLARS)
    if not risk:
        raise InvalidArgument(field, f"dollars above 0, at most {MAX_RISK_DOLLARS}, e.g. 500")
    return Sizing(kind, risk_dollars=risk)


class CopyGroupServicer(pb_grpc.CopyGroupServiceServicer):
    def __init__(self, desk: CopyDesk, accounts: AccountResolver) -> None:
        self._desk = desk
        self._accounts = accounts

    def _followers(self, items: Sequence[Any]) -> tuple[Follower, ...]:
        if not 1 <= len(items) <= MAX_FOLLOWERS:
            raise InvalidArgument("followers", f"1 to {MAX_FOLLOWERS} followers")
        followers = []
        for i, item in enumerate(items):
            prefix = f"followers[{i}]"
            account = self._accounts.require(item.account_id, f"{prefix}.account_id")
            followers.append(Follower(account, _sizing(item, prefix), item.micros_only))
        return tuple(followers)

    def _source(self, kind_value: pb.CopySourceKind.ValueType, source: str) -> tuple[SourceKind, str]:
        kind = SOURCE_KINDS.get(kind_value)
        if kind is None:
            raise InvalidArgument("source_kind", "WEBHOOK, STRATEGY or ACCOUNT")
        if kind is SourceKind.ACCOUNT:
            return kind, self._accounts.require(source, "source")
        text = arguments.text(source, "source", arguments.MAX_ID_CHARS).strip()
        if not text:
            what = "the webhook strategy name" if kind is SourceKind.WEBHOOK else "the strategy id"
            raise InvalidArgument("source", f"{what} is required")
        return kind, text

    def _group(self, value: str) -> CopyGroup:
        """The group an id or name names, with every account it touches checked against the caller's grants."""
        group = self._desk.find(arguments.identifier(value, "group_id"))
        for follower in group.followers:
            access.check_account(follower.account_id)
        if group.source_kind is SourceKind.ACCOUNT:
            access.check_account(group.source)
        return group

    def group_to_proto(self, group: CopyGroup) -> pb.CopyGroup:
        followers = []
        for f in group.followers:
            last = self._desk.last_outcome(group.group_id, f.account_id)
            followers.append(
                pb.CopyFollower(
                    account_id=f.account_id, sizing=SIZING_TO_PROTO[f.sizing.kind], quantity=f.sizing.quantity,
                    multiplier=format(f.sizing.multiplier, "f") if f.sizing.kind is SizingKind.MULTIPLIER else "",
                    risk_dollars=format(f.sizing.risk_dollars, "f") if f.sizing.kind is SizingKind.RISK else "",
                    micros_only=f.micros_only, last_outcome=outcome_to_proto(last) if last is not None else None,
                )
            )  # fmt: skip
        return pb.CopyGroup(
            group_id=group.group_id, name=group.name, source_kind=SOURCE_KIND_TO_PROTO[group.source_kind],
            source=group.source, followers=followers, paused=group.paused, created_ns=group.created_ns,
            updated_ns=group.updated_ns,
        )  # fmt: skip

    # -- changes --------------------------------------------------------------------------------------------

    @unary
    async def CreateCopyGroup(self, request: pb.CreateCopyGroupRequest, context: Ctx) -> pb.CreateCopyGroupResponse:
        name = _name(request.name)
        kind, source = self._source(request.source_kind, request.source)
        followers = self._followers(request.followers)
        group = await self._desk.create(name, kind, source, followers, actor=access.actor())
        return pb.CreateCopyGroupResponse(group=self.group_to_proto(group))

    @unary
    async def UpdateCopyGroup(self, request: pb.UpdateCopyGroupRequest, context: Ctx) -> pb.UpdateCopyGroupResponse:
        group = self._group(request.group_id)
        name = _name(request.name) if request.name.strip() else None
        source = None
        if request.source_kind != pb.COPY_SOURCE_KIND_UNSPECIFIED:
            source = self._source(request.source_kind, request.source)
        elif request.source:
            raise InvalidArgument("source", "give source_kind with a new source")
        followers: tuple[Follower, ...] | None = None
        if request.replace_followers:
            followers = self._followers(request.followers)
        elif request.followers:
            raise InvalidArgument("followers", "set replace_followers to replace the group's followers")
        if name is None and source is None and followers is None:
            raise InvalidArgument("name", "give a name, a source or replace_followers")
        changed = await self._desk.update(
            group.group_id, name=name, source=source, followers=followers, actor=access.actor()
        )
        return pb.UpdateCopyGroupResponse(group=self.group_to_proto(changed))

    @unary
    async def PauseCopyGroup(self, request: pb.PauseCopyGroupRequest, context: Ctx) -> pb.PauseCopyGroupResponse:
        group = self._group(request.group_id)
        changed = await self._desk.set_paused(group.group_id, True, actor=access.actor())
        return pb.PauseCopyGroupResponse(group=self.group_to_proto(changed))

    @unary
    async def ResumeCopyGroup(self, request: pb.ResumeCopyGroupRequest, context: Ctx) -> pb.ResumeCopyGroupResponse:
        group = self._group(request.group_id)
        changed = await self._desk.set_paused(group.group_id, False, actor=access.actor())
        return pb.ResumeCopyGroupResponse(group=self.group_to_proto(changed))

    @unary
    async def DeleteCopyGroup(self, request: pb.DeleteCopyGroupRequest, context: Ctx) -> pb.DeleteCopyGroupResponse:
        group = self._group(request.group_id)
        deleted = await self._desk.delete(group.group_id, actor=access.actor())
        return pb.DeleteCopyGroupResponse(group=self.group_to_proto(deleted))

    # -- reads ----------------------------------------------------------------------------------------------

    @unary
    async def ListCopyGroups(self, request: pb.ListCopyGroupsRequest, context: Ctx) -> pb.ListCopyGroupsResponse:
        return pb.ListCopyGroupsResponse(groups=[self.group_to_proto(g) for g in self._desk.groups()])

    @unary
    async def GetCopyGroup(self, request: pb.GetCopyGroupRequest, context: Ctx) -> pb.GetCopyGroupResponse:
        group = self._desk.find(arguments.identifier(request.group_id, "group_id"))
        return pb.GetCopyGroupResponse(group=self.group_to_proto(group))

    @unary
    async def ListCopyOutcomes(self, request: pb.ListCopyOutcomesRequest, context: Ctx) -> pb.ListCopyOutcomesResponse:
        group_id = ""
        if request.group_id.strip():
            group_id = self._desk.find(arguments.identifier(request.group_id, "group_id")).group_id
        account: AccountId | None = self._accounts.optional(request.account_id)
        source_ref = arguments.text(request.source_ref, "source_ref", arguments.MAX_ID_CHARS + 16).strip()
        limit = arguments.bounded(request.limit, "limit", 100, MAX_OUTCOMES)
        outcomes = await self._desk.outcomes(
            group_id=group_id, account_id=account or "", source_ref=source_ref, limit=limit
        )
        return pb.ListCopyOutcomesResponse(outcomes=[outcome_to_proto(o) for o in outcomes])

    @stream
    async def StreamCopyOutcomes(
        self, request: pb.StreamCopyOutcomesRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamCopyOutcomesResponse]:
        group_id = ""
        if request.group_id.strip():
            group_id = self._desk.find(arguments.identifier(request.group_id, "group_id")).group_id
        subscription = self._desk.subscribe()
        try:
            while True:
                batch = await subscription.next_batch(100)
                if not batch:
                    return
                for outcome in batch:
                    if not group_id or outcome.group_id == group_id:
                        yield pb.StreamCopyOutcomesResponse(outcome=outcome_to_proto(outcome))
        finally:
            subscription.close()


def outcome_to_proto(o: CopyOutcome) -> pb.CopyOutcome:
    return pb.CopyOutcome(
        group_id=o.group_id, account_id=o.account_id, source_ref=o.source_ref,
        source_order_ids=list(o.source_order_ids), action=ACTION_TO_PROTO[o.action], status=STATUS_TO_PROTO[o.status],
        contract_id=o.contract_id, quantity=o.quantity, order_ids=list(o.order_ids), detail=o.detail, ts_ns=o.ts_ns,
    )  # fmt: skip
