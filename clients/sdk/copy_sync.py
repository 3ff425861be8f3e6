"""The blocking mirror of CopyCalls, mixed into VigilSyncClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Generator, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from clients.sdk.copying import CopyFollower, CopyGroup, CopyOutcome, CopySourceKind

if TYPE_CHECKING:
    from clients.sdk.client import VigilClient

_T = TypeVar("_T")


class CopySyncCalls:
    _client: VigilClient

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        raise NotImplementedError

    def _iterate(self, stream: AsyncIterator[_T]) -> Generator[_T, None, None]:
        raise NotImplementedError

    def create_copy_group(
        self, name: str, source_kind: CopySourceKind | str, source: str, followers: Iterable[CopyFollower]
    ) -> CopyGroup:
        return self._run(self._client.create_copy_group(name, source_kind, source, list(followers)))

    def update_copy_group(
        self,
        group: str,
        *,
        name: str = "",
        source_kind: CopySourceKind | str | None = None,
        source: str = "",
        followers: Iterable[CopyFollower] | None = None,
    ) -> CopyGroup:
        chosen = None if followers is None else list(followers)
        return self._run(
            self._client.update_copy_group(group, name=name, source_kind=source_kind, source=source, followers=chosen)
        )

    def list_copy_groups(self) -> list[CopyGroup]:
        return self._run(self._client.list_copy_groups())

    def get_copy_group(self, group: str) -> CopyGroup:
        return self._run(self._client.get_copy_group(group))

    def pause_copy_group(self, group: str) -> CopyGroup:
        return self._run(self._client.pause_copy_group(group))

    def resume_copy_group(self, group: str) -> CopyGroup:
        return self._run(self._client.resume_copy_group(group))

    def delete_copy_group(self, group: str) -> CopyGroup:
        return self._run(self._client.delete_copy_group(group))

    def list_copy_outcomes(
        self, *, group: str = "", account_id: str = "", source_ref: str = "", limit: int = 100
    ) -> list[CopyOutcome]:
        return self._run(
            self._client.list_copy_outcomes(group=group, account_id=account_id, source_ref=source_ref, limit=limit)
        )

    def stream_copy_outcomes(self, group: str = "") -> Generator[CopyOutcome, None, None]:
        return self._iterate(self._client.stream_copy_outcomes(group))
