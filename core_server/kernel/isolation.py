"""Stage isolation: a stage that raises is recorded, counted and made safe, and never stops the chain.

The failure is appended to the output with its traceback (the driver logs it), counted per stage, and every
account it may have left unsafe is held by risk: no new risk until an operator resumes it. Risk itself failing
cannot hold anything through risk, so those accounts are recorded for the operator instead.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Sequence

from core_server.execution.commands import ExecutionCommand
from core_server.execution.model import AccountId
from core_server.kernel.output import KernelOutput, Stage, StageFailure
from core_server.risk.engine import RiskEngine


class Isolation:
    def __init__(self, output: KernelOutput, risk: RiskEngine) -> None:
        self.output = output
        self._risk = risk
        self.counts: Counter[Stage] = Counter()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def failed(
        self, stage: Stage, ts_ns: int, contract_id: str, accounts: Sequence[AccountId], exc: BaseException
    ) -> None:
        self.counts[stage] += 1
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        error = f"{type(exc).__name__}: {exc}"
        self.output.failures.append(StageFailure(stage, ts_ns, contract_id, tuple(accounts), error, detail))
        reason = f"{stage.value} stage failed ({error}); resume the account once checked"
        for account_id in accounts:
            try:
                result = self._risk.hold(account_id, reason, ts_ns)
            except Exception:  # risk is what failed, or the account is unknown: the failure record stands
                continue
            self.output.add_risk(result.events)

    def guard_exhausted(self, ts_ns: int, actions: Sequence[ExecutionCommand]) -> None:
        """Risk still asked for commands after the last guard round: recorded, never looped on."""
        accounts = tuple(dict.fromkeys(getattr(a, "account_id", "") for a in actions if getattr(a, "account_id", "")))
        exc = RuntimeError(f"risk asked for {len(actions)} more commands after the last guard round")
        self.failed(Stage.RISK, ts_ns, "", [AccountId(a) for a in accounts], exc)
