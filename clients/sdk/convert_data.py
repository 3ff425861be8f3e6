"""DataService messages to and from the SDK's models."""

from __future__ import annotations

from datetime import date

from clients.sdk.data import BadRowCount, DataCoverageDay, DataGap, HeaderMode, ImportOptions, ImportProgress
from clients.sdk.enums import HEADER_MODE
from vigil.v1 import data_pb2


def options_to_pb(options: ImportOptions) -> data_pb2.ImportOptions:
    message = data_pb2.ImportOptions(
        symbol=options.symbol,
        tz=options.tz,
        to=options.end,
        separator=options.separator,
        header=(
            data_pb2.HEADER_MODE_UNSPECIFIED
            if options.header is None
            else HEADER_MODE.to_proto[HeaderMode.PRESENT if options.header else HeaderMode.ABSENT]
        ),
        columns=list(options.columns),
        time_format=options.time_format,
        format=options.format,
    )
    setattr(message, "from", options.start)  # `from` is a Python keyword
    return message


def progress_from_pb(message: data_pb2.ImportProgress, *, bytes_received: int = 0) -> ImportProgress:
    return ImportProgress(
        import_id=message.import_id,
        file_name=message.file_name,
        instrument=message.instrument,
        notes=tuple(message.notes),
        unsure=tuple(message.unsure),
        resumed_from_line=message.resumed_from_line,
        lines_read=message.lines_read,
        ticks_stored=message.ticks_stored,
        duplicates=message.duplicates,
        anomalies=message.anomalies,
        bad_total=message.bad_total,
        bad=tuple(BadRowCount(b.kind, b.count, tuple(b.first_lines)) for b in message.bad),
        contracts=tuple(message.contracts),
        first_ts_ns=message.first_ts_ns,
        last_ts_ns=message.last_ts_ns,
        bytes_read=message.bytes_read,
        bytes_total=message.bytes_total,
        rows_per_s=message.rows_per_s,
        eta_s=message.eta_s,
        done=message.done,
        bytes_received=bytes_received,
    )


def uploading(file_name: str, received: int, total: int) -> ImportProgress:
    return ImportProgress(
        0, file_name, "", (), (), 0, 0, 0, 0, 0, 0, (), (), 0, 0, 0, total, 0.0, 0.0, False, True, received
    )


def coverage_from_pb(m: data_pb2.DataCoverageDay) -> DataCoverageDay:
    return DataCoverageDay(
        contract_id=m.contract_id,
        trade_date=date.fromisoformat(m.trade_date),
        ticks=m.ticks,
        quotes=m.quotes,
        trades=m.trades,
        anomalies=m.anomalies,
        first_ns=m.first_ns,
        last_ns=m.last_ns,
        open_ns=m.open_ns,
        close_ns=m.close_ns,
        gaps=tuple(DataGap(g.start_ns, g.end_ns) for g in m.gaps),
        missing_ns=m.missing_ns,
    )
