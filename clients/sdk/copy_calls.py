"""CopyCalls: VigilClient's CopyGroupService methods (copy groups and follower outcomes)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from clients.sdk.convert import decimal_from_wire
from clients.sdk.copying import (
    CopyAction,
    CopyFollower,
    CopyGroup,
    CopyOutcome,
    CopySizing,
    CopySourceKind,
    CopyStatus,
)
from clients.sdk.transport import Transport
from vigil.v1 import copying_pb2, copying_pb2_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call

_SOURCE = {
    CopySourceKind.WEBHOOK: copying_pb2.COPY_SOURCE_KIND_WEBHOOK,
    CopySourceKind.STRATEGY: copying_pb2.COPY_SOURCE_KIND_STRATEGY,
    CopySourceKind.ACCOUNT: copying_pb2.COPY_SOURCE_KIND_ACCOUNT,
}
_SOURCE_BACK = {v: k for k, v in _SOURCE.items()}
_SIZING = {
    CopySizing.FIXED: copying_pb2.COPY_SIZING_FIXED,
    CopySizing.MULTIPLIER: copying_pb2.COPY_SIZING_MULTIPLIER,
    CopySizing.RISK: copying_pb2.COPY_SIZING_RISK,
}
_SIZING_BACK = {v: k for k, v in _SIZING.items()}
_ACTION = {
    copying_pb2.COPY_ACTION_ENTRY: CopyAction.ENTRY,
    copying_pb2.COPY_ACTION_EXIT: CopyAction.EXIT,
    copying_pb2.COPY_ACTION_CANCEL: CopyAction.CANCEL,
    copying_pb2.COPY_ACTION_MODIFY: CopyAction.MODIFY,
}
_STATUS = {
    copying_pb2.COPY_STATUS_PLACED: CopyStatus.PLACED,
    copying_pb2.COPY_STATUS_DENIED: CopyStatus.DENIED,
    copying_pb2.COPY_STATUS_REFUSED: CopyStatus.REFUSED,
    copying_pb2.COPY_STATUS_REJECTED: CopyStatus.REJECTED,
    copying_pb2.COPY_STATUS_SKIPPED: CopyStatus.SKIPPED,
}


def outcome_from_pb(o: copying_pb2.CopyOutcome) -> CopyOutcome:
    return CopyOutcome(
        o.group_id, o.account_id, o.source_ref, tuple(o.source_order_ids), _ACTION[o.action], _STATUS[o.status],
        o.contract_id, o.quantity, tuple(o.order_ids), o.detail, o.ts_ns,
    )  # fmt: skip


def follower_from_pb(f: copying_pb2.CopyFollower) -> CopyFollower:
    return CopyFollower(
        f.account_id, _SIZING_BACK[f.sizing], f.quantity,
        decimal_from_wire(f.multiplier) if f.multiplier else None,
        decimal_from_wire(f.risk_dollars) if f.risk_dollars else None,
        f.micros_only, outcome_from_pb(f.last_outcome) if f.HasField("last_outcome") else None,
    )  # fmt: skip


def group_from_pb(g: copying_pb2.CopyGroup) -> CopyGroup:
    return CopyGroup(
        g.group_id, g.name, _SOURCE_BACK[g.source_kind], g.source, tuple(follower_from_pb(f) for f in g.followers),
        g.paused, g.created_ns, g.updated_ns,
    )  # fmt: skip


def follower_to_pb(f: CopyFollower) -> copying_pb2.CopyFollower:
    return copying_pb2.CopyFollower(
        account_id=f.account_id, sizing=_SIZING[f.sizing], quantity=f.quantity,
        multiplier="" if f.multiplier is None else format(f.multiplier, "f"),
        risk_dollars="" if f.risk_dollars is None else format(f.risk_dollars, "f"), micros_only=f.micros_only,
    )  # fmt: skip


class CopyCalls(Transport):
    """One method per CopyGroupService RPC."""

    async def create_copy_group(
        self, name: str, source_kind: CopySourceKind | str, source: str, followers: Iterable[CopyFollower]
    ) -> CopyGroup:
        """A new active group: `source` is the webhook strategy name, the Vigil strategy id or the leader account."""
        request = copying_pb2.CreateCopyGroupRequest(
            name=name, source_kind=_SOURCE[CopySourceKind(source_kind)], source=source,
            followers=[follower_to_pb(f) for f in followers],
        )  # fmt: skip
        response = await self._unary(self._copy_stub().CreateCopyGroup, request)
        return group_from_pb(response.group)

    async def update_copy_group(
        self,
        group: str,
        *,
        name: str = "",
        source_kind: CopySourceKind | str | None = None,
        source: str = "",
        followers: Iterable[CopyFollower] | None = None,
    ) -> CopyGroup:
        """Change a group's name, source or followers (`followers` replace them all); what is not given stays."""
        request = copying_pb2.UpdateCopyGroupRequest(
            group_id=group, name=name, source=source,
            source_kind=(
                _SOURCE[CopySourceKind(source_kind)]
                if source_kind is not None
                else copying_pb2.COPY_SOURCE_KIND_UNSPECIFIED
            ),
            replace_followers=followers is not None, followers=[follower_to_pb(f) for f in followers or ()],
        )  # fmt: skip
        response = await self._unary(self._copy_stub().UpdateCopyGroup, request)
        return group_from_pb(response.group)

    async def list_copy_groups(self) -> list[CopyGroup]:
        response = await self._unary(self._copy_stub().ListCopyGroups, copying_pb2.ListCopyGroupsRequest())
        return [group_from_pb(g) for g in response.groups]

    async def get_copy_group(self, group: str) -> CopyGroup:
        """A group by id or name, with each follower's last outcome."""
        response = await self._unary(self._copy_stub().GetCopyGroup, copying_pb2.GetCopyGroupRequest(group_id=group))
        return group_from_pb(response.group)

    async def pause_copy_group(self, group: str) -> CopyGroup:
        request = copying_pb2.PauseCopyGroupRequest(group_id=group)
        return group_from_pb((await self._unary(self._copy_stub().PauseCopyGroup, request)).group)

    async def resume_copy_group(self, group: str) -> CopyGroup:
        request = copying_pb2.ResumeCopyGroupRequest(group_id=group)
        return group_from_pb((await self._unary(self._copy_stub().ResumeCopyGroup, request)).group)

    async def delete_copy_group(self, group: str) -> CopyGroup:
        request = copying_pb2.DeleteCopyGroupRequest(group_id=group)
        return group_from_pb((await self._unary(self._copy_stub().DeleteCopyGroup, request)).group)

    async def list_copy_outcomes(
        self, *, group: str = "", account_id: str = "", source_ref: str = "", limit: int = 100
    ) -> list[CopyOutcome]:
        """Stored follower outcomes, newest first."""
        request = copying_pb2.ListCopyOutcomesRequest(
            group_id=group, account_id=account_id, source_ref=source_ref, limit=limit
        )
        response = await self._unary(self._copy_stub().ListCopyOutcomes, request)
        return [outcome_from_pb(o) for o in response.outcomes]

    def stream_copy_outcomes(self, group: str = "") -> AsyncGenerator[CopyOutcome, None]:
        """Follower outcomes as they are stored (all groups, or one); missed ones: list_copy_outcomes."""

        def open_call(resumed: bool) -> Call[copying_pb2.StreamCopyOutcomesResponse]:
            request = copying_pb2.StreamCopyOutcomesRequest(group_id=group)
            return self._copy_stub().StreamCopyOutcomes(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        return self._resilient_stream("StreamCopyOutcomes", open_call, lambda r: outcome_from_pb(r.outcome))

    def _copy_stub(self) -> copying_pb2_grpc.CopyGroupServiceAsyncStub:
        return copying_pb2_grpc.CopyGroupServiceStub(self._channel())
