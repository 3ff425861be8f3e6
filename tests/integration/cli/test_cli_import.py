"""`vigil import` and DataService against a real server: upload and server-side path, progress, summary, errors."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from pathlib import Path

import grpc
import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk import VigilClient
from clients.sdk.data import ImportOptions
from clients.sdk.errors import InvalidArgumentError, NotFoundError
from clients.sdk.sync import VigilSyncClient
from core_server.app import RunningServer
from vigil.v1 import data_pb2, data_pb2_grpc

ROWS = "".join(
    f"2025-10-06T13:30:{s:02d}.{ms:03d}Z,{21000 + (s % 4) * 0.25:.2f},{1 + ms % 3}\n"
    for s in range(20)
    for ms in (0, 500)
)
CSV = "timestamp,price,size\n" + ROWS


async def vigil(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def test_vigil_import_uploads_shows_progress_and_a_summary(vigil_server: str, tmp_path: Path) -> None:
    path = tmp_path / "nq_ticks.csv"
    path.write_text(CSV)
    code, out, err = await vigil("--target", vigil_server, "import", str(path), "--contract", "NQZ2025")
    assert code == exit_codes.OK, err
    assert "import [" in err and "100.0%" in err  # the progress bar
    assert "imported nq_ticks.csv as NQZ2025" in out
    assert "ticks stored 40, duplicates skipped 0" in out
    code, out, err = await vigil("--target", vigil_server, "--json", "import", str(path), "--contract", "NQZ2025")
    assert code == exit_codes.OK
    report = json.loads(out)
    assert (report["ticks_stored"], report["duplicates"], report["done"]) == (0, 40, True)


async def test_vigil_import_server_side_with_range_counts_rows_outside(vigil_server: str, tmp_path: Path) -> None:
    path = tmp_path / "ESZ2025.csv"
    path.write_text(CSV.replace("21000", "6774"))
    code, out, err = await vigil(
        "--target", vigil_server, "--json", "import", str(path), "--server-side",
        "--from", "2025-10-06T13:30:05Z", "--to", "2025-10-06T13:30:10Z",
    )  # fmt: skip
    assert code == exit_codes.OK, err
    report = json.loads(out)
    assert report["instrument"] == "ESZ2025" and report["ticks_stored"] == 10
    assert report["bad"] == [{"kind": "out_of_range", "count": 30, "first_lines": [2, 3, 4, 5, 6]}]


async def test_vigil_import_errors_are_exit_codes_naming_the_flag(vigil_server: str, tmp_path: Path) -> None:
    code, _, err = await vigil("--target", vigil_server, "import", str(tmp_path / "missing.csv"))
    assert code == exit_codes.NOT_FOUND
    path = tmp_path / "ticks.csv"
    path.write_text(CSV)
    code, _, err = await vigil("--target", vigil_server, "import", str(path))
    assert code == exit_codes.INVALID_ARGUMENT and "--symbol" in err
    code, _, err = await vigil("--target", vigil_server, "import", str(path), "--symbol", "NQ", "--tz", "Mars/Base")
    assert code == exit_codes.INVALID_ARGUMENT and "tz" in err
    code, _, err = await vigil("--target", vigil_server, "import", str(path), "--symbol", "NQ", "--columns", "when")
    assert code == exit_codes.INVALID_ARGUMENT and "columns" in err


async def test_sdk_import_and_upload(vigil_server: str, tmp_path: Path) -> None:
    path = tmp_path / "mnq.csv"
    path.write_text(CSV)
    async with VigilClient(vigil_server) as client:
        reports = [p async for p in client.upload_ticks(path, ImportOptions(symbol="MNQZ2025"))]
        assert reports[-1].done and reports[-1].ticks_stored == 40
        reports = [p async for p in client.import_ticks(path, ImportOptions(symbol="MNQ"))]
        assert reports[-1].contracts == ("MNQZ2025",) and reports[-1].duplicates == 40
        with pytest.raises(NotFoundError):
            [p async for p in client.import_ticks(tmp_path / "nope.csv")]
        with pytest.raises(InvalidArgumentError) as caught:
            [p async for p in client.import_ticks("relative.csv")]
        assert caught.value.field == "path"


async def test_upload_without_a_first_message_or_bytes_is_invalid(running_server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(running_server.address) as channel:
        stub = data_pb2_grpc.DataServiceStub(channel)

        async def nothing():  # type: ignore[no-untyped-def]
            for _ in ():
                yield data_pb2.UploadTicksRequest()

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            [r async for r in stub.UploadTicks(nothing())]
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT

        async def empty():  # type: ignore[no-untyped-def]
            yield data_pb2.UploadTicksRequest(file_name="NQZ2025.csv")

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            [r async for r in stub.UploadTicks(empty())]
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_the_sync_client_imports_too(vigil_server: str, tmp_path: Path) -> None:
    path = tmp_path / "esz2025.csv.gz"
    path.write_bytes(gzip.compress(CSV.replace("21000", "6774").encode()))

    def use() -> None:  # the sync client blocks: off the loop the server runs on
        with VigilSyncClient(vigil_server) as client:
            last = list(client.upload_ticks(path))[-1]
            assert (last.instrument, last.ticks_stored, last.done) == ("ESZ2025", 40, True)
            last = list(client.import_ticks(path))[-1]
            assert last.duplicates == 40

    await asyncio.to_thread(use)
