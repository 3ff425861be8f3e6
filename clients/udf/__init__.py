"""TradingView UDF datafeed over HTTP: a thin client of the Vigil core through clients.sdk only."""

from clients.udf.app import create_udf_app
from clients.udf.datafeed import UdfDatafeed

__all__ = ["UdfDatafeed", "create_udf_app"]
