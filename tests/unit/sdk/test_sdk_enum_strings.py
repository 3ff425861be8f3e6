"""The SDK enums that replaced bare strings keep taking them, and read the wire's defaults as before."""

from __future__ import annotations

import pytest

from clients.sdk import convert_backtests
from clients.sdk.backtests import BacktestSettings, BacktestStatus, FillMode, ReportFormat
from clients.sdk.errors import InvalidArgumentError
from vigil.v1 import backtests_pb2 as pb


@pytest.mark.parametrize(
    ("fill", "wire"),
    [("through", pb.FILL_MODE_THROUGH), ("touch", pb.FILL_MODE_TOUCH), (FillMode.TOUCH, pb.FILL_MODE_TOUCH)],
)
def test_fill_takes_the_plain_strings(fill: str, wire: int) -> None:
    message = convert_backtests.settings_to_pb(BacktestSettings("ES", "2025-01-02", "2025-01-03", fill=fill))
    assert message.fill == wire
    assert convert_backtests.settings_from_pb(message).fill == fill


def test_an_unknown_fill_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        convert_backtests.settings_to_pb(BacktestSettings("ES", "2025-01-02", "2025-01-03", fill="sometimes"))
    assert refused.value.field == "fill"


def test_an_unspecified_fill_reads_as_through() -> None:
    assert convert_backtests.settings_from_pb(pb.BacktestSettings()).fill is FillMode.THROUGH


def test_report_formats_take_the_plain_strings() -> None:
    assert convert_backtests.report_format_to_pb("csv") == pb.REPORT_FORMAT_CSV
    assert convert_backtests.report_format_to_pb(ReportFormat.HTML) == pb.REPORT_FORMAT_HTML
    with pytest.raises(InvalidArgumentError):
        convert_backtests.report_format_to_pb("pdf")


def test_a_run_status_is_still_its_string() -> None:
    run = convert_backtests.run_from_pb(pb.BacktestRun(status=pb.BACKTEST_STATUS_DONE))
    assert run.status == "done" and run.status is BacktestStatus.DONE and run.finished
    assert convert_backtests.run_from_pb(pb.BacktestRun()).status is BacktestStatus.UNKNOWN
