"""CopyDesk: copy groups for the servicers: create, update, pause, resume and delete as kernel commands, and the
followers' outcomes.

A change runs as one kernel command and is stored with it (table copy_groups), so a store that refuses leaves the
groups as they were. Outcomes are decided by the kernel (copying.engine) and stored with the step that made them
(table copy_outcomes); stored ones are published on `copy.outcomes` (CopyOutcome).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from core_server.bus import Bus, Subscription
from core_server.copying.model import CopyGroup, CopyOutcome, Follower, SourceKind
from core_server.execution.model import AccountId
from core_server.kernel.kernel import TradingKernel
from core_server.live.journal import COPY_TOPIC
from core_server.live.shell import LiveKernel
from core_server.model.errors import AlreadyExists, NotFound

EVENT_QUEUE = 10_000


class CopyStore(Protocol):
    async def groups(self) -> list[CopyGroup]: ...

    async def open_entries(self, limit: int = ...) -> list[CopyOutcome]: ...

    async def latest(self) -> list[CopyOutcome]: ...

    async def outcomes(
        self, *, group_id: str = "", account_id: str = "", source_ref: str = "", limit: int = 100
    ) -> list[CopyOutcome]: ...


def _new_id() -> str:
    return str(uuid.uuid4())


class CopyDesk:
    def __init__(
        self, shell: LiveKernel, bus: Bus, store: CopyStore | None, id_factory: Callable[[], str] | None = None
    ) -> None:
        self._shell = shell
        self._bus = bus
        self._store = store
        self._new_id = id_factory or _new_id

    # -- commands -------------------------------------------------------------------------------------------

    async def create(
        self, name: str, source_kind: SourceKind, source: str, followers: Sequence[Follower], *, actor: str = ""
    ) -> CopyGroup:
        """A new group (active). AlreadyExists: the name is taken; NotFound: an unknown account."""
        self._name_free(name, "")
        group_id = self._new_id()

        def run(kernel: TradingKernel, now: int) -> CopyGroup:
            group = CopyGroup(group_id, name, source_kind, source, tuple(followers), False, now, now)
            kernel.copying.put(group)
            return group

        return await self._shell.command(run, actor=actor)

    async def update(
        self,
        group_id: str,
        *,
        name: str | None = None,
        source: tuple[SourceKind, str] | None = None,
        followers: Sequence[Follower] | None = None,
        actor: str = "",
    ) -> CopyGroup:
        """Change a group's name, source or followers (what is None stays)."""
        group = self.get(group_id)
        if name is not None:
            self._name_free(name, group_id)
        changed = replace(
            group,
            name=group.name if name is None else name,
            source_kind=group.source_kind if source is None else source[0],
            source=group.source if source is None else source[1],
            followers=group.followers if followers is None else tuple(followers),
        )
        return await self._put(changed, actor)

    async def set_paused(self, group_id: str, paused: bool, *, actor: str = "") -> CopyGroup:
        group = self.get(group_id)
        if group.paused == paused:
            return group
        return await self._put(replace(group, paused=paused), actor)

    async def delete(self, group_id: str, *, actor: str = "") -> CopyGroup:
        self.get(group_id)
        return await self._shell.command(lambda kernel, now: kernel.copying.delete(group_id), actor=actor)

    async def _put(self, group: CopyGroup, actor: str) -> CopyGroup:
        def run(kernel: TradingKernel, now: int) -> CopyGroup:
            stamped = replace(group, updated_ns=now)
            kernel.copying.put(stamped)
            return stamped

        return await self._shell.command(run, actor=actor)

    def _name_free(self, name: str, group_id: str) -> None:
        for group in self._shell.kernel.copying.groups.values():
            if group.name == name and group.group_id != group_id:
                raise AlreadyExists("name", f"a copy group named {name!r} exists ({group.group_id})")

    # -- queries --------------------------------------------------------------------------------------------

    def get(self, group_id: str) -> CopyGroup:
        return self._shell.kernel.copying.get(group_id)

    def find(self, id_or_name: str) -> CopyGroup:
        """A group by id, or by its name."""
        copying = self._shell.kernel.copying
        if id_or_name in copying.groups:
            return copying.groups[id_or_name]
        for group in copying.groups.values():
            if group.name == id_or_name:
                return group
        raise NotFound("group_id", f"no copy group {id_or_name!r}")

    def groups(self) -> list[CopyGroup]:
        return sorted(self._shell.kernel.copying.groups.values(), key=lambda g: (g.name, g.group_id))

    def last_outcome(self, group_id: str, account_id: AccountId) -> CopyOutcome | None:
        return self._shell.kernel.copying.last.get((group_id, account_id))

    async def outcomes(
        self, *, group_id: str = "", account_id: str = "", source_ref: str = "", limit: int = 100
    ) -> list[CopyOutcome]:
        """Stored outcomes newest first (none kept without a store)."""
        if self._store is None:
            return []
        return await self._store.outcomes(group_id=group_id, account_id=account_id, source_ref=source_ref, limit=limit)

    def subscribe(self) -> Subscription[CopyOutcome]:
        """Stored outcomes as they happen (reliable: closed with SlowConsumer when too slow)."""
        return self._bus.subscribe(COPY_TOPIC, maxsize=EVENT_QUEUE)


async def restore_copying(kernel: TradingKernel, store: CopyStore) -> None:
    """The stored groups, the links of their open follower orders and each follower's last outcome (start path,
    after the execution state is restored)."""
    kernel.copying.restore(await store.groups(), await store.open_entries(), await store.latest())
