"""DataService: tick import from a server-side path or a client upload, with streamed progress."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import grpc

from core_server.api import arguments
from core_server.api.data_arguments import import_request, server_path, upload_name
from core_server.api.errors import stream, unary
from core_server.calendar.session_table import load_trading_calendar
from core_server.calendar.sessions import CalendarRangeError, TradingCalendar
from core_server.imports.coverage import DayCoverage, coverage
from core_server.imports.importer import ImportProgress, run_import
from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.errors import InvalidArgument
from core_server.storage.coverage import CoverageRepository, contract_pattern
from vigil.v1 import data_pb2, data_pb2_grpc

UPLOAD_REPORT_BYTES = 16 * 1024 * 1024  # an upload reports progress about every 16 MiB received


@dataclass(frozen=True, slots=True)
class ImportSettings:
    import_dirs: tuple[Path, ...] = ()  # VIGIL_IMPORT_DIRS
    open_to_all: bool = True  # the server listens on loopback only: its callers are the machine's user
    upload_dir: Path | None = None  # where uploads are spooled (VIGIL_UPLOAD_DIR; default: the temp directory)
    upload_max_bytes: int = 64 * 1024**3  # VIGIL_UPLOAD_MAX_BYTES
    quote_price: str = "mid"  # VIGIL_QUOTE_PRICE: what the anomaly filter sees of a quote


def progress_to_proto(progress: ImportProgress) -> data_pb2.ImportProgress:
    return data_pb2.ImportProgress(
        import_id=progress.import_id,
        file_name=progress.file_name,
        instrument=progress.instrument,
        notes=list(progress.notes),
        unsure=list(progress.unsure),
        resumed_from_line=progress.resumed_from_line,
        lines_read=progress.lines_read,
        ticks_stored=progress.ticks_stored,
        duplicates=progress.duplicates,
        anomalies=progress.anomalies,
        bad_total=progress.bad_total,
        bad=[data_pb2.BadRowCount(kind=b.kind, count=b.count, first_lines=list(b.first_lines)) for b in progress.bad],
        contracts=list(progress.contracts),
        first_ts_ns=progress.first_ts_ns,
        last_ts_ns=progress.last_ts_ns,
        bytes_read=progress.bytes_read,
        bytes_total=progress.bytes_total,
        rows_per_s=progress.rows_per_s,
        eta_s=progress.eta_s,
        done=progress.done,
    )


MAX_COVERAGE_DAYS = 400
DEFAULT_COVERAGE_DAYS = 30
DEFAULT_MIN_GAP_S = 60


def coverage_to_proto(day: DayCoverage) -> data_pb2.DataCoverageDay:
    counts = day.counts
    return data_pb2.DataCoverageDay(
        contract_id=day.contract_id,
        trade_date=day.trade_date.isoformat(),
        ticks=counts.ticks if counts else 0,
        quotes=counts.quotes if counts else 0,
        trades=counts.trades if counts else 0,
        anomalies=counts.anomalies if counts else 0,
        first_ns=counts.first_ns if counts else 0,
        last_ns=counts.last_ns if counts else 0,
        open_ns=day.open_ns,
        close_ns=day.close_ns,
        gaps=[data_pb2.DataGap(start_ns=g.start_ns, end_ns=g.end_ns) for g in day.gaps],
        missing_ns=day.missing_ns,
    )


class DataServicer(data_pb2_grpc.DataServiceServicer):
    def __init__(
        self, pool: asyncpg.Pool, clock: Clock, settings: ImportSettings, calendar: TradingCalendar | None = None
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._settings = settings
        self._calendar = calendar or load_trading_calendar()
        self._coverage = CoverageRepository(pool)

    @unary
    async def ListDataCoverage(
        self, request: data_pb2.ListDataCoverageRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> data_pb2.ListDataCoverageResponse:
        symbol = arguments.text(request.symbol, "symbol", 32).strip().upper()
        if symbol and not symbol.isalnum():
            raise InvalidArgument("symbol", "a root (ES) or a contract (ESZ2025), letters and digits only")
        min_gap_s = arguments.bounded(request.min_gap_seconds, "min_gap_seconds", DEFAULT_MIN_GAP_S, 86_400)
        calendar = self._calendar
        to_date = arguments.optional_date(request.to_date, "to_date")
        if to_date is None:
            try:
                to_date = calendar.trading_day(self._clock.now_ns())
            except CalendarRangeError:
                to_date = calendar.last_trade_date
        from_date = arguments.optional_date(request.from_date, "from_date") or to_date - timedelta(
            days=DEFAULT_COVERAGE_DAYS
        )
        if from_date > to_date:
            raise InvalidArgument("from_date", f"{from_date} is after to_date {to_date}")
        if (to_date - from_date).days > MAX_COVERAGE_DAYS:
            raise InvalidArgument("from_date", f"at most {MAX_COVERAGE_DAYS} days at a time")
        for name, day in (("from_date", from_date), ("to_date", to_date)):
            if not calendar.first_trade_date <= day <= calendar.last_trade_date:
                raise InvalidArgument(
                    name, f"the calendar covers {calendar.first_trade_date} to {calendar.last_trade_date}"
                )
        sessions = calendar.sessions_between(from_date, to_date)
        if not sessions:
            return data_pb2.ListDataCoverageResponse()
        start_ns, end_ns = sessions[0].open_ns, sessions[-1].close_ns
        is_contract = any(c.isdigit() for c in symbol)
        pattern = f"^{symbol}$" if is_contract else contract_pattern(symbol) if symbol else ".*"
        repo = self._coverage
        days: list[data_pb2.DataCoverageDay] = []
        # a contract asked for by name is listed even without a tick in the range (every day one whole gap)
        contracts = [symbol] if is_contract else await repo.contracts(pattern, start_ns, end_ns)
        for contract_id in contracts:
            counts = await repo.day_counts(contract_id, sessions)
            silences = await repo.silences(contract_id, start_ns, end_ns, min_gap_s * NS_PER_SECOND)
            days.extend(
                coverage_to_proto(d)
                for d in coverage(contract_id, sessions, counts, silences, min_gap_s * NS_PER_SECOND)
            )
        return data_pb2.ListDataCoverageResponse(days=days)

    @stream
    async def ImportTicks(
        self, request: data_pb2.ImportTicksRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[data_pb2.ImportTicksResponse]:
        settings = self._settings
        path = server_path(request.path, settings.import_dirs, settings.open_to_all)
        import_req = import_request(path, path.name, request.options, settings.quote_price)
        async for progress in run_import(self._pool, import_req, self._clock):
            yield data_pb2.ImportTicksResponse(progress=progress_to_proto(progress))

    @stream
    async def UploadTicks(
        self,
        request_iterator: AsyncIterator[data_pb2.UploadTicksRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[data_pb2.UploadTicksResponse]:
        settings = self._settings
        first = await anext(aiter(request_iterator), None)
        if first is None:
            raise InvalidArgument("file_name", "the first message names the file and the options")
        name = upload_name(first.file_name)
        if not name:
            raise InvalidArgument(
                "file_name", "the first message names the uploaded file (its name may name the contract)"
            )
        directory = settings.upload_dir or Path(tempfile.gettempdir())
        handle, spool_name = await asyncio.to_thread(tempfile.mkstemp, prefix="vigil-upload-", dir=directory)
        spool = Path(spool_name)
        out = os.fdopen(handle, "wb")
        try:
            import_req = import_request(spool, name, first.options, settings.quote_price)
            received = 0
            reported = 0
            with out:
                message: data_pb2.UploadTicksRequest | None = first
                iterator = aiter(request_iterator)
                while message is not None:
                    if message.data:
                        received += len(message.data)
                        if received > settings.upload_max_bytes:
                            raise InvalidArgument("data", f"uploads are limited to {settings.upload_max_bytes} bytes")
                        await asyncio.to_thread(out.write, message.data)
                        if received - reported >= UPLOAD_REPORT_BYTES:
                            reported = received
                            yield data_pb2.UploadTicksResponse(bytes_received=received)
                    message = await anext(iterator, None)
            if received == 0:
                raise InvalidArgument("data", "the upload holds no bytes")
            async for progress in run_import(self._pool, import_req, self._clock):
                yield data_pb2.UploadTicksResponse(bytes_received=received, progress=progress_to_proto(progress))
        finally:
            out.close()
            with contextlib.suppress(OSError):
                await asyncio.to_thread(spool.unlink)
