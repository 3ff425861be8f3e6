"""StrategyDesk: the strategies for the servicers. Loading, activating, deactivating and stopping run as kernel
commands (stored with everything they caused before they return; undone if the store refuses); reads come from
the host in memory and the store (versions, the event log).

Stored strategy events are published on `strategies.events` (LoggedEvent, with their log seq; and StrategyRecord
for state changes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import structlog

from core_server.bus import Bus, Subscription
from core_server.execution.model import AccountId
from core_server.kernel.kernel import TradingKernel
from core_server.live.journal import STRATEGIES_TOPIC
from core_server.live.shell import LiveKernel
from core_server.model.errors import InvalidArgument, Unavailable
from core_server.strategies.checks import Finding
from core_server.strategies.definition import StrategyDefinition
from core_server.strategies.events import LoggedEvent, StrategyRecord, StrategyVersion, VersionResult
from core_server.strategies.host import Runtime, StrategyHost
from core_server.strategies.parse import parse_text

log = structlog.get_logger(__name__)

EVENT_QUEUE = 10_000
FILE_SUFFIXES = {".toml": "toml", ".json": "json"}


class StrategyStore(Protocol):
    async def versions(self, strategy_id: str) -> list[StrategyVersion]: ...

    async def results(self, strategy_id: str) -> list[VersionResult]: ...

    async def events(self, strategy_id: str, limit: int, before_seq: int = 0) -> list[LoggedEvent]: ...


class NoStrategyStore:
    """No store of strategies (benchmarks and kits without one): no versions or log to read back."""

    async def versions(self, strategy_id: str) -> list[StrategyVersion]:
        return []

    async def results(self, strategy_id: str) -> list[VersionResult]:
        return []

    async def events(self, strategy_id: str, limit: int, before_seq: int = 0) -> list[LoggedEvent]:
        return []


@dataclass(frozen=True, slots=True)
class StrategyView:
    """A strategy as the API shows it: its current row, definition, findings and unrealised P&L now."""

    record: StrategyRecord
    definition: StrategyDefinition
    source: str
    fmt: str
    findings: tuple[Finding, ...]
    unrealised: Decimal | None  # dollars at the last trade; None without a position or a price


@dataclass(frozen=True, slots=True)
class Loaded:
    view: StrategyView
    changed: bool  # False: the same definition was already the current version


class StrategyDesk:
    def __init__(
        self,
        shell: LiveKernel,
        bus: Bus,
        store: StrategyStore,
        host: StrategyHost,
        account_named: Callable[[str], AccountId | None],
    ) -> None:
        self._shell = shell
        self._bus = bus
        self._store = store
        self.host = host
        self._account_named = account_named

    # -- definitions ----------------------------------------------------------------------------------------

    def parse(self, text: str, fmt: str) -> StrategyDefinition:
        """Parse and resolve the account (an id or a name) to its id; InvalidArgument naming the field."""
        return self.resolve(parse_text(text, fmt))

    def resolve(self, definition: StrategyDefinition) -> StrategyDefinition:
        account_id = self._account_named(definition.account)
        if account_id is not None and account_id != definition.account:
            definition = replace(definition, account=account_id)
        return definition

    def validate(self, text: str, fmt: str) -> tuple[StrategyDefinition, list[Finding]]:
        definition = self.parse(text, fmt)
        return definition, self.host.validate(definition)

    async def load(self, text: str, fmt: str) -> Loaded:
        fmt = fmt.strip().lower() or ("json" if text.lstrip().startswith("{") else "toml")
        definition = self.parse(text, fmt)

        def run(kernel: TradingKernel, now: int) -> tuple[str, bool]:
            rt, changed = self.host.load(definition, text, fmt, now)
            kernel.commands.run_strategy_commands(now)
            return rt.id, changed

        strategy_id, changed = await self._shell.command(run)
        return Loaded(self.view(strategy_id), changed)

    async def load_files(self, files: Sequence[tuple[str, str, str]]) -> int:
        """Load (path, text, format) files read by `read_strategy_dir`, inactive unless a file says enabled; a
        bad file is logged and skipped. Returns how many loaded."""
        loaded = 0
        for path, text, fmt in files:
            try:
                result = await self.load(text, fmt)
            except InvalidArgument as exc:
                log.error("strategies.file_refused", path=path, field=exc.field, error=exc.reason)
                continue
            loaded += 1
            record = result.view.record
            log.info(
                "strategies.file_loaded", path=path, strategy=record.strategy_id, version=record.version,
                changed=result.changed, status=record.status.value,
            )  # fmt: skip
        return loaded

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def _lifecycle(self, name: str, strategy_id: str) -> StrategyView:
        def run(kernel: TradingKernel, now: int) -> None:
            getattr(self.host, name)(strategy_id, now)
            kernel.commands.run_strategy_commands(now)
            kernel.commands.settle_trades(now)  # an emergency stop's close: its trade and R now, not on a tick

        await self._shell.command(run)
        return self.view(strategy_id)

    async def activate(self, strategy_id: str) -> StrategyView:
        return await self._lifecycle("activate", strategy_id)

    async def deactivate(self, strategy_id: str) -> StrategyView:
        return await self._lifecycle("deactivate", strategy_id)

    async def emergency_stop(self, strategy_id: str) -> StrategyView:
        return await self._lifecycle("emergency_stop", strategy_id)

    # -- reads ----------------------------------------------------------------------------------------------

    def view(self, strategy_id: str) -> StrategyView:
        rt = self.host.get(strategy_id)
        return StrategyView(
            rt.record(),
            rt.definition,
            rt.source,
            rt.fmt,
            tuple(self.host.validate(rt.definition)),
            self._unrealised(rt),
        )

    def find(self, strategy_id: str) -> StrategyView | None:
        return self.view(strategy_id) if strategy_id in self.host.runtimes else None

    def all(self) -> list[StrategyView]:
        return [self.view(sid) for sid in sorted(self.host.runtimes)]

    async def versions(self, strategy_id: str) -> list[StrategyVersion]:
        self.host.get(strategy_id)  # NotFound
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        return await self._store.versions(strategy_id)

    async def results(self, strategy_id: str) -> list[VersionResult]:
        """Its closed trades per version (what has been stored; queued records are flushed first)."""
        self.host.get(strategy_id)
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        return await self._store.results(strategy_id)

    async def events(self, strategy_id: str, limit: int) -> Sequence[LoggedEvent]:
        if strategy_id:
            self.host.get(strategy_id)
        with contextlib.suppress(Unavailable):
            await self._shell.writer.flush()
        return await self._store.events(strategy_id, limit)

    def subscribe(self) -> Subscription[object]:
        return self._bus.subscribe(STRATEGIES_TOPIC, maxsize=EVENT_QUEUE)

    def _unrealised(self, rt: Runtime) -> Decimal | None:
        if not rt.position:
            return None
        last = self._shell.kernel.market.last_trade(rt.contract.id)
        if last is None:
            return None
        spec = rt.contract.spec
        average = rt.cost / abs(rt.position)
        direction = 1 if rt.position > 0 else -1
        value = (last.price - average) * abs(rt.position) * direction * Fraction(spec.tick_value)
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))


def read_strategy_dir(directory: Path) -> list[tuple[str, str, str]]:
    """(path, text, format) of every *.toml and *.json file in `directory`, by name; unreadable ones logged."""
    if not directory.is_dir():
        log.error("strategies.dir_missing", path=str(directory))
        return []
    files = []
    for path in sorted(directory.iterdir()):
        fmt = FILE_SUFFIXES.get(path.suffix.lower())
        if fmt is None or not path.is_file():
            continue
        try:
            files.append((str(path), path.read_text(encoding="utf-8"), fmt))
        except (OSError, UnicodeDecodeError) as exc:
            log.error("strategies.file_unreadable", path=str(path), error=str(exc))
    return files
