"""Fixed copy groups and follower outcomes for the fake client (the Copy screen's layout and snapshots)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from clients.sdk import CopyAction, CopyFollower, CopyGroup, CopyOutcome, CopySizing, CopySourceKind, CopyStatus
from tests.tui.fake_data import MINUTE, NOW_NS


def _outcome(account: str, status: CopyStatus, qty: int, contract: str, detail: str, minutes: int) -> CopyOutcome:
    return CopyOutcome(
        "g-evals", account, "signal:S-41", ("o-1", "o-2", "o-3"), CopyAction.ENTRY, status, contract, qty,
        ("o-7",) if status is CopyStatus.PLACED else (), detail, NOW_NS - minutes * MINUTE,
    )  # fmt: skip


OUTCOMES = (
    _outcome("eval-1", CopyStatus.PLACED, 2, "NQZ2026", "buy 2 (1 x 2 = 2)", 3),
    _outcome("eval-2", CopyStatus.PLACED, 25, "MNQZ2026", "buy 25 ($500 / (40 ticks x $0.5) = 25)", 3),
    _outcome("eval-3", CopyStatus.DENIED, 3, "NQZ2026", "buy 3 (fixed 3): denied: daily loss limit reached", 3),
)
_LAST = {o.account_id: o for o in OUTCOMES}
GROUPS = (
    CopyGroup(
        "g-evals",
        "five evals",
        CopySourceKind.WEBHOOK,
        "orb",
        (
            replace(CopyFollower.times("eval-1", 2), last_outcome=_LAST["eval-1"]),
            replace(CopyFollower.risk("eval-2", 500, micros_only=True), last_outcome=_LAST["eval-2"]),
            replace(CopyFollower.fixed("eval-3", 3), last_outcome=_LAST["eval-3"]),
        ),
        False,
        NOW_NS - 60 * MINUTE,
        NOW_NS - 60 * MINUTE,
    ),
    CopyGroup(
        "g-lead",
        "leader copy",
        CopySourceKind.ACCOUNT,
        "paper",
        (CopyFollower("eval", CopySizing.MULTIPLIER, multiplier=Decimal(1)),),
        True,
        NOW_NS - 90 * MINUTE,
        NOW_NS - 30 * MINUTE,
    ),
)
