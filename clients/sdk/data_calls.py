"""DataCalls: VigilClient's DataService methods (tick import from a server-side path or an upload)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date
from pathlib import Path

import grpc

from clients.sdk import convert_data
from clients.sdk.data import DataCoverageDay, ImportOptions, ImportProgress
from clients.sdk.errors import error_from_rpc
from clients.sdk.transport import Transport
from vigil.v1 import data_pb2, data_pb2_grpc

UPLOAD_PIECE_BYTES = 1024 * 1024  # well under gRPC's default 4 MiB message limit


class DataCalls(Transport):
    """One method per DataService RPC. Imports are not retried on a lost connection: run the same import
    again and it resumes at its last committed chunk."""

    async def import_ticks(
        self, path: str | Path, options: ImportOptions | None = None
    ) -> AsyncGenerator[ImportProgress, None]:
        """Import a file on the server's machine (an absolute path); progress until the last has done=True."""
        request = data_pb2.ImportTicksRequest(
            path=str(path), options=convert_data.options_to_pb(options or ImportOptions())
        )
        call = self._data_stub().ImportTicks(request, metadata=self._metadata)
        try:
            async for response in call:
                yield convert_data.progress_from_pb(response.progress)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None
        finally:
            call.cancel()

    async def upload_ticks(
        self,
        path: str | Path,
        options: ImportOptions | None = None,
        *,
        file_name: str = "",
        piece_bytes: int = UPLOAD_PIECE_BYTES,
    ) -> AsyncGenerator[ImportProgress, None]:
        """Send a local file to the server and import it; progress while sending (uploading=True), then the
        import's progress until the last has done=True. `file_name` defaults to the path's name (the server may
        read the instrument from it)."""
        local = Path(path)
        name = file_name or local.name
        total = (await asyncio.to_thread(local.stat)).st_size
        sent = 0

        async def pieces() -> AsyncIterator[data_pb2.UploadTicksRequest]:
            nonlocal sent
            first: data_pb2.UploadTicksRequest | None = data_pb2.UploadTicksRequest(
                file_name=name, options=convert_data.options_to_pb(options or ImportOptions())
            )
            handle = await asyncio.to_thread(local.open, "rb")
            try:
                while True:
                    data = await asyncio.to_thread(handle.read, piece_bytes)
                    if not data:
                        break
                    if first is not None:
                        first.data = data
                        yield first
                        first = None
                    else:
                        yield data_pb2.UploadTicksRequest(data=data)
                    sent += len(data)
            finally:
                handle.close()
            if first is not None:
                yield first  # an empty file: the server says so

        call = self._data_stub().UploadTicks(pieces(), metadata=self._metadata)
        try:
            async for response in call:
                if response.HasField("progress"):
                    yield convert_data.progress_from_pb(response.progress, bytes_received=response.bytes_received)
                else:
                    yield convert_data.uploading(name, response.bytes_received, total)
        except grpc.aio.AioRpcError as error:
            raise error_from_rpc(error) from None
        finally:
            call.cancel()

    async def list_data_coverage(
        self,
        symbol: str = "",
        from_date: date | str | None = None,
        to_date: date | str | None = None,
        min_gap_seconds: int = 0,
    ) -> list[DataCoverageDay]:
        """Per contract and CME trade date: tick counts, first and last tick, and the gaps (time the market was
        open with no tick for at least `min_gap_seconds`, default 60). `symbol`: a root (every contract of it
        in the store), a contract, or "" for all; dates default to the last 30 days."""
        request = data_pb2.ListDataCoverageRequest(
            symbol=symbol,
            from_date=str(from_date or ""),
            to_date=str(to_date or ""),
            min_gap_seconds=min_gap_seconds,
        )
        response = await self._unary(self._data_stub().ListDataCoverage, request)
        return [convert_data.coverage_from_pb(d) for d in response.days]

    def _data_stub(self) -> data_pb2_grpc.DataServiceAsyncStub:
        return data_pb2_grpc.DataServiceStub(self._channel())
