"""CopyCalls: VigilClient's CopyGroupService methods (copy groups and follower outcomes)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import TYPE_CHECKING

from clients.sdk import enums
from clients.sdk.convert import decimal_from_wire
from clients.sdk.copying import (
    CopyFollower,
    CopyGroup,
    CopyOutcome,
    CopySourceKind,
)
from clients.sdk.transport import Transport
from vigil.v1 import copying_pb2, copying_pb2_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call

_SOURCE = enums.COPY_SOURCE_KIND.to_proto
_SOURCE_BACK = enums.COPY_SOURCE_KIND.from_proto
_SIZING = enums.COPY_SIZING.to_proto
_SIZING_BACK = enums.COPY_SIZING.from_proto
_ACTION = enums.COPY_ACTION.from_proto
_STATUS = enums.COPY_STATUS.from_proto


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
