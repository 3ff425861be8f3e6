"""DataService arguments: import options from the wire to an ImportRequest, every field checked and named."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path, PurePath
from zoneinfo import ZoneInfo

from core_server.api.enums import HEADER_MODE
from core_server.imports.dialect import PRESETS, ROLES, SEPARATOR_NAMES, Pins
from core_server.imports.importer import ImportRequest, check_tz
from core_server.imports.timestamps import FAMILIES
from core_server.model.clock import ns_from_datetime
from core_server.model.errors import InvalidArgument, PermissionDenied
from vigil.v1 import data_pb2

MAX_PATH_CHARS = 4096
MAX_NAME_CHARS = 255
MAX_SYMBOL_CHARS = 40
MAX_COLUMNS = 64
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _instant(text: str, field: str, tz: str) -> int | None:
    """RFC 3339 with an offset, or a date meaning its midnight in `tz` (UTC when empty)."""
    value = text.strip()
    if not value:
        return None
    if len(value) > 40:
        raise InvalidArgument(field, "use an RFC 3339 time (2025-10-06T09:30:00-04:00) or a date (2025-10-06)")
    zone = ZoneInfo(tz or "UTC")
    try:
        if _DATE.match(value):
            return ns_from_datetime(datetime.combine(date.fromisoformat(value), time(0), zone))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(field, f"{value!r} is not an RFC 3339 time or a YYYY-MM-DD date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not 1970 <= moment.year <= 2200:
        raise InvalidArgument(field, "the year must be between 1970 and 2200")
    return ns_from_datetime(moment)


def pins_from(options: data_pb2.ImportOptions) -> Pins:
    separator = options.separator.strip().lower()
    if separator and separator not in SEPARATOR_NAMES:
        raise InvalidArgument("options.separator", f"use one of {', '.join(SEPARATOR_NAMES)}")
    header_mode = HEADER_MODE.from_proto.get(options.header)
    if header_mode is None and options.header != data_pb2.HEADER_MODE_UNSPECIFIED:
        raise InvalidArgument("options.header", "unknown header mode")
    if len(options.columns) > MAX_COLUMNS:
        raise InvalidArgument("options.columns", f"at most {MAX_COLUMNS} columns")
    columns = tuple(c.strip().lower() for c in options.columns)
    for role in columns:
        if role not in ROLES:
            raise InvalidArgument("options.columns", f"unknown column role {role[:40]!r}; use {', '.join(ROLES)}")
    time_format = options.time_format.strip().lower()
    if time_format and time_format not in FAMILIES:
        raise InvalidArgument("options.time_format", f"use one of {', '.join(FAMILIES)}")
    preset = options.format.strip().lower()
    if preset and preset not in PRESETS:
        raise InvalidArgument("options.format", f"use one of {', '.join(PRESETS)}")
    return Pins(
        separator=SEPARATOR_NAMES.get(separator, ""),
        header=None if header_mode is None else bool(header_mode.value),
        columns=columns,
        time_format=time_format,
        preset="" if preset == "auto" else preset,
    )


def import_request(path: Path, file_name: str, options: data_pb2.ImportOptions, quote_price: str) -> ImportRequest:
    symbol = options.symbol.strip()
    if len(symbol) > MAX_SYMBOL_CHARS:
        raise InvalidArgument("options.symbol", f"at most {MAX_SYMBOL_CHARS} characters")
    tz = options.tz.strip()
    if len(tz) > 64:
        raise InvalidArgument("options.tz", "an IANA zone name is at most 64 characters")
    try:
        check_tz(tz)
    except InvalidArgument as exc:
        raise InvalidArgument("options.tz", exc.reason) from None
    start = _instant(getattr(options, "from"), "options.from", tz)
    end = _instant(options.to, "options.to", tz)
    if start is not None and end is not None and start >= end:
        raise InvalidArgument("options.to", "must be after options.from")
    return ImportRequest(
        path=path,
        file_name=file_name,
        symbol=symbol,
        tz=tz,
        start_ns=start,
        end_ns=end,
        pins=pins_from(options),
        quote_price=quote_price,
    )


def server_path(text: str, allowed_dirs: tuple[Path, ...], open_to_all: bool) -> Path:
    """The file an ImportTicks request names, if this caller may read it: anywhere when the server listens on
    loopback only and no VIGIL_IMPORT_DIRS is set, else only under those directories."""
    value = text.strip()
    if not value:
        raise InvalidArgument("path", "a file path on the server is required")
    if len(value) > MAX_PATH_CHARS or "\x00" in value:
        raise InvalidArgument("path", "not a usable file path")
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise InvalidArgument("path", "use an absolute path (the server's working directory is not yours)")
    resolved = path.resolve()
    if allowed_dirs:
        if not any(resolved.is_relative_to(d.resolve()) for d in allowed_dirs):
            raise PermissionDenied("path is outside VIGIL_IMPORT_DIRS")
    elif not open_to_all:
        raise PermissionDenied("server-side imports are off: set VIGIL_IMPORT_DIRS, or upload the file (UploadTicks)")
    return resolved


def upload_name(text: str) -> str:
    name = PurePath(text.strip().replace("\\", "/")).name
    if len(name) > MAX_NAME_CHARS or "\x00" in name:
        raise InvalidArgument("file_name", f"at most {MAX_NAME_CHARS} characters")
    return name
