"""The server reads each wire UNSPECIFIED as it did before the enum maps: a default, or "detect" (no member)."""

from __future__ import annotations

import pytest

from core_server.api import enums
from core_server.api.backtests import settings_from_proto
from core_server.api.data_arguments import pins_from
from core_server.backtest.config import FillMode
from core_server.backtest.report import ReportFormat
from core_server.model.errors import InvalidArgument
from vigil.v1 import analytics_pb2, backtests_pb2, data_pb2


def test_unspecified_fill_is_through_and_unspecified_format_is_json() -> None:
    assert enums.FILL_MODE.from_proto[backtests_pb2.FILL_MODE_UNSPECIFIED] is FillMode.THROUGH
    assert enums.FILL_MODE.to_proto[FillMode.THROUGH] == backtests_pb2.FILL_MODE_THROUGH
    assert enums.REPORT_FORMAT.from_proto[backtests_pb2.REPORT_FORMAT_UNSPECIFIED] is ReportFormat.JSON
    assert not settings_from_proto(backtests_pb2.BacktestSettings()).fill_on_touch
    assert settings_from_proto(backtests_pb2.BacktestSettings(fill=backtests_pb2.FILL_MODE_TOUCH)).fill_on_touch


def test_an_unknown_fill_names_its_field() -> None:
    with pytest.raises(InvalidArgument) as refused:
        settings_from_proto(backtests_pb2.BacktestSettings(fill=7))  # type: ignore[arg-type]
    assert refused.value.field == "settings.fill"


@pytest.mark.parametrize(
    ("wire", "pinned"),
    [
        (data_pb2.HEADER_MODE_UNSPECIFIED, None),
        (data_pb2.HEADER_MODE_PRESENT, True),
        (data_pb2.HEADER_MODE_ABSENT, False),
    ],
)
def test_header_mode_pins_or_detects(wire: int, pinned: bool | None) -> None:
    assert pins_from(data_pb2.ImportOptions(header=wire)).header is pinned  # type: ignore[arg-type]


def test_an_unknown_header_mode_names_its_field() -> None:
    with pytest.raises(InvalidArgument) as refused:
        pins_from(data_pb2.ImportOptions(header=9))  # type: ignore[arg-type]
    assert refused.value.field == "options.header"


def test_an_unspecified_import_format_is_detected() -> None:
    assert analytics_pb2.IMPORT_FORMAT_UNSPECIFIED not in enums.IMPORT_FORMAT.from_proto
